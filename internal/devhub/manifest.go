package devhub

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// ManifestVersion is the one manifest_version this hub reads and writes.
const ManifestVersion = 1

// MaxManifestExtensions bounds the extensions a manifest may list: the
// per-app limits allow 26 at most (21 actions, 3 panels, a floating window
// and a settings page), and the rest are spares for a plan that deletes
// some of them.
const MaxManifestExtensions = 40

// Manifest is an app and its extensions as one declarative document: what a
// developer declares, and nothing the server makes (ids, versions, times,
// statuses, client credentials) or keeps secret. A member that is absent
// means its default (no scopes but base, no installation URL, no listing,
// no extensions), except the extensions' secrets: an absent jwt_secret or
// http_auth.password keeps the stored one.
type Manifest struct {
	ManifestVersion      int                 `json:"manifest_version"`
	Type                 AppType             `json:"type"`
	Name                 string              `json:"name"`
	CallbackURL          string              `json:"callback_url"`
	Scopes               []string            `json:"scopes"`
	InstallationURL      string              `json:"installation_url,omitempty"`
	RefreshTokenRotation bool                `json:"refresh_token_rotation"`
	Listing              *ManifestListing    `json:"listing,omitempty"`
	Extensions           []ManifestExtension `json:"extensions"`

	// lines maps member paths (as in FieldError.Field) to the line they
	// start on in the document the manifest was decoded from.
	lines map[string]int
}

// ManifestListing is a public app's listing in a manifest.
type ManifestListing struct {
	Summary          string   `json:"summary,omitempty"`
	Description      string   `json:"description,omitempty"`
	IconURL          string   `json:"icon_url,omitempty"`
	ImageURLs        []string `json:"image_urls,omitempty"`
	VideoURL         string   `json:"video_url,omitempty"`
	SupportURL       string   `json:"support_url,omitempty"`
	PrivacyPolicyURL string   `json:"privacy_policy_url,omitempty"`
}

// ManifestExtension is one extension in a manifest, tied to the same
// extension across applies by Key.
type ManifestExtension struct {
	Key           string            `json:"key"`
	Type          ExtensionType     `json:"type"`
	Name          string            `json:"name,omitempty"`
	Description   string            `json:"description,omitempty"`
	URL           string            `json:"url,omitempty"`
	APIEndpoint   string            `json:"api_endpoint,omitempty"`
	IframeURL     string            `json:"iframe_url,omitempty"`
	Locations     []string          `json:"locations,omitempty"`
	EntryPoints   []string          `json:"entry_points,omitempty"`
	JSONSchema    json.RawMessage   `json:"json_schema,omitempty"`
	DataStructure json.RawMessage   `json:"data_structure,omitempty"`
	HTTPAuth      *ManifestHTTPAuth `json:"http_auth,omitempty"`
	SettingsKind  SettingsKind      `json:"settings_kind,omitempty"`
	// JWTSecret is write-only: nil keeps the stored secret.
	JWTSecret *string `json:"jwt_secret,omitempty"`
	// JWTSecretSet is what an export shows instead of the secret. In a
	// manifest, true asks to keep the stored secret (there must be one) and
	// false to have none.
	JWTSecretSet *bool `json:"jwt_secret_set,omitempty"`
}

// ManifestHTTPAuth is a JSON panel's HTTP Basic credentials in a manifest;
// the password is write-only like JWTSecret, PasswordSet like JWTSecretSet.
type ManifestHTTPAuth struct {
	Username    string  `json:"username"`
	Password    *string `json:"password,omitempty"`
	PasswordSet *bool   `json:"password_set,omitempty"`
}

// ExportManifest returns the manifest of app a with its live extensions. An
// approved public app's pending changes are shown applied: the manifest is
// what the developer declared, and applying it again changes nothing.
func ExportManifest(a *App, live []*Extension) *Manifest {
	eff := a.effective()
	m := &Manifest{
		ManifestVersion: ManifestVersion, Type: eff.Type, Name: eff.Name, CallbackURL: eff.CallbackURL,
		Scopes: slices.Clone(eff.Scopes), InstallationURL: ptrString(eff.InstallationURL),
		RefreshTokenRotation: eff.RefreshTokenRotation, Extensions: []ManifestExtension{},
	}
	if m.Scopes == nil {
		m.Scopes = []string{ScopeBase}
	}
	if a.Type == AppPublic {
		l := eff.Listing
		m.Listing = &ManifestListing{Summary: l.Summary, Description: l.Description, IconURL: l.IconURL,
			ImageURLs: slices.Clone(l.ImageURLs), VideoURL: l.VideoURL, SupportURL: l.SupportURL, PrivacyPolicyURL: l.PrivacyPolicyURL}
	}
	for _, e := range a.EffectiveExtensions(live) {
		m.Extensions = append(m.Extensions, manifestExtensionOf(e))
	}
	return m
}

