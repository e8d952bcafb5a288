package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.Body)
	}
}

func mustContain(t *testing.T, r response, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.Body, s) {
			t.Errorf("%s %s: no %q in the page:\n%s", r.Request.Method, r.Request.URL.Path, s, r.Body)
		}
	}
}

// pageHeaders are console.md's headers, on every answer.
var pageHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "same-origin",
	"X-Content-Type-Options":  "nosniff",
}

func checkHeaders(t *testing.T, r response) {
	t.Helper()
	for k, v := range pageHeaders {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s %s: %s = %q, want %q", r.Request.Method, r.Request.URL.Path, k, got, v)
		}
	}
}

func TestSession(t *testing.T) {
	e := newEnv(t)
	t.Run("ErrNoSession", func(t *testing.T) {
		r := e.get(t, nil, "/hub")
		mustStatus(t, r, http.StatusUnauthorized)
		mustContain(t, r, "<h1>Please log in</h1>")
		checkHeaders(t, r)
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/hub", nil)
		req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cookieOf(t, alice) + "x"})
		mustStatus(t, e.do(t, req, nil), http.StatusUnauthorized)
	})
	t.Run("LoginURL", func(t *testing.T) {
		e := newEnv(t, envOptions{loginURL: "https://login.example.com/sso"})
		r := e.get(t, nil, "/hub/apps/app_x/basic-info?confirm=live")
		mustStatus(t, r, http.StatusFound)
		if got, want := r.Header.Get("Location"), "https://login.example.com/sso?return_to="+url.QueryEscape("/hub/apps/app_x/basic-info?confirm=live"); got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
	})
	t.Run("ErrNotSandbox", func(t *testing.T) {
		for _, path := range []string{"/hub", "/hub/new", "/hub/new/private"} {
			r := e.get(t, &customer, path)
			mustStatus(t, r, http.StatusForbidden)
			mustContain(t, r, "You must have a developer sandbox account to see Developer Hub.")
			checkHeaders(t, r)
		}
	})
	t.Run("ErrNotReviewer", func(t *testing.T) {
		mustStatus(t, e.get(t, &alice, "/hub/review"), http.StatusForbidden)
	})
	t.Run("DisplayNames", func(t *testing.T) {
		tok := signWithNames(t, alice, "Alice Liddell", "Acme & Co")
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/hub", nil)
		req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: tok})
		r := e.do(t, req, nil)
		mustStatus(t, r, http.StatusOK)
		mustContain(t, r, "Signed in as Alice Liddell (Acme &amp; Co)")
	})
}

