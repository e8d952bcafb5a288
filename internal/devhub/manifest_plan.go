package devhub

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PlanOp is what applying a manifest does to one path.
type PlanOp string

const (
	PlanCreate    PlanOp = "create"
	PlanUpdate    PlanOp = "update"
	PlanDelete    PlanOp = "delete"
	PlanUnchanged PlanOp = "unchanged"
	// PlanHeld is a change an approved public app holds for review, as
	// PATCH and the extension writes hold it.
	PlanHeld PlanOp = "held"
)

// PlanEntry is one line of a plan. Paths name app members as the API does
// ("callback_url", "listing.summary"), an extension by its key
// ("extensions.send-quote") and its members below it
// ("extensions.send-quote.locations"). From and To are the values before and
// after (null: absent); secrets show as "(secret)", never in clear.
type PlanEntry struct {
	Op   PlanOp `json:"op"`
	Path string `json:"path"`
	From any    `json:"from"`
	To   any    `json:"to"`
}

// secretMark stands for a secret's value in a plan.
const secretMark = "(secret)"

// ExtensionUpdate is one extension's replacement: Prev as read, Next its
// validated next state (version moved on).
type ExtensionUpdate struct {
	Prev, Next *Extension
}

// ManifestPlan is what applying a manifest to an app does: the entries a
// dry run shows, and the writes that make it so.
type ManifestPlan struct {
	Entries []PlanEntry
	// Warnings are the rules a manifest bends without breaking (names not
	// in sentence case, …), each at its manifest path.
	Warnings []FieldError
	// App is the app's next state (Version moved on by one), or nil when the
	// manifest matches the app and nothing is to be written. On an approved
	// public app its pending changes hold the critical changes.
	App *App
	// The live extension writes; all empty when they are held.
	Creates []*Extension
	Updates []ExtensionUpdate
	Deletes []*Extension
}

// Changed reports whether applying the plan writes anything.
func (p *ManifestPlan) Changed() bool { return p.App != nil }

// PlanManifest returns what applying m to app a, whose live extensions are
// live, changes, having checked every rule a write would: the header, the
// app's rules as PATCH applies them (the type never changes; on an approved
// public app the critical fields are held), each extension's rules as the
// extension API applies them, keys, and the per-app limits. It writes
// nothing. Errors: EINVALID (every broken rule at once, each at its manifest
// path and line), ECONFLICT (a limit; pending changes in review; an app in
// review whose critical fields would change).
func PlanManifest(m *Manifest, a *App, live []*Extension, checker SchemaChecker, now time.Time) (*ManifestPlan, error) {
	var probs []FieldError
	plan := &ManifestPlan{}
	m.checkHeader(&probs)
	if m.Type != "" && m.Type != a.Type {
		probs = append(probs, FieldError{Field: "type", Message: "cannot be changed after creation (the app is " + string(a.Type) + ")", Line: m.lineOf("type")})
	}
	next, err := m.planApp(a, plan, now)
	if err != nil {
		if !collect(&probs, err) {
			return nil, err
		}
	}
	held := a.HoldsExtensionWrites()
	cur := live
	if held {
		cur = a.EffectiveExtensions(live)
	}
	writes, err := m.planExtensions(a, cur, checker, now, plan, held)
	if err != nil && !collect(&probs, err) {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, invalidManifest(probs)
	}
	if err := checkSlots(plan.final(cur)); err != nil {
		return nil, err
	}
	if next == nil && len(writes) == 0 {
		return plan, nil
	}
	if next == nil {
		next = a.clone()
	}
	if held && len(writes) > 0 {
		if next, _, err = next.HoldExtensions(live, writes, now); err != nil {
			return nil, err
		}
		plan.Creates, plan.Updates, plan.Deletes = nil, nil, nil
	}
	next.Version, next.UpdatedAt = a.Version+1, now.UTC()
	plan.App = next
	return plan, nil
}

