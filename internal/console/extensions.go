package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/devhub-oss/devhub/internal/console/preview"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

// The App extensions tab: a section per extension type with its "Add …"
// button (disabled, with the reason, when a limit is reached) and the
// existing extensions with "Edit" and "Delete"; the usage of the limits; a
// form per type with the seeds' labels; and, for JSON modals and JSON
// panels, the Preview beside the editor (internal/console/preview).
//
// Round trips: the tab and each form page read the app and its extensions
// in one Query (hub.AppSettings); a save is the use case's own writes, and
// a refused save one Query more to draw the form again; the preview
// endpoint none.

// ExtensionHub is what the App extensions tab needs of the use cases.
type ExtensionHub interface {
	AppSettings(ctx context.Context, id devhub.Identity, appID string) (*hub.AppSettings, error)
	CreateExtension(ctx context.Context, id devhub.Identity, appID string, in devhub.NewExtensionInput,
		idem hub.Idempotency[hub.ExtensionWrite]) (hub.ExtensionWrite, *hub.Answer, error)
	PatchExtension(ctx context.Context, id devhub.Identity, appID, extID string, patch devhub.ExtensionPatch, ifMatch hub.IfMatch) (hub.ExtensionWrite, error)
	DeleteExtension(ctx context.Context, id devhub.Identity, appID, extID string, ifMatch hub.IfMatch) (hub.ExtensionWrite, error)
}

var _ ExtensionHub = (*hub.Hub)(nil)

// schemas checks JSON modal and JSON panel documents for the preview: the
// same checker the use cases save with.
var schemas devhub.SchemaChecker = jsonschema.New()

func init() {
	notices["ext-added"] = "Extension added."
	notices["ext-saved"] = "Extension saved."
	notices["ext-deleted"] = "Extension deleted."
	notices["ext-held"] = "Saved as a change waiting for review: the app is approved, so a marketplace reviewer approves extension changes before they apply. The Review tab lists them."
}

// extensionRoutes are the App extensions tab's routes.
func (c *Console) extensionRoutes() []Route {
	const base = "/hub/apps/{app_id}/" + tabExt
	return []Route{
		{Method: http.MethodGet, Pattern: base, Handle: c.extensionsTab},
		{Method: http.MethodGet, Pattern: base + "/new", Handle: c.newExtension},
		{Method: http.MethodPost, Pattern: base + "/new", Handle: c.createExtension},
		{Method: http.MethodPost, Pattern: base + "/preview", Handle: c.previewExtension},
		{Method: http.MethodGet, Pattern: base + "/{extension_id}", Handle: c.editExtension},
		{Method: http.MethodPost, Pattern: base + "/{extension_id}", Handle: c.saveExtension},
		{Method: http.MethodPost, Pattern: base + "/{extension_id}/delete", Handle: c.deleteExtension},
	}
}

func extHub(c *Console) ExtensionHub { return c.hub }

func extPath(appID string, rest ...string) string {
	p := "/hub/apps/" + appID + "/" + tabExt
	for _, s := range rest {
		p += "/" + s
	}
	return p
}

// settings reads the app, its extensions and their usage: one Query.
func (c *Console) settings(r *http.Request) (*Session, *hub.AppSettings, error) {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return s, nil, err
	}
	st, err := c.hub.AppSettings(r.Context(), s.Identity, r.PathValue("app_id"))
	return s, st, err
}

func (c *Console) extensionsTab(w http.ResponseWriter, r *http.Request) error {
	s, st, err := c.settings(r)
	if err != nil {
		return err
	}
	c.renderExt(w, r, http.StatusOK, s, st, nil, extTab(c.extTabView(s, st)), "")
	return nil
}

// renderExt renders body inside the app's settings, on its App extensions
// tab, with the preview script when script is set.
func (c *Console) renderExt(w http.ResponseWriter, r *http.Request, status int, s *Session, st *hub.AppSettings, f *Form, body templ.Component, title string) {
	if f == nil {
		f = NewForm(nil)
	}
	p := &appPage{view: c.view(s), App: st.App, Tab: tabExt, Form: f, Now: c.now()}
	if title == "" {
		title = TabExtensions
	}
	page := &Page{Title: title + " – " + st.App.Name, Session: s}
	renderPage(w, r, status, page, appShell(p, body))
}

// extKind is one extension type as the tab shows it.
type extKind struct {
	Type    devhub.ExtensionType
	Heading string // the section's heading
	Add     string // the "Add …" button
	Noun    string // "JSON modal": the form's heading says "Edit JSON modal"
	Fields  []extField
	// Doc is the field that holds the JSON document the Preview draws
	// (json_schema, data_structure), "" for types without one.
	Doc string
}

// fieldKind says how a field is asked for.
type fieldKind uint8

const (
	fText fieldKind = iota
	fURL
	fSecret
	fJSON
	fViews       // checkboxes: the seven views
	fPanels      // checkboxes: the three panel locations
	fFloating    // checkboxes: a floating window's entry points
	fSettingKind // radios: External link / Custom UI
)

// extField is one input of an extension form. Name is the API's field name
// (and the input's name), so that the use case's field errors land beside
// it.
type extField struct {
	Name, Label, Hint string
	Kind              fieldKind
	Required          bool
	MaxLen            int
}

