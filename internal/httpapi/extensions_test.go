package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

// newExtEnv is newEnv with the extensions routes wired to the same store.
// The fields are set before the first request, and a request's write to
// the socket orders them before the server reads them.
// Secrets the tests send; no response may ever carry them.
const (
	extJWTSecret    = "extension-jwt-secret-0123456789"
	extJWTSecret2   = "another-extension-secret-98765"
	panelPassword   = "panel-basic-password-4242"
	panelPassword2  = "second-panel-password-777"
	modalSchemaJSON = `{"type": "object", "properties": {"actions": {"type": "object", "properties": {
		"submit": {"$ref": "#/definitions/action-primary", "options": {"label": "Submit", "handler": "request"}}}}}}`
	panelSchemaJSON = `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"},
		"status": {"$ref": "#/definitions/label"}}}`
)

var allSecrets = []string{extJWTSecret, extJWTSecret2, panelPassword, panelPassword2}

func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }

// validExtension returns a fresh, valid create body of type typ.
func validExtension(typ devhub.ExtensionType) map[string]any {
	switch typ {
	case devhub.ExtLinkAction:
		return map[string]any{"type": typ, "name": "Send quote", "url": "https://example.com/quote",
			"locations": []string{"deal_details"}, "jwt_secret": extJWTSecret}
	case devhub.ExtJSONModal:
		return map[string]any{"type": typ, "name": "New cake order", "api_endpoint": "https://example.com/modal",
			"json_schema": rawJSON(modalSchemaJSON), "locations": []string{"deals_list"}}
	case devhub.ExtJSONPanel:
		return map[string]any{"type": typ, "name": "Deliveries", "description": "Deliveries of the deal",
			"api_endpoint": "https://example.com/panel", "data_structure": rawJSON(panelSchemaJSON),
			"locations": []string{"deal_details"}, "http_auth": map[string]string{"username": "platform", "password": panelPassword}}
	case devhub.ExtCustomModal:
		return map[string]any{"type": typ, "name": "Schedule a call", "iframe_url": "https://example.com/modal"}
	case devhub.ExtCustomPanel:
		return map[string]any{"type": typ, "name": "Project board", "iframe_url": "https://example.com/panel",
			"locations": []string{"person_details"}}
	case devhub.ExtFloatingWindow:
		return map[string]any{"type": typ, "name": "Softphone", "description": "Call your contacts from the CRM",
			"iframe_url": "https://example.com/phone"}
	case devhub.ExtSettingsPage:
		return map[string]any{"type": typ, "settings_kind": "external_link", "url": "https://example.com/settings"}
	}
	panic("unknown type " + typ)
}

