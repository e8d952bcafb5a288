package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// manifestYAML is a private app with a link action, a JSON panel (secrets
// included) and a floating window, as a developer writes it.
const manifestYAML = `manifest_version: 1
type: private
name: Cake shop
callback_url: https://example.com/callback
scopes: [deals:read]
extensions:
  - key: send-quote
    type: link_action
    name: Send quote
    url: https://example.com/quote
    locations: [deal_details]
  - key: deliveries
    type: json_panel
    name: Deliveries
    api_endpoint: https://example.com/panel
    locations: [person_details]
    http_auth: {username: platform, password: ` + panelPassword + `}
    jwt_secret: ` + extJWTSecret + `
    data_structure:
      type: object
      required: [id]
      properties:
        id: {$ref: "#/definitions/numerical"}
  - key: phone
    type: floating_window
    name: Soft Phone Dialer
    description: Call your contacts
    iframe_url: https://example.com/phone
`

type applyResult struct {
	AppID   string `json:"app_id"`
	Version int    `json:"version"`
	DryRun  bool   `json:"dry_run"`
	Changed bool   `json:"changed"`
	Plan    []struct {
		Op   string          `json:"op"`
		Path string          `json:"path"`
		From json.RawMessage `json:"from"`
		To   json.RawMessage `json:"to"`
	} `json:"plan"`
	Warnings []devhub.FieldError `json:"warnings"`
}

func (a applyResult) op(path string) string {
	for _, e := range a.Plan {
		if e.Path == path {
			return e.Op
		}
	}
	return ""
}

func (e *env) createManifestApp(t *testing.T, doc string, hdr ...string) (devhub.App, []extension) {
	t.Helper()
	var out struct {
		App        devhub.App  `json:"app"`
		Extensions []extension `json:"extensions"`
	}
	res := noSecrets(t, e.do(t, "POST", "/v1/manifests", &alice, doc, append([]string{"Content-Type", "application/yaml"}, hdr...)...))
	res.want(t, http.StatusCreated).decode(t, &out)
	if loc := res.Header.Get("Location"); loc != "/v1/apps/"+out.App.ID || out.App.ClientSecret == "" {
		t.Fatalf("Location %q, app %+v", loc, out.App)
	}
	return out.App, out.Extensions
}

