package console_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// aliceNamed is alice with the display claims: the apps she writes keep
// her company's name.
var aliceNamed = devhub.Identity{UserID: "alice", CompanyID: "acme", CompanyName: "Acme Robotics", Name: "Alice Archer", Sandbox: true}

// marketListing is a complete listing: what a review needs.
func marketListing(name string) devhub.ListingPatch {
	return devhub.ListingPatch{Summary: opt(name + " forecasts which deals close."), Description: opt("Forecasts which deals close.\n\nSecond paragraph."),
		IconURL:   opt("https://cdn.example.com/" + strings.ToLower(strings.ReplaceAll(name, " ", "-")) + ".png"),
		ImageURLs: devhub.Optional[[]string]{Set: true, Value: []string{"https://cdn.example.com/1.png", "https://cdn.example.com/2.png"}},
		VideoURL:  opt("https://video.example.com/watch?v=1"), SupportURL: opt("https://example.com/support"),
		PrivacyPolicyURL: opt("https://example.com/privacy")}
}

// publishApp creates a public app of who's company with a full listing,
// scopes and extensions (added while a draft), sends it to review, has it
// approved and publishes it: it is then listed.
func (e *env) publishApp(tb testing.TB, who devhub.Identity, name string, scopes []string, exts ...devhub.NewExtensionInput) *devhub.App {
	tb.Helper()
	ctx := context.Background()
	a := e.createApp(tb, who, devhub.AppPublic, name)
	patch := devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: marketListing(name)}}
	if scopes != nil {
		patch.Scopes = devhub.Optional[[]string]{Set: true, Value: scopes}
	}
	if _, err := e.hub.PatchApp(ctx, who, a.ID, patch, hub.IfMatch{}); err != nil {
		tb.Fatal(err)
	}
	for _, in := range exts {
		if _, _, err := e.hub.CreateExtension(ctx, who, a.ID, in, hub.Idempotency[hub.ExtensionWrite]{}); err != nil {
			tb.Fatal(err)
		}
	}
	for _, m := range []struct {
		who devhub.Identity
		m   devhub.Move
	}{{who, devhub.MoveReview}, {reviewer, devhub.MoveApprove}, {who, devhub.MovePublish}} {
		if _, err := e.hub.Move(ctx, m.who, a.ID, m.m, hub.MoveInput{}); err != nil {
			tb.Fatal(m.m, err)
		}
	}
	a, err := e.hub.GetApp(ctx, who, a.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func (e *env) move(tb testing.TB, who devhub.Identity, appID string, m devhub.Move) {
	tb.Helper()
	if _, err := e.hub.Move(context.Background(), who, appID, m, hub.MoveInput{}); err != nil {
		tb.Fatal(m, err)
	}
}

// getWithCookie fetches path with a session cookie of its own (nil: none).
func (e *env) getWithCookie(t testing.TB, cookie, path string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cookie})
	}
	return e.do(t, req, nil)
}

var marketExtensions = []devhub.NewExtensionInput{
	{Type: devhub.ExtLinkAction, Name: "Send quote", Description: "Sends a quote from a deal", URL: "https://example.com/quote", Locations: []string{devhub.ViewDealDetails}},
	{Type: devhub.ExtCustomPanel, Name: "Project board", IframeURL: "https://example.com/panel", Locations: []string{devhub.ViewPersonDetails}},
	{Type: devhub.ExtSettingsPage, SettingsKind: devhub.SettingsExternalLink, URL: "https://example.com/settings"},
}

