// Package jsonschema checks the JSON documents that developers attach to
// extensions: a JSON modal's json_schema and a JSON panel's data_structure.
// Its Checker implements devhub.SchemaChecker.
//
// A document passes when it is a valid JSON Schema (compiled with
// github.com/santhosh-tekuri/jsonschema/v6 against its $schema meta-schema,
// draft-07 when it names none) and has the platform's shape. The library is
// copied as internal/jsv6 with one change: its meta-schemas compile on first
// use, not at init, so that a cold start does not pay for them. The shapes
// follow the platform's public developer documentation (pages "Adding a JSON
// panel", "JSON modals" and "JSON modals: component library", and the
// templates in pipedrive/example-apps/json-samples):
//
// A panel's data_structure is the schema of the "data" member of the
// panel's API response, not of the whole response: either one object schema
// (a single-object panel) or {"type": "array", "items": <object schema>}
// (a multiple-object panel). Each object schema has "properties" in which
// every field is {"$ref": "#/definitions/<kind>"} with an optional "label"
// (and annotations: title, description, $comment); kind is one of text,
// numerical, date, time, date-time, email, link, phone, address, currency,
// label, tags, and header for the "header" field only. "id" is a required
// field; "header" is required in a multiple-object panel and optional in a
// single-object one, as the documentation says. An object has at most 20
// fields besides id and header (the documentation excludes the header; id
// is not displayed). One official sample (app-panel-developer-hub.json) has
// no "id": it is refused, as every documented template has one.
//
// A modal's json_schema is {"type": "object", "properties": {"blocks": …,
// "actions": …}}. blocks (optional, at most 10) and actions (one or two)
// are object schemas whose properties are keyed by block or action key;
// each is {"$ref": "#/definitions/<element>", "options": {…}}. Blocks are
// element-text (options.value required), element-input, element-textarea,
// element-select, element-datepicker, element-radio-group,
// element-checkbox-group (options.label required) and element-separator.
// Actions are action-primary (handler request or open-url, optional url)
// and action-secondary (handler reset or cancel), label required; a modal
// has at most one of each. A block's visibleOn names blocks of the same
// schema, or is "never" or "always".
//
// The "#/definitions/…" that documents refer to are supplied by the
// platform, so a document may not define "definitions" or "$defs" itself.
//
// This package never reaches the network or the file system: every $ref or
// $schema that is not inside the document, a meta-schema bundled with the
// library, or a platform definition is refused, never fetched. It bounds its
// work on untrusted input: documents over devhub.MaxSchemaBytes, nested
// deeper than 32 levels, or whose patterns would take long to compile are
// refused. It keeps no state and is safe for concurrent use. It knows nothing
// of HTTP or storage.
package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/jsonschema/internal/jsv6"
)

// Checker checks modal schemas and panel data structures.
type Checker struct{}

var _ devhub.SchemaChecker = Checker{}

// New returns a Checker.
func New() Checker { return Checker{} }

const (
	// maxDepth bounds how deeply a document nests. The documented shapes need
	// about ten levels.
	maxDepth = 32
	// maxProblems bounds how many problems one document reports.
	maxProblems = 20
	// docURL names the document while it is compiled. The .invalid domain
	// never resolves, and nothing is fetched anyway.
	docBase = "https://schemas.devhub.invalid/"
	docURL  = docBase + "document.json"
)

// CheckModalSchema checks a JSON modal's json_schema.
func (Checker) CheckModalSchema(field string, schema json.RawMessage, p *devhub.Problems) {
	check(field, schema, p, modalDefinitions, checkModalShape)
}

// CheckPanelSchema checks a JSON panel's data_structure.
func (Checker) CheckPanelSchema(field string, schema json.RawMessage, p *devhub.Problems) {
	check(field, schema, p, panelDefinitions, checkPanelShape)
}

// problems records problems under a document's field, up to maxProblems.
type problems struct {
	field string
	p     *devhub.Problems
	n     int
	at    map[string]bool // the fields that have a problem
}