func TestManifestRoutes(t *testing.T) {
	e := newEnv(t)
	app, exts := e.createManifestApp(t, manifestYAML)
	if len(exts) != 3 || exts[2].EntryPoints[0] != "top_bar" {
		t.Fatalf("extensions: %+v", exts)
	}
	manifestPath := "/v1/apps/" + app.ID + "/manifest"

	var export map[string]any
	t.Run("OK export, JSON and YAML", func(t *testing.T) {
		e.meter.Reset()
		res := noSecrets(t, e.do(t, "GET", manifestPath, &alice, nil)).want(t, http.StatusOK)
		if calls := e.meter.Calls(); e.meter.Total() != 1 || calls["Query"] != 1 {
			t.Errorf("export: %v, want 1 Query", calls)
		}
		res.decode(t, &export)
		if res.Header.Get("ETag") != `"1"` || !strings.Contains(string(res.Body), `"jwt_secret_set":true`) ||
			strings.Contains(string(res.Body), app.ID) || strings.Contains(string(res.Body), exts[0].ID) {
			t.Errorf("export: %s", res.Body)
		}
		y := noSecrets(t, e.do(t, "GET", manifestPath, &alice, nil, "Accept", "application/yaml")).want(t, http.StatusOK)
		if y.Header.Get("Content-Type") != "application/yaml" || !strings.Contains(string(y.Body), "key: send-quote") {
			t.Errorf("YAML export: %s %s", y.Header.Get("Content-Type"), y.Body)
		}
	})

	t.Run("OK applying the export writes nothing", func(t *testing.T) {
		e.meter.Reset()
		var r applyResult
		e.do(t, "PUT", manifestPath, &alice, export, "If-Match", `"1"`).want(t, http.StatusOK).decode(t, &r)
		if r.Changed || r.Version != 1 || r.op("extensions.deliveries") != "unchanged" {
			t.Errorf("no-op apply: %+v", r)
		}
		if calls := e.meter.Calls(); e.meter.Total() != 1 || calls["Query"] != 1 {
			t.Errorf("no-op apply: %v, want 1 Query and no write", calls)
		}
		if len(r.Warnings) != 1 || r.Warnings[0].Field != "extensions[2].name" {
			t.Errorf("warnings: %+v", r.Warnings)
		}
	})

	changed := strings.Replace(manifestYAML, "locations: [deal_details]", "locations: [deal_details, deals_list]", 1)
	changed = strings.Replace(changed, "  - key: phone\n    type: floating_window\n    name: Soft Phone Dialer\n    description: Call your contacts\n    iframe_url: https://example.com/phone\n",
		"  - key: settings\n    type: settings_page\n    settings_kind: external_link\n    url: https://example.com/settings\n", 1)
	t.Run("OK dry run", func(t *testing.T) {
		e.meter.Reset()
		var r applyResult
		noSecrets(t, e.do(t, "PUT", manifestPath+"?dry_run=true", &alice, changed, "Content-Type", "application/yaml")).
			want(t, http.StatusOK).decode(t, &r)
		if !r.DryRun || !r.Changed || r.Version != 2 || r.op("extensions.send-quote.locations") != "update" ||
			r.op("extensions.phone") != "delete" || r.op("extensions.settings") != "create" || r.op("name") != "unchanged" {
			t.Errorf("plan: %+v", r)
		}
		if calls := e.meter.Calls(); e.meter.Total() != 1 || calls["Query"] != 1 {
			t.Errorf("dry run: %v, want 1 Query", calls)
		}
		var a devhub.App
		e.do(t, "GET", "/v1/apps/"+app.ID, &alice, nil).want(t, http.StatusOK).decode(t, &a)
		if a.Version != 1 {
			t.Errorf("a dry run wrote: version %d", a.Version)
		}
	})

	t.Run("ErrPrecondition", func(t *testing.T) {
		e.do(t, "PUT", manifestPath, &alice, changed, "Content-Type", "application/yaml", "If-Match", `"7"`).
			want(t, http.StatusPreconditionFailed)
	})

	t.Run("OK apply", func(t *testing.T) {
		e.meter.Reset()
		var r applyResult
		res := e.do(t, "PUT", manifestPath, &alice, changed, "Content-Type", "application/yaml", "If-Match", `"1"`).want(t, http.StatusOK)
		res.decode(t, &r)
		if !r.Changed || r.Version != 2 || res.Header.Get("ETag") != `"2"` {
			t.Errorf("apply: %+v", r)
		}
		if calls := e.meter.Calls(); e.meter.Total() != 2 || calls["Query"] != 1 || calls["TransactWriteItems"] != 1 {
			t.Errorf("apply: %v, want 1 Query and 1 TransactWriteItems", calls)
		}
		l := e.listExtensions(t, alice, app.ID)
		if len(l) != 3 || l[2].Type != "settings_page" || len(l[0].Locations) != 2 || !l[1].JWTSecretSet || !l[1].HTTPAuth.PasswordSet {
			t.Errorf("after apply: %+v", l)
		}
	})

	t.Run("OK racing applies with one If-Match: one wins", func(t *testing.T) {
		docs := []string{strings.Replace(changed, "name: Cake shop", "name: Cake shop A", 1), strings.Replace(changed, "name: Cake shop", "name: Cake shop B", 1)}
		var wg sync.WaitGroup
		status := make([]int, 2)
		for i, d := range docs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status[i] = e.do(t, "PUT", manifestPath, &alice, d, "Content-Type", "application/yaml", "If-Match", `"2"`).Status
			}()
		}
		wg.Wait()
		if !(status[0] == 200 && status[1] == 412 || status[0] == 412 && status[1] == 200) {
			t.Errorf("statuses %v, want one 200 and one 412", status)
		}
	})

	t.Run("ErrRules", func(t *testing.T) {
		bad := strings.Replace(changed, "type: private", "type: public", 1)
		bad = strings.Replace(bad, "locations: [person_details]", "locations: [person_details, nowhere]", 1)
		p := e.do(t, "PUT", manifestPath, &alice, bad, "Content-Type", "application/yaml").want(t, http.StatusUnprocessableEntity).problem(t)
		lines := map[string]int{}
		for _, f := range p.Errors {
			lines[f.Field] = f.Line
		}
		if lines["type"] != 2 || lines["extensions[1].locations[1]"] != 16 {
			t.Errorf("errors: %+v", p.Errors)
		}
		// The same 422 from validate, and nothing was written.
		v := e.do(t, "POST", "/v1/manifests/validate?app_id="+app.ID, &alice, bad, "Content-Type", "application/yaml").
			want(t, http.StatusUnprocessableEntity).problem(t)
		if len(v.Errors) != len(p.Errors) {
			t.Errorf("validate: %+v, PUT: %+v", v.Errors, p.Errors)
		}
	})

	t.Run("ErrMalformed", func(t *testing.T) {
		f := e.do(t, "PUT", manifestPath, &alice, `{"manifest_version": 1, "extensions": [{"key": "a", "colour": "red"}]}`).
			want(t, http.StatusBadRequest).fields(t)
		if len(f) != 1 || f[0] != "extensions[0].colour" {
			t.Errorf("fields %v", f)
		}
		e.do(t, "PUT", manifestPath, &alice, "a: *x\n", "Content-Type", "application/yaml").want(t, http.StatusBadRequest)
		e.do(t, "PUT", manifestPath, &alice, "<xml/>", "Content-Type", "text/xml").want(t, http.StatusUnsupportedMediaType)
		e.do(t, "PUT", manifestPath+"?dry_run=maybe", &alice, export).want(t, http.StatusBadRequest)
	})

	t.Run("ErrOtherCompany", func(t *testing.T) {
		e.do(t, "GET", manifestPath, &bob, nil).want(t, http.StatusNotFound)
		e.do(t, "PUT", manifestPath, &bob, export).want(t, http.StatusNotFound)
		e.do(t, "POST", "/v1/manifests/validate?app_id="+app.ID, &bob, export).want(t, http.StatusNotFound)
		e.do(t, "POST", "/v1/manifests", &customer, export).want(t, http.StatusForbidden)
	})
}

