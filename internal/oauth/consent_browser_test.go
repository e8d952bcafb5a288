package oauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/browsertest"
	"github.com/devhub-oss/devhub/internal/devhub"
	"time"
)

// layout is what the browser test measures on a page at one width.
type layout struct {
	ScrollWidth, ClientWidth int
	Small                    []string // controls under 44×44 px
	FCP, ResponseEnd         float64  // first contentful paint, response end (ms since navigation start)
	Requests                 []string // every resource the page fetched
}

const measure = `(() => {
	const small = [];
	for (const el of document.querySelectorAll('a, button')) {
		const r = el.getBoundingClientRect();
		if (r.width < 44 || r.height < 44) small.push(el.textContent.trim() + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
	}
	const fcp = performance.getEntriesByName('first-contentful-paint')[0];
	const nav = performance.getEntriesByType('navigation')[0];
	return {ScrollWidth: document.documentElement.scrollWidth, ClientWidth: document.documentElement.clientWidth, Small: small,
		FCP: fcp ? fcp.startTime : -1, ResponseEnd: nav ? nav.responseEnd : -1,
		Requests: performance.getEntriesByType('resource').map(e => e.name)};
})()`

// checkLayout: at desktop and at phone width (390×844) nothing scrolls
// sideways and every link and button is at least 44×44 px.
func checkLayout(t *testing.T, b *browsertest.Browser, allowed ...string) layout {
	t.Helper()
	var desktop layout
	for _, size := range []struct {
		w, h   int64
		mobile bool
	}{{1280, 800, false}, {390, 844, true}} {
		b.Viewport(size.w, size.h, size.mobile)
		var l layout
		b.Eval(measure, &l)
		if l.ScrollWidth > l.ClientWidth {
			t.Errorf("at %d px wide the page scrolls sideways: scrollWidth %d > clientWidth %d", size.w, l.ScrollWidth, l.ClientWidth)
		}
		if len(l.Small) > 0 {
			t.Errorf("at %d px wide, touch targets under 44 px: %v", size.w, l.Small)
		}
		for _, r := range l.Requests {
			ok := false
			for _, a := range allowed {
				ok = ok || strings.HasPrefix(r, a)
			}
			if !ok {
				t.Errorf("the page fetched %s", r)
			}
		}
		if size.w == 1280 {
			desktop = l
		}
	}
	b.Viewport(1280, 800, false)
	return desktop
}

// TestBrowserConsentPage: in headless Chromium, with and without
// JavaScript, the consent page of an app with a monogram and full-access
// scopes, then of an app with its icon, privacy and support links; "Allow
// and install" reaches the callback with a code, "Cancel" with
// error=user_denied. axe-core finds nothing on either; neither scrolls
// sideways at 390 px; every control is ≥ 44 px; the page fetches nothing
// but the app's own icon.
func TestBrowserConsentPage(t *testing.T) {
	for _, noJS := range []bool{false, true} {
		name := "JavaScript"
		if noJS {
			name = "NoJavaScript"
		}
		t.Run(name, func(t *testing.T) { consentStory(t, noJS) })
	}
}

func consentStory(t *testing.T, noJS bool) {
	e := newEnv(t)
	// The app's own server, over https, with its icon.
	icons := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequest(http.MethodGet, e.iss+"/favicon.ico", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.Header().Set("Content-Type", "image/x-icon")
		_, _ = w.Write(mustRead(res))
	}))
	defer icons.Close()
	b := browsertest.Start(t, browsertest.Options{NoJavaScript: noJS, NoScreenshots: noJS, IgnoreCertificateErrors: true})
	tok, err := auth.IssueToken(secret, carolNamed, "", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b.SetCookie(e.iss, "devhub_session", tok)

	// An app with no icon (a monogram) and full-access scopes: Allow.
	a := e.newApp(t, devhub.StatusLive, func(a *devhub.App) {
		a.Name = "Deal sync"
		a.Scopes = []string{"base", "deals:read", "contacts:read", "deals:full", "contacts:full", "admin"}
		a.OwnerCompanyName = "Acme Corp"
	})
	b.Go(e.iss + "/oauth/authorize?" + consentQuery(a).Encode())
	b.Check("consent-monogram-full-access")
	text := b.Text()
	for _, w := range []string{"by Acme Corp", "Deal sync wants to:", "See deals", "Full access",
		"Signed in as Carol Jones (Initech Ltd).", "You will be sent back to " + mustHost(a.CallbackURL) + "."} {
		if !strings.Contains(text, w) {
			t.Errorf("the page does not say %q:\n%s", w, text)
		}
	}
	if b.Has("link", "Not you?") || b.Has("link", "Privacy policy") || b.Has("link", "Support") {
		t.Error("links the app or LOGIN_URL did not set")
	}
	l := checkLayout(t, b, "data:")
	t.Logf("first contentful paint %.0f ms after navigation start, %.0f ms after the response ended", l.FCP, l.FCP-l.ResponseEnd)
	b.Get("button", "Allow and install").Click()
	cb, _ := url.Parse(b.URL())
	if !strings.HasPrefix(b.URL(), a.CallbackURL+"?") || len(cb.Query().Get("code")) < 43 || cb.Query().Get("state") != "st" {
		t.Fatalf("Allow landed on %s", b.URL())
	}
	b.Check("callback-allowed")
	r := e.post(t, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {a.CallbackURL}}, a.ClientID, a.ClientSecret)
	if r.Status != 200 {
		t.Errorf("the browser's code: %d %s", r.Status, r.Body)
	}

	// An app with its icon, privacy and support links, LOGIN_URL set: Cancel.
	e.oauth.LoginURL = "https://login.example.test/login"
	defer func() { e.oauth.LoginURL = "" }()
	c := e.newApp(t, devhub.StatusLive, func(a *devhub.App) {
		a.Name = "Invoice Importer for Very Long Company Names International"
		a.Scopes = []string{"base", "products:read", "activities:read"}
		a.OwnerCompanyName = "Northwind Traders Incorporated of Greater Metropolitan Area"
		a.Listing = devhub.Listing{IconURL: icons.URL + "/icon.ico", PrivacyPolicyURL: "https://example.test/privacy",
			SupportURL: "https://example.test/support"}
	})
	b.Go(e.iss + "/oauth/authorize?" + consentQuery(c).Encode())
	b.Check("consent-icon-links")
	for _, link := range []string{"Not you?", "Privacy policy", "Support"} {
		if !b.Has("link", link) {
			t.Errorf("no link %q", link)
		}
	}
	if !strings.Contains(b.HTML(), `<img class="icon" src="`+icons.URL) {
		t.Error("no icon")
	}
	checkLayout(t, b, "data:", icons.URL)
	b.Get("button", "Cancel").Click()
	cb, _ = url.Parse(b.URL())
	if !strings.HasPrefix(b.URL(), c.CallbackURL+"?") || cb.Query().Get("error") != "user_denied" || cb.Query().Get("code") != "" {
		t.Fatalf("Cancel landed on %s", b.URL())
	}

	// An error page: an unknown app.
	b.Go(e.iss + "/oauth/authorize?client_id=nope")
	b.Check("error-unknown-app")
	if !strings.Contains(b.Text(), "Unknown app") {
		t.Errorf("error page: %s", b.Text())
	}
	checkLayout(t, b, "data:")
}

func mustHost(u string) string {
	p, _ := url.Parse(u)
	return p.Host
}

func mustRead(res *http.Response) []byte {
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return []byte(sb.String())
		}
	}
}
