package devhub_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/benchclock"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

// fullManifest is the largest manifest the limits allow: 21 actions (7 link
// actions, 7 JSON modals, 7 custom modals, 3 per view), 3 panels, a floating
// window and a settings page.
func fullManifest() map[string]any {
	var exts []any
	views := devhub.Views()
	for i := 0; i < 7; i++ {
		exts = append(exts,
			map[string]any{"key": fmt.Sprintf("link-%d", i), "type": "link_action", "name": fmt.Sprintf("Open quote %d", i),
				"url": "https://example.com/link", "locations": []string{views[i]}},
			map[string]any{"key": fmt.Sprintf("modal-%d", i), "type": "json_modal", "name": fmt.Sprintf("New order %d", i),
				"api_endpoint": "https://example.com/modal", "locations": []string{views[i]},
				// Each modal has its own schema, as in life: no check is shared.
				"json_schema": json.RawMessage(strings.Replace(modalDoc, `"Submit"`, fmt.Sprintf(`"Submit %d"`, i), 1))},
			map[string]any{"key": fmt.Sprintf("custom-%d", i), "type": "custom_modal", "name": fmt.Sprintf("Edit order %d", i),
				"iframe_url": "https://example.com/iframe", "entry_points": []string{views[i]}})
	}
	exts = append(exts,
		map[string]any{"key": "deliveries", "type": "json_panel", "name": "Deliveries", "api_endpoint": "https://example.com/panel",
			"data_structure": json.RawMessage(panelDoc), "locations": []string{"deal_details"},
			"http_auth": map[string]any{"username": "pipedrive", "password": "s3cret-password"}},
		map[string]any{"key": "person-panel", "type": "custom_panel", "name": "Person notes", "iframe_url": "https://example.com/p",
			"locations": []string{"person_details"}},
		map[string]any{"key": "org-panel", "type": "custom_panel", "name": "Org notes", "iframe_url": "https://example.com/o",
			"locations": []string{"organization_details"}, "jwt_secret": jwtSecret},
		map[string]any{"key": "phone", "type": "floating_window", "name": "Phone", "description": "Calls",
			"iframe_url": "https://example.com/phone"},
		map[string]any{"key": "settings", "type": "settings_page", "settings_kind": "external_link", "url": "https://example.com/settings"})
	return map[string]any{"manifest_version": 1, "type": "public", "name": "Cake shop", "callback_url": "https://example.com/cb",
		"scopes": []string{"deals:read"}, "listing": map[string]any{"summary": "Cakes"}, "extensions": exts}
}

func decodeManifest(t testing.TB, doc any) *devhub.Manifest {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	n, err := devhub.ParseManifestJSON(b)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	m, err := devhub.DecodeManifest(n)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m
}

var developer = devhub.Identity{UserID: "u1", CompanyID: "co1", Sandbox: true}

// created returns the app and extensions fullManifest creates.
func created(t testing.TB) (*devhub.App, []*devhub.Extension) {
	t.Helper()
	a, exts, _, err := devhub.NewManifestApp(decodeManifest(t, fullManifest()), developer, jsonschema.Checker{}, now)
	if err != nil {
		t.Fatalf("NewManifestApp: %v", err)
	}
	return a, exts
}

func ops(p *devhub.ManifestPlan) map[string]devhub.PlanOp {
	out := map[string]devhub.PlanOp{}
	for _, e := range p.Entries {
		out[e.Path] = e.Op
	}
	return out
}

func TestNewManifestApp(t *testing.T) {
	a, exts := created(t)
	if len(exts) != 26 || a.Type != devhub.AppPublic || a.Version != 1 || a.Scopes[0] != "base" {
		t.Fatalf("got %d extensions, app %+v", len(exts), a)
	}
	for _, e := range exts {
		if e.AppID != a.ID || e.Key == "" {
			t.Errorf("extension %s: app %s key %q", e.ID, e.AppID, e.Key)
		}
	}
}

