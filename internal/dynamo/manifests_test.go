package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

// manifestDoc is a manifest of a private app with n link actions keyed
// prefix-0…, spread over the views (3 per view at most), and a custom panel.
func manifestDoc(prefix string, n int) map[string]any {
	exts := []any{map[string]any{"key": "notes", "type": "custom_panel", "name": "Notes",
		"iframe_url": "https://example.com/notes", "locations": []string{"deal_details"}}}
	for i := range n {
		exts = append(exts, map[string]any{"key": fmt.Sprintf("%s-%d", prefix, i), "type": "link_action",
			"name": fmt.Sprintf("Open quote %d", i), "url": "https://example.com/q", "locations": []string{devhub.Views()[i%7]}})
	}
	return map[string]any{"manifest_version": 1, "type": "private", "name": "Manifest app",
		"callback_url": "https://example.com/cb", "extensions": exts}
}

func manifestOf(t *testing.T, doc any) *devhub.Manifest {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	n, err := devhub.ParseManifestJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	m, err := devhub.DecodeManifest(n)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// planFor reads the app and plans doc against it, as the use case does.
func planFor(t *testing.T, s *dynamo.Store, appID string, doc any) (*devhub.App, []*devhub.Extension, *devhub.ManifestPlan) {
	t.Helper()
	a, live, err := s.AppExtensions(context.Background(), "c1", appID)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := devhub.PlanManifest(manifestOf(t, doc), a, live, jsonschema.New(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return a, live, plan
}

func createFromManifest(t *testing.T, s *dynamo.Store, doc any) *devhub.App {
	t.Helper()
	a, exts, _, err := devhub.NewManifestApp(manifestOf(t, doc), devhub.Identity{UserID: "u1", CompanyID: "c1", Sandbox: true},
		jsonschema.New(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if prev, err := s.CreateManifestApp(context.Background(), a, exts, nil); err != nil || prev != nil {
		t.Fatalf("create: %v %v", prev, err)
	}
	return a
}

func TestManifests(t *testing.T) {
	var meter dynamo.Meter
	s := dynamotest.MustOpenStore(t, meter.Option)
	ctx := context.Background()

	meter.Reset()
	app := createFromManifest(t, s, manifestDoc("link", 21))
	if calls := meter.Calls(); meter.Total() != 1 || calls["TransactWriteItems"] != 1 {
		t.Errorf("create: got %v, want 1 TransactWriteItems", calls)
	}
	for slot, want := range map[string]int{"app#actions": 21, "view#deal_details": 3, "panel#deal_details": 1, "key#link-20": 1, "key#notes": 1} {
		if n := slotCount(t, s, app.ID, slot); n != want {
			t.Errorf("%s: got %d, want %d", slot, n, want)
		}
	}

	t.Run("OK export round trips", func(t *testing.T) {
		meter.Reset()
		a, live, err := s.AppExtensions(ctx, "c1", app.ID)
		if err != nil || len(live) != 22 {
			t.Fatalf("read: %d extensions, %v", len(live), err)
		}
		if meter.Total() != 1 {
			t.Errorf("export: got %v, want 1 Query", meter.Calls())
		}
		plan, err := devhub.PlanManifest(manifestOf(t, devhub.ExportManifest(a, live)), a, live, jsonschema.New(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		meter.Reset()
		if err := s.ApplyManifest(ctx, a, live, plan); err != nil {
			t.Fatal(err)
		}
		if meter.Total() != 0 {
			t.Errorf("no-op apply: got %v, want no round trip", meter.Calls())
		}
		if got, _ := s.GetApp(ctx, app.ID); got.Version != app.Version {
			t.Errorf("no-op apply bumped the version to %d", got.Version)
		}
	})

	t.Run("OK apply moves extensions and slots in one transaction", func(t *testing.T) {
		doc := manifestDoc("link", 20) // link-20 goes
		exts := doc["extensions"].([]any)
		exts[0].(map[string]any)["locations"] = []string{"person_details"} // the panel moves
		exts = append(exts, map[string]any{"key": "phone", "type": "floating_window", "name": "Phone",
			"description": "Calls", "iframe_url": "https://example.com/phone"})
		doc["extensions"], doc["name"] = exts, "Renamed by manifest"
		a, live, plan := planFor(t, s, app.ID, doc)
		meter.Reset()
		if err := s.ApplyManifest(ctx, a, live, plan); err != nil {
			t.Fatal(err)
		}
		if calls := meter.Calls(); meter.Total() != 1 || calls["TransactWriteItems"] != 1 {
			t.Errorf("apply: got %v, want 1 TransactWriteItems", calls)
		}
		got, live, err := s.AppExtensions(ctx, "c1", app.ID)
		if err != nil || got.Name != "Renamed by manifest" || got.Version != a.Version+1 || len(live) != 22 {
			t.Fatalf("after: %v %+v %d", err, got, len(live))
		}
		for slot, want := range map[string]int{"app#actions": 20, "panel#deal_details": 0, "panel#person_details": 1,
			"floating_window": 1, "key#link-20": 0, "key#phone": 1} {
			if n := slotCount(t, s, app.ID, slot); n != want {
				t.Errorf("%s: got %d, want %d", slot, n, want)
			}
		}
	})

	t.Run("ErrLimit leaves everything as it was", func(t *testing.T) {
		// The plan is made, then another request takes the last action
		// slot: the apply's counter condition fails and nothing is written.
		a, live, plan := planFor(t, s, app.ID, manifestDoc("link", 21))
		late, err := devhub.NewExtension(linkAction(devhub.ViewOrganizationsList), a, jsonschema.New(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateExtension(ctx, "c1", late, nil); err != nil {
			t.Fatal(err)
		}
		err = s.ApplyManifest(ctx, a, live, plan)
		if devhub.ErrorCode(err) != devhub.ECONFLICT || errors.Is(err, dynamo.ErrStale) {
			t.Fatalf("got %v, want a conflict that is not a stale app", err)
		}
		after, live2, _ := s.AppExtensions(ctx, "c1", app.ID)
		if after.Version != a.Version || len(live2) != len(live)+1 || slotCount(t, s, app.ID, "key#link-20") != 0 {
			t.Errorf("a refused apply wrote something: version %d, %d extensions", after.Version, len(live2))
		}
		if err := s.DeleteExtension(ctx, "c1", late); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ErrTooLarge", func(t *testing.T) {
		// Replacing 26 keyed extensions by 26 others: 52 extension writes
		// and 52 key slots, over 100 items.
		full := createFromManifest(t, s, fullDoc("a"))
		a, live, plan := planFor(t, s, full.ID, fullDoc("b"))
		meter.Reset()
		err := s.ApplyManifest(ctx, a, live, plan)
		if devhub.ErrorCode(err) != devhub.EINVALID || meter.Total() != 0 {
			t.Fatalf("got %v after %v, want EINVALID before any call", err, meter.Calls())
		}
	})
}

// fullDoc is manifestDoc at every limit (21 actions, 3 panels, a floating
// window, a settings page), every key prefixed.
func fullDoc(prefix string) map[string]any {
	doc := manifestDoc(prefix, 21)
	exts := doc["extensions"].([]any)
	exts[0].(map[string]any)["key"] = prefix + "-notes"
	for _, l := range []string{"person_details", "organization_details"} {
		exts = append(exts, map[string]any{"key": prefix + "-" + strings.ReplaceAll(l, "_", "-"), "type": "custom_panel", "name": "Notes",
			"iframe_url": "https://example.com/notes", "locations": []string{l}})
	}
	exts = append(exts, map[string]any{"key": prefix + "-phone", "type": "floating_window", "name": "Phone",
		"description": "Calls", "iframe_url": "https://example.com/phone"},
		map[string]any{"key": prefix + "-settings", "type": "settings_page", "settings_kind": "external_link", "url": "https://example.com/s"})
	doc["extensions"] = exts
	return doc
}

func TestManifestApplyRace(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	app := createFromManifest(t, s, manifestDoc("link", 3))
	// Both plans are made from the same read, as two PUTs with the same
	// If-Match are: one must win, the other must find the app changed.
	docA, docB := manifestDoc("link", 3), manifestDoc("link", 3)
	docA["name"], docB["name"] = "Name A", "Name B"
	docB["extensions"] = append(docB["extensions"].([]any), map[string]any{"key": "b-only", "type": "link_action",
		"name": "Only in b", "url": "https://example.com/b", "locations": []string{"deals_list"}})
	a, live, planA := planFor(t, s, app.ID, docA)
	_, _, planB := planFor(t, s, app.ID, docB)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []*devhub.ManifestPlan{planA, planB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.ApplyManifest(ctx, a, live, p)
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil:
			won = i
		case !errors.Is(err, dynamo.ErrStale):
			t.Errorf("apply %d: got %v, want a stale app", i, err)
		}
	}
	if won < 0 || errs[1-won] == nil {
		t.Fatalf("got %v, want exactly one winner", errs)
	}
	got, exts, _ := s.AppExtensions(ctx, "c1", app.ID)
	wantName, wantExts := "Name A", 4
	if won == 1 {
		wantName, wantExts = "Name B", 5
	}
	if got.Name != wantName || len(exts) != wantExts || got.Version != app.Version+1 {
		t.Errorf("after the race: %q, %d extensions, version %d", got.Name, len(exts), got.Version)
	}
	if n := slotCount(t, s, app.ID, "key#b-only"); n != wantExts-4 {
		t.Errorf("key#b-only: %d", n)
	}
}

func TestManifestHeld(t *testing.T) {
	var meter dynamo.Meter
	s := dynamotest.MustOpenStore(t, meter.Option)
	ctx := context.Background()
	doc := manifestDoc("link", 2)
	doc["type"] = "public"
	app := createFromManifest(t, s, doc)
	// Approve it the short way: the store does not judge moves.
	approved := *app
	approved.Status, approved.Version = devhub.StatusPublished, app.Version+1
	if err := s.UpdateApp(ctx, &approved, app.Version); err != nil {
		t.Fatal(err)
	}
	doc["callback_url"] = "https://example.com/new-cb"
	doc["extensions"] = doc["extensions"].([]any)[:2] // link-1 goes
	a, live, plan := planFor(t, s, app.ID, doc)
	meter.Reset()
	if err := s.ApplyManifest(ctx, a, live, plan); err != nil {
		t.Fatal(err)
	}
	if calls := meter.Calls(); meter.Total() != 1 || calls["TransactWriteItems"] != 1 {
		t.Errorf("held apply: %v", calls)
	}
	got, live2, _ := s.AppExtensions(ctx, "c1", app.ID)
	if got.CallbackURL != app.CallbackURL || got.PendingChanges == nil || *got.PendingChanges.CallbackURL != "https://example.com/new-cb" ||
		len(got.PendingChanges.Extensions) != 1 || len(live2) != 3 {
		t.Fatalf("held: %+v pending %+v, %d live", got, got.PendingChanges, len(live2))
	}
	// Approving merges the held delete with the slots.
	next := *got
	next.PendingChanges, next.Version = nil, got.Version+1
	next.CallbackURL = *got.PendingChanges.CallbackURL
	if err := s.MergePendingExtensions(ctx, got, &next); err != nil {
		t.Fatal(err)
	}
	if _, live3, _ := s.AppExtensions(ctx, "c1", app.ID); len(live3) != 2 || slotCount(t, s, app.ID, "key#link-1") != 0 ||
		slotCount(t, s, app.ID, "app#actions") != 1 {
		t.Errorf("after the merge: %d live", len(live3))
	}
}
