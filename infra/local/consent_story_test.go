package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/infra/sampleapp"
	"github.com/devhub-oss/devhub/internal/browsertest"
)

// TestBrowserConsentNotYou: on the runner (LOGIN_URL is its /dev/login),
// the consent page names who is signed in; "Not you?" goes to the login
// with return_to = this very consent request, and logging in as someone
// else comes back to it, now in their name; "Allow and install" installs
// the app for them.
func TestBrowserConsentNotYou(t *testing.T) {
	storyEnv(t)
	r := startRunner(t)
	b := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	devLogin(t, b, r, "bea", "bakery", "Bea", "Bakery", false)

	link := regexp.MustCompile(`install link of "Sample app" \(\S+\): (\S+)`).FindStringSubmatch(r.out.String())[1]
	b.Go(link)
	b.Check("consent-bea")
	wantText(t, b, "Sample app wants to:", "Signed in as Bea (Bakery).", "You will be sent back to")
	consent := b.URL()
	b.Get("link", "Not you?").Click()
	if !strings.HasPrefix(b.URL(), r.base+"/dev/login?return_to=") {
		t.Fatalf("Not you? went to %s", b.URL())
	}
	b.Check("login-not-you")
	b.Get("textbox", "User ID").Fill("cy")
	b.Get("textbox", "Company ID").Fill("cafe")
	b.Get("textbox", "Display name").Fill("Cy Young")
	b.Get("textbox", "Company name").Fill("Café Corner")
	if cb := b.Get("checkbox", "Developer sandbox company"); cb.Property("checked") == "true" {
		cb.Toggle()
	}
	b.Get("button", "Log in").Click()
	if b.URL() != consent {
		t.Fatalf("after the login: %s, want the consent page %s", b.URL(), consent)
	}
	wantText(t, b, "Signed in as Cy Young (Café Corner).")
	b.Get("button", "Allow and install").Click()
	b.WaitText("Sample app installed")
	if u := b.URL(); !strings.HasPrefix(u, r.sample+sampleapp.PathOwnCallback) {
		t.Errorf("landed on %s", u)
	}
	wantText(t, b, "cafe")

	// The runner serves the oauth-authorize function's icon at the root.
	res, err := http.Get(r.base + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/x-icon" {
		t.Errorf("GET /favicon.ico: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
