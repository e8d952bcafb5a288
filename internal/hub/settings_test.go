package hub_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/testprobe"
)

var (
	alice    = devhub.Identity{UserID: "alice", CompanyID: "acme", Sandbox: true}
	bob      = devhub.Identity{UserID: "bob", CompanyID: "globex", Sandbox: true}
	customer = devhub.Identity{UserID: "carol", CompanyID: "initech"}
)

// newHub is a hub over a fresh DynamoDB Local table, and the meter of its
// round trips.
func newHub(t testing.TB) (*hub.Hub, *dynamo.Meter) {
	t.Helper()
	m := &dynamo.Meter{}
	store := dynamotest.MustOpenStore(t, m.Option)
	return &hub.Hub{Apps: store, Extensions: store, Installations: store, Clients: store, Now: time.Now}, m
}

func mustApp(t testing.TB, h *hub.Hub, id devhub.Identity, typ devhub.AppType) *devhub.App {
	t.Helper()
	a, _, err := h.CreateApp(context.Background(), id, devhub.NewAppInput{Type: typ, Name: "Deal sync",
		CallbackURL: "https://example.com/cb"}, hub.Idempotency[*devhub.App]{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustExtension(t testing.TB, h *hub.Hub, appID string, in devhub.NewExtensionInput) *devhub.Extension {
	t.Helper()
	res, _, err := h.CreateExtension(context.Background(), alice, appID, in, hub.Idempotency[hub.ExtensionWrite]{})
	if err != nil {
		t.Fatalf("create %s: %v", in.Type, err)
	}
	return res.Extension
}

func link(name string, views ...string) devhub.NewExtensionInput {
	return devhub.NewExtensionInput{Type: devhub.ExtLinkAction, Name: name, URL: "https://example.com/a", Locations: views}
}

func place(t *testing.T, places []hub.PlaceUsage, name string) hub.SlotUsage {
	t.Helper()
	for _, p := range places {
		if p.Place == name {
			return p.SlotUsage
		}
	}
	t.Fatalf("no usage for %s in %+v", name, places)
	return hub.SlotUsage{}
}

// TestAppSettings: an app, its extensions and their slot usage in one
// round trip, counted as the store's slots are; only for the owner.
func TestAppSettings(t *testing.T) {
	ctx := context.Background()
	h, meter := newHub(t)
	a := mustApp(t, h, alice, devhub.AppPrivate)
	for _, n := range []string{"First", "Second", "Third"} {
		mustExtension(t, h, a.ID, link(n, "deal_details", "deals_list"))
	}
	mustExtension(t, h, a.ID, devhub.NewExtensionInput{Type: devhub.ExtCustomPanel, Name: "Board",
		IframeURL: "https://example.com/p", Locations: []string{"person_details"}})
	mustExtension(t, h, a.ID, devhub.NewExtensionInput{Type: devhub.ExtCustomModal, Name: "Call", IframeURL: "https://example.com/m"})

	t.Run("OK", func(t *testing.T) {
		meter.Reset()
		s, err := h.AppSettings(ctx, alice, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := meter.Total(); n != 1 {
			t.Errorf("got %d round trips (%v), want 1", n, meter.Calls())
		}
		if s.App.ID != a.ID || s.App.ClientSecret == "" || len(s.Live) != 5 || len(s.Extensions) != 5 || len(s.Held) != 0 {
			t.Errorf("got app %s, %d live, %d effective, %d held", s.App.ID, len(s.Live), len(s.Extensions), len(s.Held))
		}
		u := s.Usage
		if u.Actions != (hub.SlotUsage{Used: 4, Max: devhub.MaxActionsPerApp}) {
			t.Errorf("actions: got %+v", u.Actions)
		}
		if got := place(t, u.Views, "deal_details"); got != (hub.SlotUsage{Used: 3, Max: 3}) || !got.Full() {
			t.Errorf("deal_details: got %+v", got)
		}
		if got := place(t, u.Views, "people_list"); got.Used != 0 || got.Full() {
			t.Errorf("people_list: got %+v", got)
		}
		if len(u.Views) != len(devhub.Views()) || len(u.Panels) != len(devhub.PanelLocations()) {
			t.Errorf("got %d views and %d panel locations", len(u.Views), len(u.Panels))
		}
		if got := place(t, u.Panels, "person_details"); got != (hub.SlotUsage{Used: 1, Max: 1}) {
			t.Errorf("person_details panels: got %+v", got)
		}
		if err := u.CanAdd(devhub.ExtLinkAction); err != nil {
			t.Errorf("a link action still fits in other views: %v", err)
		}
		if err := u.CanAdd(devhub.ExtCustomPanel); err != nil {
			t.Errorf("a panel still fits in deal_details: %v", err)
		}
	})
	t.Run("ErrNotOwner", func(t *testing.T) {
		meter.Reset()
		if _, err := h.AppSettings(ctx, bob, a.ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("bob: got %v, want not_found", err)
		}
		if _, err := h.AppSettings(ctx, customer, a.ID); devhub.ErrorCode(err) != devhub.EFORBIDDEN {
			t.Errorf("customer: got %v, want forbidden", err)
		}
		if _, err := h.AppSettings(ctx, alice, "app_nonsense"); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("bad id: got %v, want not_found", err)
		}
		if n := meter.Total(); n != 1 {
			t.Errorf("got %d round trips, want 1 (only bob's read)", n)
		}
	})
}

// TestUsageCanAdd: each type is refused exactly when its limit leaves no
// place for it, with the reason.
func TestUsageCanAdd(t *testing.T) {
	full := func(places []string, max int) []hub.PlaceUsage {
		var out []hub.PlaceUsage
		for _, p := range places {
			out = append(out, hub.PlaceUsage{Place: p, SlotUsage: hub.SlotUsage{Used: max, Max: max}})
		}
		return out
	}
	empty := hub.UsageOf(nil)
	for _, typ := range devhub.ExtensionTypes() {
		if err := empty.CanAdd(typ); err != nil {
			t.Errorf("%s on an empty app: %v", typ, err)
		}
	}
	viewsFull := hub.UsageOf(nil)
	viewsFull.Views = full(devhub.Views(), devhub.MaxActionsPerView)
	viewsFull.Panels = full(devhub.PanelLocations(), devhub.MaxPanelsPerLocation)
	viewsFull.FloatingWindows.Used, viewsFull.SettingsPages.Used = 1, 1
	for typ, want := range map[devhub.ExtensionType]string{
		devhub.ExtLinkAction: devhub.ECONFLICT, devhub.ExtJSONModal: devhub.ECONFLICT,
		devhub.ExtCustomModal: "", // entry points are optional
		devhub.ExtJSONPanel:   devhub.ECONFLICT, devhub.ExtCustomPanel: devhub.ECONFLICT,
		devhub.ExtFloatingWindow: devhub.ECONFLICT, devhub.ExtSettingsPage: devhub.ECONFLICT,
	} {
		err := viewsFull.CanAdd(typ)
		if devhub.ErrorCode(err) != want || (err != nil && devhub.ErrorMessage(err) == "") {
			t.Errorf("%s: got %v, want %q", typ, err, want)
		}
	}
	appFull := hub.UsageOf(nil)
	appFull.Actions.Used = devhub.MaxActionsPerApp
	if err := appFull.CanAdd(devhub.ExtCustomModal); devhub.ErrorCode(err) != devhub.ECONFLICT {
		t.Errorf("custom modal on a full app: got %v", err)
	}
}

// TestReviewApp: a reviewer sees an app of another company while it
// waits in review, with its extensions and without its client secret, in
// two round trips; nobody else does, and not before or after review.
func TestReviewApp(t *testing.T) {
	ctx := context.Background()
	h, meter := newHub(t)
	srv := testprobe.NewServer(t, http.StatusOK, 0)
	h.Prober = testprobe.New(t, srv)
	reviewer := devhub.Identity{UserID: "rita", CompanyID: "platform", Roles: []string{devhub.RoleReviewer}}
	base := srv.URL
	a, _, err := h.CreateApp(ctx, alice, devhub.NewAppInput{Type: devhub.AppPublic, Name: "Deal sync", CallbackURL: base + "/cb",
		Listing: &devhub.Listing{Summary: "Sync deals", Description: "Keeps deals in sync.", IconURL: base + "/icon.png",
			ImageURLs: []string{base + "/1.png"}, SupportURL: base + "/support", PrivacyPolicyURL: base + "/privacy"}},
		hub.Idempotency[*devhub.App]{})
	if err != nil {
		t.Fatal(err)
	}
	mustExtension(t, h, a.ID, link("Send quote", "deal_details"))
	if _, _, err := h.ReviewApp(ctx, reviewer, a.ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
		t.Errorf("draft: got %v, want not_found", err)
	}
	if _, err := h.Move(ctx, alice, a.ID, devhub.MoveReview, hub.MoveInput{}); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		meter.Reset()
		got, exts, err := h.ReviewApp(ctx, reviewer, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := meter.Total(); n != 2 {
			t.Errorf("got %d round trips (%v), want 2", n, meter.Calls())
		}
		if got.ID != a.ID || got.ClientSecret != "" || got.PreviousClientSecret != "" || len(exts) != 1 {
			t.Errorf("got app %s secret %q, %d extensions", got.ID, got.ClientSecret, len(exts))
		}
		if own, _ := h.GetApp(ctx, alice, a.ID); own.ClientSecret == "" {
			t.Error("the owner's copy lost its secret")
		}
	})
	t.Run("ErrNotReviewer", func(t *testing.T) {
		for _, who := range []devhub.Identity{alice, bob} {
			if _, _, err := h.ReviewApp(ctx, who, a.ID); devhub.ErrorCode(err) != devhub.EFORBIDDEN {
				t.Errorf("%s: got %v, want forbidden", who.UserID, err)
			}
		}
	})
	t.Run("ErrApproved", func(t *testing.T) {
		if _, err := h.Move(ctx, reviewer, a.ID, devhub.MoveApprove, hub.MoveInput{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.ReviewApp(ctx, reviewer, a.ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("approved: got %v, want not_found", err)
		}
		if _, _, err := h.ReviewApp(ctx, reviewer, "app_nonsense"); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("bad id: got %v, want not_found", err)
		}
	})
}
