package devhub_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

var (
	now     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testApp = &devhub.App{ID: "app_1", ClientSecret: "the-app-client-secret"}
)

// fakeChecker stands in for internal/jsonschema: a document that contains
// "bad" gets one problem under the field, and every call is counted.
type fakeChecker struct{ modal, panel int }

func (f *fakeChecker) CheckModalSchema(field string, schema json.RawMessage, p *devhub.Problems) {
	f.modal++
	if bytes.Contains(schema, []byte("bad")) {
		p.Add(field+".properties.blocks.properties.bad.$ref", "is not a block type")
	}
}

func (f *fakeChecker) CheckPanelSchema(field string, schema json.RawMessage, p *devhub.Problems) {
	f.panel++
	if bytes.Contains(schema, []byte("bad")) {
		p.Add(field+".properties.bad.$ref", "is not a field type")
	}
}

const (
	modalDoc = `{"type": "object", "properties": {"actions": {"type": "object", "properties": {
		"submit": {"$ref": "#/definitions/action-primary", "options": {"label": "Submit", "handler": "request"}}}}}}`
	panelDoc = `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"},
		"status": {"$ref": "#/definitions/label"}}}`
	jwtSecret = "a-jwt-secret-of-32-characters!!!"
)

// valid returns a minimal valid input of type t.
func valid(t devhub.ExtensionType) devhub.NewExtensionInput {
	switch t {
	case devhub.ExtLinkAction:
		return devhub.NewExtensionInput{Type: t, Name: "Send quote", URL: "https://example.com/quote",
			Locations: []string{devhub.ViewDealDetails}}
	case devhub.ExtJSONModal:
		return devhub.NewExtensionInput{Type: t, Name: "New cake order", APIEndpoint: "https://example.com/modal",
			JSONSchema: json.RawMessage(modalDoc), Locations: []string{devhub.ViewDealsList}}
	case devhub.ExtJSONPanel:
		return devhub.NewExtensionInput{Type: t, Name: "Deliveries", APIEndpoint: "https://example.com/panel",
			DataStructure: json.RawMessage(panelDoc), Locations: []string{devhub.ViewDealDetails},
			HTTPAuth: &devhub.HTTPAuthInput{Username: "pipedrive", Password: "s3cret-password"}}
	case devhub.ExtCustomModal:
		return devhub.NewExtensionInput{Type: t, Name: "Schedule a call", IframeURL: "https://example.com/modal"}
	case devhub.ExtCustomPanel:
		return devhub.NewExtensionInput{Type: t, Name: "Project board", IframeURL: "https://example.com/panel",
			Locations: []string{devhub.ViewPersonDetails}}
	case devhub.ExtFloatingWindow:
		return devhub.NewExtensionInput{Type: t, Name: "Softphone", Description: "Call your contacts from the CRM",
			IframeURL: "https://example.com/phone"}
	case devhub.ExtSettingsPage:
		return devhub.NewExtensionInput{Type: t, SettingsKind: devhub.SettingsExternalLink, URL: "https://example.com/settings"}
	}
	panic("unknown type " + t)
}

func fieldNames(err error) []string {
	var names []string
	for _, f := range devhub.ErrorFields(err) {
		names = append(names, f.Field)
	}
	slices.Sort(names)
	return names
}