func TestStatic(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"console.css", "console.js"} {
		u := console.AssetURL(name)
		if !regexp.MustCompile(`^/static/console\.[0-9a-f]{10}\.(css|js)$`).MatchString(u) {
			t.Fatalf("asset URL %q is not content-hashed", u)
		}
		r := e.get(t, nil, u)
		mustStatus(t, r, http.StatusOK)
		if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", u, got)
		}
		checkHeaders(t, r)
	}
	mustStatus(t, e.get(t, nil, "/static/console.css"), http.StatusNotFound)
	if n := console.StaticSize(); n > 30_000 {
		t.Errorf("CSS + JS: %d bytes, budget 30 KB", n)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	form := func() url.Values { return url.Values{"name": {"Sneaky"}, "callback_url": {e.cb.URL + "/cb"}} }
	cookie := cookieOf(t, alice)
	for name, tc := range map[string]struct {
		form    url.Values
		headers []string
	}{
		"ErrNoToken": {form: func() url.Values { f := form(); f.Set("csrf_token", ""); return f }()},
		"ErrOtherAction": {form: func() url.Values {
			f := form()
			f.Set("csrf_token", e.console.CSRFTokenForCookie(cookie, "/hub/new/public"))
			return f
		}()},
		"ErrOtherSession": {form: func() url.Values {
			f := form()
			f.Set("csrf_token", e.console.CSRFTokenForCookie(cookieOf(t, bob), "/hub/new/private"))
			return f
		}()},
		"ErrCrossSite":     {form: form(), headers: []string{"Sec-Fetch-Site", "cross-site"}},
		"ErrSameSiteOther": {form: form(), headers: []string{"Sec-Fetch-Site", "same-site"}},
		"ErrOtherOrigin":   {form: form(), headers: []string{"Origin", "https://evil.example"}},
		"ErrNullOrigin":    {form: form(), headers: []string{"Origin", "null"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.post(t, &alice, "/hub/new/private", tc.form, tc.headers...)
			mustStatus(t, r, http.StatusForbidden)
			checkHeaders(t, r)
		})
	}
	page, err := e.hub.ListApps(context.Background(), alice, hub.PageRequest{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("a refused POST wrote: %v %v", page.Items, err)
	}
	t.Run("OK", func(t *testing.T) {
		r := e.post(t, &alice, "/hub/new/private", url.Values{"name": {"Fine"}, "callback_url": {e.cb.URL + "/cb"}},
			"Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
		mustStatus(t, r, http.StatusSeeOther)
	})
}

// TestCreateApp: a refused save shows each field's message beside it, keeps
// the input and writes nothing; a good one lands on OAuth & access scopes
// with the client id and a one-time notice.
func TestCreateApp(t *testing.T) {
	e := newEnv(t)
	r := e.get(t, &alice, "/hub/new/private")
	mustStatus(t, r, http.StatusOK)
	mustContain(t, r, `<label for="f-name">App name</label>`, `<label for="f-callback-url">Callback URL</label>`)

	t.Run("ErrInvalid", func(t *testing.T) {
		r := e.post(t, &alice, "/hub/new/private", url.Values{"name": {""}, "callback_url": {"ftp://typed value"}, "idem": {"k1"}})
		mustStatus(t, r, http.StatusUnprocessableEntity)
		mustContain(t, r, `class="error-summary"`, `href="#f-name"`, `href="#f-callback-url"`, `id="f-name-error"`,
			`value="ftp://typed value"`, `aria-invalid="true"`)
		page, _ := e.hub.ListApps(context.Background(), alice, hub.PageRequest{})
		if len(page.Items) != 0 {
			t.Fatalf("a refused save wrote %d apps", len(page.Items))
		}
	})
	var location string
	t.Run("OK", func(t *testing.T) {
		form := url.Values{"name": {"My app"}, "callback_url": {e.cb.URL + "/callback"}, "idem": {"k2"}}
		r := e.post(t, &alice, "/hub/new/private", form)
		mustStatus(t, r, http.StatusSeeOther)
		location = r.Header.Get("Location")
		if !regexp.MustCompile(`^/hub/apps/app_[0-9a-v]{26}/oauth$`).MatchString(location) {
			t.Fatalf("Location %q", location)
		}
		// The same form sent again (a double click) answers with the same app.
		again := e.post(t, &alice, "/hub/new/private", form)
		mustStatus(t, again, http.StatusSeeOther)
		if got := again.Header.Get("Location"); got != location {
			t.Errorf("resent form went to %q, want %q", got, location)
		}
		page, _ := e.hub.ListApps(context.Background(), alice, hub.PageRequest{})
		if len(page.Items) != 1 {
			t.Fatalf("%d apps after a resent form, want 1", len(page.Items))
		}
		a := page.Items[0]
		var notice *http.Cookie
		for _, c := range r.Cookies() {
			if c.Name == "devhub_notice" {
				notice = c
			}
		}
		if notice == nil {
			t.Fatal("no notice cookie")
		}
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+location, nil)
		req.AddCookie(notice)
		tab := e.do(t, req, &alice)
		mustStatus(t, tab, http.StatusOK)
		mustContain(t, tab, "App saved.", a.ClientID, `aria-current="page">OAuth &amp; access scopes</a>`)
		if got := tab.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("OAuth tab (it shows the secret): Cache-Control %q", got)
		}
		if strings.Contains(location, a.ClientSecret) {
			t.Error("the secret is in a URL")
		}
		// Nothing secret reaches the log: not the client secret, not the
		// session cookie, not a CSRF token.
		logs := e.logs.String()
		cookie := cookieOf(t, alice)
		for what, secret := range map[string]string{"client secret": a.ClientSecret, "session token signature": cookie[strings.LastIndexByte(cookie, '.')+1:],
			"CSRF token": e.console.CSRFTokenForCookie(cookie, "/hub/new/private")} {
			if strings.Contains(logs, secret) {
				t.Errorf("the %s is in the log:\n%s", what, logs)
			}
		}
		if !strings.Contains(logs, `"path":"/hub/new/private"`) {
			t.Errorf("no access line in the log:\n%s", logs)
		}
	})
}

// TestOtherCompany: another company's app is "not found" on every page and
// action, and nothing changes.
func TestOtherCompany(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPrivate, "Alice's")
	for _, tab := range []string{"basic-info", "oauth", "extensions", "delete", "install-test"} {
		r := e.get(t, &bob, "/hub/apps/"+a.ID+"/"+tab)
		mustStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "Alice&#39;s") || strings.Contains(r.Body, a.ClientID) {
			t.Errorf("%s shows the app to another company", tab)
		}
	}
	for _, action := range []string{"basic-info", "live", "secret", "delete"} {
		r := e.post(t, &bob, "/hub/apps/"+a.ID+"/"+action, url.Values{"name": {"Taken"}, "reason": {"mine now"}, "grace_period_seconds": {"0"}})
		mustStatus(t, r, http.StatusNotFound)
	}
	got, err := e.hub.GetApp(context.Background(), alice, a.ID)
	if err != nil || got.Version != a.Version || got.Name != a.Name {
		t.Fatalf("another company's POST changed the app: %+v %v", got, err)
	}
}

// TestCSRFKeyRotation: a form signed before the secret rotated still posts
// while the old secret is among the current ones, and not after.
func TestCSRFKeyRotation(t *testing.T) {
	secrets := [][]byte{[]byte("old-secret")}
	keys := console.CSRFKeysFrom(func() [][]byte { return secrets })
	old := keys()[0]
	secrets = [][]byte{[]byte("new-secret"), []byte("old-secret")}
	got := keys()
	if len(got) != 2 || string(got[1]) != string(old) || string(got[0]) == string(old) {
		t.Fatalf("keys after rotation: %x, want [new, %x]", got, old)
	}
	secrets = [][]byte{[]byte("new-secret")}
	if got := keys(); len(got) != 1 || string(got[0]) == string(old) {
		t.Fatalf("keys after the grace period: %x", got)
	}
}