// extension is a response body, decoded without the domain's types so that
// the wire format itself is under test.
type extension struct {
	ID           string          `json:"id"`
	AppID        string          `json:"app_id"`
	Type         string          `json:"type"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	URL          string          `json:"url"`
	APIEndpoint  string          `json:"api_endpoint"`
	IframeURL    string          `json:"iframe_url"`
	Locations    []string        `json:"locations"`
	EntryPoints  []string        `json:"entry_points"`
	JSONSchema   json.RawMessage `json:"json_schema"`
	DataStruct   json.RawMessage `json:"data_structure"`
	SettingsKind string          `json:"settings_kind"`
	HTTPAuth     *struct {
		Username    string `json:"username"`
		PasswordSet bool   `json:"password_set"`
	} `json:"http_auth"`
	JWTSecretSet bool     `json:"jwt_secret_set"`
	Warnings     []string `json:"warnings"`
	Version      int      `json:"version"`
}

type extensionList struct {
	Data       []extension `json:"data"`
	NextCursor *string     `json:"next_cursor"`
}

func extPath(appID string, extID ...string) string {
	return "/v1/apps/" + appID + "/extensions" + strings.Join(append([]string{""}, extID...), "/")
}

// noSecrets fails the test if a response carries any secret the tests sent.
func noSecrets(t testing.TB, r *response) *response {
	t.Helper()
	for _, s := range allSecrets {
		if strings.Contains(string(r.Body), s) {
			t.Errorf("response %d leaks a secret: %s", r.Status, r.Body)
		}
	}
	return r
}

func (e *env) createExtension(t testing.TB, id devhub.Identity, appID string, body map[string]any) extension {
	t.Helper()
	var x extension
	noSecrets(t, e.do(t, "POST", extPath(appID), &id, body)).want(t, http.StatusCreated).decode(t, &x)
	return x
}

func (e *env) listExtensions(t testing.TB, id devhub.Identity, appID string) []extension {
	t.Helper()
	var l extensionList
	noSecrets(t, e.do(t, "GET", extPath(appID), &id, nil)).want(t, http.StatusOK).decode(t, &l)
	if l.NextCursor != nil {
		t.Errorf("next_cursor: got %q, want null", *l.NextCursor)
	}
	return l.Data
}

func TestExtensionsCRUD(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	patches := map[devhub.ExtensionType]struct {
		patch string
		check func(x extension) bool
	}{
		devhub.ExtLinkAction: {`{"name":"Send a quote","locations":["deals_list","people_list"]}`, func(x extension) bool {
			return x.Name == "Send a quote" && slices.Equal(x.Locations, []string{"deals_list", "people_list"}) && x.JWTSecretSet
		}},
		devhub.ExtJSONModal: {`{"jwt_secret":"` + extJWTSecret2 + `","json_schema":{"type":"object","properties":{"actions":{"type":"object","properties":{"cancel":{"$ref":"#/definitions/action-secondary","options":{"label":"Cancel","handler":"cancel"}}}}}}}`,
			func(x extension) bool {
				return x.JWTSecretSet && strings.Contains(string(x.JSONSchema), "action-secondary")
			}},
		devhub.ExtJSONPanel: {`{"http_auth":{"username":"platform-2"}}`, func(x extension) bool {
			return x.HTTPAuth != nil && x.HTTPAuth.Username == "platform-2" && x.HTTPAuth.PasswordSet // password kept
		}},
		devhub.ExtCustomModal: {`{"entry_points":["deal_details","activities_list"]}`, func(x extension) bool {
			return slices.Equal(x.EntryPoints, []string{"deal_details", "activities_list"})
		}},
		devhub.ExtCustomPanel: {`{"locations":["organization_details"],"description":"Board of the organization"}`, func(x extension) bool {
			return slices.Equal(x.Locations, []string{"organization_details"}) && x.Description == "Board of the organization"
		}},
		devhub.ExtFloatingWindow: {`{"entry_points":["top_bar","phone_number"]}`, func(x extension) bool {
			return slices.Equal(x.EntryPoints, []string{"top_bar", "phone_number"})
		}},
		devhub.ExtSettingsPage: {`{"settings_kind":"custom_ui","url":null,"iframe_url":"https://example.com/settings-ui"}`, func(x extension) bool {
			return x.SettingsKind == "custom_ui" && x.URL == "" && x.IframeURL == "https://example.com/settings-ui"
		}},
	}
	for _, typ := range devhub.ExtensionTypes() {
		t.Run(string(typ), func(t *testing.T) {
			body := validExtension(typ)
			res := noSecrets(t, e.do(t, "POST", extPath(app.ID), &alice, body)).want(t, http.StatusCreated)
			var x extension
			res.decode(t, &x)
			if got, want := res.Header.Get("Location"), extPath(app.ID, x.ID); got != want {
				t.Errorf("Location: got %q, want %q", got, want)
			}
			if res.Header.Get("ETag") != `"1"` || x.Version != 1 || x.AppID != app.ID || x.Type != string(typ) ||
				!strings.HasPrefix(x.ID, "ext_") || x.Warnings == nil || len(x.Warnings) != 0 {
				t.Errorf("created: %s", res.Body)
			}
			if _, has := body["jwt_secret"]; x.JWTSecretSet != has {
				t.Errorf("jwt_secret_set: got %v, want %v", x.JWTSecretSet, has)
			}
			if typ == devhub.ExtFloatingWindow && !slices.Equal(x.EntryPoints, []string{"top_bar"}) {
				t.Errorf("floating window entry points: got %v, want the top_bar default", x.EntryPoints)
			}
			if typ == devhub.ExtJSONPanel && (x.HTTPAuth == nil || !x.HTTPAuth.PasswordSet || x.HTTPAuth.Username != "platform") {
				t.Errorf("http_auth: %s", res.Body)
			}

			var got extension
			get := noSecrets(t, e.do(t, "GET", extPath(app.ID, x.ID), &alice, nil)).want(t, http.StatusOK)
			get.decode(t, &got)
			if string(get.Body) != string(res.Body) || get.Header.Get("ETag") != `"1"` {
				t.Errorf("get: got %s, want %s", get.Body, res.Body)
			}

			if !slices.ContainsFunc(e.listExtensions(t, alice, app.ID), func(l extension) bool { return l.ID == x.ID }) {
				t.Error("not listed")
			}
			var only extensionList
			noSecrets(t, e.do(t, "GET", extPath(app.ID)+"?type="+string(typ), &alice, nil)).want(t, http.StatusOK).decode(t, &only)
			if len(only.Data) != 1 || only.Data[0].ID != x.ID {
				t.Errorf("?type=%s: got %+v", typ, only.Data)
			}

			p := patches[typ]
			got = extension{}
			patched := noSecrets(t, e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, p.patch,
				"Content-Type", "application/merge-patch+json", "If-Match", `"1"`)).want(t, http.StatusOK)
			patched.decode(t, &got)
			if !p.check(got) || got.Version != 2 || patched.Header.Get("ETag") != `"2"` {
				t.Errorf("patched: %s", patched.Body)
			}
			// application/json is accepted for a merge patch too.
			noSecrets(t, e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{}`)).want(t, http.StatusOK).decode(t, &got)
			if got.Version != 3 {
				t.Errorf("version: got %d, want 3", got.Version)
			}

			e.do(t, "DELETE", extPath(app.ID, x.ID), &alice, nil, "If-Match", `"3"`).want(t, http.StatusNoContent)
			e.do(t, "GET", extPath(app.ID, x.ID), &alice, nil).want(t, http.StatusNotFound)
			e.do(t, "DELETE", extPath(app.ID, x.ID), &alice, nil).want(t, http.StatusNotFound)
		})
	}
	if l := e.listExtensions(t, alice, app.ID); len(l) != 0 {
		t.Errorf("after deleting all: %d listed", len(l))
	}
}