func TestPlanManifest(t *testing.T) {
	a, exts := created(t)
	t.Run("OK export applies as no change", func(t *testing.T) {
		export := devhub.ExportManifest(a, exts)
		plan, err := devhub.PlanManifest(decodeManifest(t, export), a, exts, jsonschema.Checker{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Changed() {
			t.Fatalf("export applied changes something: %+v", plan.Entries)
		}
		for _, e := range plan.Entries {
			if e.Op != devhub.PlanUnchanged {
				t.Errorf("%s: %s", e.Path, e.Op)
			}
		}
		b, _ := json.Marshal(export)
		if strings.Contains(string(b), jwtSecret) || strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), `"jwt_secret_set":true`) {
			t.Errorf("export shows secrets or hides jwt_secret_set: %s", b)
		}
	})
	t.Run("OK create update delete", func(t *testing.T) {
		doc := fullManifest()
		list := doc["extensions"].([]any)
		list[0].(map[string]any)["name"] = "Open the quote"
		list = slices.Delete(list, 1, 2) // modal-0
		list = append(list, map[string]any{"key": "extra", "type": "link_action", "name": "extra link",
			"url": "https://example.com/x", "locations": []string{"activities_list"}})
		doc["extensions"], doc["name"] = list, "Cake shop 2"
		plan, err := devhub.PlanManifest(decodeManifest(t, doc), a, exts, jsonschema.Checker{}, now)
		if err != nil {
			t.Fatal(err)
		}
		got := ops(plan)
		for path, want := range map[string]devhub.PlanOp{
			"name": devhub.PlanUpdate, "extensions.link-0.name": devhub.PlanUpdate, "extensions.modal-0": devhub.PlanDelete,
			"extensions.extra": devhub.PlanCreate, "extensions.link-1": devhub.PlanUnchanged, "callback_url": devhub.PlanUnchanged,
		} {
			if got[path] != want {
				t.Errorf("%s: got %q, want %q", path, got[path], want)
			}
		}
		if len(plan.Creates) != 1 || len(plan.Updates) != 1 || len(plan.Deletes) != 1 || plan.App.Version != a.Version+1 {
			t.Errorf("writes: %d %d %d, version %d", len(plan.Creates), len(plan.Updates), len(plan.Deletes), plan.App.Version)
		}
		if len(plan.Warnings) != 1 || plan.Warnings[0].Field != "extensions[25].name" {
			t.Errorf("warnings: %+v", plan.Warnings)
		}
	})
	t.Run("OK secrets kept when omitted, cleared with _set false", func(t *testing.T) {
		doc := fullManifest()
		for _, e := range doc["extensions"].([]any) {
			e := e.(map[string]any)
			switch e["key"] {
			case "org-panel":
				delete(e, "jwt_secret")
			case "deliveries":
				e["http_auth"] = map[string]any{"username": "pipedrive", "password_set": true}
				e["jwt_secret_set"] = false
			}
		}
		plan, err := devhub.PlanManifest(decodeManifest(t, doc), a, exts, jsonschema.Checker{}, now)
		if err != nil || plan.Changed() {
			t.Fatalf("plan: %v %+v", err, plan)
		}
	})
	t.Run("ErrType", func(t *testing.T) {
		doc := fullManifest()
		doc["type"] = "private"
		doc["extensions"].([]any)[0].(map[string]any)["type"] = "custom_modal"
		_, err := devhub.PlanManifest(decodeManifest(t, doc), a, exts, jsonschema.Checker{}, now)
		assertFields(t, err, devhub.EINVALID, "type", "extensions[0].type")
	})
	t.Run("ErrRules at their paths", func(t *testing.T) {
		doc := fullManifest()
		list := doc["extensions"].([]any)
		list[2].(map[string]any)["entry_points"] = []string{"activities_list", "nowhere"}
		list[3].(map[string]any)["key"] = "link-0"
		list[4].(map[string]any)["key"] = "Bad key"
		doc["callback_url"] = "not a url"
		_, err := devhub.PlanManifest(decodeManifest(t, doc), a, exts, jsonschema.Checker{}, now)
		assertFields(t, err, devhub.EINVALID, "callback_url", "extensions[2].entry_points[1]", "extensions[3].key", "extensions[4].key")
	})
	t.Run("ErrLimit", func(t *testing.T) {
		doc := fullManifest()
		doc["extensions"] = append(doc["extensions"].([]any), map[string]any{"key": "second-settings", "type": "settings_page",
			"settings_kind": "custom_ui", "iframe_url": "https://example.com/s"})
		_, err := devhub.PlanManifest(decodeManifest(t, doc), a, exts, jsonschema.Checker{}, now)
		if devhub.ErrorCode(err) != devhub.ECONFLICT {
			t.Fatalf("got %v, want a conflict", err)
		}
	})
	t.Run("ErrSecretNotStored", func(t *testing.T) {
		doc := fullManifest()
		e := doc["extensions"].([]any)[0].(map[string]any)
		e["jwt_secret_set"] = true
		_, err := devhub.PlanManifest(decodeManifest(t, doc), a, exts, jsonschema.Checker{}, now)
		assertFields(t, err, devhub.EINVALID, "extensions[0].jwt_secret_set")
	})
}

