package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
)

// TestBrowserUnderBasePath is the runner with RUNNER_BASE_PATH=/prod, as a
// default deployment's execute-api URL (…amazonaws.com/prod/…), where a
// path without /prod is API Gateway's 404: /dev/login → the dashboard →
// "Create an app" → a private app → its tabs → the marketplace → "Install
// & test" → the consent page, every page styled by its stylesheet (the
// primary button's computed background is the theme's, not the browser's
// default) and checked by axe; every URL the browser ends up on is under
// /prod.
func TestBrowserUnderBasePath(t *testing.T) {
	storyEnv(t)
	t.Setenv("RUNNER_BASE_PATH", "/prod")
	r := startRunner(t)
	if !strings.HasSuffix(r.base, "/prod") {
		t.Fatalf("base %s", r.base)
	}
	root := strings.TrimSuffix(r.base, "/prod")
	if res, err := http.Get(root + "/hub"); err != nil || res.StatusCode != 404 {
		t.Fatalf("GET /hub outside /prod: %v %v", res, err)
	}
	b := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	under := func(step string) {
		t.Helper()
		if u := b.URL(); !strings.HasPrefix(u, r.base+"/") {
			t.Fatalf("%s: at %s, not under %s", step, u, r.base)
		}
	}
	// styled: the stylesheet loaded (from under /prod) and gives the
	// primary button its colour.
	styled := func(step, selector string) {
		t.Helper()
		var bg string
		b.Eval(`getComputedStyle(document.querySelector(`+"`"+selector+"`"+`)).backgroundColor`, &bg)
		if bg == "" || bg == "rgba(0, 0, 0, 0)" || bg == "rgb(239, 239, 239)" || bg == "rgb(240, 240, 240)" || bg == "buttonface" {
			t.Errorf("%s: %s has the browser's default background %q: no stylesheet", step, selector, bg)
		}
	}

	devLogin(t, b, r, "ada", "analytical", "Ada Lovelace", "Analytical Engines", true)
	under("after the login")
	if !strings.HasPrefix(b.URL(), r.base+"/hub") {
		t.Fatalf("the login went to %s", b.URL())
	}
	b.Check("prefix-dashboard")
	wantText(t, b, "Signed in as Ada Lovelace (Analytical Engines)")
	var sheets int
	b.Eval(`[...document.styleSheets].filter(s => s.href && new URL(s.href).pathname.startsWith("/prod/static/") && s.cssRules.length > 0).length`, &sheets)
	if sheets != 1 {
		t.Errorf("stylesheets loaded from /prod/static/: %d", sheets)
	}
	styled("dashboard", "button.btn")

	b.Get("button", "Create an app").Click()
	under("choose type")
	b.Get("button", "Create private app").Click()
	under("new private app")
	b.Get("textbox", "App name").Fill("Prefixed app")
	b.Get("textbox", "Callback URL").Fill(r.sample + "/callback")
	b.Get("button", "Save").Click()
	under("created")
	wantText(t, b, "App saved.")
	b.Check("prefix-oauth-tab")
	b.Get("link", "Basic info").Click()
	under("Basic info tab")
	b.Check("prefix-basic-tab")
	styled("Basic info tab", "button.btn")
	b.Get("link", "App extensions").Click()
	under("App extensions tab")
	b.Check("prefix-extensions-tab")

	b.Get("link", "Marketplace").Click()
	under("marketplace")
	if !strings.HasPrefix(b.URL(), r.base+"/marketplace") {
		t.Fatalf("Marketplace went to %s", b.URL())
	}
	b.Check("prefix-marketplace")
	b.Get("link", "Developer Hub").Click()
	under("back to the hub")

	b.Get("link", "Prefixed app").Click()
	under("the app")
	b.Get("link", "Install & test").Click()
	under("consent")
	if !strings.HasPrefix(b.URL(), r.base+"/oauth/authorize?") {
		t.Fatalf("Install & test went to %s", b.URL())
	}
	wantText(t, b, "Prefixed app wants to:", "Signed in as Ada Lovelace (Analytical Engines).")
	b.Check("prefix-consent")
	styled("consent page", "button[value=allow]")
	var h string
	b.Eval(`[...document.links].find(a => a.textContent.trim() == "Not you?").href`, &h)
	if !strings.HasPrefix(h, r.base+"/dev/login?return_to=%2Fprod%2Foauth%2Fauthorize%3F") {
		t.Errorf("Not you? links to %s", h)
	}
	b.Get("button", "Allow and install").Click()
	b.WaitText("Callback received for another app")
	if !strings.HasPrefix(b.URL(), r.sample) {
		t.Errorf("Allow and install went to %s", b.URL())
	}
}
