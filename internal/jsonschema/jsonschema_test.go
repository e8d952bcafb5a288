package jsonschema_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

// The testdata documents come from the platform's developer documentation
// ("Adding a JSON panel", "JSON modals", "JSON modals: component library")
// and its templates in github.com/pipedrive/example-apps/json-samples.

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type checkFunc func(jsonschema.Checker, string, []byte, *devhub.Problems)

func panel(c jsonschema.Checker, field string, doc []byte, p *devhub.Problems) {
	c.CheckPanelSchema(field, doc, p)
}

func modal(c jsonschema.Checker, field string, doc []byte, p *devhub.Problems) {
	c.CheckModalSchema(field, doc, p)
}

// problems runs check and returns the sorted fields it complained about.
func problems(t *testing.T, check checkFunc, field string, doc []byte) []string {
	t.Helper()
	var p devhub.Problems
	check(jsonschema.New(), field, doc, &p)
	err := p.Err()
	if err == nil {
		return nil
	}
	if got := devhub.ErrorCode(err); got != devhub.EINVALID {
		t.Fatalf("code: got %q, want %q", got, devhub.EINVALID)
	}
	var fields []string
	for _, f := range devhub.ErrorFields(err) {
		if f.Message == "" {
			t.Errorf("field %s has no message", f.Field)
		}
		fields = append(fields, f.Field)
	}
	slices.Sort(fields)
	return fields
}