// Hints say what to type, as the seeds do.
const (
	hintName         = "Short and descriptive, at most 30 characters, in sentence case (capitalize only the first word). It appears in the platform and in the Features section of your marketplace listing."
	hintDescription  = "Optional, at most 150 characters. It tells users what they can do with it, in the Features section of your marketplace listing."
	hintJWT          = "Optional, 16 to 256 characters. The platform signs the JWT it opens the extension with using it; if left empty, the app's client secret is used."
	hintJWTPanel     = "Required if HTTP Auth is not given; 16 to 256 characters. If left empty, the app's client secret signs the JWT."
	hintIframe       = "The web content shown inside the platform. It must use HTTPS."
	hintLinkURL      = "Where the user goes when they click the action. It must handle users who are logged into your app and users who are not."
	hintModalAPI     = "Every request of this modal (its data, its buttons) is sent to this URL."
	hintPanelAPI     = "The platform fetches the panel's data from this URL. Use HTTPS: self-signed certificates are not supported."
	hintHTTPUser     = "The platform sends the username and password as HTTP Basic authentication with each request. Leave the username empty to use only a JWT secret."
	hintSchema       = "The modal's blocks and action buttons. The Preview shows them as users will see them, with each problem at its place."
	hintDataStruct   = "The JSON Schema of the data your API endpoint answers: one object, or an array of objects. The Preview shows the panel drawn from it."
	hintLocations    = "Where the action is offered. Each view holds at most 3 link actions, JSON modals and custom modals of an app; an app has at most 21."
	hintPanelLocs    = "Each detail view holds one panel (JSON or custom) of an app."
	hintEntryModal   = "Optional: the modal appears in the actions menu of each view chosen. With none, only the SDK opens it. Each view holds at most 3 link actions, JSON modals and custom modals of an app."
	hintEntryFloat   = "The top bar is the default; the phone number and Calls tab entry point is for communication apps. An app has at most one floating window."
	hintSettingsKind = "How users of your app reach its settings."
	hintSettingsURL  = "For External link: where your app's settings page is."
	hintSettingsIfr  = "For Custom UI: the web content shown inside the platform. It must use HTTPS."
	hintSecretKept   = " One is stored: leave this empty to keep it."
)

func nameField(label string) extField {
	return extField{Name: "name", Label: label, Hint: hintName, Required: true, MaxLen: devhub.MaxExtensionNameLen}
}

func descField(label string, required bool) extField {
	h := hintDescription
	if required {
		h = "At most 150 characters: what users can do within the window. It appears in the Features section of your marketplace listing."
	}
	return extField{Name: "description", Label: label, Hint: h, Required: required, MaxLen: devhub.MaxExtensionDescriptionLen}
}

var jwtField = extField{Name: "jwt_secret", Label: "JWT secret", Hint: hintJWT, Kind: fSecret}

// extKinds are the seven types in display order, with the seeds' words.
var extKinds = []extKind{
	{Type: devhub.ExtLinkAction, Heading: "Link actions", Add: "Add link action", Noun: "link action", Fields: []extField{
		nameField("Action name"), descField("Action description", false),
		{Name: "url", Label: "URL link", Hint: hintLinkURL, Kind: fURL, Required: true},
		jwtField,
		{Name: "locations", Label: "Locations", Hint: hintLocations, Kind: fViews, Required: true},
	}},
	{Type: devhub.ExtJSONModal, Heading: "JSON modals", Add: "Add JSON modal", Noun: "JSON modal", Doc: preview.ModalField, Fields: []extField{
		nameField("Action name"), descField("Action description", false),
		{Name: "api_endpoint", Label: "API endpoint", Hint: hintModalAPI, Kind: fURL, Required: true},
		jwtField,
		{Name: "json_schema", Label: "JSON schema", Hint: hintSchema, Kind: fJSON, Required: true},
		{Name: "locations", Label: "Locations", Hint: hintLocations, Kind: fViews, Required: true},
	}},
	{Type: devhub.ExtJSONPanel, Heading: "JSON panels", Add: "Add JSON panel", Noun: "JSON panel", Doc: preview.PanelField, Fields: []extField{
		nameField("Panel name"), descField("Panel description", false),
		{Name: "api_endpoint", Label: "API endpoint", Hint: hintPanelAPI, Kind: fURL, Required: true},
		{Name: "http_auth.username", Label: "HTTP Auth username", Hint: hintHTTPUser},
		{Name: "http_auth.password", Label: "HTTP Auth password", Kind: fSecret},
		{Name: "jwt_secret", Label: "JWT secret", Hint: hintJWTPanel, Kind: fSecret},
		{Name: "data_structure", Label: "JSON data structure", Hint: hintDataStruct, Kind: fJSON, Required: true},
		{Name: "locations", Label: "Panel locations", Hint: hintPanelLocs, Kind: fPanels, Required: true},
	}},
	{Type: devhub.ExtCustomModal, Heading: "Custom modals", Add: "Add custom modal", Noun: "custom modal", Fields: []extField{
		nameField("Modal name"), descField("Modal description", false),
		{Name: "iframe_url", Label: "Iframe URL", Hint: hintIframe, Kind: fURL, Required: true},
		jwtField,
		{Name: "entry_points", Label: "Entry points", Hint: hintEntryModal, Kind: fViews},
	}},
	{Type: devhub.ExtCustomPanel, Heading: "Custom panels", Add: "Add custom panel", Noun: "custom panel", Fields: []extField{
		nameField("Panel name"), descField("Panel description", false),
		{Name: "iframe_url", Label: "Iframe URL", Hint: hintIframe, Kind: fURL, Required: true},
		jwtField,
		{Name: "locations", Label: "Panel locations", Hint: hintPanelLocs, Kind: fPanels, Required: true},
	}},
	{Type: devhub.ExtFloatingWindow, Heading: "Custom floating window", Add: "Add floating window", Noun: "floating window", Fields: []extField{
		nameField("Floating window name"), descField("Floating window description", true),
		{Name: "iframe_url", Label: "Iframe URL", Hint: hintIframe, Kind: fURL, Required: true},
		jwtField,
		{Name: "entry_points", Label: "Entry points", Hint: hintEntryFloat, Kind: fFloating},
	}},
	{Type: devhub.ExtSettingsPage, Heading: "App settings page", Add: "Add app settings page", Noun: "app settings page", Fields: []extField{
		{Name: "settings_kind", Label: "Type", Hint: hintSettingsKind, Kind: fSettingKind, Required: true},
		{Name: "url", Label: "URL", Hint: hintSettingsURL, Kind: fURL},
		{Name: "iframe_url", Label: "Iframe URL", Hint: hintSettingsIfr, Kind: fURL},
		{Name: "jwt_secret", Label: "JWT secret", Hint: "For Custom UI. " + hintJWT, Kind: fSecret},
	}},
}