func TestNewExtension(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, typ := range devhub.ExtensionTypes() {
			t.Run(string(typ), func(t *testing.T) {
				e, err := devhub.NewExtension(valid(typ), testApp, &fakeChecker{}, now)
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if !strings.HasPrefix(e.ID, "ext_") || e.AppID != testApp.ID || e.Type != typ || e.Version != 1 ||
					!e.CreatedAt.Equal(now) || !e.UpdatedAt.Equal(now) {
					t.Errorf("got %+v", e)
				}
				if len(e.Warnings) != 0 {
					t.Errorf("got warnings %v, want none", e.Warnings)
				}
			})
		}
	})

	t.Run("OKFloatingWindowDefaultsToTopBar", func(t *testing.T) {
		e, err := devhub.NewExtension(valid(devhub.ExtFloatingWindow), testApp, &fakeChecker{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{devhub.EntryTopBar}; !slices.Equal(e.EntryPoints, want) {
			t.Errorf("entry points: got %v, want %v", e.EntryPoints, want)
		}
	})

	t.Run("OKVariants", func(t *testing.T) {
		for name, in := range map[string]devhub.NewExtensionInput{
			"json panel with a JWT secret only": func() devhub.NewExtensionInput {
				in := valid(devhub.ExtJSONPanel)
				in.HTTPAuth, in.JWTSecret = nil, jwtSecret
				return in
			}(),
			"json panel with both": func() devhub.NewExtensionInput {
				in := valid(devhub.ExtJSONPanel)
				in.JWTSecret = jwtSecret
				return in
			}(),
			"custom modal with entry points": func() devhub.NewExtensionInput {
				in := valid(devhub.ExtCustomModal)
				in.EntryPoints = devhub.Views()
				return in
			}(),
			"floating window on phone numbers": func() devhub.NewExtensionInput {
				in := valid(devhub.ExtFloatingWindow)
				in.EntryPoints = []string{devhub.EntryPhoneNumber}
				return in
			}(),
			"settings page in the platform": {Type: devhub.ExtSettingsPage, SettingsKind: devhub.SettingsCustomUI,
				IframeURL: "https://example.com/settings", JWTSecret: jwtSecret},
			"link action everywhere with a description": func() devhub.NewExtensionInput {
				in := valid(devhub.ExtLinkAction)
				in.Locations, in.Description = devhub.Views(), strings.Repeat("é", devhub.MaxExtensionDescriptionLen)
				return in
			}(),
			"longest name and secret": func() devhub.NewExtensionInput {
				in := valid(devhub.ExtCustomPanel)
				in.Name = "A" + strings.Repeat("ü", devhub.MaxExtensionNameLen-1)
				in.JWTSecret = strings.Repeat("s", devhub.MaxJWTSecretLen)
				return in
			}(),
			"null documents where they do not apply": func() devhub.NewExtensionInput {
				in := valid(devhub.ExtLinkAction)
				in.JSONSchema, in.DataStructure = json.RawMessage("null"), json.RawMessage("null")
				return in
			}(),
		} {
			t.Run(name, func(t *testing.T) {
				if _, err := devhub.NewExtension(in, testApp, &fakeChecker{}, now); err != nil {
					t.Errorf("got error %v, want none", err)
				}
			})
		}
	})

	type mutate func(*devhub.NewExtensionInput)
	for _, tc := range []struct {
		name   string
		typ    devhub.ExtensionType
		change mutate
		want   []string
	}{
		{"ErrNoType", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) { in.Type = "" }, []string{"type"}},
		{"ErrUnknownType", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) { in.Type = "app_action" }, []string{"type"}},
		{"ErrLinkActionEmpty", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) {
			*in = devhub.NewExtensionInput{Type: devhub.ExtLinkAction}
		}, []string{"locations", "name", "url"}},
		{"ErrLinkActionEverythingAtOnce", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) {
			in.Name = strings.Repeat("x", devhub.MaxExtensionNameLen+1)
			in.Description = strings.Repeat("x", devhub.MaxExtensionDescriptionLen+1)
			in.URL = "ftp://example.com/x"
			in.Locations = []string{devhub.ViewDealDetails, devhub.ViewPeopleList, "lead_details", devhub.ViewDealDetails}
			in.JWTSecret = "short"
		}, []string{"description", "jwt_secret", "locations[2]", "locations[3]", "name", "url"}},
		{"ErrLinkActionForeignFields", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) {
			in.APIEndpoint, in.IframeURL = "https://example.com/a", "https://example.com/b"
			in.EntryPoints = []string{devhub.ViewDealDetails}
			in.JSONSchema, in.DataStructure = json.RawMessage(modalDoc), json.RawMessage(panelDoc)
			in.HTTPAuth = &devhub.HTTPAuthInput{Username: "u", Password: "p"}
			in.SettingsKind = devhub.SettingsCustomUI
		}, []string{"api_endpoint", "data_structure", "entry_points", "http_auth", "iframe_url", "json_schema", "settings_kind"}},
		{"ErrNameControlCharacters", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) { in.Name = "Send\x00quote" }, []string{"name"}},
		{"ErrURLRelative", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) { in.URL = "/quote" }, []string{"url"}},
		{"ErrJWTSecretTooLong", devhub.ExtLinkAction, func(in *devhub.NewExtensionInput) {
			in.JWTSecret = strings.Repeat("s", devhub.MaxJWTSecretLen+1)
		}, []string{"jwt_secret"}},
		{"ErrJSONModalEmpty", devhub.ExtJSONModal, func(in *devhub.NewExtensionInput) {
			*in = devhub.NewExtensionInput{Type: devhub.ExtJSONModal}
		}, []string{"api_endpoint", "json_schema", "locations", "name"}},
		{"ErrJSONModalSchemaNotObject", devhub.ExtJSONModal, func(in *devhub.NewExtensionInput) {
			in.JSONSchema = json.RawMessage(`["blocks"]`)
		}, []string{"json_schema"}},
		{"ErrJSONModalSchemaProblems", devhub.ExtJSONModal, func(in *devhub.NewExtensionInput) {
			in.JSONSchema = json.RawMessage(`{"bad": true}`)
			in.Locations = []string{devhub.ViewDealDetails, devhub.ViewDealDetails}
		}, []string{"json_schema.properties.blocks.properties.bad.$ref", "locations[1]"}},
		{"ErrJSONModalSchemaTooLarge", devhub.ExtJSONModal, func(in *devhub.NewExtensionInput) {
			in.JSONSchema = json.RawMessage(`{"description": "` + strings.Repeat("x", devhub.MaxSchemaBytes) + `"}`)
		}, []string{"json_schema"}},
		{"ErrJSONModalLocationsEmpty", devhub.ExtJSONModal, func(in *devhub.NewExtensionInput) { in.Locations = []string{} },
			[]string{"locations"}},
		{"ErrJSONPanelEmpty", devhub.ExtJSONPanel, func(in *devhub.NewExtensionInput) {
			*in = devhub.NewExtensionInput{Type: devhub.ExtJSONPanel}
		}, []string{"api_endpoint", "data_structure", "http_auth", "locations", "name"}},
		{"ErrJSONPanelNoAuth", devhub.ExtJSONPanel, func(in *devhub.NewExtensionInput) { in.HTTPAuth = nil }, []string{"http_auth"}},
		{"ErrJSONPanelPartialAuth", devhub.ExtJSONPanel, func(in *devhub.NewExtensionInput) {
			in.HTTPAuth = &devhub.HTTPAuthInput{Username: "user:name"}
			in.JWTSecret = jwtSecret // a JWT secret does not excuse half-given credentials
		}, []string{"http_auth.password", "http_auth.username"}},
		{"ErrJSONPanelLocations", devhub.ExtJSONPanel, func(in *devhub.NewExtensionInput) {
			in.Locations = []string{devhub.ViewDealDetails, devhub.ViewActivitiesList, devhub.ViewOrganizationDetails, devhub.ViewDealsList}
		}, []string{"locations[1]", "locations[3]"}},
		{"ErrJSONPanelDataStructure", devhub.ExtJSONPanel, func(in *devhub.NewExtensionInput) {
			in.DataStructure = json.RawMessage(`{"properties": {"bad": {}}}`)
			in.APIEndpoint = "example.com/panel"
		}, []string{"api_endpoint", "data_structure.properties.bad.$ref"}},
		{"ErrCustomModalHTTPIframe", devhub.ExtCustomModal, func(in *devhub.NewExtensionInput) {
			in.IframeURL = "http://example.com/modal"
			in.EntryPoints = []string{devhub.ViewDealDetails, devhub.EntryTopBar, devhub.ViewDealDetails}
			in.Locations = []string{devhub.ViewDealDetails}
		}, []string{"entry_points[1]", "entry_points[2]", "iframe_url", "locations"}},
		{"ErrCustomPanelEmpty", devhub.ExtCustomPanel, func(in *devhub.NewExtensionInput) {
			*in = devhub.NewExtensionInput{Type: devhub.ExtCustomPanel}
		}, []string{"iframe_url", "locations", "name"}},
		{"ErrFloatingWindowEmpty", devhub.ExtFloatingWindow, func(in *devhub.NewExtensionInput) {
			*in = devhub.NewExtensionInput{Type: devhub.ExtFloatingWindow}
		}, []string{"description", "iframe_url", "name"}},
		{"ErrFloatingWindowEntryPoints", devhub.ExtFloatingWindow, func(in *devhub.NewExtensionInput) {
			in.EntryPoints = []string{devhub.EntryPhoneNumber, devhub.ViewDealDetails}
			in.Locations = []string{devhub.ViewDealDetails}
		}, []string{"entry_points[1]", "locations"}},
		{"ErrSettingsPageEmpty", devhub.ExtSettingsPage, func(in *devhub.NewExtensionInput) {
			*in = devhub.NewExtensionInput{Type: devhub.ExtSettingsPage}
		}, []string{"settings_kind"}},
		{"ErrSettingsPageUnknownKind", devhub.ExtSettingsPage, func(in *devhub.NewExtensionInput) { in.SettingsKind = "modal" },
			[]string{"settings_kind"}},
		{"ErrSettingsPageExternalLink", devhub.ExtSettingsPage, func(in *devhub.NewExtensionInput) {
			in.URL, in.IframeURL, in.Name = "", "https://example.com/settings", "Settings"
		}, []string{"iframe_url", "name", "url"}},
		{"ErrSettingsPageCustomUI", devhub.ExtSettingsPage, func(in *devhub.NewExtensionInput) {
			in.SettingsKind, in.IframeURL = devhub.SettingsCustomUI, "http://example.com/settings"
			in.Description = "Settings"
		}, []string{"description", "iframe_url", "url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := valid(tc.typ)
			tc.change(&in)
			e, err := devhub.NewExtension(in, testApp, &fakeChecker{}, now)
			if e != nil {
				t.Errorf("got extension %+v, want none", e)
			}
			if got := devhub.ErrorCode(err); got != devhub.EINVALID {
				t.Fatalf("code: got %q, want %q (%v)", got, devhub.EINVALID, err)
			}
			slices.Sort(tc.want)
			if got := fieldNames(err); !slices.Equal(got, tc.want) {
				t.Errorf("fields: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewExtensionWarnings(t *testing.T) {
	t.Run("OKSentenceCase", func(t *testing.T) {
		in := valid(devhub.ExtLinkAction)
		in.Name = "Send quote - Car Services"
		e, err := devhub.NewExtension(in, testApp, &fakeChecker{}, now)
		if err != nil || len(e.Warnings) != 0 {
			t.Errorf("got %v, %v; want no warning", e, err)
		}
	})
	for name, in := range map[string]devhub.NewExtensionInput{
		"title case": func() devhub.NewExtensionInput {
			in := valid(devhub.ExtLinkAction)
			in.Name = "Send Quote To Customer"
			return in
		}(),
		"lower case": func() devhub.NewExtensionInput {
			in := valid(devhub.ExtCustomPanel)
			in.Name = "project board"
			return in
		}(),
		"http api endpoint": func() devhub.NewExtensionInput {
			in := valid(devhub.ExtJSONModal)
			in.APIEndpoint = "http://example.com/modal"
			return in
		}(),
	} {
		t.Run("Warn "+name, func(t *testing.T) {
			e, err := devhub.NewExtension(in, testApp, &fakeChecker{}, now)
			if err != nil {
				t.Fatalf("got error %v, want a warning only", err)
			}
			if len(e.Warnings) != 1 {
				t.Errorf("got warnings %v, want one", e.Warnings)
			}
		})
	}
}

func TestIsSentenceCase(t *testing.T) {
	for name, want := range map[string]bool{
		"Send quote":                     true,
		"Send quote - Car Services":      true,
		"+ Prod. details - Car Services": true,
		"Sync to CRM":                    true,
		"Call":                           true,
		"3D model viewer":                true,
		"Open CRM":                       true,
		"日本語の名前":                         true,
		"send quote":                     false,
		"Send Quote":                     false,
		"Send Quote To Customer":         false,
		"Create Deal In Project Tool":    false,
		"Éditer Facture":                 false,
		"élan":                           false,
	} {
		if got := devhub.IsSentenceCase(name); got != want {
			t.Errorf("IsSentenceCase(%q): got %v, want %v", name, got, want)
		}
	}
}

func TestExtensionJSON(t *testing.T) {
	in := valid(devhub.ExtJSONPanel)
	in.JWTSecret = jwtSecret
	e, err := devhub.NewExtension(in, testApp, &fakeChecker{}, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(jwtSecret)) || bytes.Contains(b, []byte(in.HTTPAuth.Password)) {
		t.Errorf("a secret leaked: %s", b)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["jwt_secret_set"] != true {
		t.Errorf("jwt_secret_set: got %v, want true", got["jwt_secret_set"])
	}
	auth, _ := got["http_auth"].(map[string]any)
	if auth["username"] != "pipedrive" || auth["password_set"] != true || auth["password"] != nil {
		t.Errorf("http_auth: got %v", auth)
	}
	for _, k := range []string{"id", "app_id", "type", "name", "api_endpoint", "data_structure", "locations", "warnings", "version", "created_at", "updated_at"} {
		if _, ok := got[k]; !ok {
			t.Errorf("member %s is missing from %s", k, b)
		}
	}
	for _, k := range []string{"url", "iframe_url", "json_schema", "entry_points", "settings_kind", "jwt_secret"} {
		if _, ok := got[k]; ok {
			t.Errorf("member %s should not be in %s", k, b)
		}
	}

	t.Run("OKCustomModalWithoutEntryPoints", func(t *testing.T) {
		e, err := devhub.NewExtension(valid(devhub.ExtCustomModal), testApp, &fakeChecker{}, now)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(*e) // a value marshals the same way
		for _, want := range []string{`"entry_points":[]`, `"jwt_secret_set":false`, `"warnings":[]`} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("%s is missing from %s", want, b)
			}
		}
	})
}

// decodePatch decodes a merge patch as the HTTP adapter does.
func decodePatch(t *testing.T, doc string) devhub.ExtensionPatch {
	t.Helper()
	var patch devhub.ExtensionPatch
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&patch); err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
	return patch
}

func mustNew(t *testing.T, in devhub.NewExtensionInput) *devhub.Extension {
	t.Helper()
	e, err := devhub.NewExtension(in, testApp, &fakeChecker{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExtensionPatchApply(t *testing.T) {
	later := now.Add(time.Hour)

	t.Run("OK", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtLinkAction))
		next, err := decodePatch(t, `{"name": "Send Quote Now", "description": "Sends a quote",
			"locations": ["person_details", "deals_list"], "type": "link_action"}`).Apply(e, &fakeChecker{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if next.Name != "Send Quote Now" || next.Description != "Sends a quote" || next.Version != 2 ||
			!next.UpdatedAt.Equal(later) || !next.CreatedAt.Equal(now) || len(next.Warnings) != 1 {
			t.Errorf("got %+v", next)
		}
		if e.Name != "Send quote" || e.Version != 1 || !slices.Equal(e.Locations, []string{devhub.ViewDealDetails}) {
			t.Errorf("the original changed: %+v", e)
		}
	})

	t.Run("ErrTypeImmutable", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtLinkAction))
		for _, doc := range []string{`{"type": "json_modal"}`, `{"type": null}`} {
			_, err := decodePatch(t, doc).Apply(e, &fakeChecker{}, later)
			if devhub.ErrorCode(err) != devhub.EINVALID || !slices.Equal(fieldNames(err), []string{"type"}) {
				t.Errorf("%s: got %v, want EINVALID on type", doc, err)
			}
		}
	})

	t.Run("ErrReadOnly", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtJSONPanel))
		out, _ := json.Marshal(e)
		// A client that sends back what it got learns every read-only member.
		var doc map[string]any
		_ = json.Unmarshal(out, &doc)
		doc["http_auth"] = map[string]any{"username": "pipedrive", "password_set": true}
		body, _ := json.Marshal(doc)
		_, err := decodePatch(t, string(body)).Apply(e, &fakeChecker{}, later)
		want := []string{"app_id", "created_at", "http_auth.password_set", "id", "jwt_secret_set", "updated_at", "version", "warnings"}
		if devhub.ErrorCode(err) != devhub.EINVALID || !slices.Equal(fieldNames(err), want) {
			t.Errorf("got %v, want EINVALID on %v", err, want)
		}
	})

	t.Run("ErrUnknownMember", func(t *testing.T) {
		for _, doc := range []string{`{"secret": "x"}`, `{"http_auth": {"user": "x"}}`} {
			var patch devhub.ExtensionPatch
			dec := json.NewDecoder(strings.NewReader(doc))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&patch); err == nil {
				t.Errorf("%s: decoded, want an unknown field error", doc)
			}
		}
	})

	t.Run("OKJWTSecretNullClears", func(t *testing.T) {
		in := valid(devhub.ExtCustomModal)
		in.JWTSecret = jwtSecret
		e := mustNew(t, in)
		if got := devhub.SigningSecret(e, testApp); got != jwtSecret {
			t.Fatalf("before: signing secret %q, want the extension's", got)
		}
		next, err := decodePatch(t, `{"jwt_secret": null}`).Apply(e, &fakeChecker{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if next.JWTSecret != "" || devhub.SigningSecret(next, testApp) != testApp.ClientSecret {
			t.Errorf("after: got secret %q, want the app's client secret to sign", next.JWTSecret)
		}
	})

	t.Run("ErrJWTSecretNullLeavesPanelUnauthenticated", func(t *testing.T) {
		in := valid(devhub.ExtJSONPanel)
		in.HTTPAuth, in.JWTSecret = nil, jwtSecret
		e := mustNew(t, in)
		_, err := decodePatch(t, `{"jwt_secret": null}`).Apply(e, &fakeChecker{}, later)
		if !slices.Equal(fieldNames(err), []string{"http_auth"}) {
			t.Errorf("got %v, want EINVALID on http_auth", err)
		}
	})

	t.Run("OKPasswordKept", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtJSONPanel))
		next, err := decodePatch(t, `{"http_auth": {"username": "someone-else"}}`).Apply(e, &fakeChecker{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if next.HTTPAuth.Username != "someone-else" || next.HTTPAuth.Password != e.HTTPAuth.Password {
			t.Errorf("got %+v, want the new username and the stored password", next.HTTPAuth)
		}
		next.HTTPAuth.Password = "changed"
		if e.HTTPAuth.Password == "changed" {
			t.Error("the copy shares credentials with the original")
		}
	})

	t.Run("ErrPasswordNull", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtJSONPanel))
		_, err := decodePatch(t, `{"http_auth": {"password": null}}`).Apply(e, &fakeChecker{}, later)
		if !slices.Equal(fieldNames(err), []string{"http_auth.password"}) {
			t.Errorf("got %v, want EINVALID on http_auth.password", err)
		}
	})

	t.Run("OKSchemaCheckedOnlyWhenReplaced", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtJSONModal))
		checker := &fakeChecker{}
		if _, err := decodePatch(t, `{"name": "Order a cake"}`).Apply(e, checker, later); err != nil {
			t.Fatal(err)
		}
		if checker.modal != 0 {
			t.Errorf("the unchanged schema was checked %d times", checker.modal)
		}
		_, err := decodePatch(t, `{"json_schema": {"bad": 1}}`).Apply(e, checker, later)
		if checker.modal != 1 || !slices.Equal(fieldNames(err), []string{"json_schema.properties.blocks.properties.bad.$ref"}) {
			t.Errorf("got %d checks and %v, want 1 and the checker's problem", checker.modal, err)
		}
		_, err = decodePatch(t, `{"json_schema": null}`).Apply(e, checker, later)
		if !slices.Equal(fieldNames(err), []string{"json_schema"}) {
			t.Errorf("got %v, want json_schema required", err)
		}
	})

	t.Run("OKFloatingWindowEntryPointsReset", func(t *testing.T) {
		in := valid(devhub.ExtFloatingWindow)
		in.EntryPoints = []string{devhub.EntryPhoneNumber}
		e := mustNew(t, in)
		next, err := decodePatch(t, `{"entry_points": null}`).Apply(e, &fakeChecker{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(next.EntryPoints, []string{devhub.EntryTopBar}) {
			t.Errorf("got %v, want [top_bar]", next.EntryPoints)
		}
	})

	t.Run("OKSettingsPageChangesKind", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtSettingsPage))
		next, err := decodePatch(t, `{"settings_kind": "custom_ui", "url": null, "iframe_url": "https://example.com/in-app"}`).
			Apply(e, &fakeChecker{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if next.URL != "" || next.IframeURL == "" || next.SettingsKind != devhub.SettingsCustomUI {
			t.Errorf("got %+v", next)
		}
	})

	t.Run("ErrForeignField", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtCustomPanel))
		_, err := decodePatch(t, `{"url": "https://example.com", "entry_points": ["top_bar"], "name": null}`).Apply(e, &fakeChecker{}, later)
		if want := []string{"entry_points", "name", "url"}; !slices.Equal(fieldNames(err), want) {
			t.Errorf("got %v, want EINVALID on %v", err, want)
		}
	})
}