// add records a problem at path, a list of keys and array indexes in the
// document.
func (ps *problems) add(path []any, format string, args ...any) {
	ps.n++
	switch {
	case ps.n == maxProblems+1:
		ps.p.Add(ps.field, "has more problems than are listed")
	case ps.n <= maxProblems:
		f := fieldPath(ps.field, path)
		if ps.at == nil {
			ps.at = map[string]bool{}
		}
		ps.at[f] = true
		ps.p.Add(f, format, args...)
	}
}

// has reports whether path already has a problem.
func (ps *problems) has(path []any) bool { return ps.at[fieldPath(ps.field, path)] }

// fieldPath renders path under field: keys joined by dots, indexes in
// brackets, e.g. data_structure.items.properties.status.$ref.
func fieldPath(field string, path []any) string {
	var b strings.Builder
	b.WriteString(field)
	for _, seg := range path {
		switch s := seg.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		case string:
			b.WriteString("." + s)
		}
	}
	return b.String()
}

func at(path []any, segs ...any) []any {
	return append(slices.Clip(path), segs...)
}

func check(field string, raw json.RawMessage, p *devhub.Problems, defs []string,
	shape func(*problems, map[string]any)) {
	ps := &problems{field: field, p: p}
	if len(raw) > devhub.MaxSchemaBytes {
		ps.add(nil, "must be at most %d bytes", devhub.MaxSchemaBytes)
		return
	}
	doc, err := parse(raw, ps)
	if err != nil {
		ps.add(nil, "must be valid JSON")
		return
	}
	if ps.n > 0 {
		return // duplicate members or too deep: the rest would mislead
	}
	root, ok := doc.(map[string]any)
	if !ok {
		ps.add(nil, "must be a JSON object (a JSON Schema)")
		return
	}
	for _, k := range []string{"definitions", "$defs"} {
		if _, ok := root[k]; ok {
			ps.add([]any{k}, "must not be set: the platform supplies the definitions that #/definitions/… refers to")
		}
	}
	shape(ps, root)
	compile(ps, root, defs)
}

// parse decodes raw like encoding/json with UseNumber, but also refuses
// duplicate members (which json.Unmarshal would silently merge) and nesting
// deeper than maxDepth.
func parse(raw []byte, ps *problems) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := parseValue(dec, ps, nil)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, ps *problems, path []any) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if len(path) >= maxDepth {
		ps.add(path, "nests deeper than %d levels", maxDepth)
		return nil, skip(dec, d)
	}
	switch d {
	case '{':
		obj := map[string]any{}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := t.(string)
			v, err := parseValue(dec, ps, at(path, key))
			if err != nil {
				return nil, err
			}
			if _, dup := obj[key]; dup {
				ps.add(at(path, key), "is a duplicate member")
			}
			obj[key] = v
		}
		_, err := dec.Token() // '}'
		return obj, err
	case '[':
		arr := []any{}
		for i := 0; dec.More(); i++ {
			v, err := parseValue(dec, ps, at(path, i))
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ']'
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// skip consumes the rest of a container whose opening delimiter was read.
func skip(dec *json.Decoder, open json.Delim) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// refusingLoader is the compiler's only loader: the documents may refer to
// nothing outside themselves, the bundled meta-schemas and the platform's
// definitions.
type refusingLoader struct{}

func (refusingLoader) Load(string) (any, error) {
	return nil, errors.New("documents outside this one are never loaded")
}

// compile checks that root is a valid JSON Schema, with the platform's
// definitions added under "definitions" so that its references resolve.
func compile(ps *problems, root map[string]any, defs []string) {
	doc := maps.Clone(root)
	definitions := map[string]any{}
	for _, name := range defs {
		definitions[name] = map[string]any{}
	}
	doc["definitions"] = definitions

	c := jsv6.NewCompiler()
	c.DefaultDraft(jsv6.Draft7)
	c.UseLoader(refusingLoader{})
	c.UseRegexpEngine((&regexpBudget{left: maxRegexpSize}).compile)
	if err := c.AddResource(docURL, doc); err != nil {
		ps.add(nil, "cannot be compiled as a JSON Schema")
		return
	}
	_, err := c.Compile(docURL)
	if err == nil {
		return
	}
	var sve *jsv6.SchemaValidationError
	var ve *jsv6.ValidationError
	var le *jsv6.LoadURLError
	switch {
	case errors.As(err, &sve) && errors.As(sve.Err, &ve):
		// One problem per place: the meta-schema's anyOf branches would
		// otherwise each explain the same mistake, and the platform's own
		// rules may have said it already.
		for _, leaf := range leaves(ve) {
			msg := leafMessage(leaf)
			path, v := pathIn(doc, leaf.InstanceLocation)
			if inner := findMentioned(v, msg); inner != nil {
				path = append(path, inner...) // e.g. the member an "additional properties" error names
			}
			if !ps.has(path) {
				ps.add(path, "is not valid JSON Schema: %s", msg)
			}
		}
	case errors.As(err, &le):
		if path := findRef(doc, le.URL, nil); !ps.has(path) {
			ps.add(path, "refers to %q, which is never loaded: refer only to this document (#/…) or the platform's definitions",
				truncate(hideBase(le.URL)))
		}
	default:
		msg := hideBase(err.Error())
		if path := findMentioned(doc, msg); !ps.has(path) {
			ps.add(path, "is not valid JSON Schema: %s", truncate(msg))
		}
	}
}

// hideBase removes the name the document is compiled under from s, leaving
// references as the developer wrote them.
func hideBase(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, docURL, ""), docBase, "")
}