func TestMarketplaceList(t *testing.T) {
	e := newEnv(t)
	r := e.get(t, nil, "/marketplace")
	mustStatus(t, r, http.StatusOK)
	checkHeaders(t, r)
	mustContain(t, r, "<h1>Marketplace</h1>", console.TextNoMarketApps)

	// Not listed: a public draft, an app in review, an unpublished one, a
	// private live one. Listed: two published apps of two companies.
	e.createApp(t, aliceNamed, devhub.AppPublic, "Draft public")
	review := e.createApp(t, aliceNamed, devhub.AppPublic, "In review app")
	if _, err := e.hub.PatchApp(context.Background(), aliceNamed, review.ID, devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: marketListing("In review app")}}, hub.IfMatch{}); err != nil {
		t.Fatal(err)
	}
	e.move(t, aliceNamed, review.ID, devhub.MoveReview)
	unpub := e.publishApp(t, aliceNamed, "Hidden forecaster", nil)
	e.move(t, aliceNamed, unpub.ID, devhub.MoveUnpublish)
	live := e.createApp(t, aliceNamed, devhub.AppPrivate, "Private live")
	e.move(t, aliceNamed, live.ID, devhub.MoveLive)
	deals := e.publishApp(t, aliceNamed, "Deal forecaster", []string{"deals:read"})
	other := e.publishApp(t, bob, "Globex <b>dialer</b>", nil) // bob's token has no company name

	e.meter.Reset()
	r = e.get(t, nil, "/marketplace")
	mustStatus(t, r, http.StatusOK)
	if got := e.meter.Total(); got != 1 {
		t.Errorf("marketplace list: %d round trips %v, want 1", got, e.meter.Calls())
	}
	mustContain(t, r, `href="/marketplace/apps/`+deals.ID+`">Deal forecaster</a>`, "by Acme Robotics", "Deal forecaster forecasts which deals close.",
		`src="https://cdn.example.com/deal-forecaster.png"`, `href="/marketplace/apps/`+other.ID+`">Globex &lt;b&gt;dialer&lt;/b&gt;</a>`, "by globex")
	for _, hidden := range []string{"Draft public", "In review app", "Hidden forecaster", "Private live", "More apps", console.TextNoMarketApps} {
		if strings.Contains(r.Body, hidden) {
			t.Errorf("the list shows %q", hidden)
		}
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("anonymous list: Cache-Control %q", got)
	}
	if strings.Contains(r.Body, "Signed in as") || strings.Contains(r.Body, console.TextInstalledApps) {
		t.Error("the anonymous list shows a user")
	}

	// With a session: the header shows the user; only the browser keeps it.
	r = e.getWithCookie(t, signWithNames(t, customer, "Carol Chen", "Initech"), "/marketplace")
	mustStatus(t, r, http.StatusOK)
	mustContain(t, r, "Signed in as Carol Chen (Initech)", `href="/marketplace/installed"`, "Deal forecaster")
	if got := r.Header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("list with a session: Cache-Control %q", got)
	}
	if got := r.Header.Get("Vary"); got != "Cookie" {
		t.Errorf("Vary %q", got)
	}
	// A broken cookie is no session: the anonymous page.
	r = e.getWithCookie(t, "not-a-token", "/marketplace")
	mustStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "Signed in as") || r.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("a broken cookie: %q", r.Header.Get("Cache-Control"))
	}
	// A bad cursor is a 400 page, not a 500.
	mustStatus(t, e.get(t, nil, "/marketplace?cursor=nonsense"), http.StatusBadRequest)
}

func TestMarketplacePaging(t *testing.T) {
	e := newEnv(t)
	for i := range console.MarketplaceLimit + 1 {
		e.publishApp(t, aliceNamed, fmt.Sprintf("Paged app %02d", i), nil)
	}
	r := e.get(t, nil, "/marketplace")
	mustStatus(t, r, http.StatusOK)
	if n := strings.Count(r.Body, `class="mk-card"`); n != console.MarketplaceLimit {
		t.Errorf("first page: %d apps", n)
	}
	next := regexp.MustCompile(`href="(/marketplace\?cursor=[^"]+)">More apps<`).FindStringSubmatch(r.Body)
	if next == nil {
		t.Fatal("no More apps link")
	}
	r = e.get(t, nil, strings.ReplaceAll(next[1], "&amp;", "&"))
	mustStatus(t, r, http.StatusOK)
	if n := strings.Count(r.Body, `class="mk-card"`); n != 1 || strings.Contains(r.Body, "More apps") {
		t.Errorf("second page: %d apps", n)
	}
	if n := len(r.Body); n > 40_000 {
		t.Errorf("a full page: %d bytes", n)
	}
}