func kindOf(t devhub.ExtensionType) (*extKind, bool) {
	for i := range extKinds {
		if extKinds[i].Type == t {
			return &extKinds[i], true
		}
	}
	return nil, false
}

// Views, panel locations and entry points in words.
var placeWords = map[string]string{
	devhub.ViewActivitiesList: "Activities list", devhub.ViewDealDetails: "Deal details",
	devhub.ViewDealsList: "Deals list", devhub.ViewPersonDetails: "Person details",
	devhub.ViewPeopleList: "People list", devhub.ViewOrganizationDetails: "Organization details",
	devhub.ViewOrganizationsList: "Organizations list",
	devhub.EntryTopBar:           "Top bar (apps dock)", devhub.EntryPhoneNumber: "Phone number and Calls tab",
}

var settingsKindWords = map[devhub.SettingsKind]string{
	devhub.SettingsExternalLink: "External link", devhub.SettingsCustomUI: "Custom UI",
}

func placesInWords(places []string) string {
	words := make([]string, 0, len(places))
	for _, p := range places {
		if w, ok := placeWords[p]; ok {
			words = append(words, w)
		} else {
			words = append(words, p)
		}
	}
	return strings.Join(words, ", ")
}

// choice is one checkbox or radio of a form.
type choice struct {
	Value, Label string
	Usage        string // "2 of 3 used", for the views and panel locations
}

// extTabData is what the tab shows.
type extTabData struct {
	view
	App      *devhub.App
	Sections []extSection
	Usage    hub.Usage
	Held     bool // the app holds extension writes for review
}

type extSection struct {
	Kind   *extKind
	Items  []extItem
	Reason string // why "Add …" is disabled; "" when it is not
}

type extItem struct {
	Ext     *devhub.Extension
	Where   string // its places in words
	Pending string // "" or what waits for review
	Deleted bool   // its deletion waits for review
}

func (c *Console) extTabView(s *Session, st *hub.AppSettings) *extTabData {
	d := &extTabData{view: c.view(s), App: st.App, Usage: st.Usage, Held: st.App.HoldsExtensionWrites()}
	held := map[string]devhub.PendingOp{}
	for _, op := range st.Held {
		held[op.ID] = op.Op
	}
	for i := range extKinds {
		k := &extKinds[i]
		sec := extSection{Kind: k}
		if err := st.Usage.CanAdd(k.Type); err != nil {
			sec.Reason = devhub.ErrorMessage(err)
		}
		for _, e := range st.Extensions {
			if e.Type != k.Type {
				continue
			}
			it := extItem{Ext: e, Where: whereWords(e)}
			switch held[e.ID] {
			case devhub.PendingCreate:
				it.Pending = "New: waiting for review"
			case devhub.PendingUpdate:
				it.Pending = "Changed: waiting for review"
			}
			sec.Items = append(sec.Items, it)
		}
		for _, e := range st.Live {
			if e.Type == k.Type && held[e.ID] == devhub.PendingDelete {
				sec.Items = append(sec.Items, extItem{Ext: e, Where: whereWords(e), Pending: "Deletion waiting for review", Deleted: true})
			}
		}
		d.Sections = append(d.Sections, sec)
	}
	return d
}

