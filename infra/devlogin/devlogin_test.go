package devlogin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/infra/devlogin"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/golang-jwt/jwt/v5"
)

const secret = "devlogin-test-secret-at-least-32-bytes!"

func serve(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(devlogin.Handler(devlogin.Options{Secret: []byte(secret), Issuer: "dev-iss", Audience: "dev-aud"}))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, form url.Values, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+devlogin.Path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestLogin: the cookie is the bearer token the verifier accepts, with the
// display claims, HttpOnly, SameSite=Lax, Path=/; then 303 to return_to.
func TestLogin(t *testing.T) {
	srv := serve(t)
	res := post(t, srv, url.Values{"user_id": {"alice"}, "company_id": {"acme"}, "name": {"Alice A."}, "company_name": {"Acme & Co"},
		"sandbox": {"true"}, "reviewer": {"true"}, "return_to": {"/hub/apps/app_x/basic?tab=1"}},
		map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/hub/apps/app_x/basic?tab=1" {
		t.Fatalf("login: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	cs := res.Cookies()
	if len(cs) != 1 || cs[0].Name != "devhub_session" || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode || cs[0].Path != "/" {
		t.Fatalf("cookie: %+v", cs)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: []byte(secret), Issuer: "dev-iss", Audience: "dev-aud"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(cs[0].Value)
	if err != nil || id.UserID != "alice" || id.CompanyID != "acme" || !id.Sandbox || !id.HasRole("marketplace_reviewer") {
		t.Fatalf("verified %+v, %v", id, err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(cs[0].Value, claims); err != nil || claims["name"] != "Alice A." || claims["company_name"] != "Acme & Co" {
		t.Errorf("display claims: %v %v", claims, err)
	}
	// Without sandbox, reviewer and names: none of them in the token.
	res = post(t, srv, url.Values{"user_id": {"bob"}, "company_id": {"acme"}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/hub" {
		t.Fatalf("default return: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	claims = jwt.MapClaims{}
	_, _, _ = jwt.NewParser().ParseUnverified(res.Cookies()[0].Value, claims)
	if claims["sandbox"] != false || claims["roles"] != nil || claims["name"] != nil {
		t.Errorf("plain login claims: %v", claims)
	}
}

// TestRefused: cross-site POSTs, foreign return_to, missing ids: no cookie.
func TestRefused(t *testing.T) {
	srv := serve(t)
	good := url.Values{"user_id": {"alice"}, "company_id": {"acme"}}
	for _, c := range []struct {
		name   string
		form   url.Values
		hdr    map[string]string
		status int
	}{
		{"CrossSiteFetch", good, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"SameSiteFetch", good, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"ForeignOrigin", good, map[string]string{"Origin": "https://evil.example"}, 403},
		{"NullOrigin", good, map[string]string{"Origin": "null"}, 403},
		{"NoUser", url.Values{"company_id": {"acme"}}, nil, 400},
		{"BadCompany", url.Values{"user_id": {"a"}, "company_id": {"a b<"}}, nil, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			if res := post(t, srv, c.form, c.hdr); res.StatusCode != c.status || len(res.Cookies()) != 0 {
				t.Errorf("%d with %d cookies, want %d and none", res.StatusCode, len(res.Cookies()), c.status)
			}
		})
	}
	for _, rt := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil", "evil", "/hub\r\nX: y",
		"/%2f/evil", "javascript:alert(1)", "/ok path"} {
		form := url.Values{"user_id": {"alice"}, "company_id": {"acme"}, "return_to": {rt}}
		if _, ok := devlogin.SafeReturnTo(rt); ok {
			t.Errorf("SafeReturnTo(%q) = ok", rt)
		}
		if res := post(t, srv, form, nil); res.StatusCode != 400 || len(res.Cookies()) != 0 {
			t.Errorf("return_to %q: %d, want 400 and no cookie", rt, res.StatusCode)
		}
	}
}

// TestPage: the form's headers (console.md "Security of the pages"), every
// control labelled, no script, and a GET sets nothing.
func TestPage(t *testing.T) {
	srv := serve(t)
	res, err := http.Get(srv.URL + devlogin.Path + "?return_to=//evil")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, res.Body)
	page := b.String()
	h := res.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Content-Type-Options") != "nosniff" || len(res.Cookies()) != 0 {
		t.Errorf("headers: %v", h)
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "style=") || strings.Contains(page, "//evil") ||
		!strings.Contains(page, `name="return_to" value="/hub"`) {
		t.Errorf("page:\n%s", page)
	}
	for _, m := range regexp.MustCompile(`<input id="([a-z_]+)"|<input type="checkbox" id="([a-z_]+)"`).FindAllStringSubmatch(page, -1) {
		id := m[1] + m[2]
		if !strings.Contains(page, `<label for="`+id+`">`) {
			t.Errorf("input %s has no label", id)
		}
	}
	for _, name := range []string{"user_id", "company_id", "name", "company_name", "sandbox", "reviewer"} {
		if !strings.Contains(page, `name="`+name+`"`) {
			t.Errorf("no %s control", name)
		}
	}
}
