package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/infra/sampleapp"
	"github.com/devhub-oss/devhub/internal/browsertest"
)

// TestBrowserSampleApp: in headless Chromium, /dev/login sets the session
// cookie; the Sample app's install link leads through the sample app's own
// install page to the consent page; "Allow and install" lands on the sample
// app, which exchanged the code; its panel's launch verifies; its home page
// lists both, newest first. axe-core finds nothing on any of its pages.
func TestBrowserSampleApp(t *testing.T) {
	storyEnv(t)
	r := startRunner(t)
	b := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	devLogin(t, b, r, "bea", "bakery", "Bea", "Bakery", false)

	link := regexp.MustCompile(`install link of "Sample app" \(\S+\): (\S+)`).FindStringSubmatch(r.out.String())[1]
	b.Go(link)
	if text := b.Text(); !strings.Contains(text, "Signed in as Bea (Bakery).") {
		t.Fatalf("not the consent page for bea of bakery:\n%s", text)
	}
	b.Get("button", "Allow and install").Click()
	b.WaitText("Sample app installed")
	if u := b.URL(); !strings.HasPrefix(u, r.sample+sampleapp.PathOwnCallback) {
		t.Errorf("landed on %s", u)
	}
	wantText(t, b, "bakery", "base deals:read contacts:read")
	b.Check("sample-installed")

	var app appView
	for _, a := range sampleApps(t, r) {
		app = a
	}
	var exts struct{ Data []struct{ ID string } }
	call(t, "GET", r.base+"/v1/apps/"+app.ID+"/extensions", r.token, nil, &exts)
	var launch struct{ URL string }
	call(t, "POST", r.base+"/v1/apps/"+app.ID+"/extensions/"+exts.Data[0].ID+"/launch", issue(t, "bea", "bakery", false), nil, &launch)
	b.Go(launch.URL)
	wantText(t, b, "Extension launched", "the Sample app's client secret", "bakery")
	b.Check("sample-extension")

	b.Go(r.sample + "/")
	text := b.Text()
	if i, j := strings.Index(text, "Extension launched"), strings.Index(text, "Sample app installed"); i < 0 || j < 0 || i > j {
		t.Errorf("home page, want newest first:\n%s", text)
	}
	b.Check("sample-home")
	b.Go(r.sample + sampleapp.PathOwnCallback)
	wantText(t, b, "Sample app callback")
	b.Check("sample-callback-without-code")
}