// TestExtensionSecrets: jwt_secret and http_auth.password are kept (the
// store has them) but never shown, in any response, replays included.
func TestExtensionSecrets(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	panel := validExtension(devhub.ExtJSONPanel)
	panel["jwt_secret"] = extJWTSecret
	res := noSecrets(t, e.do(t, "POST", extPath(app.ID), &alice, panel, "Idempotency-Key", "secret-1")).want(t, http.StatusCreated)
	noSecrets(t, e.do(t, "POST", extPath(app.ID), &alice, panel, "Idempotency-Key", "secret-1")).want(t, http.StatusCreated)
	var x extension
	res.decode(t, &x)
	if !x.JWTSecretSet || !x.HTTPAuth.PasswordSet {
		t.Errorf("got %s", res.Body)
	}
	for _, key := range []string{`"jwt_secret"`, `"password"`} {
		if strings.Contains(string(res.Body), key) {
			t.Errorf("response has %s: %s", key, res.Body)
		}
	}
	stored := func() (*devhub.App, *devhub.Extension) {
		a, ext, err := e.store.GetExtension(context.Background(), alice.CompanyID, app.ID, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a, ext
	}
	a, ext := stored()
	if ext.JWTSecret != extJWTSecret || ext.HTTPAuth.Password != panelPassword || devhub.SigningSecret(ext, a) != extJWTSecret {
		t.Errorf("stored secrets: got %q %q", ext.JWTSecret, ext.HTTPAuth.Password)
	}

	// A new password replaces the old one; null jwt_secret falls back to the
	// app's client secret, which a panel with HTTP auth may do.
	noSecrets(t, e.do(t, "PATCH", extPath(app.ID, x.ID), &alice,
		`{"jwt_secret":null,"http_auth":{"password":"`+panelPassword2+`"}}`)).want(t, http.StatusOK).decode(t, &x)
	if x.JWTSecretSet || !x.HTTPAuth.PasswordSet {
		t.Errorf("after patch: %+v", x)
	}
	a, ext = stored()
	if ext.JWTSecret != "" || ext.HTTPAuth.Password != panelPassword2 || devhub.SigningSecret(ext, a) != app.ClientSecret {
		t.Errorf("after patch, stored: %q %q; signing secret is not the client secret", ext.JWTSecret, ext.HTTPAuth.Password)
	}
	noSecrets(t, e.do(t, "GET", extPath(app.ID, x.ID), &alice, nil)).want(t, http.StatusOK)
	e.listExtensions(t, alice, app.ID)

	t.Run("ErrPanelWithoutAuth", func(t *testing.T) {
		res := noSecrets(t, e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"http_auth":null}`)).want(t, http.StatusUnprocessableEntity)
		if f := res.fields(t); !slices.Equal(f, []string{"http_auth"}) {
			t.Errorf("fields: got %v", f)
		}
	})
	t.Run("ErrPasswordSetReadOnly", func(t *testing.T) {
		res := e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"http_auth":{"password_set":false},"jwt_secret_set":true}`).want(t, http.StatusUnprocessableEntity)
		f := res.fields(t)
		slices.Sort(f)
		if !slices.Equal(f, []string{"http_auth.password_set", "jwt_secret_set"}) {
			t.Errorf("fields: got %v", f)
		}
	})
}