// NewManifestApp validates m as a new app of the caller's company and
// returns the app (draft, fresh credentials) and its extensions, with the
// plan that creates them. Errors: EINVALID, ECONFLICT (a limit).
func NewManifestApp(m *Manifest, by Identity, checker SchemaChecker, now time.Time) (*App, []*Extension, *ManifestPlan, error) {
	var probs []FieldError
	m.checkHeader(&probs)
	in := NewAppInput{Type: m.Type, Name: m.Name, CallbackURL: m.CallbackURL, Scopes: m.Scopes}
	if m.InstallationURL != "" {
		u := m.InstallationURL
		in.InstallationURL = &u
	}
	if m.Listing != nil {
		l := m.Listing.listing()
		in.Listing = &l
	}
	a, err := NewApp(in, by, now)
	if err != nil && !collect(&probs, m.located(err, "")) {
		return nil, nil, nil, err
	}
	plan := &ManifestPlan{}
	if a != nil {
		a.RefreshTokenRotation = m.RefreshTokenRotation
		for _, f := range appFields(a) {
			if !f.zero() {
				plan.Entries = append(plan.Entries, PlanEntry{Op: PlanCreate, Path: f.path, To: f.value()})
			}
		}
	}
	if _, err := m.planExtensions(a, nil, checker, now, plan, false); err != nil && !collect(&probs, err) {
		return nil, nil, nil, err
	}
	if len(probs) > 0 {
		return nil, nil, nil, invalidManifest(probs)
	}
	if err := checkSlots(plan.Creates); err != nil {
		return nil, nil, nil, err
	}
	plan.App = a
	return a, plan.Creates, plan, nil
}

func invalidManifest(probs []FieldError) error {
	if len(probs) > MaxManifestProblems {
		probs = probs[:MaxManifestProblems]
	}
	return &Error{Code: EINVALID, Message: "The manifest breaks one or more rules.", Fields: probs}
}

// collect adds the field problems of an EINVALID error to probs and reports
// whether err was one.
func collect(probs *[]FieldError, err error) bool {
	e, ok := err.(*Error)
	if !ok || e.Code != EINVALID {
		return false
	}
	if len(e.Fields) == 0 {
		*probs = append(*probs, FieldError{Field: "", Message: e.Message})
	}
	*probs = append(*probs, e.Fields...)
	return true
}

func (m *Manifest) checkHeader(probs *[]FieldError) {
	switch {
	case m.ManifestVersion == 0:
		*probs = append(*probs, FieldError{Field: "manifest_version", Message: "is required (" + strconv.Itoa(ManifestVersion) + ")"})
	case m.ManifestVersion != ManifestVersion:
		*probs = append(*probs, FieldError{Field: "manifest_version", Message: "must be " + strconv.Itoa(ManifestVersion), Line: m.lineOf("manifest_version")})
	}
	if m.Type == "" {
		*probs = append(*probs, FieldError{Field: "type", Message: "is required (public or private)"})
	}
	if n := len(m.Extensions); n > MaxManifestExtensions {
		*probs = append(*probs, FieldError{Field: "extensions", Message: "must list at most " + strconv.Itoa(MaxManifestExtensions) + " extensions", Line: m.lineOf("extensions")})
	}
}

func (l *ManifestListing) listing() Listing {
	out := Listing{Summary: l.Summary, Description: l.Description, IconURL: l.IconURL, ImageURLs: slices.Clone(l.ImageURLs),
		VideoURL: l.VideoURL, SupportURL: l.SupportURL, PrivacyPolicyURL: l.PrivacyPolicyURL}
	if out.ImageURLs == nil {
		out.ImageURLs = []string{}
	}
	return out
}

// appField is one member of an app as a manifest declares it.
type appField struct {
	path string
	s    string
	list []string
	b    bool
	kind uint8 // 0 string, 1 list, 2 bool, 3 nullable string
}

func (f appField) equal(g appField) bool {
	switch f.kind {
	case 1:
		return slices.Equal(f.list, g.list)
	case 2:
		return f.b == g.b
	}
	return f.s == g.s
}

func (f appField) zero() bool { return f.s == "" && len(f.list) == 0 && !f.b }

func (f appField) value() any {
	switch f.kind {
	case 1:
		return nonNil(f.list)
	case 2:
		return f.b
	case 3:
		if f.s == "" {
			return nil
		}
	}
	return f.s
}