func TestMarketplaceAppPage(t *testing.T) {
	e := newEnv(t)
	a := e.publishApp(t, aliceNamed, "Deal forecaster", []string{"deals:read", "deals:full", "contacts:read"}, marketExtensions...)

	e.meter.Reset()
	r := e.get(t, nil, "/marketplace/apps/"+a.ID)
	mustStatus(t, r, http.StatusOK)
	checkHeaders(t, r)
	if got := e.meter.Total(); got > 2 {
		t.Errorf("app page: %d round trips %v, budget 2", got, e.meter.Calls())
	}
	full, _ := devhub.LookupScope("deals:full")
	read, _ := devhub.LookupScope("deals:read")
	mustContain(t, r, "<h1>Deal forecaster</h1>", "by Acme Robotics", "Forecasts which deals close.\n\nSecond paragraph.",
		`src="https://cdn.example.com/1.png"`, `alt="Screenshot 2 of 2 of Deal forecaster"`,
		`href="https://video.example.com/watch?v=1">Watch the video</a>`,
		`href="https://example.com/support">Support</a>`, `href="https://example.com/privacy">Privacy policy</a>`,
		`<a class="btn mk-install" href="`+e.srv.URL+"/install/"+a.ClientID+`">Install</a>`,
		"Full access", full.Label, full.Description, read.Label, read.Description,
		"<h2 id=\"mk-features\">Features</h2>", "<h3>Send quote</h3>", "Link action", "Sends a quote from a deal",
		"<h3>Project board</h3>", "Custom panel", "<h3>App settings page</h3>")
	// Full access is set apart: its section comes before the read-only one
	// and holds deals:full only.
	fullAt, readAt := strings.Index(r.Body, "mk-full"), strings.Index(r.Body, "Read only")
	if fullAt < 0 || readAt < 0 || !strings.Contains(r.Body[fullAt:readAt], full.Label) || strings.Contains(r.Body[fullAt:readAt], read.Label) {
		t.Errorf("full access not set apart")
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("anonymous app page: Cache-Control %q", got)
	}
	for _, secret := range []string{a.ClientSecret, "client_secret"} {
		if strings.Contains(r.Body, secret) {
			t.Errorf("the page shows %q", secret)
		}
	}
	r = e.get(t, &customer, "/marketplace/apps/"+a.ID)
	mustStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("app page with a session: Cache-Control %q", got)
	}
	if n := len(r.Body); n > 40_000 {
		t.Errorf("app page: %d bytes", n)
	}

	// An app without features says so.
	plain := e.publishApp(t, bob, "Plain app", nil)
	mustContain(t, e.get(t, nil, "/marketplace/apps/"+plain.ID), console.TextNoFeatures, "by globex")
}

// TestMarketplaceNotListed: whatever is not listed answers the very page
// of a missing app.
func TestMarketplaceNotListed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	draft := e.createApp(t, aliceNamed, devhub.AppPublic, "Draft public")
	review := e.createApp(t, aliceNamed, devhub.AppPublic, "In review app")
	if _, err := e.hub.PatchApp(ctx, aliceNamed, review.ID, devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: marketListing("In review app")}}, hub.IfMatch{}); err != nil {
		t.Fatal(err)
	}
	e.move(t, aliceNamed, review.ID, devhub.MoveReview)
	approved := e.createApp(t, aliceNamed, devhub.AppPublic, "Approved app")
	if _, err := e.hub.PatchApp(ctx, aliceNamed, approved.ID, devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: marketListing("Approved app")}}, hub.IfMatch{}); err != nil {
		t.Fatal(err)
	}
	e.move(t, aliceNamed, approved.ID, devhub.MoveReview)
	e.move(t, reviewer, approved.ID, devhub.MoveApprove) // unpublished
	live := e.createApp(t, aliceNamed, devhub.AppPrivate, "Private live")
	e.move(t, aliceNamed, live.ID, devhub.MoveLive)
	privDraft := e.createApp(t, aliceNamed, devhub.AppPrivate, "Private draft")
	deleted := e.publishApp(t, aliceNamed, "Deleted app", nil)
	if err := e.hub.DeleteApp(ctx, aliceNamed, deleted.ID, hub.DeleteAppInput{Reason: "gone"}); err != nil {
		t.Fatal(err)
	}
	missing := devhub.NewID("app_")

	want := e.get(t, nil, "/marketplace/apps/"+missing)
	mustStatus(t, want, http.StatusNotFound)
	mustContain(t, want, "There is no app here", `href="/marketplace">Go to the marketplace</a>`)
	norm := func(r response, id string) string { return strings.ReplaceAll(r.Body, id, "ID") }
	for _, id := range []string{draft.ID, review.ID, approved.ID, live.ID, privDraft.ID, deleted.ID, draft.ClientID, "app_x", "..%2f..%2fhub"} {
		for _, who := range []*devhub.Identity{nil, &aliceNamed, &reviewer} {
			r := e.get(t, who, "/marketplace/apps/"+id)
			if r.StatusCode != http.StatusNotFound {
				t.Errorf("%s as %v: status %d", id, who, r.StatusCode)
				continue
			}
			if who == nil && norm(r, id) != norm(want, missing) && !strings.Contains(id, "%") {
				t.Errorf("%s: not the page of a missing app:\n%s\n---\n%s", id, r.Body, want.Body)
			}
			if strings.Contains(r.Body, "Approved app") || strings.Contains(r.Body, "Draft public") {
				t.Errorf("%s: the 404 names the app", id)
			}
		}
	}
}