func TestExtensionValidation(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	link := e.createExtension(t, alice, app.ID, validExtension(devhub.ExtLinkAction))
	panel := e.createExtension(t, alice, app.ID, validExtension(devhub.ExtJSONPanel))
	with := func(typ devhub.ExtensionType, kv ...any) map[string]any {
		b := validExtension(typ)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(b, kv[i].(string))
			} else {
				b[kv[i].(string)] = kv[i+1]
			}
		}
		return b
	}
	long := strings.Repeat("n", 31)
	for _, c := range []struct {
		name   string
		method string
		path   string
		body   any
		status int
		fields []string // nil: not checked; a field ending in "." matches by prefix
	}{
		{"ErrNoType", "POST", "", `{}`, 422, []string{"type"}},
		{"ErrUnknownType", "POST", "", `{"type":"widget","name":"W"}`, 422, []string{"type"}},
		{"ErrLinkRequired", "POST", "", `{"type":"link_action"}`, 422, []string{"locations", "name", "url"}},
		{"ErrLinkRules", "POST", "", with(devhub.ExtLinkAction, "name", long, "url", "ftp://example.com/x",
			"locations", []string{"deal_details", "nowhere", "deal_details"}), 422, []string{"locations[1]", "locations[2]", "name", "url"}},
		{"ErrFieldOfOtherType", "POST", "", with(devhub.ExtLinkAction, "iframe_url", "https://example.com/f", "settings_kind", "custom_ui"),
			422, []string{"iframe_url", "settings_kind"}},
		{"ErrJWTSecretShort", "POST", "", with(devhub.ExtLinkAction, "jwt_secret", "short"), 422, []string{"jwt_secret"}},
		{"ErrModalRequired", "POST", "", `{"type":"json_modal","name":"Order"}`, 422, []string{"api_endpoint", "json_schema", "locations"}},
		{"ErrModalSchemaNotObject", "POST", "", with(devhub.ExtJSONModal, "json_schema", []int{1}), 422, []string{"json_schema"}},
		{"ErrModalSchemaShape", "POST", "", with(devhub.ExtJSONModal, "json_schema", rawJSON(
			`{"type":"object","properties":{"blocks":{"type":"object","properties":{"x":{"$ref":"#/definitions/element-nope"}}},`+
				`"actions":{"type":"object","properties":{"ok":{"$ref":"#/definitions/action-primary","options":{"label":"OK","handler":"request"}}}}}}`)),
			422, []string{"json_schema."}},
		{"ErrPanelNoAuth", "POST", "", with(devhub.ExtJSONPanel, "http_auth", nil), 422, []string{"http_auth"}},
		{"ErrPanelAuthIncomplete", "POST", "", with(devhub.ExtJSONPanel, "http_auth", map[string]string{"username": "a:b"}),
			422, []string{"http_auth.password", "http_auth.username"}},
		{"ErrPanelLocation", "POST", "", with(devhub.ExtJSONPanel, "locations", []string{"deals_list"}), 422, []string{"locations[0]"}},
		{"ErrPanelDataStructure", "POST", "", with(devhub.ExtJSONPanel, "data_structure", rawJSON(
			`{"type":"object","properties":{"status":{"$ref":"#/definitions/label"}}}`)), 422, []string{"data_structure."}},
		{"ErrCustomModalHTTP", "POST", "", with(devhub.ExtCustomModal, "iframe_url", "http://example.com/m",
			"entry_points", []string{"top_bar"}), 422, []string{"entry_points[0]", "iframe_url"}},
		{"ErrCustomPanelNoLocation", "POST", "", with(devhub.ExtCustomPanel, "locations", nil), 422, []string{"locations"}},
		{"ErrFloatingRules", "POST", "", with(devhub.ExtFloatingWindow, "description", strings.Repeat("d", 151),
			"entry_points", []string{"deal_details"}), 422, []string{"description", "entry_points[0]"}},
		{"ErrFloatingNoDescription", "POST", "", with(devhub.ExtFloatingWindow, "description", nil), 422, []string{"description"}},
		{"ErrSettingsKindMismatch", "POST", "", with(devhub.ExtSettingsPage, "url", nil, "iframe_url", "https://example.com/ui"),
			422, []string{"iframe_url", "url"}},
		{"ErrSettingsKind", "POST", "", with(devhub.ExtSettingsPage, "settings_kind", "popup"), 422, []string{"settings_kind"}},
		{"ErrUnknownField", "POST", "", `{"type":"link_action","colour":"red"}`, 400, []string{"colour"}},
		{"ErrUnknownNested", "POST", "", `{"type":"json_panel","http_auth":{"user":"x"}}`, 400, []string{"user"}},
		{"ErrWrongJSONType", "POST", "", `{"type":"link_action","locations":"deal_details"}`, 400, []string{"locations"}},
		{"ErrNotJSON", "POST", "", `{"type":`, 400, nil},
		{"ErrTooLarge", "POST", "", `{"type":"link_action","name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, nil},
		{"ErrPatchType", "PATCH", link.ID, `{"type":"json_modal"}`, 422, []string{"type"}},
		{"ErrPatchReadOnly", "PATCH", link.ID, `{"id":"ext_x","version":9,"warnings":[]}`, 422, []string{"id", "version", "warnings"}},
		{"ErrPatchNameNull", "PATCH", link.ID, `{"name":null,"locations":[]}`, 422, []string{"locations", "name"}},
		{"ErrPatchFieldOfOtherType", "PATCH", panel.ID, `{"url":"https://example.com"}`, 422, []string{"url"}},
		{"ErrPatchNotJSON", "PATCH", link.ID, `[1]`, 400, nil},
		{"ErrListType", "GET", "?type=widget", nil, 400, []string{"type"}},
		{"ErrListQuery", "GET", "?type=%zz", nil, 400, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := extPath(app.ID)
			switch {
			case strings.HasPrefix(c.path, "?"):
				path += c.path
			case c.path != "":
				path = extPath(app.ID, c.path)
			}
			res := noSecrets(t, e.do(t, c.method, path, &alice, c.body)).want(t, c.status)
			got := res.fields(t)
			slices.Sort(got)
			if c.fields == nil {
				return
			}
			if len(got) != len(c.fields) {
				t.Fatalf("fields: got %v, want %v", got, c.fields)
			}
			for i, f := range c.fields {
				if prefix, ok := strings.CutSuffix(f, "."); ok && strings.HasPrefix(got[i], prefix+".") || got[i] == f {
					continue
				}
				t.Errorf("fields: got %v, want %v", got, c.fields)
			}
		})
	}
	t.Run("ErrMediaType", func(t *testing.T) {
		e.do(t, "POST", extPath(app.ID), &alice, `{}`, "Content-Type", "text/plain").want(t, http.StatusUnsupportedMediaType)
		e.do(t, "POST", extPath(app.ID), &alice, `{}`, "Content-Type", "application/merge-patch+json").want(t, http.StatusUnsupportedMediaType)
		e.do(t, "PATCH", extPath(app.ID, link.ID), &alice, `{}`, "Content-Type", "application/xml").want(t, http.StatusUnsupportedMediaType)
	})
	t.Run("OKSentenceCaseWarning", func(t *testing.T) {
		x := e.createExtension(t, alice, app.ID, with(devhub.ExtLinkAction, "name", "Send Quote To Customer", "locations", []string{"people_list"}))
		if len(x.Warnings) != 1 || !strings.Contains(x.Warnings[0], "sentence case") {
			t.Errorf("warnings: got %q", x.Warnings)
		}
		var got extension
		e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"name":"Send quote to customer"}`).want(t, http.StatusOK).decode(t, &got)
		if len(got.Warnings) != 0 {
			t.Errorf("warnings after fixing the name: %q", got.Warnings)
		}
	})
	var got extension
	e.do(t, "GET", extPath(app.ID, link.ID), &alice, nil).want(t, http.StatusOK).decode(t, &got)
	if got.Version != 1 {
		t.Errorf("a refused request changed the extension: version %d", got.Version)
	}
}