func TestCheckPanelSchema(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for name, doc := range map[string][]byte{
			"single object template":   fixture(t, "panel-single-object.json"),
			"multiple object template": fixture(t, "panel-multiple-object.json"),
			"single object without header": []byte(`{"type": "object", "required": ["id"],
				"properties": {"id": {"$ref": "#/definitions/numerical"}, "email": {"$ref": "#/definitions/email"}}}`),
			"every field kind": []byte(`{"type": "array", "items": {"type": "object", "required": ["id", "header"],
				"properties": {"id": {"$ref": "#/definitions/text"}, "header": {"$ref": "#/definitions/header"},
				"a": {"$ref": "#/definitions/text"}, "b": {"$ref": "#/definitions/numerical"},
				"c": {"$ref": "#/definitions/date"}, "d": {"$ref": "#/definitions/time"},
				"e": {"$ref": "#/definitions/date-time", "label": "When"}, "f": {"$ref": "#/definitions/email"},
				"g": {"$ref": "#/definitions/link"}, "h": {"$ref": "#/definitions/phone"},
				"i": {"$ref": "#/definitions/address"}, "j": {"$ref": "#/definitions/currency"},
				"k": {"$ref": "#/definitions/label", "description": "Status"}, "l": {"$ref": "#/definitions/tags"}}}}`),
			"draft 2020-12 declared": []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema",
				"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}}}`),
			"20 fields":   panelWithFields(20),
			"annotations": []byte(`{"title": "Deliveries", "description": "…", "type": "object", "required": ["id"], "additionalProperties": false, "properties": {"id": {"$ref": "#/definitions/numerical"}}}`),
		} {
			t.Run(name, func(t *testing.T) {
				if got := problems(t, panel, "data_structure", doc); got != nil {
					t.Errorf("got problems %v, want none", got)
				}
			})
		}
	})

	for _, tc := range []struct {
		name string
		doc  string
		want []string
	}{
		{"ErrNotObject", `[{"type": "object"}]`, []string{"data_structure"}},
		{"ErrString", `"object"`, []string{"data_structure"}},
		{"ErrNotJSON", `{"type": `, []string{"data_structure"}},
		{"ErrNoType", `{"properties": {"id": {"$ref": "#/definitions/numerical"}}}`, []string{"data_structure.type"}},
		{"ErrWrongType", `{"type": "string"}`, []string{"data_structure.type"}},
		{"ErrArrayWithoutItems", `{"type": "array"}`, []string{"data_structure.items"}},
		{"ErrItemsTuple", `{"type": "array", "items": [{"type": "object"}]}`, []string{"data_structure.items"}},
		{"ErrNoProperties", `{"type": "object", "required": ["id"]}`, []string{"data_structure.properties"}},
		{"ErrNoID", `{"type": "object", "properties": {"header": {"$ref": "#/definitions/header"}}}`,
			[]string{"data_structure.properties.id"}},
		{"ErrIDNotRequired", `{"type": "object", "properties": {"id": {"$ref": "#/definitions/numerical"}}}`,
			[]string{"data_structure.required"}},
		{"ErrMultiWithoutHeader", `{"type": "array", "items": {"type": "object", "required": ["id"],
			"properties": {"id": {"$ref": "#/definitions/numerical"}}}}`,
			[]string{"data_structure.items.properties.header"}},
		{"ErrMultiHeaderNotRequired", `{"type": "array", "items": {"type": "object", "required": ["id"],
			"properties": {"id": {"$ref": "#/definitions/numerical"}, "header": {"$ref": "#/definitions/header"}}}}`,
			[]string{"data_structure.items.required"}},
		{"ErrDeveloperHubSampleWithoutID", string(fixture(t, "panel-developer-hub-sample.json")),
			[]string{"data_structure.items.properties.id", "data_structure.items.required"}},
		{"ErrUnknownDefinition", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"},
			"when": {"$ref": "#/definitions/datetime"}, "who": {"$ref": "#/definitions/user"}}}`,
			[]string{"data_structure.properties.when.$ref", "data_structure.properties.who.$ref"}},
		{"ErrInlineField", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"},
			"name": {"type": "string"}}}`,
			[]string{"data_structure.properties.name.$ref", "data_structure.properties.name.type"}},
		{"ErrFieldNotObject", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}, "x": "text"}}`,
			[]string{"data_structure.properties.x"}},
		{"ErrHeaderDefinitionElsewhere", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"},
			"title": {"$ref": "#/definitions/header"}, "header": {"$ref": "#/definitions/text"}}}`,
			[]string{"data_structure.properties.header.$ref", "data_structure.properties.title.$ref"}},
		{"ErrLabelNotString", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical", "label": 7}}}`,
			[]string{"data_structure.properties.id.label"}},
		{"ErrOwnDefinitions", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}},
			"definitions": {"numerical": {"type": "string"}}}`,
			[]string{"data_structure.definitions"}},
		{"ErrTooManyFields", string(panelWithFields(21)), []string{"data_structure.properties"}},
		{"ErrDuplicateMember", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"},
			"id": {"$ref": "#/definitions/text"}}}`,
			[]string{"data_structure.properties.id"}},
		{"ErrMetaSchema", `{"type": "object", "required": ["id"], "minProperties": -1, "properties": {"id": {"$ref": "#/definitions/numerical"}}}`,
			[]string{"data_structure.minProperties"}},
		{"ErrBadRegexp", `{"type": "object", "required": ["id"], "patternProperties": {"((": {}}, "properties": {"id": {"$ref": "#/definitions/numerical"}}}`,
			[]string{"data_structure.patternProperties.(("}},
		{"ErrPointerNotFound", `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}},
			"allOf": [{"$ref": "#/nowhere"}]}`,
			[]string{"data_structure.allOf[0].$ref"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, panel, "data_structure", []byte(tc.doc))
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got problems at %v, want %v", got, tc.want)
			}
		})
	}
}