// appFields lists a's declarable members, in the order a plan shows them.
func appFields(a *App) []appField {
	l := a.Listing
	return []appField{
		{path: "name", s: a.Name},
		{path: "callback_url", s: a.CallbackURL},
		{path: "scopes", list: a.Scopes, kind: 1},
		{path: "installation_url", s: ptrString(a.InstallationURL), kind: 3},
		{path: "refresh_token_rotation", b: a.RefreshTokenRotation, kind: 2},
		{path: "listing.summary", s: l.Summary},
		{path: "listing.description", s: l.Description},
		{path: "listing.icon_url", s: l.IconURL},
		{path: "listing.image_urls", list: l.ImageURLs, kind: 1},
		{path: "listing.video_url", s: l.VideoURL},
		{path: "listing.support_url", s: l.SupportURL},
		{path: "listing.privacy_policy_url", s: l.PrivacyPolicyURL},
	}
}

// planApp diffs the app's members with the manifest's and applies the
// differences as a merge patch would, so that every rule of PATCH holds
// (critical fields held on an approved public app included). It returns the
// patched app, or nil when no member changes.
func (m *Manifest) planApp(a *App, plan *ManifestPlan, now time.Time) (*App, error) {
	eff := a.effective()
	want := &App{Name: strings.TrimSpace(m.Name), CallbackURL: m.CallbackURL, RefreshTokenRotation: m.RefreshTokenRotation}
	var ignore Problems // Apply reports unknown scopes
	want.Scopes = NormalizeScopes("scopes", m.Scopes, &ignore)
	if m.InstallationURL != "" {
		u := m.InstallationURL
		want.InstallationURL = &u
	}
	if m.Listing != nil {
		want.Listing = m.Listing.listing()
	}
	var patch AppPatch
	var lp ListingPatch
	have, wantF := appFields(eff), appFields(want)
	critical := map[string]bool{"callback_url": true, "scopes": true, "installation_url": true}
	for i, h := range have {
		w := wantF[i]
		if h.equal(w) && (h.path != "scopes" || len(ignore.fields) == 0) {
			plan.Entries = append(plan.Entries, PlanEntry{Op: PlanUnchanged, Path: h.path, From: h.value(), To: h.value()})
			continue
		}
		op := PlanUpdate
		if critical[h.path] && a.approved() {
			op = PlanHeld
		}
		plan.Entries = append(plan.Entries, PlanEntry{Op: op, Path: h.path, From: h.value(), To: w.value()})
		str := Optional[string]{Set: true, Value: w.s}
		switch h.path {
		case "name":
			patch.Name = str
		case "callback_url":
			patch.CallbackURL = str
		case "scopes":
			patch.Scopes = Optional[[]string]{Set: true, Value: m.Scopes}
		case "installation_url":
			patch.InstallationURL = str
		case "refresh_token_rotation":
			patch.RefreshTokenRotation = Optional[bool]{Set: true, Value: w.b}
		case "listing.summary":
			lp.Summary, patch.Listing.Set = str, true
		case "listing.description":
			lp.Description, patch.Listing.Set = str, true
		case "listing.icon_url":
			lp.IconURL, patch.Listing.Set = str, true
		case "listing.image_urls":
			lp.ImageURLs, patch.Listing.Set = Optional[[]string]{Set: true, Value: w.list}, true
		case "listing.video_url":
			lp.VideoURL, patch.Listing.Set = str, true
		case "listing.support_url":
			lp.SupportURL, patch.Listing.Set = str, true
		case "listing.privacy_policy_url":
			lp.PrivacyPolicyURL, patch.Listing.Set = str, true
		}
	}
	if !patch.Name.Set && !patch.CallbackURL.Set && !patch.Scopes.Set && !patch.InstallationURL.Set &&
		!patch.RefreshTokenRotation.Set && !patch.Listing.Set {
		return nil, nil
	}
	patch.Listing.Value = lp
	// The patch is made against the live app: what differs from the pending
	// state but not from the live one drops out of the pending changes.
	next, err := patch.Apply(a, now)
	if err != nil {
		return nil, m.located(err, "")
	}
	return next, nil
}