func TestManifestCreate(t *testing.T) {
	e := newEnv(t)
	t.Run("OK validate answers warnings and writes nothing", func(t *testing.T) {
		e.meter.Reset()
		var v struct {
			Valid    bool                `json:"valid"`
			Warnings []devhub.FieldError `json:"warnings"`
		}
		e.do(t, "POST", "/v1/manifests/validate", &alice, manifestYAML, "Content-Type", "application/yaml").want(t, http.StatusOK).decode(t, &v)
		if !v.Valid || len(v.Warnings) != 1 || v.Warnings[0].Line != 26 || e.meter.Total() != 0 {
			t.Errorf("validate: %+v after %v", v, e.meter.Calls())
		}
	})
	t.Run("OK Idempotency-Key", func(t *testing.T) {
		a, _ := e.createManifestApp(t, manifestYAML, "Idempotency-Key", "m-1")
		again := e.do(t, "POST", "/v1/manifests", &alice, manifestYAML, "Content-Type", "application/yaml", "Idempotency-Key", "m-1")
		var out struct {
			App devhub.App `json:"app"`
		}
		again.want(t, http.StatusCreated).decode(t, &out)
		if out.App.ID != a.ID || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %s", again.Body)
		}
		e.do(t, "POST", "/v1/manifests", &alice, strings.Replace(manifestYAML, "Cake shop", "Pie shop", 1),
			"Content-Type", "application/yaml", "Idempotency-Key", "m-1").want(t, http.StatusUnprocessableEntity)
	})
	t.Run("ErrLimitWritesNothing", func(t *testing.T) {
		doc := manifestYAML + `  - key: phone-2
    type: floating_window
    name: Second phone
    description: Call again
    iframe_url: https://example.com/phone2
`
		e.meter.Reset()
		e.do(t, "POST", "/v1/manifests", &alice, doc, "Content-Type", "application/yaml").want(t, http.StatusConflict)
		if e.meter.Total() != 0 {
			t.Errorf("a refused create called the store: %v", e.meter.Calls())
		}
	})
}

