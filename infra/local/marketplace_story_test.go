package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/browsertest"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/service"
)

// TestBrowserMarketplaceStory is the marketplace, end to end, in a real
// browser against the local runner: a developer's public app is published
// (through the JSON API: the console's public story covers those pages);
// an anonymous visitor finds it on /marketplace, opens its page (Features,
// scopes in words), clicks "Install" → logs in → the consent page → "Allow
// and install" → the app's callback (the sample app); "Installed apps"
// lists it; "Uninstall" → the confirmation → "Uninstall" → gone, with the
// notice; the sample app's home page shows the uninstall notification,
// delivered through the stream. Also with JavaScript off.
func TestBrowserMarketplaceStory(t *testing.T) {
	for _, noJS := range []bool{false, true} {
		name := "JS"
		if noJS {
			name = "NoJS"
		}
		t.Run(name, func(t *testing.T) { marketplaceStory(t, noJS) })
	}
}

// tokenFor signs a dev token for id with the runner's dev secret.
func tokenFor(t *testing.T, id devhub.Identity) string {
	t.Helper()
	tok, err := auth.IssueToken([]byte(service.DevJWTSecret), id, "", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// publishThroughAPI creates a public app whose callback is the sample
// app's, with a listing, scopes and two extensions, has a reviewer approve
// it and publishes it.
func publishThroughAPI(t *testing.T, r *runner, name string) appView {
	t.Helper()
	dev := tokenFor(t, devhub.Identity{UserID: "lin", CompanyID: "forecast-co", Sandbox: true, Name: "Lin Park", CompanyName: "Forecast & Co"})
	rev := tokenFor(t, devhub.Identity{UserID: "rita", CompanyID: "platform", Roles: []string{devhub.RoleReviewer}})
	img := iconServer(t) + "/icon.svg" // on loopback: the story makes no third-party request
	var a appView
	body := map[string]any{"type": "public", "name": name, "callback_url": r.sample + "/callback",
		"scopes": []string{"deals:read", "deals:full", "contacts:read"},
		"listing": map[string]any{"summary": "Tells you which deals will close this quarter.",
			"description": "Deal forecaster scores every open deal from its activity and its people.\n\nThe score updates as you work.",
			"icon_url":    img, "image_urls": []string{img}, "video_url": "https://video.example.com/watch?v=forecast",
			"support_url": "https://forecast.example.com/support", "privacy_policy_url": "https://forecast.example.com/privacy"}}
	if st := call(t, "POST", r.base+"/v1/apps", dev, body, &a); st != http.StatusCreated {
		t.Fatalf("create: %d %+v", st, a)
	}
	for _, ext := range []map[string]any{
		{"type": "link_action", "name": "Forecast this deal", "description": "Opens the deal's forecast", "url": "https://forecast.example.com/deal", "locations": []string{"deal_details"}},
		{"type": "custom_panel", "name": "Forecast", "description": "The deal's score and why", "iframe_url": "https://forecast.example.com/panel", "locations": []string{"deal_details"}},
	} {
		if st := call(t, "POST", r.base+"/v1/apps/"+a.ID+"/extensions", dev, ext, nil); st != http.StatusCreated {
			t.Fatalf("extension: %d", st)
		}
	}
	for _, m := range []struct{ move, tok string }{{"review", dev}, {"approve", rev}, {"publish", dev}} {
		var moved appView
		if st := call(t, "POST", r.base+"/v1/apps/"+a.ID+"/"+m.move, m.tok, map[string]any{}, &moved); st != http.StatusOK {
			t.Fatalf("%s: %d %+v", m.move, st, moved)
		}
	}
	return a
}

// iconServer serves one SVG at every path over https (a test certificate;
// the browser ignores certificate errors), as a developer's CDN would: the
// marketplace shows a listing's images only over https.
func iconServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#0a7f5a"/>` +
			`<path d="M14 46l12-14 9 8 15-20" stroke="#fff" stroke-width="6" fill="none" stroke-linecap="round"/></svg>`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fillLogin fills the /dev/login form the browser is on.
func fillLogin(t *testing.T, b *browsertest.Browser, user, company, name, companyName string) {
	t.Helper()
	b.Get("textbox", "User ID").Fill(user)
	b.Get("textbox", "Company ID").Fill(company)
	b.Get("textbox", "Display name").Fill(name)
	b.Get("textbox", "Company name").Fill(companyName)
	if cb := b.Get("checkbox", "Developer sandbox company"); cb.Property("checked") == "true" {
		cb.Toggle()
	}
	b.Get("button", "Log in").Click()
}

func marketplaceStory(t *testing.T, noJS bool) {
	storyEnv(t)
	r := startRunner(t)
	app := publishThroughAPI(t, r, "Deal forecaster")
	b := browsertest.Start(t, browsertest.Options{NoJavaScript: noJS, NoScreenshots: noJS, IgnoreCertificateErrors: true})

	// An anonymous visitor: the list, then the app's page.
	b.ClearCookies()
	b.Go(r.base + "/marketplace")
	b.Check("marketplace")
	wantText(t, b, "Marketplace", "Deal forecaster", "by Forecast & Co", "Tells you which deals will close this quarter.")
	if b.Has("link", "Sample app") {
		t.Fatal("a private app is listed")
	}
	b.Get("link", "Deal forecaster").Click()
	b.Check("marketplace-app")
	wantText(t, b, "Features", "Forecast this deal", "Link action", "Opens the deal's forecast", "Custom panel",
		"Full access", "Manage deals", "See deals", "Developer", "Forecast & Co")
	for _, link := range []string{"Support", "Privacy policy", "Watch the video", "Marketplace"} {
		if !b.Has("link", link) {
			t.Errorf("no link %q on the app page", link)
		}
	}

	// Install → log in → the consent page → the app's callback.
	b.Get("link", "Install").Click()
	if !b.Has("textbox", "User ID") { // the consent page asks to log in: log in and come back
		install := strings.TrimPrefix(b.URL(), r.base)
		b.Go(r.base + "/dev/login?return_to=" + url.QueryEscape(install))
	}
	b.Check("install-login")
	fillLogin(t, b, "carol", "initech", "Carol Chen", "Initech")
	b.Check("marketplace-consent")
	wantText(t, b, "Deal forecaster")
	b.Get("button", "Allow and install").Click()
	b.Check("marketplace-installed-callback")
	wantText(t, b, "Callback received for another app")

	// Installed apps lists it; Uninstall is confirmed.
	b.Go(r.base + "/marketplace")
	b.Get("link", "Installed apps").Click()
	b.Check("installed")
	wantText(t, b, "Installed apps", "Signed in as Carol Chen (Initech)", "Deal forecaster", "Full access:", "Manage deals", "Installed ")
	b.Get("link", "Uninstall Deal forecaster").Click()
	b.Check("uninstall-confirm")
	wantText(t, b, "Uninstall Deal forecaster?", "its access to your data ends")
	b.Get("button", "Uninstall").Click()
	b.Check("uninstalled")
	wantText(t, b, "The app was uninstalled.", console.TextNoInstalled)
	if b.Has("link", "Uninstall Deal forecaster") {
		t.Fatal("still installed")
	}

	// The app was told: the sample app's home page lists the notification.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		b.Go(r.sample + "/")
		page := b.Text()
		if strings.Contains(page, "Uninstall notification received") && strings.Contains(page, app.ClientID) {
			if strings.Contains(page, "Uninstall notification refused") {
				t.Fatalf("the notification was refused:\n%s", page)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no uninstall notification at the sample app:\n%s", page)
		}
	}
	b.Check("sample-app-uninstalled")

	// Unpublished: gone from both pages at once.
	dev := tokenFor(t, devhub.Identity{UserID: "lin", CompanyID: "forecast-co", Sandbox: true})
	if st := call(t, "POST", r.base+"/v1/apps/"+app.ID+"/unpublish", dev, map[string]any{}, nil); st != http.StatusOK {
		t.Fatalf("unpublish: %d", st)
	}
	b.Go(r.base + "/marketplace")
	if b.Has("link", "Deal forecaster") {
		t.Fatal("an unpublished app is listed")
	}
	wantText(t, b, console.TextNoMarketApps)
	b.Go(r.base + "/marketplace/apps/" + app.ID)
	b.Check("marketplace-not-listed")
	wantText(t, b, "Page not found", "There is no app here")
}