// planExtensions matches the manifest's extensions to cur (the app's
// extensions, pending writes applied on an approved app) by key, and
// validates each create and update as the extension API would. It fills
// plan's entries, warnings and writes, and returns the writes as held
// writes.
func (m *Manifest) planExtensions(a *App, cur []*Extension, checker SchemaChecker, now time.Time, plan *ManifestPlan, held bool) ([]HeldWrite, error) {
	var probs []FieldError
	byKey := make(map[string]*Extension, len(cur))
	for _, e := range cur {
		byKey[e.ManifestKey()] = e
	}
	seen := make(map[string]int, len(m.Extensions))
	matched := make(map[string]bool, len(cur))
	var writes []HeldWrite
	op := func(o PlanOp) PlanOp {
		if held {
			return PlanHeld
		}
		return o
	}
	for i := range m.Extensions {
		me := &m.Extensions[i]
		at := "extensions[" + strconv.Itoa(i) + "]"
		switch j, dup := seen[me.Key]; {
		case me.Key == "":
			probs = append(probs, FieldError{Field: at + ".key", Message: "is required: it ties the entry to the same extension across applies", Line: m.lineOf(at)})
			continue
		case !validKey(me.Key):
			probs = append(probs, FieldError{Field: at + ".key", Message: "must be 1 to " + strconv.Itoa(MaxExtensionKeyLen) + " characters of a-z, 0-9 and -", Line: m.lineOf(at + ".key")})
			continue
		case dup:
			probs = append(probs, FieldError{Field: at + ".key", Message: "repeats extensions[" + strconv.Itoa(j) + "].key", Line: m.lineOf(at + ".key")})
			continue
		}
		seen[me.Key] = i
		path := "extensions." + me.Key
		prev := byKey[me.Key]
		if prev == nil {
			if isImplicitKey(me.Key) {
				probs = append(probs, FieldError{Field: at + ".key", Line: m.lineOf(at + ".key"),
					Message: "names an extension without a key (ext-<id>) that the app does not have: choose another key"})
				continue
			}
			in, err := me.input(nil)
			if err == nil {
				var e *Extension
				// Extensions are listed by creation time: the manifest's
				// order is kept by a nanosecond apart each.
				if e, err = NewExtension(in, a, checker, now.Add(time.Duration(i))); err == nil {
					plan.Creates = append(plan.Creates, e)
					writes = append(writes, HeldWrite{ID: e.ID, Next: e})
					plan.Entries = append(plan.Entries, PlanEntry{Op: op(PlanCreate), Path: path, To: manifestExtensionOf(e)})
					plan.warn(m, at, e.Warnings)
				}
			}
			if err != nil && !collect(&probs, m.located(err, at)) {
				return nil, err
			}
			continue
		}
		matched[prev.ID] = true
		if me.Type != prev.Type {
			probs = append(probs, FieldError{Field: at + ".type", Line: m.lineOf(at + ".type"),
				Message: "cannot be changed after creation (the extension is a " + string(prev.Type) + "): give a new key to replace it"})
			continue
		}
		patch, changed, err := me.patchFor(prev)
		if err != nil {
			collect(&probs, m.located(err, at))
			continue
		}
		if !changed {
			plan.Entries = append(plan.Entries, PlanEntry{Op: PlanUnchanged, Path: path})
			plan.warn(m, at, prev.Warnings)
			continue
		}
		next, err := patch.Apply(prev, checker, now)
		if err != nil {
			if !collect(&probs, m.located(err, at)) {
				return nil, err
			}
			continue
		}
		plan.Updates = append(plan.Updates, ExtensionUpdate{Prev: prev, Next: next})
		writes = append(writes, HeldWrite{ID: next.ID, Next: next})
		plan.Entries = append(plan.Entries, extensionDiff(op(PlanUpdate), path, prev, next)...)
		plan.warn(m, at, next.Warnings)
	}
	for _, e := range cur {
		if !matched[e.ID] {
			plan.Deletes = append(plan.Deletes, e)
			writes = append(writes, HeldWrite{ID: e.ID})
			plan.Entries = append(plan.Entries, PlanEntry{Op: op(PlanDelete), Path: "extensions." + e.ManifestKey(), From: manifestExtensionOf(e)})
		}
	}
	if len(probs) > 0 {
		return nil, invalidManifest(probs)
	}
	return writes, nil
}

