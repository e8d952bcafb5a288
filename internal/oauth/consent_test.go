package oauth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// named are carol and the owner company with display names.
var carolNamed = devhub.Identity{UserID: "carol", CompanyID: "initech", Name: "Carol Jones", CompanyName: "Initech Ltd"}

func consentQuery(a *devhub.App) url.Values {
	return url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.CallbackURL}, "response_type": {"code"}, "state": {"st"}}
}

// mustContain fails for each of want that body lacks.
func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("the page has %q", w)
		}
	}
}

var fullSection = regexp.MustCompile(`(?s)<section class="full".*?</section>`)

// TestConsentPageContent: the page says, in words, who asks for what, as
// console.md's "Consent page" has it.
func TestConsentPageContent(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, func(a *devhub.App) {
		a.Scopes = []string{"base", "deals:read", "contacts:full", "admin", "users:read"}
		a.OwnerCompanyName = "Acme Corp"
	})
	t.Run("NamesScopesAndMonogram", func(t *testing.T) {
		r := e.consent(t, &carolNamed, consentQuery(a))
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		cb, _ := url.Parse(a.CallbackURL)
		mustContain(t, r.Body, `<h1 id="app-name">Deal sync</h1>`, `by <span id="owner-company">Acme Corp</span>`,
			`<span class="icon mono" data-letters="DS" aria-hidden="true">`, "Deal sync wants to:",
			"Signed in as Carol Jones (Initech Ltd).", ">Allow and install</button>", ">Cancel</button>",
			"You will be sent back to "+cb.Host+".")
		full := fullSection.FindString(r.Body)
		rest := strings.Replace(r.Body, full, "", 1)
		for _, s := range []string{"base", "deals:read", "users:read"} {
			info, _ := devhub.LookupScope(s)
			mustContain(t, rest, "<b>"+html.EscapeString(info.Label)+"</b> <span>"+html.EscapeString(info.Description)+"</span>")
			mustNotContain(t, full, info.Label)
		}
		mustContain(t, full, `<span class="tag">Full access</span>`)
		for _, s := range []string{"contacts:full", "admin"} {
			info, _ := devhub.LookupScope(s)
			mustContain(t, full, "<b>"+html.EscapeString(info.Label)+"</b> <span>"+html.EscapeString(info.Description)+"</span>")
		}
		// No script, no icon of the app, no links it has not set, no
		// "Not you?" without LOGIN_URL, no raw scope identifiers.
		mustNotContain(t, r.Body, "<script", "<img", "Privacy policy", "Support", "Not you?", "contacts:full", "deals:read")
	})
	t.Run("NamesFallBackToIds", func(t *testing.T) {
		b := e.newApp(t, devhub.StatusLive, nil)
		r := e.consent(t, &carol, consentQuery(b))
		mustContain(t, r.Body, `by <span id="owner-company">acme</span>`, "Signed in as carol (initech).")
		mustNotContain(t, r.Body, `<section class="full"`)
	})
	t.Run("IconAndLinks", func(t *testing.T) {
		b := e.newApp(t, devhub.StatusLive, func(a *devhub.App) {
			a.Listing = devhub.Listing{IconURL: "https://cdn.example.test/icon.png?v=1&s=2",
				PrivacyPolicyURL: "https://example.test/privacy", SupportURL: "https://example.test/support"}
		})
		r := e.consent(t, &carol, consentQuery(b))
		mustContain(t, r.Body, `<img class="icon" src="https://cdn.example.test/icon.png?v=1&amp;s=2" alt="" width="64" height="64">`,
			`<a href="https://example.test/privacy" rel="noopener noreferrer">Privacy policy</a>`,
			`<a href="https://example.test/support" rel="noopener noreferrer">Support</a>`)
		mustNotContain(t, r.Body, `data-letters="`, "target=")
	})
	t.Run("OnlyHTTPSLinks", func(t *testing.T) {
		b := e.newApp(t, devhub.StatusLive, func(a *devhub.App) {
			a.Listing = devhub.Listing{IconURL: "javascript:alert(1)", PrivacyPolicyURL: "http://example.test/privacy",
				SupportURL: "https://user:pw@example.test/support"}
		})
		r := e.consent(t, &carol, consentQuery(b))
		mustContain(t, r.Body, `data-letters="DS"`)
		mustNotContain(t, r.Body, "<img", "javascript:", "Privacy policy", "Support", "example.test")
	})
	t.Run("Escaped", func(t *testing.T) {
		b := e.newApp(t, devhub.StatusLive, func(a *devhub.App) { a.Name = `<script>alert("x")</script> & co`; a.OwnerCompanyName = `"><img src=x>` })
		r := e.consent(t, &carol, consentQuery(b))
		mustNotContain(t, r.Body, "<script>", "<img src=x>")
		mustContain(t, r.Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co wants to:", `data-letters="SA"`)
	})
	t.Run("NotYou", func(t *testing.T) {
		e.oauth.LoginURL = "https://login.example.test/login?app=devhub"
		defer func() { e.oauth.LoginURL = "" }()
		q := consentQuery(a)
		r := e.consent(t, &carol, q)
		m := regexp.MustCompile(`<a href="([^"]*)">Not you\?</a>`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no Not you? link in %s", r.Body)
		}
		u, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil || u.Host != "login.example.test" || u.Query().Get("app") != "devhub" ||
			u.Query().Get("return_to") != "/oauth/authorize?"+q.Encode() {
			t.Errorf("Not you? goes to %q", html.UnescapeString(m[1]))
		}
		// Without a session: to the login, and back to the same request.
		r = e.consent(t, nil, q)
		loc, _ := url.Parse(r.Header.Get("Location"))
		if r.Status != http.StatusFound || loc == nil || loc.Host != "login.example.test" || loc.Query().Get("return_to") != "/oauth/authorize?"+q.Encode() {
			t.Errorf("no user: %d %s", r.Status, r.Header.Get("Location"))
		}
		checkPageHeaders(t, r)
		// A decision without a session cannot go back to a POST: the page.
		if r := e.decide(t, nil, url.Values{}, "allow"); r.Status != 401 || r.Header.Get("Location") != "" {
			t.Errorf("POST without user: %d %s", r.Status, r.Header.Get("Location"))
		}
	})
}