// whereWords says where an extension shows, in words.
func whereWords(e *devhub.Extension) string {
	switch e.Type {
	case devhub.ExtCustomModal:
		if len(e.EntryPoints) == 0 {
			return "Opened from the SDK only"
		}
		return placesInWords(e.EntryPoints)
	case devhub.ExtFloatingWindow:
		return placesInWords(e.EntryPoints)
	case devhub.ExtSettingsPage:
		if e.SettingsKind == devhub.SettingsCustomUI {
			return settingsKindWords[e.SettingsKind] + ": " + e.IframeURL
		}
		return settingsKindWords[e.SettingsKind] + ": " + e.URL
	}
	return placesInWords(e.Locations)
}

func usageText(u hub.SlotUsage) string { return strconv.Itoa(u.Used) + " of " + strconv.Itoa(u.Max) }

// extFormData is one extension's form page.
type extFormData struct {
	view
	App    *devhub.App
	Kind   *extKind
	Form   *Form
	Ext    *devhub.Extension // nil when adding
	Action string            // where the form posts
	// PreviewURL is the preview endpoint, for the script.
	PreviewURL string
	Preview    templ.Component // nil for types without a document
	Usage      hub.Usage
	Warning    string // sentence-case advice about the name
}

func (d *extFormData) Title() string {
	if d.Ext == nil {
		return d.Kind.Add
	}
	return "Edit " + d.Kind.Noun
}

// choices lists the options of a checkbox or radio field, with the usage of
// each place (not counting the extension being edited).
func (d *extFormData) choices(fl extField) []choice {
	var out []choice
	mine := func(p string) bool {
		if d.Ext == nil {
			return false
		}
		return slices.Contains(d.Ext.Locations, p) || slices.Contains(d.Ext.EntryPoints, p)
	}
	usage := func(list []hub.PlaceUsage, p string) string {
		for _, u := range list {
			if u.Place == p {
				used := u.Used
				if mine(p) {
					used--
				}
				return strconv.Itoa(used) + " of " + strconv.Itoa(u.Max) + " used by other extensions"
			}
		}
		return ""
	}
	switch fl.Kind {
	case fViews:
		for _, v := range devhub.Views() {
			out = append(out, choice{Value: v, Label: placeWords[v], Usage: usage(d.Usage.Views, v)})
		}
	case fPanels:
		for _, l := range devhub.PanelLocations() {
			out = append(out, choice{Value: l, Label: placeWords[l], Usage: usage(d.Usage.Panels, l)})
		}
	case fFloating:
		for _, ep := range devhub.FloatingEntryPoints() {
			out = append(out, choice{Value: ep, Label: placeWords[ep]})
		}
	case fSettingKind:
		for _, k := range []devhub.SettingsKind{devhub.SettingsExternalLink, devhub.SettingsCustomUI} {
			out = append(out, choice{Value: string(k), Label: settingsKindWords[k]})
		}
	}
	return out
}

// hint is a field's hint; secrets that are stored say that an empty field
// keeps them.
func (d *extFormData) hint(fl extField) string {
	h := fl.Hint
	if d.Ext != nil {
		switch {
		case fl.Name == "jwt_secret" && d.Ext.JWTSecret != "":
			h += hintSecretKept
		case fl.Name == "http_auth.password" && d.Ext.HTTPAuth != nil && d.Ext.HTTPAuth.Password != "":
			h = strings.TrimSpace(h + hintSecretKept)
		}
	}
	return h
}

func (d *extFormData) field(fl extField) Field {
	attrs := templ.Attributes{}
	if fl.MaxLen > 0 {
		attrs["maxlength"] = strconv.Itoa(fl.MaxLen)
	}
	if fl.Required {
		attrs["aria-required"] = "true"
	}
	typ := "text"
	switch fl.Kind {
	case fURL:
		typ = "url"
		attrs["spellcheck"] = "false"
		attrs["placeholder"] = "https://"
	case fSecret:
		typ = "password"
		attrs["autocomplete"] = "new-password"
	case fJSON:
		attrs["spellcheck"] = "false"
		attrs["rows"] = "18"
		attrs["data-preview-source"] = true
		attrs["class"] = "ext-editor"
	}
	if fl.Name == "name" || fl.Name == "http_auth.username" {
		attrs["autocomplete"] = "off"
	}
	return Field{Name: fl.Name, Label: fl.Label, Hint: d.hint(fl), Type: typ, Attrs: attrs}
}

// extValues are an extension's form values: what its edit form starts
// with. Secrets are never put in a page; documents are indented to edit.
func extValues(e *devhub.Extension) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("name", e.Name)
	set("description", e.Description)
	set("url", e.URL)
	set("api_endpoint", e.APIEndpoint)
	set("iframe_url", e.IframeURL)
	set("settings_kind", string(e.SettingsKind))
	set("json_schema", indent(e.JSONSchema))
	set("data_structure", indent(e.DataStructure))
	if e.HTTPAuth != nil {
		set("http_auth.username", e.HTTPAuth.Username)
	}
	for _, l := range e.Locations {
		v.Add("locations", l)
	}
	for _, ep := range e.EntryPoints {
		v.Add("entry_points", ep)
	}
	v.Set("version", strconv.Itoa(e.Version))
	return v
}

func indent(doc json.RawMessage) string {
	if len(doc) == 0 {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, doc, "", "  ") != nil {
		return string(doc)
	}
	return b.String()
}

