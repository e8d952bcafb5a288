package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/infra/sampleapp"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/service"
)

// call sends a JSON request with a bearer token and decodes the answer.
func call(t *testing.T, method, u, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, u, res.StatusCode, b)
		}
	}
	return res.StatusCode
}

func sampleApps(t *testing.T, r *runner) []appView {
	t.Helper()
	var page struct{ Data []appView }
	call(t, "GET", r.base+"/v1/apps?limit=100", r.token, nil, &page)
	var out []appView
	for _, a := range page.Data {
		if a.Name == SampleAppName {
			out = append(out, a)
		}
	}
	return out
}

// TestSampleApp: make run registers the Sample app once, across restarts
// (on another port, too: its URLs follow); a browser logged in through
// /dev/login installs it through its install link (state, code exchange,
// introspection); the uninstall notification arrives; a wrong credential
// is refused and listed; the launch JWT of its panel verifies; any draft
// goes live and to review with the sample app's callback; a refused probe
// says why in the 422.
func TestSampleApp(t *testing.T) {
	storyEnv(t)
	r := startRunner(t)
	for _, want := range []string{"/hub", "/dev/login", "install link of \"Sample app\"", "callback URL any draft may use"} {
		if !strings.Contains(r.out.String(), want) {
			t.Errorf("welcome lacks %q:\n%s", want, r.out.String())
		}
	}
	apps := sampleApps(t, r)
	if len(apps) != 1 || apps[0].Status != "live" {
		t.Fatalf("sample apps after the first start: %+v", apps)
	}
	dir := os.Getenv("LOCAL_DATA_DIR")
	if _, err := os.Stat(filepath.Join(dir, "stream-"+os.Getenv("TABLE_NAME")+".json")); err != nil {
		// The registration's records went through the stream.
		time.Sleep(time.Second)
		if _, err := os.Stat(filepath.Join(dir, "stream-"+os.Getenv("TABLE_NAME")+".json")); err != nil {
			t.Errorf("no stream position kept: %v", err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "sample-app", "ca-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("CA key: %v %v", fi, err)
	}
	r.stop()

	r = startRunner(t) // another free sample app port
	apps = sampleApps(t, r)
	if len(apps) != 1 || apps[0].ID == "" {
		t.Fatalf("sample apps after a restart: %+v, want the same one", apps)
	}
	var app appView
	call(t, "GET", r.base+"/v1/apps/"+apps[0].ID, r.token, nil, &app)
	if !strings.HasPrefix(app.CallbackURL, r.sample+"/") || app.Status != "live" {
		t.Errorf("after a restart on another port: %+v, want callback on %s", app, r.sample)
	}
	sc := r.sampleClient(t)

	// A browser: /dev/login as alice of acme, then the install link.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Transport: sc.Transport, Timeout: 20 * time.Second}
	res, err := browser.PostForm(r.base+"/dev/login", url.Values{"user_id": {"alice"}, "company_id": {"acme"},
		"name": {"Alice"}, "company_name": {"Acme"}, "return_to": {"/hub/apps"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	link := regexp.MustCompile(`install link of "Sample app" \(\S+\): (\S+)`).FindStringSubmatch(r.out.String())[1]
	status, page := get(t, browser, link) // → the sample app's /sample-app/install → the consent page
	if status != 200 || !strings.Contains(page, "Allow and install") {
		t.Fatalf("install link in a logged-in browser: %d\n%s", status, page)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`type="hidden" name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	form.Set("decision", "allow")
	req, _ := http.NewRequest("POST", r.base+"/oauth/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", r.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err = browser.Do(req) // → 303 to the sample app's callback, which exchanges the code
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "Sample app installed") || !strings.Contains(string(b), "base deals:read contacts:read") {
		t.Fatalf("after Allow: %d\n%s", res.StatusCode, b)
	}

	// Its panel, launched by alice, verifies with the Sample app's secret.
	var exts struct{ Data []struct{ ID string } }
	call(t, "GET", r.base+"/v1/apps/"+app.ID+"/extensions", r.token, nil, &exts)
	if len(exts.Data) != 1 {
		t.Fatalf("extensions: %+v", exts)
	}
	alice := issue(t, "alice", "acme", false)
	var launch struct{ URL string }
	call(t, "POST", r.base+"/v1/apps/"+app.ID+"/extensions/"+exts.Data[0].ID+"/launch", alice, nil, &launch)
	if status, page := get(t, sc, launch.URL); status != 200 || !strings.Contains(page, "client secret") || !strings.Contains(page, "acme") {
		t.Errorf("extension page: %d\n%s", status, page)
	}
	if status, _ := get(t, sc, r.sample+sampleapp.PathExtension+"?token=x.y.z"); status != http.StatusUnauthorized {
		t.Errorf("extension page with a bad token: %d", status)
	}

	// A forged notification is refused and listed as refused.
	req, _ = http.NewRequest("DELETE", app.CallbackURL, strings.NewReader(`{"client_id":"`+app.ClientID+`"}`))
	req.SetBasicAuth(app.ClientID, "wrong")
	res, err = sc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged notification: %d, want 401", res.StatusCode)
	}
	// Alice uninstalls: the notification arrives through the stream.
	var insts struct{ Data []struct{ ID string } }
	call(t, "GET", r.base+"/v1/installations", alice, nil, &insts)
	if len(insts.Data) != 1 || call(t, "DELETE", r.base+"/v1/installations/"+insts.Data[0].ID, alice, nil, nil) != 204 {
		t.Fatalf("installations: %+v", insts)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, home := get(t, sc, r.sample+"/")
		if strings.Contains(home, "Uninstall notification received for the Sample app") {
			if !strings.Contains(home, "Uninstall notification refused") || strings.Index(home, "received for the Sample app") > strings.Index(home, "refused") {
				t.Errorf("home page does not list the refusal after the notification, newest first:\n%s", home)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no uninstall notification:\n%s", home)
		}
	}

	// Any draft goes live, or to review, with the sample app's callback.
	for _, typ := range []string{"private", "public"} {
		var d appView
		body := map[string]any{"type": typ, "name": "Draft " + typ, "callback_url": r.sample + "/callback"}
		if typ == "public" {
			body["listing"] = map[string]any{"summary": "s", "description": "d", "icon_url": "https://example.com/i.png",
				"image_urls": []string{"https://example.com/s.png"}, "support_url": "https://example.com/s", "privacy_policy_url": "https://example.com/p"}
		}
		call(t, "POST", r.base+"/v1/apps", r.token, body, &d)
		move := map[string]string{"private": "live", "public": "review"}[typ]
		var moved appView
		if st := call(t, "POST", r.base+"/v1/apps/"+d.ID+"/"+move, r.token, map[string]any{}, &moved); st != 200 || moved.Status != move {
			t.Errorf("%s draft → %s: %d %+v", typ, move, st, moved)
		}
	}
	// A refused probe says why in the 422: the category and its words.
	var d appView
	call(t, "POST", r.base+"/v1/apps", r.token, map[string]any{"type": "private", "name": "Refused", "callback_url": "https://10.9.8.7/cb"}, &d)
	var problem struct {
		Errors []struct{ Field, Message string }
	}
	if st := call(t, "POST", r.base+"/v1/apps/"+d.ID+"/live", r.token, map[string]any{}, &problem); st != 422 ||
		len(problem.Errors) != 1 || !strings.Contains(problem.Errors[0].Message, "not_allowed: ") ||
		!strings.Contains(problem.Errors[0].Message, "private, loopback, link-local or reserved") || strings.Contains(problem.Errors[0].Message, "10.9.8.7") {
		t.Errorf("refused move: %d %+v", st, problem)
	}
}

// TestHintingProber: a not_allowed refusal logs the local way out, naming
// the sample app and PROBE_ALLOWED_HOSTS.
func TestHintingProber(t *testing.T) {
	var buf bytes.Buffer
	h := &hintingProber{next: probe.New(probe.Options{}), logger: slog.New(slog.NewTextHandler(&buf, nil)), sample: "https://127.0.0.1:3443/callback"}
	if hl, _ := h.CheckCallback(context.Background(), "https://127.0.0.1/cb"); hl.OK || !strings.HasPrefix(hl.Error, "not_allowed: ") {
		t.Fatalf("CheckCallback = %+v", hl)
	}
	if s := buf.String(); !strings.Contains(s, "https://127.0.0.1:3443/callback") || !strings.Contains(s, "PROBE_ALLOWED_HOSTS") {
		t.Errorf("hint: %q", s)
	}
	buf.Reset()
	h.sample = ""
	h.CheckCallback(context.Background(), "https://10.0.0.1/cb")
	if s := buf.String(); !strings.Contains(s, "SAMPLE_APP=off") || !strings.Contains(s, "PROBE_ALLOWED_HOSTS") {
		t.Errorf("hint without the sample app: %q", s)
	}
}

// TestNotInFunctions: no Lambda binary links the runner's dev tooling.
func TestNotInFunctions(t *testing.T) {
	// As make build builds them.
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../../functions/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 || !strings.Contains(string(out), "github.com/devhub-oss/devhub/internal/httpapi") {
		t.Fatalf("go list -deps printed too little to be right:\n%s", out)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/devhub-oss/devhub/infra/") {
			t.Errorf("a functions/* binary links %s", d)
		}
	}
}

// issue signs a dev token for user of company with the dev secret.
func issue(t *testing.T, user, company string, sandbox bool) string {
	t.Helper()
	tok, err := auth.IssueToken([]byte(service.DevJWTSecret), devhub.Identity{UserID: user, CompanyID: company, Sandbox: sandbox},
		"", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