// TestConsentPageSize: the page stays within 15 KB with everything at its
// longest: a long app name, 20 scopes, long company and user names.
func TestConsentPageSize(t *testing.T) {
	e := newEnv(t)
	var scopes []string
	for _, s := range devhub.Scopes[:20] {
		scopes = append(scopes, s.Scope)
	}
	a := e.newApp(t, devhub.StatusLive, func(a *devhub.App) {
		a.Name = strings.Repeat("Long app name ", 8)[:100]
		a.Scopes = scopes
		a.OwnerCompanyName = strings.Repeat("Company name ", 16)[:200]
		a.Listing = devhub.Listing{IconURL: "https://cdn.example.test/" + strings.Repeat("i", 200) + ".png",
			PrivacyPolicyURL: "https://example.test/" + strings.Repeat("p", 200), SupportURL: "https://example.test/" + strings.Repeat("s", 200)}
	})
	id := devhub.Identity{UserID: strings.Repeat("u", 64), CompanyID: strings.Repeat("c", 64),
		Name: strings.Repeat("User name ", 20), CompanyName: strings.Repeat("Customer company ", 12)[:200]}
	e.oauth.LoginURL = "https://login.example.test/login"
	defer func() { e.oauth.LoginURL = "" }()
	q := consentQuery(a)
	q.Set("state", strings.Repeat("s", 512))
	r := e.consent(t, &id, q)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	t.Logf("consent page: %d bytes (20 scopes, names at their longest, state of 512)", len(r.Body))
	if len(r.Body) > 15*1024 {
		t.Errorf("the consent page is %d bytes, over 15 KB", len(r.Body))
	}
	small := e.newApp(t, devhub.StatusLive, nil)
	t.Logf("consent page of a one-scope app: %d bytes", len(e.consent(t, &carol, consentQuery(small)).Body))
}

