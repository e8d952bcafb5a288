package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
)

// TestBrowserConsolePrivateStory is the seeds' private app, end to end, in a
// real browser against the local runner (console, consent page, install
// links, the sample app), every control found by role and name: /dev/login
// → "Create an app" → "Create private app" → name and the sample app's
// callback → "Save" → "OAuth & access scopes" with client id and secret →
// scopes → "Save" → "App extensions" → "Install & test" → consent → the
// sample app shows the install → "Change to live" (confirmed) → "Share app"
// → a user of another company opens the link and installs → "Delete app"
// with a reason → gone from the dashboard. Also with JavaScript off.
func TestBrowserConsolePrivateStory(t *testing.T) {
	for _, noJS := range []bool{false, true} {
		name := "JS"
		if noJS {
			name = "NoJS"
		}
		t.Run(name, func(t *testing.T) { privateStory(t, noJS) })
	}
}

func wantText(t *testing.T, b *browsertest.Browser, texts ...string) {
	t.Helper()
	page := b.Text()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			t.Fatalf("no %q at %s; the page says:\n%s", s, b.URL(), page)
		}
	}
}

// devLogin logs the browser in through the runner's /dev/login form.
func devLogin(t *testing.T, b *browsertest.Browser, r *runner, user, company, name, companyName string, sandbox bool) {
	t.Helper()
	b.ClearCookies()
	b.Go(r.base + "/dev/login")
	b.Check("dev-login")
	b.Get("textbox", "User ID").Fill(user)
	b.Get("textbox", "Company ID").Fill(company)
	b.Get("textbox", "Display name").Fill(name)
	b.Get("textbox", "Company name").Fill(companyName)
	if cb := b.Get("checkbox", "Developer sandbox company"); (cb.Property("checked") == "true") != sandbox {
		cb.Toggle()
	}
	b.Get("button", "Log in").Click()
}

func privateStory(t *testing.T, noJS bool) {
	storyEnv(t)
	r := startRunner(t)
	b := browsertest.Start(t, browsertest.Options{NoJavaScript: noJS, NoScreenshots: noJS, IgnoreCertificateErrors: true})

	devLogin(t, b, r, "ada", "analytical", "Ada Lovelace", "Analytical Engines", true)
	b.Check("dashboard")
	wantText(t, b, "Signed in as Ada Lovelace (Analytical Engines)")
	b.Get("button", "Create an app").Click() // a new company: no app yet
	b.Check("choose-type")
	b.Get("button", "Create private app").Click()
	b.Get("textbox", "App name").Fill("Deal notes")
	b.Get("textbox", "Callback URL").Fill(r.sample + "/callback")
	b.Get("button", "Save").Click()
	b.Check("oauth-created")
	wantText(t, b, "App saved.")
	if b.Get("textbox", "Client ID").Value() == "" {
		t.Fatal("no client id on OAuth & access scopes")
	}
	secret := b.Get("textbox", "Client secret")
	if noJS {
		b.Get("button", "Show").Click() // a link that reloads with the secret shown
	} else {
		b.Get("button", "Show").Toggle()
	}
	if v := b.Get("textbox", "Client secret").Value(); len(v) < 40 || len([]rune(secret.Value())) != len(v) || strings.Contains(secret.Value(), v) {
		t.Fatalf("client secret %q (masked %q)", v, secret.Value())
	}
	b.Get("checkbox", "See deals").Toggle()
	b.Get("button", "Save").Click()
	b.Check("scopes-saved")
	wantText(t, b, "Your changes are saved.")
	if b.Get("checkbox", "See deals").Property("checked") != "true" {
		t.Fatal("See deals is not checked after Save")
	}

	// ── App extensions: coordinated with helper `preview`, who owns the tab:
	// one of each of the 7 types through their forms (a JSON modal whose
	// Preview shows its blocks), then a 4th action in one view refused with
	// the reason. extensionsStep is theirs to extend.
	extensionsStep(t, b, noJS)

	// Install & test: the consent page, then the sample app's callback.
	b.Get("link", "Install & test").Click()
	b.Check("consent-test")
	b.Get("button", "Allow and install").Click()
	b.Check("sample-callback")
	wantText(t, b, "Callback received for another app")

	// Change to live, confirmed once more.
	b.Go(r.base + "/hub")
	openMenu(t, b, "Deal notes")
	b.Get("link", "Change to live").Click()
	b.Check("confirm-live")
	wantText(t, b, "Live private apps cannot be reverted to draft.")
	b.Get("button", "Change to live").Click()
	b.Check("live")
	wantText(t, b, "The app is live.", "Live")

	// Share app: the installation link, with Copy.
	b.Get("link", "Share app").Click()
	b.Check("share")
	link := b.Get("textbox", "Installation link").Value()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, r.base+"/install/") {
		t.Fatalf("installation link %q", link)
	}
	if !noJS {
		b.Get("button", "Copy installation link").Toggle()
		b.WaitText("Copied")
	}

	// A user of another (non-sandbox) company installs through the link.
	devLogin(t, b, r, "grace", "hopper-co", "Grace Hopper", "Hopper & Co", false)
	b.Check("no-sandbox")
	wantText(t, b, "You must have a developer sandbox account to see Developer Hub.")
	b.Go(r.base + u.Path)
	b.Check("consent-shared")
	b.Get("button", "Allow and install").Click()
	b.Check("sample-callback-shared")
	wantText(t, b, "Callback received for another app")

	// The developer deletes it, with a reason.
	devLogin(t, b, r, "ada", "analytical", "Ada Lovelace", "Analytical Engines", true)
	openMenu(t, b, "Deal notes")
	b.Get("link", "Delete app").Click()
	b.Check("delete")
	wantText(t, b, "The app will be uninstalled from every company that has it.")
	b.Get("button", "Delete app").Click() // no reason: refused
	b.Check("delete-refused")
	wantText(t, b, "Reason is required")
	b.Get("textbox", "Reason").Fill("We built it into our own product instead.")
	b.Get("button", "Delete app").Click()
	b.Check("deleted")
	wantText(t, b, "App deleted.")
	if b.Has("link", "Deal notes") {
		t.Fatal("the deleted app is still on the dashboard")
	}
}

func openMenu(t *testing.T, b *browsertest.Browser, app string) {
	t.Helper()
	b.Get("DisclosureTriangle", "More actions for "+app).Toggle()
}