func slotKeys(slots []devhub.Slot) []string {
	var keys []string
	for _, s := range slots {
		keys = append(keys, s.Key)
	}
	return keys
}

func TestSlots(t *testing.T) {
	customModal := valid(devhub.ExtCustomModal)
	customModal.EntryPoints = []string{devhub.ViewPeopleList, devhub.ViewActivitiesList}
	panel := valid(devhub.ExtJSONPanel)
	panel.Locations = []string{devhub.ViewPersonDetails, devhub.ViewDealDetails}
	for name, tc := range map[string]struct {
		in   devhub.NewExtensionInput
		want []devhub.Slot
	}{
		"link action":                       {valid(devhub.ExtLinkAction), []devhub.Slot{{Key: "app#actions", Max: 21}, {Key: "view#deal_details", Max: 3}}},
		"json modal":                        {valid(devhub.ExtJSONModal), []devhub.Slot{{Key: "app#actions", Max: 21}, {Key: "view#deals_list", Max: 3}}},
		"custom modal without entry points": {valid(devhub.ExtCustomModal), []devhub.Slot{{Key: "app#actions", Max: 21}}},
		"custom modal": {customModal, []devhub.Slot{{Key: "app#actions", Max: 21},
			{Key: "view#activities_list", Max: 3}, {Key: "view#people_list", Max: 3}}},
		"json panel":      {panel, []devhub.Slot{{Key: "panel#deal_details", Max: 1}, {Key: "panel#person_details", Max: 1}}},
		"custom panel":    {valid(devhub.ExtCustomPanel), []devhub.Slot{{Key: "panel#person_details", Max: 1}}},
		"floating window": {valid(devhub.ExtFloatingWindow), []devhub.Slot{{Key: "floating_window", Max: 1}}},
		"settings page":   {valid(devhub.ExtSettingsPage), []devhub.Slot{{Key: "settings_page", Max: 1}}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := mustNew(t, tc.in).Slots(); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSlotDiff(t *testing.T) {
	t.Run("OKMoveLinkAction", func(t *testing.T) {
		e := mustNew(t, valid(devhub.ExtLinkAction))
		next, err := decodePatch(t, `{"locations": ["person_details"]}`).Apply(e, &fakeChecker{}, now)
		if err != nil {
			t.Fatal(err)
		}
		acquire, release := devhub.SlotDiff(e.Slots(), next.Slots())
		if got, want := slotKeys(acquire), []string{"view#person_details"}; !slices.Equal(got, want) {
			t.Errorf("acquire: got %v, want %v", got, want)
		}
		if got, want := slotKeys(release), []string{"view#deal_details"}; !slices.Equal(got, want) {
			t.Errorf("release: got %v, want %v", got, want)
		}
	})
	t.Run("OKCreateAndDelete", func(t *testing.T) {
		slots := mustNew(t, valid(devhub.ExtLinkAction)).Slots()
		if acquire, release := devhub.SlotDiff(nil, slots); !slices.Equal(acquire, slots) || release != nil {
			t.Errorf("create: got %v, %v", acquire, release)
		}
		if acquire, release := devhub.SlotDiff(slots, nil); acquire != nil || !slices.Equal(release, slots) {
			t.Errorf("delete: got %v, %v", acquire, release)
		}
	})
	t.Run("OKUnchanged", func(t *testing.T) {
		slots := mustNew(t, valid(devhub.ExtJSONPanel)).Slots()
		if acquire, release := devhub.SlotDiff(slots, slices.Clone(slots)); acquire != nil || release != nil {
			t.Errorf("got %v, %v; want nothing", acquire, release)
		}
	})
}

func TestSlotConflict(t *testing.T) {
	for _, s := range []devhub.Slot{{Key: "app#actions", Max: 21}, {Key: "view#deal_details", Max: 3},
		{Key: "panel#person_details", Max: 1}, {Key: "floating_window", Max: 1}, {Key: "settings_page", Max: 1}} {
		err := s.Conflict()
		if devhub.ErrorCode(err) != devhub.ECONFLICT || devhub.ErrorMessage(err) == "" {
			t.Errorf("%s: got %v, want ECONFLICT with a message", s.Key, err)
		}
	}
}

func TestSigningSecret(t *testing.T) {
	in := valid(devhub.ExtLinkAction)
	if got := devhub.SigningSecret(mustNew(t, in), testApp); got != testApp.ClientSecret {
		t.Errorf("without a JWT secret: got %q, want the client secret", got)
	}
	in.JWTSecret = jwtSecret
	if got := devhub.SigningSecret(mustNew(t, in), testApp); got != jwtSecret {
		t.Errorf("with a JWT secret: got %q, want it", got)
	}
}

// FuzzNewExtension feeds arbitrary request bodies, decoded as the HTTP
// adapter decodes them, to NewExtension with the real schema checker.
func FuzzNewExtension(f *testing.F) {
	for _, typ := range devhub.ExtensionTypes() {
		b, _ := json.Marshal(valid(typ))
		f.Add(b)
	}
	f.Add([]byte(`{"type": "json_modal", "name": "Order", "api_endpoint": "https://e.com", "locations": ["deal_details"],
		"json_schema": {"type": "object", "properties": {"blocks": {"type": "object", "properties": {
		"a": {"$ref": "#/definitions/element-select", "options": {"label": "A", "items": [{"label": "x", "value": 1}], "visibleOn": {"a": "not_empty"}}}}},
		"actions": {"type": "object", "properties": {"s": {"$ref": "#/definitions/action-primary", "options": {"label": "S", "handler": "open-url", "url": "https://e.com/x"}}}}}}}`))
	f.Add([]byte(`{"type": "json_panel", "name": "P", "api_endpoint": "https://e.com", "locations": ["deal_details"], "jwt_secret": "0123456789abcdef",
		"data_structure": {"type": "array", "items": {"type": "object", "required": ["id", "header"], "properties": {
		"id": {"$ref": "#/definitions/numerical"}, "header": {"$ref": "#/definitions/header"}}}, "allOf": [{"$ref": "http://x/y"}]}}`))
	f.Add([]byte(`{"type": "custom_modal", "name": "x", "iframe_url": "https://e.com", "entry_points": ["deal_details", "deal_details"], "http_auth": {}}`))
	f.Add([]byte(`{"type": "settings_page", "settings_kind": "custom_ui", "iframe_url": "https://e.com", "url": "https://e.com"}`))

	checker := jsonschema.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		var in devhub.NewExtensionInput
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return // the HTTP adapter answers 400 before the domain sees it
		}
		e, err := devhub.NewExtension(in, testApp, checker, now)
		if err != nil {
			var de *devhub.Error
			if !errors.As(err, &de) || (de.Code != devhub.EINVALID && de.Code != devhub.EMALFORMED) {
				t.Fatalf("got error %#v, want an EINVALID or EMALFORMED *devhub.Error", err)
			}
			if e != nil {
				t.Fatal("got an extension and an error")
			}
			for _, fe := range de.Fields {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("a problem without a field or message: %#v", de.Fields)
				}
			}
			return
		}
		if e == nil || e.Version != 1 || e.AppID != testApp.ID || len(e.Slots()) == 0 {
			t.Fatalf("got %+v", e)
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var view map[string]any
		if err := json.Unmarshal(out, &view); err != nil {
			t.Fatalf("unmarshal %s: %v", out, err)
		}
		if _, ok := view["jwt_secret"]; ok {
			t.Fatalf("jwt_secret shown: %s", out)
		}
		if a, ok := view["http_auth"].(map[string]any); ok && a["password"] != nil {
			t.Fatalf("password shown: %s", out)
		}
		// What was accepted once stays valid: an empty patch changes nothing
		// but the version.
		again, err := devhub.ExtensionPatch{}.Apply(e, checker, now)
		if err != nil {
			t.Fatalf("an empty patch of an accepted extension failed: %v", err)
		}
		if !slices.Equal(again.Slots(), e.Slots()) || again.Version != 2 {
			t.Fatalf("an empty patch changed the extension: %+v, want %+v", again, e)
		}
	})
}