// TestConsentPageCSP: no script may run at all, and the one stylesheet is
// inline and allowed by its exact hash, never by 'unsafe-inline'.
func TestConsentPageCSP(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	for name, r := range map[string]*response{
		"consent": e.consent(t, &carol, consentQuery(a)),
		"error":   e.consent(t, &carol, url.Values{"client_id": {"nope"}}),
	} {
		t.Run(name, func(t *testing.T) {
			csp := r.Header.Get("Content-Security-Policy")
			m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(r.Body, -1)
			if len(m) != 1 {
				t.Fatalf("%d style elements", len(m))
			}
			sum := sha256.Sum256([]byte(m[0][1]))
			want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
			if !strings.Contains(csp, want) || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") ||
				!strings.HasPrefix(csp, "default-src 'none';") {
				t.Errorf("CSP %q, want %s and no script", csp, want)
			}
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			mustNotContain(t, r.Body, "<script", " style=", `src="http:`, `href="http:`, `<link rel="stylesheet"`)
			mustContain(t, r.Body, `<link rel="icon" type="image/svg+xml" href="data:image/svg+xml,`)
		})
	}
}

// TestFavicon: GET /favicon.ico is an ICO whose images decode.
func TestFavicon(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.iss+"/favicon.ico", nil)
	r := e.send(t, req)
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(r.Header.Get("Cache-Control"), "public") {
		t.Fatalf("%d %v", r.Status, r.Header)
	}
	b := []byte(r.Body)
	if len(b) < 6 || binary.LittleEndian.Uint16(b[2:]) != 1 {
		t.Fatalf("not an ICO: % x", b[:min(len(b), 16)])
	}
	n := int(binary.LittleEndian.Uint16(b[4:]))
	for i := range n {
		d := b[6+16*i:]
		size, off := binary.LittleEndian.Uint32(d[8:]), binary.LittleEndian.Uint32(d[12:])
		img, err := png.Decode(bytes.NewReader(b[off : off+size]))
		if err != nil || img.Bounds().Dx() != int(d[0]) {
			t.Errorf("image %d (%d px): %v", i, d[0], err)
		}
	}
	if n < 2 {
		t.Errorf("%d images", n)
	}
}

// TestDecideCrossSite: a POST that the browser marks as cross-site is
// refused before its token is looked at, even a valid one.
func TestDecideCrossSite(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	form := e.consent(t, &carol, consentQuery(a)).form(t)
	post := func(headers ...string) *response {
		f := clone(form)
		f.Set("decision", "deny")
		req, _ := http.NewRequest(http.MethodPost, e.iss+"/oauth/authorize", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "devhub_session", Value: userToken(t, carol)})
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return e.send(t, req)
	}
	for name, h := range map[string][]string{
		"ErrCrossSite":   {"Sec-Fetch-Site", "cross-site"},
		"ErrSameSite":    {"Sec-Fetch-Site", "same-site"},
		"ErrOtherOrigin": {"Origin", "https://evil.example"},
		"ErrBadOrigin":   {"Origin", "http://%zz"},
	} {
		t.Run(name, func(t *testing.T) {
			if r := post(h...); r.Status != 403 || r.Header.Get("Location") != "" || !strings.Contains(r.Body, "another site") {
				t.Errorf("got %d %q", r.Status, r.Header.Get("Location"))
			}
		})
	}
	// What Chromium sends for the page's own form under no-referrer.
	for name, h := range map[string][]string{
		"OKSameOrigin":     {"Sec-Fetch-Site", "same-origin", "Origin", "null"},
		"OKOrigin":         {"Origin", e.iss},
		"OKNoFetchHeaders": {},
	} {
		t.Run(name, func(t *testing.T) {
			if r := post(h...); r.Status != 303 {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
		})
	}
}