// race fires n copies of a request at once and counts the statuses.
func (e *env) race(t *testing.T, n int, method, path string, body func(i int) any) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.do(t, method, path, &alice, body(i)).Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	return count
}

func TestExtensionLimits(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	link := func(views ...string) map[string]any {
		return map[string]any{"type": "link_action", "name": "Send quote", "url": "https://example.com/q", "locations": views}
	}

	t.Run("RaceForView", func(t *testing.T) {
		// 10 concurrent creates at a view with 3 free slots.
		got := e.race(t, 10, "POST", extPath(app.ID), func(int) any { return link("deal_details") })
		if got[201] != 3 || got[409] != 7 || len(got) != 2 {
			t.Errorf("got %v, want 3×201 and 7×409", got)
		}
		res := e.do(t, "POST", extPath(app.ID), &alice, map[string]any{"type": "json_modal", "name": "Order",
			"api_endpoint": "https://example.com/m", "json_schema": rawJSON(modalSchemaJSON), "locations": []string{"deal_details"}})
		if p := res.want(t, http.StatusConflict).problem(t); !strings.Contains(p.Detail, "deal_details") {
			t.Errorf("detail does not name the view: %q", p.Detail)
		}
	})
	t.Run("RaceForPanelLocation", func(t *testing.T) {
		got := e.race(t, 10, "POST", extPath(app.ID), func(i int) any {
			if i%2 == 0 {
				return validExtension(devhub.ExtCustomPanel) // person_details
			}
			return map[string]any{"type": "json_panel", "name": "Deliveries", "api_endpoint": "https://example.com/p",
				"data_structure": rawJSON(panelSchemaJSON), "locations": []string{"person_details"}, "jwt_secret": extJWTSecret}
		})
		if got[201] != 1 || got[409] != 9 {
			t.Errorf("got %v, want 1×201 and 9×409", got)
		}
	})
	for _, typ := range []devhub.ExtensionType{devhub.ExtFloatingWindow, devhub.ExtSettingsPage} {
		t.Run("RaceFor_"+string(typ), func(t *testing.T) {
			got := e.race(t, 10, "POST", extPath(app.ID), func(int) any { return validExtension(typ) })
			if got[201] != 1 || got[409] != 9 {
				t.Errorf("got %v, want 1×201 and 9×409", got)
			}
		})
	}
	t.Run("MoveFreesAndTakes", func(t *testing.T) {
		onView := func(view string) []extension {
			var out []extension
			for _, x := range e.listExtensions(t, alice, app.ID) {
				if slices.Contains(x.Locations, view) || slices.Contains(x.EntryPoints, view) {
					out = append(out, x)
				}
			}
			return out
		}
		full := onView("deal_details")
		if len(full) != 3 {
			t.Fatalf("deal_details holds %d, want 3", len(full))
		}
		// deals_list gets one by the move, then takes two more, and no fourth.
		moved := full[0]
		e.do(t, "PATCH", extPath(app.ID, moved.ID), &alice, `{"locations":["deals_list"]}`).want(t, http.StatusOK)
		e.createExtension(t, alice, app.ID, link("deal_details")) // the freed slot
		e.do(t, "POST", extPath(app.ID), &alice, link("deal_details")).want(t, http.StatusConflict)
		e.createExtension(t, alice, app.ID, link("deals_list"))
		e.createExtension(t, alice, app.ID, link("deals_list"))
		e.do(t, "POST", extPath(app.ID), &alice, link("deals_list")).want(t, http.StatusConflict)
		// A move into a full view is refused as a whole, even with If-Match,
		// and the extension keeps its slots.
		var cur extension
		e.do(t, "GET", extPath(app.ID, moved.ID), &alice, nil).want(t, http.StatusOK).decode(t, &cur)
		e.do(t, "PATCH", extPath(app.ID, moved.ID), &alice, `{"locations":["deals_list","deal_details"]}`,
			"If-Match", fmt.Sprintf(`"%d"`, cur.Version)).want(t, http.StatusConflict)
		if n := len(onView("deals_list")); n != 3 {
			t.Errorf("deals_list holds %d, want 3", n)
		}
		// A panel moves between panel locations the same way.
		panels := onView("person_details")
		e.do(t, "PATCH", extPath(app.ID, panels[0].ID), &alice, `{"locations":["organization_details"]}`).want(t, http.StatusOK)
		e.createExtension(t, alice, app.ID, validExtension(devhub.ExtCustomPanel)) // person_details is free again
	})
	t.Run("DeleteFrees", func(t *testing.T) {
		for _, x := range e.listExtensions(t, alice, app.ID) {
			if x.Type == "floating_window" || x.Type == "settings_page" {
				e.do(t, "DELETE", extPath(app.ID, x.ID), &alice, nil).want(t, http.StatusNoContent)
			}
		}
		e.createExtension(t, alice, app.ID, validExtension(devhub.ExtFloatingWindow))
		e.createExtension(t, alice, app.ID, validExtension(devhub.ExtSettingsPage))
	})
	t.Run("PerApp", func(t *testing.T) {
		other := e.createApp(t, alice, validApp())
		for _, v := range devhub.Views() {
			for range devhub.MaxActionsPerView {
				e.createExtension(t, alice, other.ID, link(v))
			}
		}
		// A custom modal with no entry points takes no view, only the app's.
		res := e.do(t, "POST", extPath(other.ID), &alice, validExtension(devhub.ExtCustomModal)).want(t, http.StatusConflict)
		if p := res.problem(t); !strings.Contains(p.Detail, "21") {
			t.Errorf("detail does not give the app's limit: %q", p.Detail)
		}
		// Other limits are counted apart.
		e.createExtension(t, alice, other.ID, validExtension(devhub.ExtJSONPanel))
		if n := len(e.listExtensions(t, alice, other.ID)); n != 22 {
			t.Errorf("got %d extensions, want 22", n)
		}
		// Limits are per app: the first app is unaffected by the second.
		e.createExtension(t, alice, app.ID, link("organizations_list"))
	})
}