func manifestExtensionOf(e *Extension) ManifestExtension {
	set := e.JWTSecret != ""
	me := ManifestExtension{
		Key: e.ManifestKey(), Type: e.Type, Name: e.Name, Description: e.Description, URL: e.URL,
		APIEndpoint: e.APIEndpoint, IframeURL: e.IframeURL, Locations: slices.Clone(e.Locations),
		EntryPoints: slices.Clone(e.EntryPoints), JSONSchema: e.JSONSchema, DataStructure: e.DataStructure,
		SettingsKind: e.SettingsKind, JWTSecretSet: &set,
	}
	if e.HTTPAuth != nil {
		pw := e.HTTPAuth.Password != ""
		me.HTTPAuth = &ManifestHTTPAuth{Username: e.HTTPAuth.Username, PasswordSet: &pw}
	}
	return me
}

// effective returns a with its pending critical changes applied (a itself
// when there are none).
func (a *App) effective() *App {
	if a.PendingChanges == nil || !a.approved() {
		return a
	}
	e := a.clone()
	p := *a.PendingChanges
	p.Extensions = nil
	e.PendingChanges = &p
	e.mergePending()
	return e
}

// DecodeManifest reads a manifest from its parsed document. Unknown members
// and members of the wrong type are refused (EMALFORMED), each named by its
// path (extensions[2].locations[0]) and line.
func DecodeManifest(root *Node) (*Manifest, error) {
	d := manifestDecoder{lines: map[string]int{}}
	m := &Manifest{lines: d.lines}
	d.object(root, "", func(k string, v *Node, path string) bool {
		switch k {
		case "manifest_version":
			if d.kind(v, path, NodeNumber) {
				n, err := strconv.Atoi(v.Value)
				if err != nil {
					n = -1
				}
				m.ManifestVersion = n
			}
		case "type":
			m.Type = AppType(d.str(v, path))
		case "name":
			m.Name = d.str(v, path)
		case "callback_url":
			m.CallbackURL = d.str(v, path)
		case "scopes":
			m.Scopes = d.strs(v, path)
		case "installation_url":
			m.InstallationURL = d.optStr(v, path)
		case "refresh_token_rotation":
			m.RefreshTokenRotation = d.boolean(v, path)
		case "listing":
			if v.Kind == NodeNull {
				return true
			}
			m.Listing = &ManifestListing{}
			l := m.Listing
			d.object(v, path, func(k string, v *Node, path string) bool {
				dst := map[string]*string{"summary": &l.Summary, "description": &l.Description, "icon_url": &l.IconURL,
					"video_url": &l.VideoURL, "support_url": &l.SupportURL, "privacy_policy_url": &l.PrivacyPolicyURL}[k]
				switch {
				case dst != nil:
					*dst = d.optStr(v, path)
				case k == "image_urls":
					l.ImageURLs = d.strs(v, path)
				default:
					return false
				}
				return true
			})
		case "extensions":
			if v.Kind == NodeNull {
				return true
			}
			if !d.kind(v, path, NodeArray) {
				return true
			}
			for i, item := range v.Items {
				m.Extensions = append(m.Extensions, d.extension(item, path+"["+strconv.Itoa(i)+"]"))
			}
		default:
			return false
		}
		return true
	})
	if len(d.fields) > 0 {
		return nil, &Error{Code: EMALFORMED, Message: "The manifest has unknown members or members of the wrong type.", Fields: d.fields}
	}
	return m, nil
}