// regexpBudget bounds the work a document's patterns cause. Go's regexps
// match in linear time, but compiling one like a{1,1000} takes about a
// millisecond, and a 32 KiB document has room for a thousand of them.
type regexpBudget struct{ left int }

// maxRegexpSize is the budget of one document, in regexpSize units (about a
// microsecond of compiling each). Every pattern is compiled twice: once when
// the meta-schema checks its format, once when the schema is compiled.
const maxRegexpSize = 50_000

func (b *regexpBudget) compile(s string) (jsv6.Regexp, error) {
	re, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if b.left -= regexpSize(re); b.left < 0 {
		return nil, errors.New("the document's patterns are too large to compile")
	}
	return regexp.Compile(s)
}

// regexpSize estimates how many instructions re compiles to: repetitions
// multiply what they repeat.
func regexpSize(re *syntax.Regexp) int {
	n := 1
	if re.Op == syntax.OpLiteral {
		n = len(re.Rune)
	}
	for _, sub := range re.Sub {
		n += regexpSize(sub)
	}
	if re.Op == syntax.OpRepeat {
		n *= max(re.Min, re.Max, 1) // Max is -1 when unbounded
	}
	return n
}

func truncate(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// leaves returns the innermost errors of a validation error tree: the ones
// that say what is wrong.
func leaves(ve *jsv6.ValidationError) []*jsv6.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsv6.ValidationError{ve}
	}
	var out []*jsv6.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// leafMessage is the library's message for one error, without its location.
func leafMessage(leaf *jsv6.ValidationError) string {
	if out := leaf.BasicOutput(); out != nil && out.Error != nil {
		return out.Error.String()
	}
	return "invalid"
}

// pathIn turns a JSON pointer's tokens into a path, telling array indexes
// from object keys by walking doc, and returns the value found there.
func pathIn(doc any, tokens []string) ([]any, any) {
	path := make([]any, 0, len(tokens))
	cur := doc
	for _, tok := range tokens {
		switch v := cur.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return append(path, tok), nil
			}
			path, cur = append(path, i), v[i]
		case map[string]any:
			path, cur = append(path, tok), v[tok]
		default:
			return append(path, tok), nil
		}
	}
	return path, cur
}