// panelWithFields returns a single-object panel with id, header and n other
// fields.
func panelWithFields(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"type": "object", "required": ["id", "header"], "properties": {"id": {"$ref": "#/definitions/numerical"}, "header": {"$ref": "#/definitions/header"}`)
	for i := range n {
		fmt.Fprintf(&b, `, "f%d": {"$ref": "#/definitions/text"}`, i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

func TestCheckModalSchema(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for name, doc := range map[string][]byte{
			"cake order example": fixture(t, "modal-cake-order.json"),
			"visibleOn example":  fixture(t, "modal-visible-on.json"),
			"actions only": []byte(`{"type": "object", "properties": {"actions": {"type": "object", "properties": {
				"submit": {"$ref": "#/definitions/action-primary", "options": {"label": "Submit", "handler": "request"}}}}}}`),
			"ten blocks": modalWithBlocks(10),
		} {
			t.Run(name, func(t *testing.T) {
				if got := problems(t, modal, "json_schema", doc); got != nil {
					t.Errorf("got problems %v, want none", got)
				}
			})
		}
	})

	const submit = `"actions": {"type": "object", "properties": {"submit": {"$ref": "#/definitions/action-primary", "options": {"label": "Submit", "handler": "request"}}}}`
	withBlocks := func(blocks string) string {
		return `{"type": "object", "properties": {"blocks": {"type": "object", "properties": {` + blocks + `}}, ` + submit + `}}`
	}
	withActions := func(actions string) string {
		return `{"type": "object", "properties": {"actions": {"type": "object", "properties": {` + actions + `}}}}`
	}
	for _, tc := range []struct {
		name string
		doc  string
		want []string
	}{
		{"ErrNotObject", `["blocks"]`, []string{"json_schema"}},
		{"ErrNoProperties", `{"type": "object", "blocks": {}}`, []string{"json_schema.properties"}},
		{"ErrRootType", `{"type": "array", "properties": {` + submit + `}}`, []string{"json_schema.type"}},
		{"ErrUnknownMember", `{"type": "object", "properties": {"footer": {"type": "object"}, ` + submit + `}}`,
			[]string{"json_schema.properties.footer"}},
		{"ErrNoActions", `{"type": "object", "properties": {"blocks": {"type": "object", "properties": {}}}}`,
			[]string{"json_schema.properties.actions"}},
		{"ErrUnknownBlockType", withBlocks(`"email": {"$ref": "#/definitions/element-email", "options": {"label": "Email"}}`),
			[]string{"json_schema.properties.blocks.properties.email.$ref"}},
		{"ErrBlockWithoutRef", withBlocks(`"email": {"type": "string"}`),
			[]string{"json_schema.properties.blocks.properties.email.$ref", "json_schema.properties.blocks.properties.email.type"}},
		{"ErrBlockWithoutOptions", withBlocks(`"email": {"$ref": "#/definitions/element-input"}`),
			[]string{"json_schema.properties.blocks.properties.email.options"}},
		{"ErrBlockWithoutLabel", withBlocks(`"email": {"$ref": "#/definitions/element-input", "options": {"type": "email"}}`),
			[]string{"json_schema.properties.blocks.properties.email.options.label"}},
		{"ErrTextWithoutValue", withBlocks(`"info": {"$ref": "#/definitions/element-text", "options": {"markdown": "yes"}}`),
			[]string{"json_schema.properties.blocks.properties.info.options.markdown", "json_schema.properties.blocks.properties.info.options.value"}},
		{"ErrInputType", withBlocks(`"when": {"$ref": "#/definitions/element-input", "options": {"label": "When", "type": "date"}}`),
			[]string{"json_schema.properties.blocks.properties.when.options.type"}},
		{"ErrItems", withBlocks(`"size": {"$ref": "#/definitions/element-select", "options": {"label": "Size",
			"items": [{"label": "Small"}, {"value": "l"}, "xl"]}}`),
			[]string{"json_schema.properties.blocks.properties.size.options.items[0].value",
				"json_schema.properties.blocks.properties.size.options.items[1].label",
				"json_schema.properties.blocks.properties.size.options.items[2]"}},
		{"ErrVisibleOnUnknownBlock", withBlocks(`"a": {"$ref": "#/definitions/element-input", "options": {"label": "A",
			"visibleOn": {"b": {"equals": "x"}}}}`),
			[]string{"json_schema.properties.blocks.properties.a.options.visibleOn.b"}},
		{"ErrVisibleOnRule", withBlocks(`"a": {"$ref": "#/definitions/element-input", "options": {"label": "A", "visibleOn": "sometimes"}},
			"b": {"$ref": "#/definitions/element-input", "options": {"label": "B", "visibleOn": {"a": {"matches": "x"}}}}`),
			[]string{"json_schema.properties.blocks.properties.a.options.visibleOn",
				"json_schema.properties.blocks.properties.b.options.visibleOn.a.matches"}},
		{"ErrTooManyBlocks", string(modalWithBlocks(11)), []string{"json_schema.properties.blocks.properties"}},
		{"ErrNoActionButtons", withActions(``), []string{"json_schema.properties.actions.properties"}},
		{"ErrThreeActionButtons", withActions(`
			"a": {"$ref": "#/definitions/action-primary", "options": {"label": "A", "handler": "request"}},
			"b": {"$ref": "#/definitions/action-secondary", "options": {"label": "B", "handler": "cancel"}},
			"c": {"$ref": "#/definitions/action-secondary", "options": {"label": "C", "handler": "reset"}}`),
			[]string{"json_schema.properties.actions.properties", "json_schema.properties.actions.properties.c.$ref"}},
		{"ErrTwoPrimaries", withActions(`
			"a": {"$ref": "#/definitions/action-primary", "options": {"label": "A", "handler": "request"}},
			"b": {"$ref": "#/definitions/action-primary", "options": {"label": "B", "handler": "open-url"}}`),
			[]string{"json_schema.properties.actions.properties.b.$ref"}},
		{"ErrHandler", withActions(`
			"a": {"$ref": "#/definitions/action-primary", "options": {"label": "A", "handler": "cancel"}},
			"b": {"$ref": "#/definitions/action-secondary", "options": {"handler": "request"}}`),
			[]string{"json_schema.properties.actions.properties.a.options.handler",
				"json_schema.properties.actions.properties.b.options.handler",
				"json_schema.properties.actions.properties.b.options.label"}},
		{"ErrActionURL", withActions(`
			"a": {"$ref": "#/definitions/action-primary", "options": {"label": "A", "handler": "open-url", "url": "javascript:alert(1)"}},
			"b": {"$ref": "#/definitions/action-secondary", "options": {"label": "B", "handler": "cancel", "url": "https://example.com"}}`),
			[]string{"json_schema.properties.actions.properties.a.options.url",
				"json_schema.properties.actions.properties.b.options.url"}},
		{"ErrUnknownAction", withActions(`"a": {"$ref": "#/definitions/action-link", "options": {"label": "A", "handler": "request"}}`),
			[]string{"json_schema.properties.actions.properties.a.$ref"}},
		{"ErrOwnDefinitions", `{"type": "object", "$defs": {}, "properties": {` + submit + `}}`, []string{"json_schema.$defs"}},
		{"ErrMetaSchema", `{"type": "object", "required": "actions", "properties": {` + submit + `}}`, []string{"json_schema.required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, modal, "json_schema", []byte(tc.doc))
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got problems at %v, want %v", got, tc.want)
			}
		})
	}
}

func modalWithBlocks(n int) []byte {
	var blocks []string
	for i := range n {
		blocks = append(blocks, fmt.Sprintf(`"b%d": {"$ref": "#/definitions/element-input", "options": {"label": "Field %d"}}`, i, i))
	}
	return []byte(`{"type": "object", "properties": {"blocks": {"type": "object", "properties": {` + strings.Join(blocks, ", ") +
		`}}, "actions": {"type": "object", "properties": {"ok": {"$ref": "#/definitions/action-primary", "options": {"label": "Save", "handler": "request"}}}}}}`)
}

// TestNoRemoteReferences checks that references outside the document are
// refused at the place they are made, and never fetched.
func TestNoRemoteReferences(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/schema+json")
		fmt.Fprint(w, `{"type": "string"}`)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(file, []byte(`{"type": "string"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	const head = `{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}}, `
	for name, tc := range map[string]struct{ doc, want string }{
		"http":          {head + `"allOf": [{"$ref": "` + srv.URL + `/schema.json"}]}`, "data_structure.allOf[0].$ref"},
		"https":         {head + `"allOf": [{"$ref": "https://example.com/schema.json#/x"}]}`, "data_structure.allOf[0].$ref"},
		"file":          {head + `"not": {"$ref": "file://` + file + `"}}`, "data_structure.not.$ref"},
		"relative":      {head + `"not": {"$ref": "schema.json"}}`, "data_structure.not.$ref"},
		"meta-schema":   {`{"$schema": "` + srv.URL + `/meta", "type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}}}`, "data_structure.$schema"},
		"id-then-local": {head + `"$id": "` + srv.URL + `/base/", "not": {"$ref": "other.json"}}`, "data_structure.not.$ref"},
	} {
		t.Run(name, func(t *testing.T) {
			got := problems(t, panel, "data_structure", []byte(tc.doc))
			if !slices.Equal(got, []string{tc.want}) {
				t.Errorf("got problems at %v, want [%s]", got, tc.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server was asked %d times, want never", n)
	}
}

func TestLimits(t *testing.T) {
	t.Run("ErrTooLarge", func(t *testing.T) {
		doc := []byte(`{"type": "object", "description": "` + strings.Repeat("x", devhub.MaxSchemaBytes) + `"}`)
		if got := problems(t, panel, "data_structure", doc); !slices.Equal(got, []string{"data_structure"}) {
			t.Errorf("got problems at %v, want [data_structure]", got)
		}
	})
	t.Run("ErrTooDeep", func(t *testing.T) {
		doc := []byte(strings.Repeat(`{"not": `, 40) + `{}` + strings.Repeat(`}`, 40))
		got := problems(t, panel, "data_structure", doc)
		if len(got) != 1 || !strings.HasPrefix(got[0], "data_structure.not.not.") {
			t.Errorf("got problems at %v, want one deep inside", got)
		}
	})
	t.Run("ErrPatternsTooLarge", func(t *testing.T) {
		// Each compiles in about a millisecond; a thousand fit in 32 KiB.
		var schemas []string
		for i := range 60 {
			schemas = append(schemas, fmt.Sprintf(`{"pattern": "a{1,1000}%d"}`, i))
		}
		doc := []byte(`{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}}, "anyOf": [` +
			strings.Join(schemas, ", ") + `]}`)
		got := problems(t, panel, "data_structure", doc)
		if !slices.ContainsFunc(got, func(f string) bool {
			return strings.HasPrefix(f, "data_structure.anyOf[") && strings.HasSuffix(f, "].pattern")
		}) {
			t.Errorf("got problems at %v, want the patterns past the budget", got)
		}
	})
	t.Run("OKPatterns", func(t *testing.T) {
		doc := []byte(`{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}},
			"patternProperties": {"^x-[a-z]{1,64}$": {}}, "propertyNames": {"pattern": "^[a-z_]{1,100}$"}}`)
		if got := problems(t, panel, "data_structure", doc); got != nil {
			t.Errorf("got problems %v, want none", got)
		}
	})
	t.Run("ErrManyProblemsCapped", func(t *testing.T) {
		var fields []string
		for i := range 50 {
			fields = append(fields, fmt.Sprintf(`"f%d": {"$ref": "#/definitions/nope"}`, i))
		}
		doc := []byte(`{"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/definitions/numerical"}, ` +
			strings.Join(fields, ", ") + `}}`)
		got := problems(t, panel, "data_structure", doc)
		if len(got) != 21 || !slices.Contains(got, "data_structure") {
			t.Errorf("got %d problems (%v), want 20 and a note on data_structure", len(got), got)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	c := jsonschema.New()
	doc := fixture(t, "modal-cake-order.json")
	done := make(chan error)
	for range 8 {
		go func() {
			var p devhub.Problems
			c.CheckModalSchema("json_schema", doc, &p)
			done <- p.Err()
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// FuzzCheck feeds arbitrary documents to both checks: they must never panic,
// and every problem must be named under the field.
func FuzzCheck(f *testing.F) {
	for _, name := range []string{"panel-single-object.json", "panel-multiple-object.json",
		"panel-developer-hub-sample.json", "modal-cake-order.json", "modal-visible-on.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"$schema": "http://json-schema.org/draft-04/schema#", "$id": "x", "allOf": [{"$ref": "#/definitions/text"}, {"$ref": "y#a"}]}`))
	f.Add([]byte(`{"$id": "http://json-schema.org/draft-07/schema#", "$anchor": "a", "$dynamicRef": "#a", "items": [{"$ref": "#"}]}`))
	c := jsonschema.New()
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, check := range []checkFunc{panel, modal} {
			var p devhub.Problems
			check(c, "doc", doc, &p)
			for _, fe := range devhub.ErrorFields(p.Err()) {
				if fe.Field != "doc" && !strings.HasPrefix(fe.Field, "doc.") && !strings.HasPrefix(fe.Field, "doc[") {
					t.Fatalf("problem outside the field: %#v", fe)
				}
			}
		}
	})
}