func TestExtensionTenancy(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	x := e.createExtension(t, alice, app.ID, validExtension(devhub.ExtLinkAction))
	bobsApp := e.createApp(t, bob, validApp())
	const missingApp, missingExt = "app_00000000000000000000000000", "ext_00000000000000000000000000"
	type call struct{ method, path, body string }
	calls := func(appID, extID string) []call {
		return []call{
			{"POST", extPath(appID), `{"type":"link_action","name":"Mine","url":"https://example.com","locations":["deals_list"]}`},
			{"GET", extPath(appID), ""},
			{"GET", extPath(appID, extID), ""},
			{"PATCH", extPath(appID, extID), `{"name":"Mine now"}`},
			{"DELETE", extPath(appID, extID), ""},
		}
	}
	body := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	t.Run("ErrOtherCompany", func(t *testing.T) {
		foreign, missing := calls(app.ID, x.ID), calls(missingApp, missingExt)
		for i, c := range foreign {
			res := e.do(t, c.method, c.path, &bob, body(c.body)).want(t, http.StatusNotFound)
			miss := e.do(t, missing[i].method, missing[i].path, &bob, body(missing[i].body)).want(t, http.StatusNotFound)
			got, want := res.problem(t), miss.problem(t)
			if got.Title != want.Title || strings.ReplaceAll(got.Detail, app.ID, missingApp) != want.Detail {
				t.Errorf("%s %s: a foreign app answers %q, a missing one %q", c.method, c.path, got.Detail, want.Detail)
			}
		}
		// Alice's extension under bob's own app is not there either.
		for _, c := range calls(bobsApp.ID, x.ID)[2:] {
			e.do(t, c.method, c.path, &bob, body(c.body)).want(t, http.StatusNotFound)
		}
		var got extension
		e.do(t, "GET", extPath(app.ID, x.ID), &alice, nil).want(t, http.StatusOK).decode(t, &got)
		if got.Name != x.Name || got.Version != 1 {
			t.Errorf("bob changed alice's extension: %+v", got)
		}
		if l := e.listExtensions(t, alice, app.ID); len(l) != 1 {
			t.Errorf("alice's app has %d extensions, want 1", len(l))
		}
	})
	t.Run("ErrNotSandbox", func(t *testing.T) {
		for _, c := range calls(app.ID, x.ID) {
			e.do(t, c.method, c.path, &customer, body(c.body)).want(t, http.StatusForbidden)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		for _, c := range calls(app.ID, x.ID) {
			e.do(t, c.method, c.path, nil, body(c.body)).want(t, http.StatusUnauthorized)
		}
	})
	t.Run("ErrBadIDs", func(t *testing.T) {
		for _, path := range []string{extPath("nope"), extPath(app.ID, "nope"), extPath(app.ID, strings.Repeat("e", 3000)),
			extPath(strings.ToUpper(app.ID), x.ID), extPath(app.ID, "ext_"+strings.Repeat("z", 26))} {
			e.meter.Reset()
			e.do(t, "GET", path, &alice, nil).want(t, http.StatusNotFound)
			if n := e.meter.Total(); n != 0 {
				t.Errorf("%s: %d round trips for an impossible id", path, n)
			}
		}
	})
}

// TestExtensionsAfterAppDeleted: deleting an app leaves none of its
// extensions reachable, through any route, though their items remain until
// the cascade removes them.
func TestExtensionsAfterAppDeleted(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	x := e.createExtension(t, alice, app.ID, validExtension(devhub.ExtLinkAction))
	e.do(t, "DELETE", "/v1/apps/"+app.ID, &alice, `{"reason":"Gone"}`).want(t, http.StatusNoContent)
	e.do(t, "GET", extPath(app.ID), &alice, nil).want(t, http.StatusNotFound)
	e.do(t, "GET", extPath(app.ID, x.ID), &alice, nil).want(t, http.StatusNotFound)
	e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"name":"Back"}`).want(t, http.StatusNotFound)
	e.do(t, "DELETE", extPath(app.ID, x.ID), &alice, nil).want(t, http.StatusNotFound)
	e.do(t, "POST", extPath(app.ID), &alice, validExtension(devhub.ExtCustomModal)).want(t, http.StatusNotFound)
}

func TestExtensionIfMatch(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	x := e.createExtension(t, alice, app.ID, validExtension(devhub.ExtCustomModal))
	e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"name":"Other"}`, "If-Match", `"2"`).want(t, http.StatusPreconditionFailed)
	e.do(t, "DELETE", extPath(app.ID, x.ID), &alice, nil, "If-Match", `W/"1"`).want(t, http.StatusPreconditionFailed)

	var cur extension
	e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"entry_points":["deal_details"]}`, "If-Match", `"1"`).
		want(t, http.StatusOK).decode(t, &cur)
	if cur.Version != 2 {
		t.Fatalf("version: got %d, want 2", cur.Version)
	}
	// Now with If-Match: one 200, nine 412; never a lost update.
	var wg sync.WaitGroup
	statuses := make(chan int, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, fmt.Sprintf(`{"name":"If %d"}`, i), "If-Match", `"2"`).Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 1 || count[412] != 9 {
		t.Errorf("got %v, want 1×200 and 9×412", count)
	}
	e.do(t, "DELETE", extPath(app.ID, x.ID), &alice, nil, "If-Match", `"3"`).want(t, http.StatusNoContent)
}

func TestExtensionIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	body := validExtension(devhub.ExtSettingsPage)
	first := e.do(t, "POST", extPath(app.ID), &alice, body, "Idempotency-Key", "ext-1").want(t, http.StatusCreated)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The settings page slot is taken by the first request: a retry
			// must still get its answer, not a 409.
			again := e.do(t, "POST", extPath(app.ID), &alice, body, "Idempotency-Key", "ext-1")
			if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) ||
				again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
				t.Errorf("replay: got %d %s", again.Status, again.Body)
			}
		}()
	}
	wg.Wait()
	t.Run("ErrDifferentBody", func(t *testing.T) {
		other := validExtension(devhub.ExtSettingsPage)
		other["url"] = "https://example.com/other"
		e.do(t, "POST", extPath(app.ID), &alice, other, "Idempotency-Key", "ext-1").want(t, http.StatusUnprocessableEntity)
	})
	t.Run("ErrOtherApp", func(t *testing.T) {
		// The key is the company's; the same body for another app is
		// another request.
		second := e.createApp(t, alice, validApp())
		e.do(t, "POST", extPath(second.ID), &alice, body, "Idempotency-Key", "ext-1").want(t, http.StatusUnprocessableEntity)
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		e.do(t, "POST", extPath(app.ID), &alice, body, "Idempotency-Key", strings.Repeat("k", 256)).want(t, http.StatusBadRequest)
	})
	if n := len(e.listExtensions(t, alice, app.ID)); n != 1 {
		t.Errorf("got %d extensions, want 1", n)
	}
}

// TestExtensionRoundTrips pins the DynamoDB round trips of each request.
func TestExtensionRoundTrips(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	x := e.createExtension(t, alice, app.ID, validExtension(devhub.ExtLinkAction))
	for _, c := range []struct {
		name, method, path, body string
		want                     map[string]int
	}{
		{"Create", "POST", extPath(app.ID), `{"type":"custom_modal","name":"Call","iframe_url":"https://example.com/c","entry_points":["deal_details","deals_list"]}`,
			map[string]int{"TransactWriteItems": 1}},
		{"CreateIdempotent", "POST", extPath(app.ID), `{"type":"custom_modal","name":"Call","iframe_url":"https://example.com/c"}`,
			map[string]int{"TransactWriteItems": 1}},
		{"Get", "GET", extPath(app.ID, x.ID), "", map[string]int{"BatchGetItem": 1}},
		{"List", "GET", extPath(app.ID), "", map[string]int{"Query": 1}},
		{"Patch", "PATCH", extPath(app.ID, x.ID), `{"locations":["people_list","deal_details"]}`,
			map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}},
		{"Delete", "DELETE", extPath(app.ID, x.ID), "", map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}},
		{"ErrBadID", "GET", extPath(app.ID, "ext_1"), "", map[string]int{}},
		{"ErrInvalid", "POST", extPath(app.ID), `{"type":"link_action"}`, map[string]int{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			hdr := []string{}
			if c.name == "CreateIdempotent" {
				hdr = append(hdr, "Idempotency-Key", "rt-1")
			}
			e.meter.Reset()
			res := e.do(t, c.method, c.path, &alice, body, hdr...)
			if res.Status >= 300 && len(c.want) > 0 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			if got := e.meter.Calls(); !maps.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// FuzzExtensionRequest sends arbitrary bodies to POST and PATCH through the
// whole stack, against DynamoDB Local: no input may yield a 5xx, a response
// the OpenAPI document does not describe, or a secret in a response.
func FuzzExtensionRequest(f *testing.F) {
	for _, typ := range devhub.ExtensionTypes() {
		b, _ := json.Marshal(validExtension(typ))
		f.Add(b)
	}
	for _, s := range []string{
		`{"type":"json_modal","name":"M","api_endpoint":"https://a.example","locations":["deals_list"],"json_schema":{"type":"object","properties":{"blocks":{"type":"object","properties":{"b":{"$ref":"#/definitions/element-text","options":{"value":"x"}}}}}}}`,
		`{"type":"json_panel","data_structure":{"type":"array","items":{"type":"object","properties":{"id":{"$ref":"https://evil.example/x"}}}}}`,
		`{"json_schema":{"$schema":"http://json-schema.org/draft-07/schema#","pattern":"(a+)+$"}}`,
		`{"type":"settings_page","settings_kind":"custom_ui","iframe_url":"https://[::1]:99999/"}`,
		`{"http_auth":{"username":null,"password":null},"jwt_secret":null,"entry_points":null}`,
		`{"locations":["deal_details","deal_details","deal_details","deal_details"]}`,
		`{"type":null,"id":1}`, `[]`, `null`, `{"name":1e999}`, `{"json_schema":"{}"}`, `{} {}`, "{\"name\":\"\x00\"}",
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f)
	app := e.createApp(f, alice, validApp())
	target := e.createExtension(f, alice, app.ID, validExtension(devhub.ExtJSONPanel))
	f.Fuzz(func(t *testing.T, body []byte) {
		res := noSecrets(t, e.do(t, "POST", extPath(app.ID), &alice, string(body)))
		if !slices.Contains([]int{201, 400, 409, 413, 422}, res.Status) {
			t.Errorf("POST: got %d %s", res.Status, res.Body)
		}
		if res.Status == http.StatusCreated {
			var x extension
			res.decode(t, &x)
			e.do(t, "DELETE", extPath(app.ID, x.ID), &alice, nil).want(t, http.StatusNoContent)
		}
		res = noSecrets(t, e.do(t, "PATCH", extPath(app.ID, target.ID), &alice, string(body)))
		if !slices.Contains([]int{200, 400, 409, 413, 422}, res.Status) {
			t.Errorf("PATCH: got %d %s", res.Status, res.Body)
		}
	})
}

// benchExtensions measures a route of the extensions function against
// DynamoDB Local, with its DynamoDB round trips per request; next returns
// each iteration's path and body, and may stop the timer for setup.
func benchExtensions(b *testing.B, method string, prepare func(b *testing.B, e *env) func(b *testing.B) (path, body string)) {
	e := newEnv(b)
	h := e.server.Handler(e.server.FunctionRoutes()["extensions"])
	tok := "Bearer " + token(b, alice)
	next := prepare(b, e)
	serve := func(b *testing.B) {
		path, body := next(b)
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 300 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	for range 300 {
		serve(b)
	}
	e.meter.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve(b)
	}
	b.ReportMetric(float64(e.meter.Total())/float64(b.N), "ddb-calls/op")
}

// BenchmarkCreateExtension creates link actions, 3 per view in 7 views, and
// moves to a fresh app (created untimed, off the meter) when one is full.
func BenchmarkCreateExtension(b *testing.B) {
	benchExtensions(b, http.MethodPost, func(b *testing.B, e *env) func(*testing.B) (string, string) {
		setup := dynamo.New(dynamotest.Client(b), e.store.Table()) // unmetered
		appID, n := "", 0
		return func(b *testing.B) (string, string) {
			if n%devhub.MaxActionsPerApp == 0 {
				b.StopTimer()
				a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Bench", CallbackURL: "https://example.com/cb"}, alice, e.server.Hub.Now())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := setup.CreateApp(context.Background(), a, nil); err != nil {
					b.Fatal(err)
				}
				appID = a.ID
				b.StartTimer()
			}
			view := devhub.Views()[n%len(devhub.Views())]
			n++
			return extPath(appID), `{"type":"link_action","name":"Bench","url":"https://example.com/x","locations":["` + view + `"]}`
		}
	})
}

// BenchmarkListExtensions lists an app with one extension of each type.
func BenchmarkListExtensions(b *testing.B) {
	benchExtensions(b, http.MethodGet, func(b *testing.B, e *env) func(*testing.B) (string, string) {
		app := e.createApp(b, alice, validApp())
		for _, typ := range devhub.ExtensionTypes() {
			e.createExtension(b, alice, app.ID, validExtension(typ))
		}
		return func(*testing.B) (string, string) { return extPath(app.ID), "" }
	})
}

func BenchmarkGetExtension(b *testing.B) {
	benchExtensions(b, http.MethodGet, func(b *testing.B, e *env) func(*testing.B) (string, string) {
		app := e.createApp(b, alice, validApp())
		x := e.createExtension(b, alice, app.ID, validExtension(devhub.ExtJSONPanel))
		return func(*testing.B) (string, string) { return extPath(app.ID, x.ID), "" }
	})
}

// BenchmarkPatchExtension moves a link action between two views: the read,
// and one transaction that writes it and moves two slot counters.
func BenchmarkPatchExtension(b *testing.B) {
	benchExtensions(b, http.MethodPatch, func(b *testing.B, e *env) func(*testing.B) (string, string) {
		app := e.createApp(b, alice, validApp())
		x := e.createExtension(b, alice, app.ID, validExtension(devhub.ExtLinkAction))
		n := 0
		return func(*testing.B) (string, string) {
			n++
			return extPath(app.ID, x.ID), fmt.Sprintf(`{"locations":["%s"]}`, []string{"deals_list", "deal_details"}[n%2])
		}
	})
}