func (p *ManifestPlan) warn(m *Manifest, at string, warnings []string) {
	for _, w := range warnings {
		field, msg := at, w
		if f, rest, ok := strings.Cut(w, " "); ok && (f == "name" || f == "api_endpoint") {
			field, msg = at+"."+f, rest
		}
		p.Warnings = append(p.Warnings, FieldError{Field: field, Message: msg, Line: m.lineOf(field)})
	}
}

// final returns the extensions the plan leaves the app with.
func (p *ManifestPlan) final(cur []*Extension) []*Extension {
	gone := make(map[string]bool, len(p.Deletes)+len(p.Updates))
	for _, e := range p.Deletes {
		gone[e.ID] = true
	}
	out := make([]*Extension, 0, len(cur)+len(p.Creates))
	for _, u := range p.Updates {
		gone[u.Prev.ID] = true
		out = append(out, u.Next)
	}
	for _, e := range cur {
		if !gone[e.ID] {
			out = append(out, e)
		}
	}
	return append(out, p.Creates...)
}

// input is the extension API's create request for me; stored is what the
// extension keeps of its secrets (nil on a create).
func (me *ManifestExtension) input(stored *Extension) (NewExtensionInput, error) {
	var p Problems
	in := NewExtensionInput{Type: me.Type, Key: me.Key, Name: me.Name, Description: me.Description, URL: me.URL,
		APIEndpoint: me.APIEndpoint, IframeURL: me.IframeURL, Locations: me.Locations, EntryPoints: me.EntryPoints,
		JSONSchema: me.JSONSchema, DataStructure: me.DataStructure, SettingsKind: me.SettingsKind}
	in.JWTSecret = me.secret(stored, &p)
	if me.HTTPAuth != nil {
		in.HTTPAuth = &HTTPAuthInput{Username: me.HTTPAuth.Username, Password: me.HTTPAuth.password(stored, &p)}
	}
	return in, p.Err()
}

// secret resolves the write-only jwt_secret against what is stored.
func (me *ManifestExtension) secret(stored *Extension, p *Problems) string {
	have := ""
	if stored != nil {
		have = stored.JWTSecret
	}
	set := me.JWTSecretSet
	switch {
	case me.JWTSecret != nil && set != nil && !*set:
		p.Add("jwt_secret_set", "is false, but jwt_secret is given")
	case me.JWTSecret != nil:
		return *me.JWTSecret
	case set != nil && *set && have == "":
		p.Add("jwt_secret_set", "is true, but the extension has no stored secret: give jwt_secret")
	case set != nil && !*set:
		return ""
	}
	return have
}

func (a *ManifestHTTPAuth) password(stored *Extension, p *Problems) string {
	have := ""
	if stored != nil && stored.HTTPAuth != nil {
		have = stored.HTTPAuth.Password
	}
	switch {
	case a.Password != nil && a.PasswordSet != nil && !*a.PasswordSet:
		p.Add("http_auth.password_set", "is false, but http_auth.password is given")
	case a.Password != nil:
		return *a.Password
	case a.PasswordSet != nil && *a.PasswordSet && have == "":
		p.Add("http_auth.password_set", "is true, but no password is stored: give http_auth.password")
	case a.PasswordSet != nil && !*a.PasswordSet:
		return ""
	}
	return have
}