// findRef returns the path of the first $ref, $schema or $dynamicRef in v
// whose value ends up as url, or nil.
func findRef(v any, url string, path []any) []any {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if k == "$ref" || k == "$schema" || k == "$dynamicRef" || k == "$recursiveRef" {
				if s, ok := v[k].(string); ok {
					s, _, _ = strings.Cut(s, "#")
					if s != "" && strings.HasSuffix(url, s) {
						return at(path, k)
					}
				}
			}
		}
		for _, k := range sortedKeys(v) {
			if found := findRef(v[k], url, at(path, k)); found != nil {
				return found
			}
		}
	case []any:
		for i, e := range v {
			if found := findRef(e, url, at(path, i)); found != nil {
				return found
			}
		}
	}
	return nil
}

// findMentioned returns the path of the first $ref in v whose value msg
// quotes, else of the first member whose name or string value msg quotes,
// else nil. It places errors the compiler reports without a location.
func findMentioned(v any, msg string) []any {
	if path := findQuoted(v, msg, nil, true); path != nil {
		return path
	}
	return findQuoted(v, msg, nil, false)
}

func findQuoted(v any, msg string, path []any, refsOnly bool) []any {
	quoted := func(s string) bool {
		return s != "" && (strings.Contains(msg, strconv.Quote(s)) || strings.Contains(msg, "'"+s+"'"))
	}
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			s, isString := v[k].(string)
			if refsOnly && k == "$ref" && isString && quoted(s) {
				return at(path, k)
			}
			if !refsOnly && (quoted(k) || isString && quoted(s)) {
				return at(path, k)
			}
		}
		for _, k := range sortedKeys(v) {
			if found := findQuoted(v[k], msg, at(path, k), refsOnly); found != nil {
				return found
			}
		}
	case []any:
		for i, e := range v {
			if found := findQuoted(e, msg, at(path, i), refsOnly); found != nil {
				return found
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// object returns v as a JSON object, or adds a problem and returns false.
func object(ps *problems, v any, path []any, what string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		ps.add(path, "must be %s", what)
	}
	return m, ok
}

// optionalString returns m[key] when it is a string; it adds a problem when
// it is set to anything else.
func optionalString(ps *problems, m map[string]any, key string, path []any) (string, bool) {
	v, ok := m[key]
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		ps.add(at(path, key), "must be a string")
	}
	return s, ok
}

// requiredString is optionalString that also refuses an absent or empty
// member.
func requiredString(ps *problems, m map[string]any, key string, path []any) (string, bool) {
	if _, ok := m[key]; !ok {
		ps.add(at(path, key), "is required")
		return "", false
	}
	s, ok := optionalString(ps, m, key, path)
	if ok && strings.TrimSpace(s) == "" {
		ps.add(at(path, key), "must not be empty")
		return "", false
	}
	return s, ok
}

// refName returns the definition name that m's $ref points to, or adds a
// problem listing the names allowed.
func refName(ps *problems, m map[string]any, path []any, allowed []string) (string, bool) {
	ref, ok := requiredString(ps, m, "$ref", path)
	if !ok {
		return "", false
	}
	name, found := strings.CutPrefix(ref, "#/definitions/")
	if !found || !slices.Contains(allowed, name) {
		ps.add(at(path, "$ref"), "must be one of %s", refList(allowed))
		return "", false
	}
	return name, true
}

func refList(names []string) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "#/definitions/" + n
	}
	return strings.Join(refs, ", ")
}

// annotations may sit next to $ref anywhere: they change nothing.
var annotations = []string{"title", "description", "$comment"}

// objectSchema checks {"type": "object", "properties": {…}} at path and
// returns its properties.
func objectSchema(ps *problems, v any, path []any, what string) (map[string]any, bool) {
	m, ok := object(ps, v, path, what)
	if !ok {
		return nil, false
	}
	if t, set := m["type"]; set && t != "object" {
		ps.add(at(path, "type"), `must be "object"`)
	}
	props, set := m["properties"]
	if !set {
		ps.add(at(path, "properties"), "is required")
		return nil, false
	}
	return object(ps, props, at(path, "properties"), "an object")
}
