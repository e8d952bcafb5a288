package devhub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ExtensionType is chosen at creation and never changes.
type ExtensionType string

const (
	ExtLinkAction     ExtensionType = "link_action"
	ExtJSONModal      ExtensionType = "json_modal"
	ExtJSONPanel      ExtensionType = "json_panel"
	ExtCustomModal    ExtensionType = "custom_modal"
	ExtCustomPanel    ExtensionType = "custom_panel"
	ExtFloatingWindow ExtensionType = "floating_window"
	ExtSettingsPage   ExtensionType = "settings_page"
)

// ExtensionTypes returns every extension type, in display order.
func ExtensionTypes() []ExtensionType {
	return []ExtensionType{ExtLinkAction, ExtJSONModal, ExtJSONPanel, ExtCustomModal,
		ExtCustomPanel, ExtFloatingWindow, ExtSettingsPage}
}

// The platform's views: where link actions and modals are offered.
const (
	ViewActivitiesList      = "activities_list"
	ViewDealDetails         = "deal_details"
	ViewDealsList           = "deals_list"
	ViewPersonDetails       = "person_details"
	ViewPeopleList          = "people_list"
	ViewOrganizationDetails = "organization_details"
	ViewOrganizationsList   = "organizations_list"
)

// Views returns the seven views, in display order.
func Views() []string {
	return []string{ViewActivitiesList, ViewDealDetails, ViewDealsList, ViewPersonDetails,
		ViewPeopleList, ViewOrganizationDetails, ViewOrganizationsList}
}

// PanelLocations returns the detail views that can hold a panel.
func PanelLocations() []string {
	return []string{ViewDealDetails, ViewPersonDetails, ViewOrganizationDetails}
}

// Entry points of a floating window.
const (
	EntryTopBar      = "top_bar" // the apps dock; the default
	EntryPhoneNumber = "phone_number"
)

// FloatingEntryPoints returns the entry points a floating window may use.
func FloatingEntryPoints() []string { return []string{EntryTopBar, EntryPhoneNumber} }

// SettingsKind says how a settings page is shown.
type SettingsKind string

const (
	SettingsExternalLink SettingsKind = "external_link" // a link to url
	SettingsCustomUI     SettingsKind = "custom_ui"     // iframe_url inside the platform
)

// Limits on extension fields.
const (
	MaxExtensionNameLen        = 30
	MaxExtensionDescriptionLen = 150
	MinJWTSecretLen            = 16
	MaxJWTSecretLen            = 256
	MaxHTTPAuthLen             = 256
	// MaxSchemaBytes caps json_schema and data_structure documents as sent.
	MaxSchemaBytes = 32 << 10
)