func TestPlanManifestHeld(t *testing.T) {
	a, exts := created(t)
	a.Status = devhub.StatusPublished
	doc := fullManifest()
	doc["callback_url"], doc["name"] = "https://example.com/new-cb", "Cake shop 2"
	list := doc["extensions"].([]any)
	// A swap: the two custom panels trade places, which only the whole
	// plan (not each write on its own) keeps within the limits.
	list[22].(map[string]any)["locations"] = []string{"organization_details"}
	list[23].(map[string]any)["locations"] = []string{"person_details"}
	plan, err := devhub.PlanManifest(decodeManifest(t, doc), a, exts, jsonschema.Checker{}, now)
	if err != nil {
		t.Fatal(err)
	}
	got := ops(plan)
	for path, want := range map[string]devhub.PlanOp{
		"name": devhub.PlanUpdate, "callback_url": devhub.PlanHeld,
		"extensions.person-panel.locations": devhub.PlanHeld, "extensions.org-panel.locations": devhub.PlanHeld,
	} {
		if got[path] != want {
			t.Errorf("%s: got %q, want %q", path, got[path], want)
		}
	}
	next := plan.App
	if next.Name != "Cake shop 2" || next.CallbackURL != a.CallbackURL || *next.PendingChanges.CallbackURL != "https://example.com/new-cb" ||
		len(next.PendingChanges.Extensions) != 2 || len(plan.Updates) != 0 || next.Version != a.Version+1 {
		t.Fatalf("next app %+v pending %+v", next, next.PendingChanges)
	}
	// The export of the app with its pending changes is what was applied.
	again, err := devhub.PlanManifest(decodeManifest(t, devhub.ExportManifest(next, exts)), next, exts, jsonschema.Checker{}, now)
	if err != nil || again.Changed() {
		t.Fatalf("re-plan: %v %+v", err, again)
	}
	// Going back to the live state folds the pending changes away.
	back, err := devhub.PlanManifest(decodeManifest(t, devhub.ExportManifest(a, exts)), next, exts, jsonschema.Checker{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p := back.App.PendingChanges; p == nil || p.CallbackURL != nil || len(p.Extensions) != 2 {
		t.Fatalf("pending after going back: %+v", p)
	}
}

func assertFields(t *testing.T, err error, code string, fields ...string) {
	t.Helper()
	if devhub.ErrorCode(err) != code {
		t.Fatalf("got %v, want code %s", err, code)
	}
	var got []string
	for _, f := range devhub.ErrorFields(err) {
		got = append(got, f.Field)
	}
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Errorf("fields %v lack %s", got, f)
		}
	}
}

func TestDecodeManifest(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		field     string
		line      int
	}{
		{"unknown member", "{\n\"manifest_version\": 1,\n\"nmae\": \"x\"}", "nmae", 3},
		{"unknown nested", `{"extensions": [{"key": "a"}, {"key": "b",` + "\n" + `"locatoins": []}]}`, "extensions[1].locatoins", 2},
		{"wrong type", `{"extensions": [{"key": "a", "locations": ["deal_details", 7]}]}`, "extensions[0].locations[1]", 1},
		{"not an object", `[1]`, "", 1},
		{"repeated member", "{\"name\": \"a\",\n \"name\": \"b\"}", "name", 2},
	} {
		t.Run("Err "+c.name, func(t *testing.T) {
			n, err := devhub.ParseManifestJSON([]byte(c.doc))
			if err == nil {
				_, err = devhub.DecodeManifest(n)
			}
			if devhub.ErrorCode(err) != devhub.EMALFORMED {
				t.Fatalf("got %v, want malformed", err)
			}
			f := devhub.ErrorFields(err)
			if len(f) == 0 || f[0].Field != c.field || f[0].Line != c.line {
				t.Fatalf("got %+v, want field %q line %d", f, c.field, c.line)
			}
		})
	}
	t.Run("ErrLineOfARule", func(t *testing.T) {
		doc := "{\"manifest_version\": 1, \"type\": \"private\", \"name\": \"A\", \"callback_url\": \"https://e.com/c\",\n" +
			"\"extensions\": [\n{\"key\": \"a\", \"type\": \"link_action\", \"name\": \"Go\", \"url\": \"https://e.com\",\n" +
			"\"locations\": [\n\"deal_details\",\n\"nowhere\"]}]}"
		n, err := devhub.ParseManifestJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		m, err := devhub.DecodeManifest(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = devhub.NewManifestApp(m, developer, jsonschema.Checker{}, now)
		f := devhub.ErrorFields(err)
		if len(f) != 1 || f[0].Field != "extensions[0].locations[1]" || f[0].Line != 6 {
			t.Fatalf("got %+v", f)
		}
		if !strings.Contains(err.Error(), "line 6: extensions[0].locations[1]: unknown value") {
			t.Errorf("error text %q", err)
		}
	})
}

