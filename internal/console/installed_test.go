package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// install records who's consent to app, as the consent page does, and
// returns the installation.
func (e *env) install(tb testing.TB, who devhub.Identity, a *devhub.App) *devhub.Installation {
	tb.Helper()
	ctx := context.Background()
	now := time.Now()
	code := &devhub.AuthCode{Hash: devhub.NewSecret(), ClientID: a.ClientID, AppID: a.ID, CompanyID: who.CompanyID, UserID: who.UserID,
		Scopes: a.Scopes, IssuedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
	if err := e.store.Consent(ctx, a, who.CompanyID, who.UserID, code); err != nil {
		tb.Fatal(err)
	}
	p, err := e.hub.ListInstallations(ctx, who, hub.PageRequest{Limit: 100})
	if err != nil {
		tb.Fatal(err)
	}
	for _, in := range p.Items {
		if in.AppID == a.ID {
			return in
		}
	}
	tb.Fatalf("no installation of %s", a.ID)
	return nil
}

func TestInstalledApps(t *testing.T) {
	e := newEnv(t, envOptions{loginURL: "/dev/login"})
	// Not logged in: the console's login behaviour.
	r := e.get(t, nil, "/marketplace/installed")
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/dev/login?return_to=%2Fmarketplace%2Finstalled" {
		t.Fatalf("no session: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// Any user, not only developers: customer's company is no sandbox.
	r = e.get(t, &customer, "/marketplace/installed")
	mustStatus(t, r, http.StatusOK)
	checkHeaders(t, r)
	mustContain(t, r, "<h1>Installed apps</h1>", console.TextNoInstalled)

	listed := e.publishApp(t, aliceNamed, "Deal forecaster", []string{"deals:read", "deals:full"})
	private := e.createApp(t, aliceNamed, devhub.AppPrivate, "Private tool")
	first := e.install(t, customer, listed)
	time.Sleep(2 * time.Millisecond) // installation ids sort by millisecond
	second := e.install(t, customer, private)
	e.install(t, bob, listed) // another user's: never shown to customer

	e.meter.Reset()
	r = e.get(t, &customer, "/marketplace/installed")
	mustStatus(t, r, http.StatusOK)
	if got := e.meter.Total(); got > 2 {
		t.Errorf("installed: %d round trips %v, budget 2", got, e.meter.Calls())
	}
	full, _ := devhub.LookupScope("deals:full")
	mustContain(t, r, `href="/marketplace/apps/`+listed.ID+`">Deal forecaster</a>`, "<h2>Private tool</h2>", "by Acme Robotics",
		"<b>Full access:</b> "+full.Label, "Installed "+first.CreatedAt.UTC().Format("2 Jan 2006"),
		`href="/marketplace/installed/`+second.ID+`/uninstall">Uninstall<span class="visually-hidden"> Private tool</span>`)
	if strings.Index(r.Body, "Private tool") > strings.Index(r.Body, "Deal forecaster</a>") {
		t.Error("not newest first")
	}
	if n := strings.Count(r.Body, "/uninstall\""); n != 2 {
		t.Errorf("%d installations listed, want 2", n)
	}
	if got := r.Header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("Cache-Control %q", got)
	}

	// The confirmation page: the app's name and what happens.
	path := "/marketplace/installed/" + first.ID + "/uninstall"
	e.meter.Reset()
	r = e.get(t, &customer, path)
	mustStatus(t, r, http.StatusOK)
	if got := e.meter.Total(); got > 2 {
		t.Errorf("confirm: %d round trips %v, budget 2", got, e.meter.Calls())
	}
	mustContain(t, r, "<h1>Uninstall Deal forecaster?</h1>", "its access to your data ends", `action="`+path+`"`, ">Cancel</a>")
	if n := countInstallations(t, e, customer); n != 2 {
		t.Fatalf("a GET uninstalled: %d left", n)
	}

	// Another user's installation, a malformed id: 404, nothing removed.
	bobs := e.install(t, bob, private)
	for _, p := range []string{"/marketplace/installed/" + bobs.ID + "/uninstall", "/marketplace/installed/inst_nope/uninstall"} {
		mustStatus(t, e.get(t, &customer, p), http.StatusNotFound)
		mustStatus(t, e.post(t, &customer, p, nil), http.StatusNotFound)
	}
	if n := countInstallations(t, e, bob); n != 2 {
		t.Fatalf("bob lost an installation: %d left", n)
	}

	// Refused POSTs change nothing: cross-site, no token, another form's token.
	for _, c := range []struct {
		form    url.Values
		headers []string
	}{
		{nil, []string{"Sec-Fetch-Site", "cross-site"}},
		{nil, []string{"Origin", "https://evil.example"}},
		{url.Values{"csrf_token": {""}}, nil},
		{url.Values{"csrf_token": {e.console.CSRFTokenForCookie(cookieOf(t, customer), "/marketplace/installed/"+second.ID+"/uninstall")}}, nil},
	} {
		r := e.post(t, &customer, path, c.form, c.headers...)
		mustStatus(t, r, http.StatusForbidden)
	}
	if n := countInstallations(t, e, customer); n != 2 {
		t.Fatalf("a refused POST uninstalled: %d left", n)
	}

	// Uninstall: POST-redirect-GET with the notice; gone from the list.
	r = e.post(t, &customer, path, nil)
	mustStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/marketplace/installed" {
		t.Fatalf("Location %q", loc)
	}
	if n := countInstallations(t, e, customer); n != 1 {
		t.Fatalf("%d installations left, want 1", n)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/marketplace/installed", nil)
	for _, ck := range r.Cookies() {
		req.AddCookie(ck)
	}
	r = e.do(t, req, &customer)
	mustContain(t, r, "The app was uninstalled.", "Private tool")
	if strings.Contains(r.Body, "Deal forecaster") {
		t.Error("the uninstalled app is still listed")
	}
	// A second POST of the same form: 404, no harm.
	mustStatus(t, e.post(t, &customer, path, nil), http.StatusNotFound)
}

func countInstallations(t *testing.T, e *env, who devhub.Identity) int {
	t.Helper()
	p, err := e.hub.ListInstallations(context.Background(), who, hub.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

// TestInstalledAppGone: an installation whose app was deleted (before the
// cascade removed it) still lists, by the app's id, and can be uninstalled.
func TestInstalledAppGone(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, aliceNamed, devhub.AppPrivate, "Short-lived")
	in := e.install(t, customer, a)
	if err := e.hub.DeleteApp(context.Background(), aliceNamed, a.ID, hub.DeleteAppInput{Reason: "gone"}); err != nil {
		t.Fatal(err)
	}
	r := e.get(t, &customer, "/marketplace/installed")
	mustStatus(t, r, http.StatusOK)
	mustContain(t, r, "App "+a.ID)
	mustContain(t, e.get(t, &customer, "/marketplace/installed/"+in.ID+"/uninstall"), "Uninstall App "+a.ID+"?")
}

// TestInstalledPaging: 41 installations are two pages; each page is one
// Query and one BatchGetItem, and within 40 KB.
func TestInstalledPaging(t *testing.T) {
	e := newEnv(t)
	for i := range console.InstalledLimit + 1 {
		e.install(t, customer, e.createApp(t, aliceNamed, devhub.AppPrivate, fmt.Sprintf("Installed app number %02d", i)))
	}
	e.meter.Reset()
	r := e.get(t, &customer, "/marketplace/installed")
	mustStatus(t, r, http.StatusOK)
	calls := e.meter.Calls()
	if e.meter.Total() != 2 || calls["Query"] != 1 || calls["BatchGetItem"] != 1 {
		t.Errorf("installed page: %v, want 1 Query + 1 BatchGetItem", calls)
	}
	if n := strings.Count(r.Body, "/uninstall\""); n != console.InstalledLimit {
		t.Errorf("first page: %d", n)
	}
	if n := len(r.Body); n > 40_000 {
		t.Errorf("installed page: %d bytes, budget 40 KB", n)
	}
	t.Logf("installed page with %d installations: %d bytes", console.InstalledLimit, len(r.Body))
	next := regexp.MustCompile(`href="(/marketplace/installed\?cursor=[^"]+)">`).FindStringSubmatch(r.Body)
	if next == nil {
		t.Fatal("no next page link")
	}
	r = e.get(t, &customer, strings.ReplaceAll(next[1], "&amp;", "&"))
	mustStatus(t, r, http.StatusOK)
	if n := strings.Count(r.Body, "/uninstall\""); n != 1 {
		t.Errorf("second page: %d", n)
	}
}

// TestUninstallRace: the same Uninstall sent six times at once (a double
// click, a resent form) uninstalls once; the others are 404; nothing is
// half-done.
func TestUninstallRace(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, aliceNamed, devhub.AppPrivate, "Raced app")
	in := e.install(t, customer, a)
	path := "/marketplace/installed/" + in.ID + "/uninstall"
	const n = 6
	codes := make(chan int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes <- e.post(t, &customer, path, nil).StatusCode
		}()
	}
	close(start)
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusSeeOther] != 1 || got[http.StatusNotFound] != n-1 {
		t.Fatalf("statuses %v, want one 303 and %d × 404", got, n-1)
	}
	if c := countInstallations(t, e, customer); c != 0 {
		t.Fatalf("%d installations left", c)
	}
}