// Extension is one UI extension of an app. Only the fields of its type are
// set; the others stay empty.
//
// JWTSecret and HTTPAuth.Password are secrets the platform must keep (it
// signs and authenticates with them) but never shows: they are hidden from
// JSON, so a store that serializes an Extension must save them explicitly.
type Extension struct {
	ID    string        `json:"id"`
	AppID string        `json:"app_id"`
	Type  ExtensionType `json:"type"`
	// Key names the extension across manifest applies; optional, unique
	// per app (see CheckExtensionKey).
	Key           string          `json:"key,omitempty"`
	Name          string          `json:"name,omitempty"`
	Description   string          `json:"description,omitempty"`
	URL           string          `json:"url,omitempty"`
	APIEndpoint   string          `json:"api_endpoint,omitempty"`
	IframeURL     string          `json:"iframe_url,omitempty"`
	Locations     []string        `json:"locations,omitempty"`
	EntryPoints   []string        `json:"entry_points,omitempty"`
	JSONSchema    json.RawMessage `json:"json_schema,omitempty"`
	DataStructure json.RawMessage `json:"data_structure,omitempty"`
	HTTPAuth      *HTTPAuth       `json:"http_auth,omitempty"`
	SettingsKind  SettingsKind    `json:"settings_kind,omitempty"`
	// JWTSecret signs the extension's JWTs; empty means the app's client
	// secret does (see SigningSecret).
	JWTSecret string    `json:"-"`
	Warnings  []string  `json:"warnings,omitempty"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// HTTPAuth is the HTTP Basic credentials the platform sends to a JSON
// panel's api_endpoint.
type HTTPAuth struct {
	Username string `json:"username"`
	Password string `json:"-"`
}

// extensionJSON is what clients see of an Extension: secrets are replaced by
// whether they are set, and list members are shown, empty or not, on the
// types that have them.
type extensionJSON struct {
	ID            string          `json:"id"`
	AppID         string          `json:"app_id"`
	Type          ExtensionType   `json:"type"`
	Key           *string         `json:"key"`
	Name          string          `json:"name,omitempty"`
	Description   string          `json:"description,omitempty"`
	URL           string          `json:"url,omitempty"`
	APIEndpoint   string          `json:"api_endpoint,omitempty"`
	IframeURL     string          `json:"iframe_url,omitempty"`
	Locations     *[]string       `json:"locations,omitempty"`
	EntryPoints   *[]string       `json:"entry_points,omitempty"`
	JSONSchema    json.RawMessage `json:"json_schema,omitempty"`
	DataStructure json.RawMessage `json:"data_structure,omitempty"`
	HTTPAuth      *httpAuthJSON   `json:"http_auth,omitempty"`
	SettingsKind  SettingsKind    `json:"settings_kind,omitempty"`
	JWTSecretSet  bool            `json:"jwt_secret_set"`
	Warnings      []string        `json:"warnings"`
	Version       int             `json:"version"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

type httpAuthJSON struct {
	Username    string `json:"username"`
	PasswordSet bool   `json:"password_set"`
}

// MarshalJSON writes the client's view of e: jwt_secret_set and
// http_auth.password_set instead of the secrets.
func (e Extension) MarshalJSON() ([]byte, error) {
	out := extensionJSON{
		ID: e.ID, AppID: e.AppID, Type: e.Type, Name: e.Name, Description: e.Description,
		URL: e.URL, APIEndpoint: e.APIEndpoint, IframeURL: e.IframeURL,
		JSONSchema: e.JSONSchema, DataStructure: e.DataStructure, SettingsKind: e.SettingsKind,
		JWTSecretSet: e.JWTSecret != "", Warnings: e.Warnings,
		Version: e.Version, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if e.Key != "" {
		k := e.Key
		out.Key = &k
	}
	s, _ := shapeOf(e.Type, e.SettingsKind)
	if s.locations != refused || len(e.Locations) > 0 {
		l := nonNil(e.Locations)
		out.Locations = &l
	}
	if s.entryPoints != refused || len(e.EntryPoints) > 0 {
		ep := nonNil(e.EntryPoints)
		out.EntryPoints = &ep
	}
	if e.HTTPAuth != nil {
		out.HTTPAuth = &httpAuthJSON{Username: e.HTTPAuth.Username, PasswordSet: e.HTTPAuth.Password != ""}
	}
	return MarshalJSON(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SigningSecret is the one answer to "which secret signs this extension's
// JWTs": the extension's own JWT secret if it has one, else the app's
// client secret.
func SigningSecret(e *Extension, app *App) string {
	if e.JWTSecret != "" {
		return e.JWTSecret
	}
	return app.ClientSecret
}

// SchemaChecker checks the JSON documents that JSON modals and JSON panels
// carry against the platform's formats. It adds every problem it finds to p,
// each named by field and the path inside the document (for example
// "json_schema.properties.blocks.properties.email.$ref"), and nothing when
// the document is fine. It never reaches the network. The adapter lives in
// internal/jsonschema.
type SchemaChecker interface {
	// CheckModalSchema checks a JSON modal's json_schema.
	CheckModalSchema(field string, schema json.RawMessage, p *Problems)
	// CheckPanelSchema checks a JSON panel's data_structure.
	CheckPanelSchema(field string, schema json.RawMessage, p *Problems)
}

// HTTPAuthInput is the HTTP Basic credentials a developer sends.
type HTTPAuthInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// NewExtensionInput is what a developer sends to create an extension: the
// type and that type's fields.
type NewExtensionInput struct {
	Type          ExtensionType   `json:"type"`
	Key           string          `json:"key"` // optional
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	URL           string          `json:"url"`
	APIEndpoint   string          `json:"api_endpoint"`
	IframeURL     string          `json:"iframe_url"`
	JWTSecret     string          `json:"jwt_secret"` // empty: the app's client secret signs
	Locations     []string        `json:"locations"`
	EntryPoints   []string        `json:"entry_points"`
	JSONSchema    json.RawMessage `json:"json_schema"`
	DataStructure json.RawMessage `json:"data_structure"`
	HTTPAuth      *HTTPAuthInput  `json:"http_auth"`
	SettingsKind  SettingsKind    `json:"settings_kind"`
}

// NewExtension validates in against every rule of its type and returns a new
// extension of app, with a fresh identifier, at version 1. Every broken rule
// is reported at once in one EINVALID error; a name that is not in sentence
// case is accepted with a warning. checker must not be nil when in carries a
// json_schema or a data_structure.
//
// NewExtension does not enforce the per-view and per-app limits: they depend
// on the app's other extensions, and the store enforces them with Slots.
func NewExtension(in NewExtensionInput, app *App, checker SchemaChecker, now time.Time) (*Extension, error) {
	var p Problems
	e := &Extension{
		ID:            NewID("ext_"),
		AppID:         app.ID,
		Type:          in.Type,
		Key:           in.Key,
		Name:          strings.TrimSpace(in.Name),
		Description:   strings.TrimSpace(in.Description),
		URL:           in.URL,
		APIEndpoint:   in.APIEndpoint,
		IframeURL:     in.IframeURL,
		JWTSecret:     in.JWTSecret,
		Locations:     slices.Clone(in.Locations),
		EntryPoints:   slices.Clone(in.EntryPoints),
		JSONSchema:    rawOrNil(in.JSONSchema),
		DataStructure: rawOrNil(in.DataStructure),
		SettingsKind:  in.SettingsKind,
		Version:       1,
		CreatedAt:     now.UTC(),
		UpdatedAt:     now.UTC(),
	}
	if in.HTTPAuth != nil {
		e.HTTPAuth = &HTTPAuth{Username: in.HTTPAuth.Username, Password: in.HTTPAuth.Password}
	}
	e.validate(&p, checker, true, true)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// rawOrNil treats a JSON null like an absent document.
func rawOrNil(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	return slices.Clone(raw)
}

// presence says whether a member belongs to a type.
type presence uint8

const (
	refused presence = iota
	optional
	required
)

// shape lists which members a type has, and the values its lists accept.
type shape struct {
	name, description, url, apiEndpoint, iframeURL, locations, entryPoints,
	jsonSchema, dataStructure, httpAuth, settingsKind presence
	locationSet, entrySet []string
}

// shapeOf returns the members of type t (a settings page's depend on its
// kind); ok is false for an unknown type.
func shapeOf(t ExtensionType, kind SettingsKind) (s shape, ok bool) {
	switch t {
	case ExtLinkAction:
		return shape{name: required, description: optional, url: required,
			locations: required, locationSet: Views()}, true
	case ExtJSONModal:
		return shape{name: required, description: optional, apiEndpoint: required,
			jsonSchema: required, locations: required, locationSet: Views()}, true
	case ExtJSONPanel:
		return shape{name: required, description: optional, apiEndpoint: required,
			dataStructure: required, httpAuth: optional, locations: required,
			locationSet: PanelLocations()}, true
	case ExtCustomModal:
		return shape{name: required, description: optional, iframeURL: required,
			entryPoints: optional, entrySet: Views()}, true
	case ExtCustomPanel:
		return shape{name: required, description: optional, iframeURL: required,
			locations: required, locationSet: PanelLocations()}, true
	case ExtFloatingWindow:
		return shape{name: required, description: required, iframeURL: required,
			entryPoints: optional, entrySet: FloatingEntryPoints()}, true
	case ExtSettingsPage:
		s := shape{settingsKind: required, url: optional, iframeURL: optional}
		switch kind {
		case SettingsExternalLink:
			s.url, s.iframeURL = required, refused
		case SettingsCustomUI:
			s.url, s.iframeURL = refused, required
		}
		return s, true
	}
	return shape{}, false
}

// normalize fills in defaults that depend on the type.
func (e *Extension) normalize() {
	if e.Type == ExtFloatingWindow && len(e.EntryPoints) == 0 {
		e.EntryPoints = []string{EntryTopBar}
	}
	if len(e.Locations) == 0 {
		e.Locations = nil
	}
	if len(e.EntryPoints) == 0 {
		e.EntryPoints = nil
	}
}

// validate checks e against its type's rules and recomputes its warnings.
// The schema documents are handed to checker only when checkModal or
// checkPanel says they are new, so that a stored document is not judged
// again by rules that came after it.
func (e *Extension) validate(p *Problems, checker SchemaChecker, checkModal, checkPanel bool) {
	e.normalize()
	e.Warnings = nil
	s, ok := shapeOf(e.Type, e.SettingsKind)
	if !ok {
		if e.Type == "" {
			p.Add("type", "is required (one of %s)", joinTypes())
		} else {
			p.Add("type", "must be one of %s", joinTypes())
		}
		return
	}
	members := []struct {
		field   string
		present bool
		rule    presence
	}{
		{"name", e.Name != "", s.name},
		{"description", e.Description != "", s.description},
		{"url", e.URL != "", s.url},
		{"api_endpoint", e.APIEndpoint != "", s.apiEndpoint},
		{"iframe_url", e.IframeURL != "", s.iframeURL},
		{"locations", len(e.Locations) > 0, s.locations},
		{"entry_points", len(e.EntryPoints) > 0, s.entryPoints},
		{"json_schema", e.JSONSchema != nil, s.jsonSchema},
		{"data_structure", e.DataStructure != nil, s.dataStructure},
		{"http_auth", e.HTTPAuth != nil, s.httpAuth},
		{"settings_kind", e.SettingsKind != "", s.settingsKind},
	}
	check := map[string]bool{}
	for _, m := range members {
		switch {
		case m.present && m.rule == refused:
			p.Add(m.field, "does not apply to type %s", e.Type)
		case !m.present && m.rule == required && (m.field == "locations" || m.field == "entry_points"):
			p.Add(m.field, "needs at least one value for type %s", e.Type)
		case !m.present && m.rule == required:
			p.Add(m.field, "is required for type %s", e.Type)
		case m.present:
			check[m.field] = true
		}
	}

	if check["name"] {
		e.checkName(p)
	}
	if e.Key != "" {
		CheckExtensionKey(p, "key", e.Key, e.ID)
	}
	if check["description"] {
		checkLen(p, "description", e.Description, MaxExtensionDescriptionLen)
	}
	if check["url"] {
		CheckURL(p, "url", e.URL, false)
	}
	if check["api_endpoint"] {
		CheckURL(p, "api_endpoint", e.APIEndpoint, false)
		if strings.HasPrefix(strings.ToLower(e.APIEndpoint), "http:") {
			e.Warnings = append(e.Warnings, "api_endpoint uses http: the platform recommends authenticated HTTPS requests")
		}
	}
	if check["iframe_url"] {
		CheckURL(p, "iframe_url", e.IframeURL, true)
	}
	if check["locations"] {
		checkSet(p, "locations", e.Locations, s.locationSet)
	}
	if check["entry_points"] {
		checkSet(p, "entry_points", e.EntryPoints, s.entrySet)
	}
	if check["json_schema"] {
		e.JSONSchema = checkDocument(p, "json_schema", e.JSONSchema, checkModal, checker, SchemaChecker.CheckModalSchema)
	}
	if check["data_structure"] {
		e.DataStructure = checkDocument(p, "data_structure", e.DataStructure, checkPanel, checker, SchemaChecker.CheckPanelSchema)
	}
	if check["settings_kind"] && e.SettingsKind != SettingsExternalLink && e.SettingsKind != SettingsCustomUI {
		p.Add("settings_kind", "must be %s or %s", SettingsExternalLink, SettingsCustomUI)
	}
	if e.JWTSecret != "" {
		switch n := utf8.RuneCountInString(e.JWTSecret); {
		case n < MinJWTSecretLen || n > MaxJWTSecretLen:
			p.Add("jwt_secret", "must be %d to %d characters", MinJWTSecretLen, MaxJWTSecretLen)
		case !isPrintable(e.JWTSecret) || !utf8.ValidString(e.JWTSecret):
			p.Add("jwt_secret", "must not contain control characters")
		}
	}
	if e.Type == ExtJSONPanel {
		e.checkPanelAuth(p)
	}
}

func joinTypes() string {
	names := make([]string, 0, 7)
	for _, t := range ExtensionTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

func (e *Extension) checkName(p *Problems) {
	switch n := utf8.RuneCountInString(e.Name); {
	case n > MaxExtensionNameLen:
		p.Add("name", "must be at most %d characters", MaxExtensionNameLen)
	case !isPrintable(e.Name) || !utf8.ValidString(e.Name):
		p.Add("name", "must not contain control characters")
	case !IsSentenceCase(e.Name):
		e.Warnings = append(e.Warnings, "name is not in sentence case: capitalize only the first word (and proper nouns or acronyms)")
	}
}

// IsSentenceCase reports whether name looks sentence-cased: its first letter
// is not lower case, and the words of four letters or more after the first
// are not all capitalized. Acronyms (words in capitals, like CRM) are not
// counted, so "Sync to CRM" and "Send quote - Car Services" pass while
// "send quote" and "Send Quote To Customer" do not. The rule is deliberately
// simple: "Add to Asana" fails it too, which costs the developer a warning,
// not a refusal.
func IsSentenceCase(name string) bool {
	for _, r := range name {
		if unicode.IsLetter(r) {
			if unicode.IsLower(r) {
				return false
			}
			break
		}
	}
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	long, capitalized := 0, 0
	for i, w := range words {
		if i == 0 || letterCount(w) <= 3 || isAcronym(w) {
			continue
		}
		long++
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) {
			capitalized++
		}
	}
	return long == 0 || capitalized < long
}

func letterCount(w string) int {
	n := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

func isAcronym(w string) bool {
	return !strings.ContainsFunc(w, unicode.IsLower) && strings.ContainsFunc(w, unicode.IsUpper)
}

// checkSet adds a problem for every value of list that is not in allowed or
// repeats an earlier one.
func checkSet(p *Problems, field string, list, allowed []string) {
	seen := map[string]int{}
	for i, v := range list {
		if !slices.Contains(allowed, v) {
			p.Add(fieldIndex(field, i), "unknown value %q: must be one of %s", truncate(v, 64), strings.Join(allowed, ", "))
			continue
		}
		if j, dup := seen[v]; dup {
			p.Add(fieldIndex(field, i), "repeats %s", fieldIndex(field, j))
			continue
		}
		seen[v] = i
	}
}

// checkDocument checks what the domain knows of a schema document (its size
// and that it is a JSON object), then, when the document is new, hands it to
// the checker. It returns the document compacted, as it will be stored.
func checkDocument(p *Problems, field string, doc json.RawMessage, isNew bool, checker SchemaChecker,
	check func(SchemaChecker, string, json.RawMessage, *Problems)) json.RawMessage {
	if len(doc) > MaxSchemaBytes {
		p.Add(field, "must be at most %d bytes", MaxSchemaBytes)
		return doc
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		p.Add(field, "must be valid JSON")
		return doc
	}
	if buf.Len() == 0 || buf.Bytes()[0] != '{' {
		p.Add(field, "must be a JSON object")
		return doc
	}
	if isNew {
		check(checker, field, buf.Bytes(), p)
	}
	return buf.Bytes()
}

// checkPanelAuth enforces that a JSON panel's requests are authenticated:
// complete HTTP Basic credentials, a JWT secret, or both.
func (e *Extension) checkPanelAuth(p *Problems) {
	a := e.HTTPAuth
	if a == nil {
		if e.JWTSecret == "" {
			p.Add("http_auth", "is required unless jwt_secret is set: a JSON panel's requests must be authenticated")
		}
		return
	}
	switch n := utf8.RuneCountInString(a.Username); {
	case n == 0:
		p.Add("http_auth.username", "is required")
	case n > MaxHTTPAuthLen:
		p.Add("http_auth.username", "must be at most %d characters", MaxHTTPAuthLen)
	case strings.Contains(a.Username, ":"):
		p.Add("http_auth.username", "must not contain a colon (RFC 7617)")
	case !isPrintable(a.Username) || !utf8.ValidString(a.Username):
		p.Add("http_auth.username", "must not contain control characters")
	}
	switch n := utf8.RuneCountInString(a.Password); {
	case n == 0:
		p.Add("http_auth.password", "is required")
	case n > MaxHTTPAuthLen:
		p.Add("http_auth.password", "must be at most %d characters", MaxHTTPAuthLen)
	case !isPrintable(a.Password) || !utf8.ValidString(a.Password):
		p.Add("http_auth.password", "must not contain control characters")
	}
}

// ExtensionPatch is a JSON merge patch (RFC 7396) of an extension. The type
// cannot change; read-only members are accepted by the decoder only to be
// refused with a clear message.
type ExtensionPatch struct {
	Type          Optional[ExtensionType]   `json:"type"`
	Key           Optional[string]          `json:"key"` // null or "": no key
	Name          Optional[string]          `json:"name"`
	Description   Optional[string]          `json:"description"`
	URL           Optional[string]          `json:"url"`
	APIEndpoint   Optional[string]          `json:"api_endpoint"`
	IframeURL     Optional[string]          `json:"iframe_url"`
	JWTSecret     Optional[string]          `json:"jwt_secret"` // null or "": the app's client secret signs
	Locations     Optional[[]string]        `json:"locations"`
	EntryPoints   Optional[[]string]        `json:"entry_points"`
	JSONSchema    Optional[json.RawMessage] `json:"json_schema"`
	DataStructure Optional[json.RawMessage] `json:"data_structure"`
	HTTPAuth      Optional[HTTPAuthPatch]   `json:"http_auth"`
	SettingsKind  Optional[SettingsKind]    `json:"settings_kind"`

	ExtensionReadOnly
}

// HTTPAuthPatch is the merge patch of HTTP Basic credentials: an absent
// password keeps the stored one.
type HTTPAuthPatch struct {
	Username    Optional[string] `json:"username"`
	Password    Optional[string] `json:"password"`
	PasswordSet Optional[any]    `json:"password_set"` // read-only
}

// ExtensionReadOnly names the server-owned members of an extension, so that
// a client that sends one back learns that it cannot change it.
type ExtensionReadOnly struct {
	ID           Optional[any] `json:"id"`
	AppID        Optional[any] `json:"app_id"`
	JWTSecretSet Optional[any] `json:"jwt_secret_set"`
	Warnings     Optional[any] `json:"warnings"`
	Version      Optional[any] `json:"version"`
	CreatedAt    Optional[any] `json:"created_at"`
	UpdatedAt    Optional[any] `json:"updated_at"`
}

func (r ExtensionReadOnly) check(p *Problems) {
	for _, m := range []struct {
		field string
		set   bool
	}{
		{"id", r.ID.Set}, {"app_id", r.AppID.Set}, {"jwt_secret_set", r.JWTSecretSet.Set},
		{"warnings", r.Warnings.Set}, {"version", r.Version.Set},
		{"created_at", r.CreatedAt.Set}, {"updated_at", r.UpdatedAt.Set},
	} {
		if m.set {
			p.Add(m.field, "is read-only")
		}
	}
}

// Apply returns a copy of e with the patch merged in and validated, with
// Version and UpdatedAt moved on. e itself is not changed. Only documents
// that the patch replaces are handed to checker.
func (patch ExtensionPatch) Apply(e *Extension, checker SchemaChecker, now time.Time) (*Extension, error) {
	var p Problems
	patch.ExtensionReadOnly.check(&p)
	next := e.clone()
	if t := patch.Type; t.Set && (t.Null || t.Value != e.Type) {
		p.Add("type", "cannot be changed after creation")
	}
	setString := func(dst *string, o Optional[string], trim bool) {
		if o.Set {
			*dst = o.Value // null clears: Value is ""
			if trim {
				*dst = strings.TrimSpace(*dst)
			}
		}
	}
	setString(&next.Key, patch.Key, false)
	setString(&next.Name, patch.Name, true)
	setString(&next.Description, patch.Description, true)
	setString(&next.URL, patch.URL, false)
	setString(&next.APIEndpoint, patch.APIEndpoint, false)
	setString(&next.IframeURL, patch.IframeURL, false)
	setString(&next.JWTSecret, patch.JWTSecret, false)
	if o := patch.Locations; o.Set {
		next.Locations = slices.Clone(o.Value)
	}
	if o := patch.EntryPoints; o.Set {
		next.EntryPoints = slices.Clone(o.Value) // null: the type's default
	}
	if o := patch.JSONSchema; o.Set {
		next.JSONSchema = rawOrNil(o.Value)
	}
	if o := patch.DataStructure; o.Set {
		next.DataStructure = rawOrNil(o.Value)
	}
	if o := patch.SettingsKind; o.Set {
		next.SettingsKind = o.Value
	}
	if o := patch.HTTPAuth; o.Set {
		if o.Null {
			next.HTTPAuth = nil
		} else {
			a := HTTPAuth{}
			if next.HTTPAuth != nil {
				a = *next.HTTPAuth
			}
			if o.Value.PasswordSet.Set {
				p.Add("http_auth.password_set", "is read-only")
			}
			setString(&a.Username, o.Value.Username, false)
			setString(&a.Password, o.Value.Password, false)
			next.HTTPAuth = &a
		}
	}
	next.validate(&p, checker,
		patch.JSONSchema.Set && next.JSONSchema != nil,
		patch.DataStructure.Set && next.DataStructure != nil)
	if err := p.Err(); err != nil {
		return nil, err
	}
	next.Version = e.Version + 1
	next.UpdatedAt = now.UTC()
	return next, nil
}

func (e *Extension) clone() *Extension {
	c := *e
	c.Locations = slices.Clone(e.Locations)
	c.EntryPoints = slices.Clone(e.EntryPoints)
	c.JSONSchema = slices.Clone(e.JSONSchema)
	c.DataStructure = slices.Clone(e.DataStructure)
	c.Warnings = slices.Clone(e.Warnings)
	if e.HTTPAuth != nil {
		a := *e.HTTPAuth
		c.HTTPAuth = &a
	}
	return &c
}

// Limits on how many extensions an app may have, enforced through slots.
const (
	MaxActionsPerView    = 3  // link actions, JSON modals and custom modals in one view
	MaxActionsPerApp     = 21 // link actions, JSON modals and custom modals in one app
	MaxPanelsPerLocation = 1  // JSON and custom panels in one detail view
	MaxFloatingWindows   = 1
	MaxSettingsPages     = 1
)

// Slot keys.
const (
	slotAppActions     = "app#actions"
	slotViewPrefix     = "view#"
	slotPanelPrefix    = "panel#"
	slotFloatingWindow = "floating_window"
	slotSettingsPage   = "settings_page"
	slotKeyPrefix      = "key#"
)

// Slot is one unit of a per-app limit that an extension occupies: a counter
// named Key (unique within the app) that may not exceed Max.
//
// The store enforces the limits atomically, whatever the concurrency: in the
// same transaction (DynamoDB TransactWriteItems) that writes or deletes the
// extension, it increments one counter item per acquired slot, keyed by the
// app and Key, on the condition count < Max (a missing item counts 0), and
// decrements one per released slot. A failed condition cancels the whole
// transaction; the store then answers with the slot's Conflict error, so two
// requests racing for the last slot end with one winner and one ECONFLICT.
type Slot struct {
	Key string
	Max int
}

// Conflict is the error for a slot that is full.
func (s Slot) Conflict() error {
	k := s.Key
	switch {
	case k == slotAppActions:
		return Errorf(ECONFLICT, "The app already has %d link actions, JSON modals and custom modals, the most it may have.", s.Max)
	case strings.HasPrefix(k, slotViewPrefix):
		return Errorf(ECONFLICT, "The app already has %d link actions, JSON modals and custom modals in view %s, the most one view may have.",
			s.Max, truncate(strings.TrimPrefix(k, slotViewPrefix), 64))
	case strings.HasPrefix(k, slotPanelPrefix):
		return Errorf(ECONFLICT, "The app already has a panel in %s; each detail view holds at most %d panel per app.",
			truncate(strings.TrimPrefix(k, slotPanelPrefix), 64), s.Max)
	case k == slotFloatingWindow:
		return Errorf(ECONFLICT, "The app already has a floating window; an app may have at most %d.", s.Max)
	case k == slotSettingsPage:
		return Errorf(ECONFLICT, "The app already has a settings page; an app may have at most %d.", s.Max)
	case strings.HasPrefix(k, slotKeyPrefix):
		return &Error{Code: ECONFLICT, Message: fmt.Sprintf("The app already has an extension with key %q; keys are unique per app.",
			truncate(strings.TrimPrefix(k, slotKeyPrefix), 64)), Fields: []FieldError{{Field: "key", Message: "is taken by another extension of the app"}}}
	}
	return Errorf(ECONFLICT, "A limit on the app's extensions was reached.")
}

// Slots returns every slot e occupies, sorted by key, without repeats:
//   - a link action, JSON modal or custom modal: "app#actions" (even a custom
//     modal with no entry points) and "view#<view>" for each location or
//     entry point;
//   - a JSON or custom panel: "panel#<location>" for each location;
//   - a floating window: "floating_window"; a settings page: "settings_page";
//   - an extension with a key: also "key#<key>" (at most 1), which makes
//     keys unique per app under concurrent writes, as the limits are.
func (e *Extension) Slots() []Slot {
	var out []Slot
	if e.Key != "" {
		out = append(out, Slot{slotKeyPrefix + e.Key, 1})
	}
	switch e.Type {
	case ExtLinkAction, ExtJSONModal, ExtCustomModal:
		out = append(out, Slot{slotAppActions, MaxActionsPerApp})
		views := e.Locations
		if e.Type == ExtCustomModal {
			views = e.EntryPoints
		}
		for _, v := range views {
			out = append(out, Slot{slotViewPrefix + v, MaxActionsPerView})
		}
	case ExtJSONPanel, ExtCustomPanel:
		for _, l := range e.Locations {
			out = append(out, Slot{slotPanelPrefix + l, MaxPanelsPerLocation})
		}
	case ExtFloatingWindow:
		out = append(out, Slot{slotFloatingWindow, MaxFloatingWindows})
	case ExtSettingsPage:
		out = append(out, Slot{slotSettingsPage, MaxSettingsPages})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return slices.CompactFunc(out, func(a, b Slot) bool { return a.Key == b.Key })
}

// SlotDiff returns the slots in next but not in prev (to acquire) and those
// in prev but not in next (to release), each sorted by key. Creating is
// SlotDiff(nil, e.Slots()); deleting is SlotDiff(e.Slots(), nil).
func SlotDiff(prev, next []Slot) (acquire, release []Slot) {
	in := func(list []Slot, key string) bool {
		return slices.ContainsFunc(list, func(s Slot) bool { return s.Key == key })
	}
	for _, s := range next {
		if !in(prev, s.Key) && !in(acquire, s.Key) {
			acquire = append(acquire, s)
		}
	}
	for _, s := range prev {
		if !in(next, s.Key) && !in(release, s.Key) {
			release = append(release, s)
		}
	}
	byKey := func(a, b Slot) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(acquire, byKey)
	slices.SortFunc(release, byKey)
	return acquire, release
}

// MaxExtensionKeyLen is the longest extension key.
const MaxExtensionKeyLen = 40

// CheckExtensionKey adds a problem unless key is 1 to 40 of a-z, 0-9 and
// "-". Keys of the form "ext-<26 id characters>" are the implicit keys of
// extensions without one (ImplicitKey): such a key may be given only to the
// extension extID it names, so that an export never lists a key twice.
func CheckExtensionKey(p *Problems, field, key, extID string) {
	if !validKey(key) {
		p.Add(field, "must be 1 to %d characters of a-z, 0-9 and -", MaxExtensionKeyLen)
		return
	}
	if isImplicitKey(key) && key != ImplicitKey(extID) {
		p.Add(field, "has the form of another extension's implicit key (ext-<id>): choose another key")
	}
}

func validKey(key string) bool {
	if len(key) == 0 || len(key) > MaxExtensionKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ImplicitKey is the key a manifest uses for the extension extID when it has
// none: "ext-" and the identifier's 26 characters.
func ImplicitKey(extID string) string { return "ext-" + strings.TrimPrefix(extID, "ext_") }

func isImplicitKey(key string) bool {
	rest, ok := strings.CutPrefix(key, "ext-")
	if !ok || len(rest) != 26 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'v') {
			return false
		}
	}
	return true
}

// ManifestKey is the key that ties e to a manifest entry: its own, or its
// implicit one.
func (e *Extension) ManifestKey() string {
	if e.Key != "" {
		return e.Key
	}
	return ImplicitKey(e.ID)
}