func TestManifestHeld(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	app, live := approvedApp(t, e, base, devhub.ExtCustomPanel)
	manifestPath := "/v1/apps/" + app.ID + "/manifest"
	var export map[string]any
	e.do(t, "GET", manifestPath, &alice, nil).want(t, http.StatusOK).decode(t, &export)
	export["name"] = "Held, renamed"
	export["callback_url"] = base + "/ok/v2"
	export["extensions"] = append(export["extensions"].([]any), validExtensionWithKey(devhub.ExtFloatingWindow, "phone"))
	var r applyResult
	noSecrets(t, e.do(t, "PUT", manifestPath, &alice, export)).want(t, http.StatusOK).decode(t, &r)
	if r.op("name") != "update" || r.op("callback_url") != "held" || r.op("extensions.phone") != "held" {
		t.Fatalf("plan: %+v", r)
	}
	p := e.pending(t, app.ID)
	if p.PendingChanges == nil || len(p.PendingChanges.Extensions) != 1 || len(e.listExtensions(t, alice, app.ID)) != len(live) {
		t.Fatalf("pending: %+v", p)
	}
	// The export shows what was declared: applying it again is no change.
	var again applyResult
	e.do(t, "GET", manifestPath, &alice, nil).want(t, http.StatusOK).decode(t, &export)
	e.do(t, "PUT", manifestPath, &alice, export).want(t, http.StatusOK).decode(t, &again)
	if again.Changed {
		t.Errorf("re-apply: %+v", again)
	}
}

func validExtensionWithKey(typ devhub.ExtensionType, key string) map[string]any {
	x := validExtension(typ)
	x["key"] = key
	return x
}

// FuzzManifestPut sends any document to PUT /v1/apps/{app_id}/manifest, as
// JSON and as YAML, against DynamoDB Local: no answer is a 5xx (e.do fails
// the test on one), and an apply that is refused leaves the app exactly as
// it was — no partial write.
func FuzzManifestPut(f *testing.F) {
	f.Add([]byte(manifestYAML), true)
	f.Add([]byte(strings.Replace(manifestYAML, "deal_details]", "deal_details, deals_list]", 1)), true)
	f.Add([]byte(strings.Replace(manifestYAML, "type: floating_window", "type: custom_panel", 1)), true)
	f.Add([]byte(`{"manifest_version":1,"type":"private","name":"X","callback_url":"https://e.com","extensions":[{"key":"send-quote","type":"link_action"}]}`), false)
	f.Add([]byte(`{"manifest_version":1,"extensions":[{"key":"a"},{"key":"a"}]}`), false)
	e := newEnv(f)
	var created struct {
		App devhub.App `json:"app"`
	}
	e.do(f, "POST", "/v1/manifests", &alice, manifestYAML, "Content-Type", "application/yaml").want(f, http.StatusCreated).decode(f, &created)
	path := "/v1/apps/" + created.App.ID + "/manifest"
	state := func(t testing.TB) string {
		r := e.do(t, "GET", path, &alice, nil).want(t, http.StatusOK)
		return r.Header.Get("ETag") + string(r.Body)
	}
	original := e.do(f, "GET", path, &alice, nil).want(f, http.StatusOK).Body
	f.Fuzz(func(t *testing.T, body []byte, yaml bool) {
		before := state(t)
		ct := "application/json"
		if yaml {
			ct = "application/yaml"
		}
		res := e.do(t, "PUT", path, &alice, string(body), "Content-Type", ct)
		if res.Status != http.StatusOK {
			if after := state(t); after != before {
				t.Fatalf("a refused apply (%d %s) changed the app:\n%s\n%s", res.Status, res.Body, before, after)
			}
			return
		}
		// Back to the original, so that every input meets the same app.
		e.do(t, "PUT", path, &alice, string(original)).want(t, http.StatusOK)
	})
}