func trimmed(f *Form, name string) string { return strings.TrimSpace(f.Get(name)) }

func document(f *Form, name string) json.RawMessage {
	s := f.Get(name)
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return json.RawMessage(s)
}

// extInput turns a submitted form into a new extension of kind k.
func extInput(k *extKind, f *Form) devhub.NewExtensionInput {
	in := devhub.NewExtensionInput{Type: k.Type}
	for _, fl := range k.Fields {
		switch fl.Name {
		case "name":
			in.Name = f.Get("name")
		case "description":
			in.Description = f.Get("description")
		case "url":
			in.URL = trimmed(f, "url")
		case "api_endpoint":
			in.APIEndpoint = trimmed(f, "api_endpoint")
		case "iframe_url":
			in.IframeURL = trimmed(f, "iframe_url")
		case "jwt_secret":
			in.JWTSecret = f.Get("jwt_secret")
		case "locations":
			in.Locations = f.Values["locations"]
		case "entry_points":
			in.EntryPoints = f.Values["entry_points"]
		case "json_schema":
			in.JSONSchema = document(f, "json_schema")
		case "data_structure":
			in.DataStructure = document(f, "data_structure")
		case "http_auth.username":
			if u, p := f.Get("http_auth.username"), f.Get("http_auth.password"); u != "" || p != "" {
				in.HTTPAuth = &devhub.HTTPAuthInput{Username: u, Password: p}
			}
		case "settings_kind":
			in.SettingsKind = devhub.SettingsKind(f.Get("settings_kind"))
		}
	}
	if k.Type == devhub.ExtSettingsPage { // only the chosen kind's URL counts
		switch in.SettingsKind {
		case devhub.SettingsExternalLink:
			in.IframeURL = ""
		case devhub.SettingsCustomUI:
			in.URL = ""
		}
	}
	return in
}

// extPatch turns a submitted edit form into a merge patch of e: every field
// of the type is sent as typed, but an empty secret keeps the stored one,
// and a document left as it was is not sent (so it is not judged again).
func extPatch(k *extKind, f *Form, e *devhub.Extension) devhub.ExtensionPatch {
	in := extInput(k, f)
	str := func(s string) devhub.Optional[string] { return devhub.Optional[string]{Set: true, Value: s} }
	var p devhub.ExtensionPatch
	for _, fl := range k.Fields {
		switch fl.Name {
		case "name":
			p.Name = str(in.Name)
		case "description":
			p.Description = str(in.Description)
		case "url":
			p.URL = str(in.URL)
		case "api_endpoint":
			p.APIEndpoint = str(in.APIEndpoint)
		case "iframe_url":
			p.IframeURL = str(in.IframeURL)
		case "jwt_secret":
			if f.Get("jwt_secret_remove") == "1" {
				p.JWTSecret = devhub.Optional[string]{Set: true, Null: true}
			} else if in.JWTSecret != "" {
				p.JWTSecret = str(in.JWTSecret)
			}
		case "locations":
			p.Locations = devhub.Optional[[]string]{Set: true, Value: in.Locations}
		case "entry_points":
			p.EntryPoints = devhub.Optional[[]string]{Set: true, Value: in.EntryPoints, Null: len(in.EntryPoints) == 0}
		case "json_schema":
			if !sameDocument(in.JSONSchema, e.JSONSchema) {
				p.JSONSchema = devhub.Optional[json.RawMessage]{Set: true, Value: in.JSONSchema, Null: in.JSONSchema == nil}
			}
		case "data_structure":
			if !sameDocument(in.DataStructure, e.DataStructure) {
				p.DataStructure = devhub.Optional[json.RawMessage]{Set: true, Value: in.DataStructure, Null: in.DataStructure == nil}
			}
		case "http_auth.username":
			if in.HTTPAuth == nil || in.HTTPAuth.Username == "" && e.HTTPAuth != nil {
				if e.HTTPAuth != nil || in.HTTPAuth != nil {
					p.HTTPAuth = devhub.Optional[devhub.HTTPAuthPatch]{Set: true, Null: true}
				}
				if in.HTTPAuth != nil && in.HTTPAuth.Password != "" { // a password alone: let the rule speak
					p.HTTPAuth = devhub.Optional[devhub.HTTPAuthPatch]{Set: true, Value: devhub.HTTPAuthPatch{
						Username: str(""), Password: str(in.HTTPAuth.Password)}}
				}
				continue
			}
			a := devhub.HTTPAuthPatch{Username: str(in.HTTPAuth.Username)}
			if in.HTTPAuth.Password != "" {
				a.Password = str(in.HTTPAuth.Password)
			}
			p.HTTPAuth = devhub.Optional[devhub.HTTPAuthPatch]{Set: true, Value: a}
		case "settings_kind":
			p.SettingsKind = devhub.Optional[devhub.SettingsKind]{Set: true, Value: in.SettingsKind}
		}
	}
	return p
}