// patchFor returns the merge patch that turns prev into what me declares,
// and whether it changes anything.
func (me *ManifestExtension) patchFor(prev *Extension) (ExtensionPatch, bool, error) {
	var patch ExtensionPatch
	in, err := me.input(prev)
	if err != nil {
		return patch, false, err
	}
	// want is me normalized as a stored extension would be, to compare.
	want := Extension{Type: prev.Type, Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description),
		URL: in.URL, APIEndpoint: in.APIEndpoint, IframeURL: in.IframeURL, Locations: in.Locations, EntryPoints: in.EntryPoints,
		JSONSchema: rawOrNil(in.JSONSchema), DataStructure: rawOrNil(in.DataStructure), SettingsKind: in.SettingsKind, JWTSecret: in.JWTSecret}
	want.normalize()
	changed := false
	str := func(dst *Optional[string], have, want string) {
		if have != want {
			*dst, changed = Optional[string]{Set: true, Value: want}, true
		}
	}
	list := func(dst *Optional[[]string], have, want []string) {
		if !slices.Equal(have, want) {
			*dst, changed = Optional[[]string]{Set: true, Value: want}, true
		}
	}
	doc := func(dst *Optional[json.RawMessage], have, want json.RawMessage) {
		if !sameDocument(have, want) {
			*dst, changed = Optional[json.RawMessage]{Set: true, Value: want, Null: want == nil}, true
		}
	}
	str(&patch.Name, prev.Name, want.Name)
	str(&patch.Description, prev.Description, want.Description)
	str(&patch.URL, prev.URL, want.URL)
	str(&patch.APIEndpoint, prev.APIEndpoint, want.APIEndpoint)
	str(&patch.IframeURL, prev.IframeURL, want.IframeURL)
	str(&patch.JWTSecret, prev.JWTSecret, want.JWTSecret)
	list(&patch.Locations, prev.Locations, want.Locations)
	list(&patch.EntryPoints, prev.EntryPoints, want.EntryPoints)
	doc(&patch.JSONSchema, prev.JSONSchema, want.JSONSchema)
	doc(&patch.DataStructure, prev.DataStructure, want.DataStructure)
	if prev.SettingsKind != want.SettingsKind {
		patch.SettingsKind, changed = Optional[SettingsKind]{Set: true, Value: want.SettingsKind}, true
	}
	switch h := in.HTTPAuth; {
	case h == nil && prev.HTTPAuth != nil:
		patch.HTTPAuth, changed = Optional[HTTPAuthPatch]{Set: true, Null: true}, true
	case h != nil && (prev.HTTPAuth == nil || *prev.HTTPAuth != HTTPAuth(*h)):
		patch.HTTPAuth, changed = Optional[HTTPAuthPatch]{Set: true, Value: HTTPAuthPatch{
			Username: Optional[string]{Set: true, Value: h.Username}, Password: Optional[string]{Set: true, Value: h.Password}}}, true
	}
	return patch, changed, nil
}

// extensionDiff lists the members that differ between prev and next.
func extensionDiff(op PlanOp, path string, prev, next *Extension) []PlanEntry {
	var out []PlanEntry
	str := func(field, a, b string) {
		if a != b {
			out = append(out, PlanEntry{Op: op, Path: path + "." + field, From: nullIfEmpty(a), To: nullIfEmpty(b)})
		}
	}
	secret := func(field, a, b string) {
		if a != b {
			out = append(out, PlanEntry{Op: op, Path: path + "." + field, From: secretOf(a), To: secretOf(b)})
		}
	}
	list := func(field string, a, b []string) {
		if !slices.Equal(a, b) {
			out = append(out, PlanEntry{Op: op, Path: path + "." + field, From: nonNil(a), To: nonNil(b)})
		}
	}
	doc := func(field string, a, b json.RawMessage) {
		if !sameDocument(a, b) {
			out = append(out, PlanEntry{Op: op, Path: path + "." + field, From: rawOrNull(a), To: rawOrNull(b)})
		}
	}
	str("name", prev.Name, next.Name)
	str("description", prev.Description, next.Description)
	str("url", prev.URL, next.URL)
	str("api_endpoint", prev.APIEndpoint, next.APIEndpoint)
	str("iframe_url", prev.IframeURL, next.IframeURL)
	list("locations", prev.Locations, next.Locations)
	list("entry_points", prev.EntryPoints, next.EntryPoints)
	doc("json_schema", prev.JSONSchema, next.JSONSchema)
	doc("data_structure", prev.DataStructure, next.DataStructure)
	str("settings_kind", string(prev.SettingsKind), string(next.SettingsKind))
	secret("jwt_secret", prev.JWTSecret, next.JWTSecret)
	var pu, nu, pp, np string
	if prev.HTTPAuth != nil {
		pu, pp = prev.HTTPAuth.Username, prev.HTTPAuth.Password
	}
	if next.HTTPAuth != nil {
		nu, np = next.HTTPAuth.Username, next.HTTPAuth.Password
	}
	str("http_auth.username", pu, nu)
	secret("http_auth.password", pp, np)
	return out
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func secretOf(s string) any {
	if s == "" {
		return nil
	}
	return secretMark
}

func rawOrNull(r json.RawMessage) any {
	if len(bytes.TrimSpace(r)) == 0 {
		return nil
	}
	return r
}