// TestMarketplaceUnpublish: unpublishing removes an app from both pages at
// once; publishing again brings it back.
func TestMarketplaceUnpublish(t *testing.T) {
	e := newEnv(t)
	a := e.publishApp(t, aliceNamed, "Deal forecaster", nil)
	mustContain(t, e.get(t, nil, "/marketplace"), "Deal forecaster")
	mustStatus(t, e.get(t, nil, "/marketplace/apps/"+a.ID), http.StatusOK)

	r := e.post(t, &aliceNamed, "/hub/apps/"+a.ID+"/unpublish", nil)
	mustStatus(t, r, http.StatusSeeOther)
	mustStatus(t, e.get(t, nil, "/marketplace/apps/"+a.ID), http.StatusNotFound)
	if r := e.get(t, nil, "/marketplace"); strings.Contains(r.Body, "Deal forecaster") {
		t.Error("an unpublished app is still listed")
	}

	e.move(t, aliceNamed, a.ID, devhub.MovePublish)
	mustContain(t, e.get(t, nil, "/marketplace"), "Deal forecaster")
	mustStatus(t, e.get(t, nil, "/marketplace/apps/"+a.ID), http.StatusOK)
}

// TestMarketplaceHTTPListingURLs: icon, images and links are shown only
// over https (as on the consent page): an http icon is a monogram, http
// images and links are left out.
func TestMarketplaceHTTPListingURLs(t *testing.T) {
	e := newEnv(t)
	a := e.publishApp(t, aliceNamed, "Plain forecaster", nil)
	l := devhub.ListingPatch{IconURL: opt("http://cdn.example.com/i.png"), VideoURL: opt("http://video.example.com/v"),
		SupportURL: opt("http://example.com/support"), PrivacyPolicyURL: opt("http://example.com/privacy"),
		ImageURLs: devhub.Optional[[]string]{Set: true, Value: []string{"http://cdn.example.com/1.png", "https://cdn.example.com/2.png"}}}
	if _, err := e.hub.PatchApp(context.Background(), aliceNamed, a.ID, devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: l}}, hub.IfMatch{}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/marketplace", "/marketplace/apps/" + a.ID} {
		r := e.get(t, nil, path)
		mustStatus(t, r, http.StatusOK)
		mustContain(t, r, `<span class="mk-icon mk-icon--mono`, ">PF</span>")
		for _, u := range []string{"http://cdn.example.com/i.png", "http://cdn.example.com/1.png", "http://video.example.com/v", "http://example.com/support", "http://example.com/privacy", `class="mk-links"`} {
			if strings.Contains(r.Body, u) {
				t.Errorf("%s shows %s", path, u)
			}
		}
	}
	mustContain(t, e.get(t, nil, "/marketplace/apps/"+a.ID), `src="https://cdn.example.com/2.png" alt="Screenshot 1 of 1 of Plain forecaster"`)
}
