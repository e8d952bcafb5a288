package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// login gives the browser who's session cookie, as the platform's login
// would.
func (e *env) login(t *testing.T, b *browsertest.Browser, who devhub.Identity) {
	t.Helper()
	b.ClearCookies()
	b.SetCookie(e.srv.URL, console.SessionCookie, cookieOf(t, who))
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

// TestBrowserPublicStory is the seeds' public app, end to end in a real
// browser, every control found by role and name: create → General info →
// Send to review (refused, listing every missing field) → a reviewer
// rejects with a reason → the feedback shows → fix → review → approve →
// Publish → change scopes → "Changes waiting for review" → approve → merged.
func TestBrowserPublicStory(t *testing.T) {
	for _, noJS := range []bool{false, true} {
		name := "JS"
		if noJS {
			name = "NoJS"
		}
		t.Run(name, func(t *testing.T) { publicStory(t, noJS) })
	}
}

func publicStory(t *testing.T, noJS bool) {
	e := newEnv(t)
	b := browsertest.Start(t, browsertest.Options{NoJavaScript: noJS, NoScreenshots: noJS})
	e.login(t, b, alice)

	b.Go(e.srv.URL + "/hub")
	b.Check("dashboard-empty")
	b.Get("button", "Create an app").Click()
	b.Check("choose-type")
	wantText(t, b, "Pick your app type carefully: it cannot be changed later.")
	b.Get("button", "Create public app").Click()
	b.Check("create-public")
	b.Get("textbox", "App name").Fill("Deal forecaster")
	b.Get("textbox", "Callback URL").Fill(e.cb.URL + "/callback")
	b.Get("button", "Save").Click()
	b.Check("oauth-new")
	if !b.Has("link", "OAuth & access scopes") || b.Get("textbox", "Client ID").Value() == "" {
		t.Fatalf("a new app lands on OAuth & access scopes with its client id; at %s", b.URL())
	}

	// Send to review too early: refused, every missing field listed.
	b.Get("link", "General info").Click()
	b.Check("general-info-empty")
	b.Get("button", "Send to review").Click()
	b.Check("review-refused")
	wantText(t, b, "There is a problem", "Summary is required for review", "Description is required for review",
		"Icon URL is required for review", "Image URLs needs 1 to 5 images for review", "Support URL is required for review",
		"Privacy policy URL is required for review")

	fillListing(t, b, e)
	b.Get("button", "Send to review").Click()
	b.Check("in-review")
	wantText(t, b, "Sent to review.", "In review")

	// The reviewer rejects, with a reason.
	e.login(t, b, reviewer)
	b.Go(e.srv.URL + "/hub/review")
	b.Check("review-queue")
	b.Get("link", "Deal forecaster").Click()
	b.Check("review-app")
	b.Get("button", "Reject").Click() // no reason: refused
	b.Check("reject-refused")
	wantText(t, b, "Reason is required")
	b.Get("textbox", "Reason").Fill("The icon does not load: use an https image of 256×256.")
	b.Get("button", "Reject").Click()
	b.Check("rejected")

	// The developer sees the feedback, fixes, sends again.
	e.login(t, b, alice)
	b.Go(e.srv.URL + "/hub")
	b.Get("link", "Deal forecaster").Click()
	b.Get("link", "Review").Click()
	b.Check("feedback")
	wantText(t, b, "The icon does not load: use an https image of 256×256.", "Draft")
	b.Get("link", "General info").Click()
	b.Get("textbox", "Icon URL").Fill("https://cdn.example.com/forecaster-256.png")
	b.Get("button", "Save").Click()
	b.Check("fixed")
	b.Get("button", "Send to review").Click()
	wantText(t, b, "Sent to review.")

	e.login(t, b, reviewer)
	b.Go(e.srv.URL + "/hub/review")
	b.Get("link", "Deal forecaster").Click()
	b.Get("button", "Approve").Click()
	b.Check("approved")
	wantText(t, b, "Approved.")

	// Publish from the three-dot menu.
	e.login(t, b, alice)
	b.Go(e.srv.URL + "/hub")
	wantText(t, b, "Unpublished")
	openMenu(t, b, "Deal forecaster")
	b.Get("button", "Publish").Click()
	b.Check("published")
	wantText(t, b, "Published")

	// A critical change waits for review.
	b.Get("link", "Deal forecaster").Click()
	b.Get("link", "OAuth & access scopes").Click()
	b.Get("checkbox", "See deals").Toggle()
	b.Get("button", "Save").Click()
	b.Check("held")
	wantText(t, b, "Changes waiting for review")
	b.Get("link", "Review").Click()
	b.Check("pending")
	wantText(t, b, "Changes waiting for review", "Basic account information → Basic account information, See deals")
	b.Get("button", "Send changes to review").Click()
	b.Check("changes-sent")

	e.login(t, b, reviewer)
	b.Go(e.srv.URL + "/hub/review")
	b.Get("link", "Deal forecaster").Click()
	b.Check("review-changes")
	b.Get("button", "Approve").Click()

	apps, err := e.hub.ListApps(context.Background(), alice, hub.PageRequest{})
	if err != nil || len(apps.Items) != 1 {
		t.Fatalf("apps: %v %v", apps, err)
	}
	a := apps.Items[0]
	if a.Status != devhub.StatusPublished || a.PendingChanges != nil || strings.Join(a.Scopes, ",") != "base,deals:read" {
		t.Fatalf("after approval: status %s, pending %+v, scopes %v", a.Status, a.PendingChanges, a.Scopes)
	}
}

// openMenu opens the three-dot menu of app (without JavaScript too: it is
// a <details>).
func openMenu(t *testing.T, b *browsertest.Browser, app string) {
	t.Helper()
	b.Get("DisclosureTriangle", "More actions for "+app).Toggle()
}

func fillListing(t *testing.T, b *browsertest.Browser, e *env) {
	t.Helper()
	b.Get("textbox", "Summary").Fill("Forecasts which deals close this month.")
	b.Get("textbox", "Description").Fill("Deal forecaster reads your open deals and tells you which ones are likely to close this month, and why.")
	b.Get("textbox", "Icon URL").Fill("http://cdn.example.com/icon.png")
	b.Get("textbox", "Image URLs").Fill("https://cdn.example.com/shot-1.png")
	b.Get("textbox", "Support URL").Fill("https://forecaster.example.com/support")
	b.Get("textbox", "Privacy policy URL").Fill("https://forecaster.example.com/privacy")
	b.Get("button", "Save").Click()
	b.Check("listing-saved")
	wantText(t, b, "Your changes are saved.")
}