func (d *manifestDecoder) extension(n *Node, at string) ManifestExtension {
	var e ManifestExtension
	d.object(n, at, func(k string, v *Node, path string) bool {
		dst := map[string]*string{"key": &e.Key, "name": &e.Name, "description": &e.Description, "url": &e.URL,
			"api_endpoint": &e.APIEndpoint, "iframe_url": &e.IframeURL}[k]
		switch {
		case dst != nil:
			*dst = d.optStr(v, path)
		case k == "type":
			e.Type = ExtensionType(d.str(v, path))
		case k == "settings_kind":
			e.SettingsKind = SettingsKind(d.optStr(v, path))
		case k == "locations":
			e.Locations = d.strs(v, path)
		case k == "entry_points":
			e.EntryPoints = d.strs(v, path)
		case k == "json_schema":
			e.JSONSchema = d.document(v)
		case k == "data_structure":
			e.DataStructure = d.document(v)
		case k == "jwt_secret":
			if v.Kind != NodeNull {
				s := d.str(v, path)
				e.JWTSecret = &s
			}
		case k == "jwt_secret_set":
			if v.Kind != NodeNull {
				b := d.boolean(v, path)
				e.JWTSecretSet = &b
			}
		case k == "http_auth":
			if v.Kind == NodeNull {
				return true
			}
			a := &ManifestHTTPAuth{}
			e.HTTPAuth = a
			d.object(v, path, func(k string, v *Node, path string) bool {
				switch k {
				case "username":
					a.Username = d.optStr(v, path)
				case "password":
					if v.Kind != NodeNull {
						s := d.str(v, path)
						a.Password = &s
					}
				case "password_set":
					if v.Kind != NodeNull {
						b := d.boolean(v, path)
						a.PasswordSet = &b
					}
				default:
					return false
				}
				return true
			})
		default:
			return false
		}
		return true
	})
	return e
}

type manifestDecoder struct {
	fields []FieldError
	lines  map[string]int
}

// MaxManifestProblems caps the problems one answer lists.
const MaxManifestProblems = 50

func (d *manifestDecoder) add(path string, line int, msg string) {
	if len(d.fields) < MaxManifestProblems {
		d.fields = append(d.fields, FieldError{Field: path, Message: msg, Line: line})
	}
}

func (d *manifestDecoder) kind(n *Node, path string, want NodeKind) bool {
	if n.Kind != want {
		d.add(path, n.Line, "must be "+want.String())
		return false
	}
	return true
}

// object walks the members of n (which must be an object), calling member
// with each; a member it does not know (it returns false) is refused.
func (d *manifestDecoder) object(n *Node, at string, member func(k string, v *Node, path string) bool) {
	name := at
	if name == "" {
		name = "the manifest"
	}
	if n.Kind != NodeObject {
		d.add(at, n.Line, "must be an object")
		if at == "" {
			d.fields[len(d.fields)-1].Field, d.fields[len(d.fields)-1].Message = "", name+" must be an object"
		}
		return
	}
	if at != "" {
		d.lines[at] = n.Line
	}
	for i, k := range n.Keys {
		path := k
		if at != "" {
			path = at + "." + k
		}
		v := n.Members[i]
		d.lines[path] = v.Line
		if !member(k, v, path) {
			d.add(truncate(path, 128), v.Line, "is not a known field")
		}
	}
}

func (d *manifestDecoder) str(n *Node, path string) string {
	if d.kind(n, path, NodeString) {
		return n.Value
	}
	return ""
}

// optStr reads a string member that may be null (the same as absent).
func (d *manifestDecoder) optStr(n *Node, path string) string {
	if n.Kind == NodeNull {
		return ""
	}
	return d.str(n, path)
}

func (d *manifestDecoder) boolean(n *Node, path string) bool {
	return d.kind(n, path, NodeBool) && n.Value == "true"
}

func (d *manifestDecoder) strs(n *Node, path string) []string {
	if n.Kind == NodeNull {
		return nil
	}
	if !d.kind(n, path, NodeArray) {
		return nil
	}
	out := make([]string, 0, len(n.Items))
	for i, it := range n.Items {
		p := path + "[" + strconv.Itoa(i) + "]"
		d.lines[p] = it.Line
		out = append(out, d.str(it, p))
	}
	return out
}

// document returns a schema member as JSON (null: absent); its shape is
// judged by the extension rules, like any JSON sent to the extension API.
func (d *manifestDecoder) document(n *Node) json.RawMessage {
	if n.Kind == NodeNull {
		return nil
	}
	return n.JSON()
}

// located returns err with the paths of its field problems prefixed by at
// and their lines looked up in m: the line of the longest path that m's
// document has.
func (m *Manifest) located(err error, at string) error {
	e, ok := err.(*Error)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]FieldError, len(e.Fields))
	for i, f := range e.Fields {
		if at != "" {
			f.Field = at + "." + f.Field
		}
		f.Line = m.lineOf(f.Field)
		out.Fields[i] = f
	}
	return &out
}

// lineOf returns the line of path, or of its nearest enclosing member.
func (m *Manifest) lineOf(path string) int {
	for path != "" {
		if l, ok := m.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}