// sameDocument reports whether two JSON documents differ only in spacing.
func sameDocument(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// failExt puts a refused save's problems beside the fields of k's form:
// problems inside a document are counted beside the editor and drawn in
// the Preview at their place; a full view or location is named in words
// beside the places asked for.
func failExt(f *Form, k *extKind, err error, u hub.Usage, e *devhub.Extension) {
	f.Labels = map[string]string{}
	for _, fl := range k.Fields {
		f.Labels[fl.Name] = fl.Label
	}
	f.Labels["http_auth"] = "HTTP Auth"
	inDoc := 0
	for _, fe := range devhub.ErrorFields(err) {
		name := baseField(fe.Field)
		switch {
		case k.Doc != "" && strings.HasPrefix(fe.Field, k.Doc+".") || k.Doc != "" && strings.HasPrefix(fe.Field, k.Doc+"["):
			inDoc++
			continue
		case name == "http_auth":
			name = "http_auth.username"
			f.Labels[name] = "HTTP Auth username"
		case name == "url" && k.Type == devhub.ExtSettingsPage, name == "iframe_url" && k.Type == devhub.ExtSettingsPage:
		case name == "type":
			name = ""
		}
		if name == "" || f.Labels[name] == "" {
			f.Message = "The extension could not be saved: " + fe.Field + " " + fe.Message + "."
			continue
		}
		f.AddError(name, fe.Message)
	}
	if inDoc > 0 {
		noun := "problems"
		if inDoc == 1 {
			noun = "problem"
		}
		f.AddError(k.Doc, fmt.Sprintf("has %d %s: each is shown in the Preview, at its place", inDoc, noun))
	}
	if devhub.ErrorCode(err) == devhub.ECONFLICT {
		if !placeFull(f, k, u, e) {
			f.Message = placesReplaced(devhub.ErrorMessage(err))
		}
		return
	}
	if len(devhub.ErrorFields(err)) == 0 {
		f.Message = devhub.ErrorMessage(err)
	}
}

// placeFull explains a lost slot beside the places the form asked for,
// from the usage read with the form; it reports whether it found one.
func placeFull(f *Form, k *extKind, u hub.Usage, e *devhub.Extension) bool {
	field, list := "locations", u.Views
	switch k.Type {
	case devhub.ExtJSONPanel, devhub.ExtCustomPanel:
		list = u.Panels
	case devhub.ExtCustomModal:
		field = "entry_points"
	case devhub.ExtLinkAction, devhub.ExtJSONModal:
	default:
		return false
	}
	var full []string
	for _, p := range f.Values[field] {
		for _, pu := range list {
			had := e != nil && (slices.Contains(e.Locations, p) || slices.Contains(e.EntryPoints, p))
			if pu.Place == p && pu.Full() && !had {
				full = append(full, placeWords[p])
			}
		}
	}
	if len(full) == 0 {
		return false
	}
	what, most := "link actions, JSON modals and custom modals", devhub.MaxActionsPerView
	if k.Type == devhub.ExtJSONPanel || k.Type == devhub.ExtCustomPanel {
		what, most = "panel", devhub.MaxPanelsPerLocation
	}
	verb := "has"
	if len(full) > 1 {
		verb = "have"
	}
	f.AddError(field, fmt.Sprintf("cannot include %s: it already %s %d of %d %s, the most one view may have. Choose another, or delete one of them first.",
		strings.Join(full, " and "), verb, most, most, what))
	return true
}

// placesReplaced puts views in words into a use case's message.
func placesReplaced(msg string) string {
	for id, words := range placeWords {
		msg = strings.ReplaceAll(msg, "view "+id, words)
		msg = strings.ReplaceAll(msg, " "+id, " "+words)
	}
	return msg
}

// nameAdvice is the sentence-case warning about a name, "" when none.
func nameAdvice(name string) string {
	name = strings.TrimSpace(name)
	if name == "" || devhub.IsSentenceCase(name) {
		return ""
	}
	return "Advice: write the name in sentence case, capitalizing only the first word (and proper nouns or acronyms). You can save it as it is."
}

// drawPreview is the Preview of f's document: checked afresh, or, after a
// refused save, with the save's own problems.
func drawPreview(k *extKind, f *Form, saveErr error, checked bool) templ.Component {
	doc := []byte(f.Get(k.Doc))
	name := f.Get("name")
	switch {
	case k.Doc == preview.ModalField && checked:
		return preview.CheckModal(schemas, name, doc)
	case k.Doc == preview.ModalField:
		return preview.NewModal(name, doc, devhub.ErrorFields(saveErr))
	case k.Doc == preview.PanelField && checked:
		return preview.CheckPanel(schemas, name, doc)
	case k.Doc == preview.PanelField:
		return preview.NewPanel(name, doc, devhub.ErrorFields(saveErr))
	}
	return nil
}

// extFormPage renders the form of kind k (e nil: a new one) holding f.
// checked draws the Preview with a fresh check (the "Preview" button);
// else with saveErr's problems (a refused save; nil on first display).
func (c *Console) extFormPage(w http.ResponseWriter, r *http.Request, status int, s *Session, st *hub.AppSettings,
	k *extKind, e *devhub.Extension, f *Form, saveErr error, checked bool) {
	d := &extFormData{view: c.view(s), App: st.App, Kind: k, Form: f, Ext: e, Usage: st.Usage,
		PreviewURL: extPath(st.App.ID, "preview"), Warning: nameAdvice(f.Get("name"))}
	if e == nil {
		d.Action = extPath(st.App.ID, "new")
	} else {
		d.Action = extPath(st.App.ID, e.ID)
	}
	if k.Doc != "" {
		d.Preview = drawPreview(k, f, saveErr, checked)
	}
	// A form page never shows a secret, but it may hold one typed in
	// after a refused save: it is not kept.
	w.Header().Set("Cache-Control", "no-store")
	if k.Doc != "" {
		// preview.js asks this origin for the Preview: the one request a
		// page makes from script, so the one page that may.
		h := w.Header()
		h.Set("Content-Security-Policy", h.Get("Content-Security-Policy")+"; connect-src 'self'")
	}
	f.Where = nil
	c.renderExtForm(w, r, status, s, st, d)
}

func (c *Console) renderExtForm(w http.ResponseWriter, r *http.Request, status int, s *Session, st *hub.AppSettings, d *extFormData) {
	p := &appPage{view: c.view(s), App: st.App, Tab: tabExt, Form: d.Form, Now: c.now()}
	page := &Page{Title: d.Title() + " – " + st.App.Name, Session: s}
	if d.Kind.Doc != "" {
		page.Script = "preview.js"
	}
	renderPage(w, r, status, page, appShell(p, extForm(d)))
}

func requestKind(v string) (*extKind, error) {
	k, ok := kindOf(devhub.ExtensionType(v))
	if !ok {
		return nil, devhub.Errorf(devhub.ENOTFOUND, "There is no extension type %q.", truncateWords(v))
	}
	return k, nil
}

func truncateWords(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (c *Console) newExtension(w http.ResponseWriter, r *http.Request) error {
	k, err := requestKind(r.URL.Query().Get("type"))
	if err != nil {
		return err
	}
	s, st, err := c.settings(r)
	if err != nil {
		return err
	}
	f := NewForm(url.Values{"type": {string(k.Type)}, "idem": {devhub.NewSecret()}})
	if k.Type == devhub.ExtFloatingWindow {
		f.Values["entry_points"] = []string{devhub.EntryTopBar}
	}
	c.extFormPage(w, r, http.StatusOK, s, st, k, nil, f, nil, false)
	return nil
}

func (c *Console) createExtension(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	k, err := requestKind(f.Get("type"))
	if err != nil {
		return err
	}
	appID := r.PathValue("app_id")
	if f.Get("action") == "preview" {
		return c.redraw(w, r, http.StatusOK, k, "", f, nil, true)
	}
	in := extInput(k, f)
	body, _ := json.Marshal(in)
	idem := hub.Idempotency[hub.ExtensionWrite]{Key: f.Get("idem"), Request: "console POST " + extPath(appID, "new"), Body: body,
		Answer: func(hub.ExtensionWrite) (hub.Answer, error) {
			return hub.Answer{Status: http.StatusSeeOther, Location: extPath(appID)}, nil
		}}
	res, ans, err := extHub(c).CreateExtension(r.Context(), s.Identity, appID, in, idem)
	switch {
	case err != nil && fieldsOrInvalid(err):
		return c.redraw(w, r, devhub.ErrorStatus(err), k, "", f, err, false)
	case err != nil:
		return err
	case ans != nil:
		return redirect(w, r, ans.Location, "")
	case res.Held != nil:
		return redirect(w, r, extPath(appID), "ext-held")
	}
	return redirect(w, r, extPath(appID), "ext-added")
}

// redraw draws a form again after a refused save or for its Preview, with
// what was typed: one Query for the app and its extensions.
func (c *Console) redraw(w http.ResponseWriter, r *http.Request, status int, k *extKind, extID string, f *Form, saveErr error, checked bool) error {
	s, st, err := c.settings(r)
	if err != nil {
		return err
	}
	var e *devhub.Extension
	if extID != "" {
		if e = findExt(st, extID); e == nil {
			return devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", truncateWords(extID))
		}
	}
	if saveErr != nil {
		failExt(f, k, saveErr, st.Usage, e)
	}
	// Secrets typed in are not sent back into the page.
	f.Values.Del("jwt_secret")
	f.Values.Del("http_auth.password")
	c.extFormPage(w, r, status, s, st, k, e, f, saveErr, checked)
	return nil
}

// findExt is the extension extID as the app will have it (a held write
// applied), or nil.
func findExt(st *hub.AppSettings, extID string) *devhub.Extension {
	for _, e := range st.Extensions {
		if e.ID == extID {
			return e
		}
	}
	return nil
}

func (c *Console) editExtension(w http.ResponseWriter, r *http.Request) error {
	s, st, err := c.settings(r)
	if err != nil {
		return err
	}
	e := findExt(st, r.PathValue("extension_id"))
	if e == nil {
		return devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", truncateWords(r.PathValue("extension_id")))
	}
	k, _ := kindOf(e.Type)
	f := NewForm(extValues(e))
	f.Set("type", string(e.Type))
	c.extFormPage(w, r, http.StatusOK, s, st, k, e, f, nil, false)
	return nil
}

func formVersion(f *Form) hub.IfMatch {
	if v, err := strconv.Atoi(f.Get("version")); err == nil && v > 0 {
		return hub.AtVersion(v)
	}
	return hub.IfMatch{}
}

func (c *Console) saveExtension(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	k, err := requestKind(f.Get("type"))
	if err != nil {
		return err
	}
	appID, extID := r.PathValue("app_id"), r.PathValue("extension_id")
	if f.Get("action") == "preview" {
		return c.redraw(w, r, http.StatusOK, k, extID, f, nil, true)
	}
	// The patch needs the stored documents to tell an edited one; the
	// form carries them as they were shown.
	st, err := extHub(c).AppSettings(r.Context(), s.Identity, appID)
	if err != nil {
		return err
	}
	e := findExt(st, extID)
	if e == nil || e.Type != k.Type {
		return devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", truncateWords(extID))
	}
	res, err := extHub(c).PatchExtension(r.Context(), s.Identity, appID, extID, extPatch(k, f, e), formVersion(f))
	switch {
	case err != nil && fieldsOrInvalid(err):
		if devhub.ErrorCode(err) == devhub.EPRECONDITION {
			err = devhub.Errorf(devhub.EPRECONDITION, "This extension was changed since you opened it: nothing was saved. Open it again to see its current state.")
		}
		failExt(f, k, err, st.Usage, e)
		f.Values.Del("jwt_secret")
		f.Values.Del("http_auth.password")
		c.extFormPage(w, r, devhub.ErrorStatus(err), s, st, k, e, f, err, false)
		return nil
	case err != nil:
		return err
	case res.Held != nil:
		return redirect(w, r, extPath(appID), "ext-held")
	}
	return redirect(w, r, extPath(appID), "ext-saved")
}

func (c *Console) deleteExtension(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return err
	}
	appID, extID := r.PathValue("app_id"), r.PathValue("extension_id")
	res, err := extHub(c).DeleteExtension(r.Context(), s.Identity, appID, extID, formVersion(NewForm(r.PostForm)))
	if err != nil {
		return err
	}
	if res.Held != nil {
		return redirect(w, r, extPath(appID), "ext-held")
	}
	return redirect(w, r, extPath(appID), "ext-deleted")
}

// previewExtension answers the Preview of a posted document as an HTML
// fragment, for preview.js: no round trip, nothing written. The form's
// size limit and CSRF check (bound to this path) are the middleware's.
func (c *Console) previewExtension(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	k, err := requestKind(f.Get("type"))
	if err != nil {
		return err
	}
	if k.Doc == "" {
		return devhub.Errorf(devhub.ENOTFOUND, "A %s has no preview.", k.Noun)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	var buf []byte
	switch k.Doc {
	case preview.ModalField:
		buf = preview.CheckModal(schemas, f.Get("name"), []byte(f.Get(k.Doc))).AppendHTML(nil)
	default:
		buf = preview.CheckPanel(schemas, f.Get("name"), []byte(f.Get(k.Doc))).AppendHTML(nil)
	}
	_, _ = w.Write(buf)
	return nil
}

// extName is how an extension is named on the tab: a settings page has no
// name of its own.
func extName(e *devhub.Extension) string {
	if e.Name != "" {
		return e.Name
	}
	if e.Type == devhub.ExtSettingsPage {
		return "App settings page"
	}
	return e.ID
}

// warningWords turns a stored warning ("name is not in sentence case: …")
// into advice.
func warningWords(w string) string {
	if w == "" {
		return ""
	}
	return "Advice: the " + w + "."
}

func previewWhere(t devhub.ExtensionType) string {
	if t == devhub.ExtJSONPanel {
		return ", in the sidebar of a detail view, with sample values"
	}
	return ", opened from a view's actions menu"
}

// Examples to start from, after the platform's documentation.
const (
	exampleModal = `{
  "type": "object",
  "properties": {
    "blocks": {
      "type": "object",
      "properties": {
        "size": {
          "$ref": "#/definitions/element-input",
          "options": {"label": "Cake size", "placeholder": "S, M or L", "isRequired": true}
        },
        "note": {
          "$ref": "#/definitions/element-textarea",
          "options": {"label": "Message on the cake"}
        }
      }
    },
    "actions": {
      "type": "object",
      "properties": {
        "cancel": {"$ref": "#/definitions/action-secondary", "options": {"label": "Cancel", "handler": "cancel"}},
        "order": {"$ref": "#/definitions/action-primary", "options": {"label": "Order", "handler": "request"}}
      }
    }
  }
}`
	examplePanel = `{
  "type": "array",
  "items": {
    "type": "object",
    "required": ["id", "header"],
    "properties": {
      "id": {"$ref": "#/definitions/numerical"},
      "header": {"$ref": "#/definitions/header"},
      "delivery_date": {"$ref": "#/definitions/date", "label": "Delivery date"},
      "status": {"$ref": "#/definitions/label", "label": "Status"},
      "cost": {"$ref": "#/definitions/currency", "label": "Delivery cost"}
    }
  }
}`
)

func exampleFor(t devhub.ExtensionType) string {
	if t == devhub.ExtJSONModal {
		return exampleModal
	}
	return examplePanel
}