func BenchmarkPlanManifest(b *testing.B) {
	a, exts := created(b)
	doc := fullManifest()
	body, _ := json.Marshal(doc)
	unchanged, _ := json.Marshal(devhub.ExportManifest(a, exts))
	for _, c := range []struct {
		name string
		body []byte
		plan func(m *devhub.Manifest) error
	}{
		{"create", body, func(m *devhub.Manifest) error {
			_, _, _, err := devhub.NewManifestApp(m, developer, jsonschema.Checker{}, now)
			return err
		}},
		{"unchanged", unchanged, func(m *devhub.Manifest) error {
			_, err := devhub.PlanManifest(m, a, exts, jsonschema.Checker{}, now)
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			// CPU time of this thread alone: the figure the target is
			// about, whatever else the machine runs.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var cpu time.Duration
			for b.Loop() {
				start := benchclock.ThreadCPU()
				n, err := devhub.ParseManifestJSON(c.body)
				if err != nil {
					b.Fatal(err)
				}
				m, err := devhub.DecodeManifest(n)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.plan(m); err != nil {
					b.Fatal(err)
				}
				cpu += benchclock.ThreadCPU() - start
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// FuzzManifest feeds any document through the decoder and the planner, for
// a new app and against an app at every limit: nothing panics, every
// refusal is a client error, and what is accepted is within the limits and
// plans as no change once applied.
func FuzzManifest(f *testing.F) {
	full, _ := json.Marshal(fullManifest())
	f.Add(full)
	f.Add([]byte(`{"manifest_version":1,"type":"public","name":"A","callback_url":"https://e.com","extensions":[{"key":"a","type":"floating_window","name":"x","description":"y","iframe_url":"https://e.com"}]}`))
	f.Add([]byte(`{"extensions":[{"key":"ext-0123456789abcdefghijklmnop","type":"settings_page"}]}`))
	f.Add([]byte(`[[[[{}]]]]`))
	a, exts := created(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := devhub.ParseManifestJSON(body)
		if err != nil {
			wantCode(t, err, devhub.EMALFORMED)
			return
		}
		m, err := devhub.DecodeManifest(n)
		if err != nil {
			wantCode(t, err, devhub.EMALFORMED)
			return
		}
		if _, _, _, err := devhub.NewManifestApp(m, developer, jsonschema.Checker{}, now); err != nil {
			wantCode(t, err, devhub.EINVALID, devhub.ECONFLICT)
		}
		plan, err := devhub.PlanManifest(m, a, exts, jsonschema.Checker{}, now)
		if err != nil {
			wantCode(t, err, devhub.EINVALID, devhub.ECONFLICT)
			return
		}
		if !plan.Changed() {
			return
		}
		// Applied, the manifest matches: planning it again changes nothing.
		after := plan.App
		next := slices.DeleteFunc(slices.Clone(exts), func(e *devhub.Extension) bool {
			return slices.ContainsFunc(plan.Deletes, func(d *devhub.Extension) bool { return d.ID == e.ID }) ||
				slices.ContainsFunc(plan.Updates, func(u devhub.ExtensionUpdate) bool { return u.Prev.ID == e.ID })
		})
		for _, u := range plan.Updates {
			next = append(next, u.Next)
		}
		next = append(next, plan.Creates...)
		again, err := devhub.PlanManifest(m, after, next, jsonschema.Checker{}, now)
		if err != nil || again.Changed() {
			t.Fatalf("re-plan after apply: %v %+v", err, again)
		}
	})
}

func wantCode(t *testing.T, err error, codes ...string) {
	t.Helper()
	if !slices.Contains(codes, devhub.ErrorCode(err)) {
		t.Fatalf("got %v, want one of %v", err, codes)
	}
}
