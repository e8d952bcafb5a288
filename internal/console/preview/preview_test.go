package preview_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/console/preview"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

// The testdata documents are the validator's (internal/jsonschema/testdata),
// from the platform's developer documentation and its json-samples.

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var checker = jsonschema.New()

func blockKeys(m *preview.Modal) []string {
	var keys []string
	for _, b := range m.Blocks {
		keys = append(keys, b.Key+"="+b.Element)
	}
	return keys
}

func TestModal(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		m := preview.CheckModal(checker, "Order a cake", fixture(t, "modal-cake-order.json"))
		if m.Summary.Total != 0 {
			t.Fatalf("problems: got %+v, want none", m.Summary)
		}
		// Blocks in the order the document has them, not sorted.
		want := []string{"block_key_cake_size=element-input", "block_key_textarea=element-textarea",
			"block_key_separator=element-separator", "block_key_flavors=element-checkbox-group",
			"block_key_delivery_date=element-datepicker", "block_key_delivery_method=element-select",
			"block_key_is_gift=element-radio-group", "block_key_info=element-text"}
		if got := blockKeys(m); !slices.Equal(got, want) {
			t.Errorf("blocks:\n got %v\nwant %v", got, want)
		}
		b := m.Blocks[3]
		if b.Label != "Flavor" || len(b.Items) != 3 || !b.Items[2].Selected || b.Items[0].Selected || !b.Items[1].Disabled {
			t.Errorf("checkbox group: got %+v", b)
		}
		if d := m.Blocks[4]; !d.Required || d.Value != "2020-02-27" || d.Line != 51 {
			t.Errorf("datepicker: got %+v, want required, its value, line 51", d)
		}
		h := m.String()
		for _, s := range []string{`<span class="pv-mtitle">Order a cake</span>`, "Cake size", "Insert size",
			"Cake size will be either S, M or L", `Write &#34;Happy Birthday!&#34; on the cake!`,
			"Options: Standard, Accelerated", "Thank you for using the cake ordering app!",
			"No problems found in the JSON schema."} {
			if !strings.Contains(h, s) {
				t.Errorf("HTML lacks %q", s)
			}
		}
		// The secondary action comes first, whatever the document's order.
		if c, s := strings.Index(h, ">Cancel<"), strings.Index(h, `pv-primary">Save<`); c < 0 || s < 0 || c > s {
			t.Errorf("actions: Cancel at %d, Save at %d; want Cancel left of Save", c, s)
		}
		wellFormed(t, h)
	})
	t.Run("OK visibleOn and markdown", func(t *testing.T) {
		m := preview.CheckModal(checker, "Order", fixture(t, "modal-visible-on.json"))
		if m.Summary.Total != 0 {
			t.Fatalf("problems: got %+v", m.Summary.Problems)
		}
		h := m.String()
		for _, s := range []string{`Never shown (visibleOn is "never")`,
			`Shown when block_key_checkbox is &#34;vanilla&#34;`, `Shown when block_key_input includes &#34;L&#34;`,
			`<p class="pv-md-h">Contact info</p>`, `<strong>your order</strong>`, "Opens https://www.example.com/create"} {
			if !strings.Contains(h, s) {
				t.Errorf("HTML lacks %q", s)
			}
		}
		wellFormed(t, h)
	})
	t.Run("ErrInvalid problems at their place", func(t *testing.T) {
		doc := []byte(`{
  "type": "object",
  "properties": {
    "blocks": {"type": "object", "properties": {
      "size": {"$ref": "#/definitions/element-input", "options": {"placeholder": "S"}},
      "size.note": {"$ref": "#/definitions/element-text", "options": {"value": 3}},
      "odd": {"$ref": "#/definitions/element-slider", "options": {}}
    }},
    "actions": {"type": "object", "properties": {
      "go": {"$ref": "#/definitions/action-primary", "options": {"label": "Go", "handler": "reset"}}
    }},
    "extra": {}
  },
  "definitions": {}
}`)
		m := preview.CheckModal(checker, "Broken", doc)
		var p devhub.Problems
		checker.CheckModalSchema("json_schema", doc, &p)
		all := devhub.ErrorFields(p.Err())
		if m.Summary.Total != len(all) {
			t.Errorf("total: got %d, want the validator's %d (%v)", m.Summary.Total, len(all), all)
		}
		placed := map[string][]string{}
		for _, b := range m.Blocks {
			for _, pr := range b.Problems {
				placed[b.Key] = append(placed[b.Key], fmt.Sprintf("%d:%s", pr.Line, pr.Path))
			}
		}
		for _, a := range m.Actions {
			for _, pr := range a.Problems {
				placed["action "+a.Key] = append(placed["action "+a.Key], fmt.Sprintf("%d:%s", pr.Line, pr.Path))
			}
		}
		for _, pr := range m.Summary.Problems {
			placed["summary"] = append(placed["summary"], fmt.Sprintf("%d:%s", pr.Line, pr.Path))
		}
		want := map[string][]string{
			"size":      {"5:options.label"}, // on the options object's line
			"size.note": {"6:options.value"}, // the dotted key is told from "size"
			"odd":       {"7:$ref"},
			"action go": {"10:options.handler"},
			"summary":   {"12:properties.extra", "14:definitions"},
		}
		for k, w := range want {
			got := placed[k]
			slices.Sort(got)
			if !slices.Equal(got, w) {
				t.Errorf("%s: got %v, want %v", k, got, w)
			}
		}
		h := m.String()
		if !strings.Contains(h, `<span class="pv-line">Line 5</span> <code>options.label</code> is required`) {
			t.Errorf("HTML lacks the size block's problem: %s", h)
		}
		if !strings.Contains(h, "The platform has no block <code>element-slider</code>") {
			t.Error("unknown element not drawn as such")
		}
		wellFormed(t, h)
	})
	t.Run("ErrInvalid problems of the lists", func(t *testing.T) {
		var blocks []string
		for i := range 11 {
			blocks = append(blocks, fmt.Sprintf(`"b%d": {"$ref": "#/definitions/element-separator"}`, i))
		}
		doc := `{"type": "object", "properties": {"blocks": {"type": "object", "properties": {` + strings.Join(blocks, ",") + `}}}}`
		m := preview.CheckModal(checker, "", []byte(doc))
		if len(m.Blocks) != 11 || len(m.BlocksProblems) != 1 || len(m.ActionsProblems) != 1 {
			t.Fatalf("got %d blocks, blocks problems %v, actions problems %v; want 11, one, one",
				len(m.Blocks), m.BlocksProblems, m.ActionsProblems)
		}
		h := m.String()
		for _, s := range []string{"<code>properties</code> has 11 blocks", "actions is required", `<span class="pv-ph">JSON modal</span>`} {
			if !strings.Contains(h, s) {
				t.Errorf("HTML lacks %q", s)
			}
		}
	})
	t.Run("refused save: only the document's problems", func(t *testing.T) {
		errs := []devhub.FieldError{
			{Field: "name", Message: "must be at most 30 characters"},
			{Field: "json_schemata", Message: "not ours"},
			{Field: "json_schema.properties.actions.properties.go.options.label", Message: "is required"},
		}
		m := preview.NewModal("x", []byte(`{"properties": {"actions": {"properties": {"go": {"$ref": "#/definitions/action-primary", "options": {}}}}}}`), errs)
		if m.Summary.Total != 1 || len(m.Actions) != 1 || len(m.Actions[0].Problems) != 1 {
			t.Errorf("got %+v; want the one problem at action go", m)
		}
	})
}

func TestPanel(t *testing.T) {
	t.Run("OK single object", func(t *testing.T) {
		p := preview.CheckPanel(checker, "Car PM", fixture(t, "panel-single-object.json"))
		if p.Summary.Total != 0 || p.Multi || p.Header == nil || len(p.Fields) != 9 {
			t.Fatalf("got total %d multi %v header %v fields %d; want 0, false, a header, 9",
				p.Summary.Total, p.Multi, p.Header, len(p.Fields))
		}
		if f := p.Fields[2]; f.Key != "delivery_date" || f.Label != "Delivery date" || f.Kind != "date-time" {
			t.Errorf("third field: got %+v", f)
		}
		h := p.String()
		for _, s := range []string{"<dt>Delivery cost</dt><dd>€1,250.00</dd>", "<dt>project</dt>", `<span class="pv-ptitle">Car PM</span>`} {
			if !strings.Contains(h, s) {
				t.Errorf("HTML lacks %q", s)
			}
		}
		if strings.Contains(h, "Actions ▾") {
			t.Error("a single-object panel has no object actions menu")
		}
		wellFormed(t, h)
	})
	t.Run("OK multiple objects", func(t *testing.T) {
		p := preview.CheckPanel(checker, "Deliveries", fixture(t, "panel-multiple-object.json"))
		if p.Summary.Total != 0 || !p.Multi {
			t.Fatalf("got %+v", p.Summary)
		}
		h := p.String()
		if strings.Count(h, "Actions ▾") != 2 || !strings.Contains(h, "Object title 2") {
			t.Errorf("want two objects with their actions menu: %s", h)
		}
		wellFormed(t, h)
	})
	t.Run("ErrInvalid problems at their place", func(t *testing.T) {
		p := preview.CheckPanel(checker, "Visits", fixture(t, "panel-developer-hub-sample.json"))
		if p.Summary.Total != 2 || len(p.ObjectProblems) != 2 || len(p.Summary.Problems) != 0 {
			t.Fatalf("got total %d, object problems %v, summary %v; want 2 about the object", p.Summary.Total, p.ObjectProblems, p.Summary.Problems)
		}
		doc := []byte(`{"type": "object", "required": ["id"], "properties": {
  "id": {"$ref": "#/definitions/numerical"},
  "header": {"$ref": "#/definitions/text"},
  "when": {"$ref": "#/definitions/datetime", "label": "When"},
  "who": {"$ref": "#/definitions/text", "format": "x"}
}, "minProperties": "x"}`)
		p = preview.CheckPanel(checker, "Visits", doc)
		got := map[string]string{}
		for _, f := range p.Fields {
			for _, pr := range f.Problems {
				got[f.Key] += fmt.Sprintf("%d:%s ", pr.Line, pr.Path)
			}
		}
		for _, pr := range p.Header.Problems {
			got["header"] += fmt.Sprintf("%d:%s ", pr.Line, pr.Path)
		}
		want := map[string]string{"header": "3:$ref ", "when": "4:$ref ", "who": "5:format "}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: got %q, want %q", k, got[k], w)
			}
		}
		if len(p.Summary.Problems) == 0 {
			t.Errorf("the bad minProperties has no place: want it in the summary")
		}
		wellFormed(t, p.String())
	})
}

func TestUnreadable(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	for name, tc := range map[string]struct {
		doc, want string
	}{
		"empty":     {"  \n", "Nothing to preview yet"},
		"syntax":    {"{\n  \"type\": \"object\",\n  \"properties\": {,}\n}", "line 3"},
		"truncated": {`{"type": "object"`, "ends too early"},
		"trailing":  {`{} {}`, "after the document"},
		"array":     {`[1, 2]`, "must be a JSON object"},
		"deep":      {deep, "deeper than 32"},
		"huge":      {`{"x": "` + strings.Repeat("a", devhub.MaxSchemaBytes) + `"}`, "may be at most 32768"},
	} {
		t.Run("ErrMalformed "+name, func(t *testing.T) {
			m := preview.CheckModal(checker, "t", []byte(tc.doc))
			p := preview.CheckPanel(checker, "t", []byte(tc.doc))
			for _, s := range []*preview.Summary{&m.Summary, &p.Summary} {
				if !s.Broken || s.Total != 1 || len(s.Problems) != 1 {
					t.Fatalf("got %+v, want one problem and nothing drawn", s)
				}
				msg := s.Problems[0].Message
				if s.Problems[0].Line > 0 {
					msg = fmt.Sprintf("line %d %s", s.Problems[0].Line, msg)
				}
				if !strings.Contains(msg, tc.want) {
					t.Errorf("message: got %q, want it to say %q", msg, tc.want)
				}
			}
			for _, h := range []string{m.String(), p.String()} {
				if strings.Contains(h, "pv-modal") || strings.Contains(h, "pv-panel") {
					t.Errorf("an unreadable document is drawn: %s", h)
				}
				wellFormed(t, h)
			}
		})
	}
}

func TestHostile(t *testing.T) {
	evil := `\"><script>alert(1)</script><img src=x onerror=alert(2)>&amp;'`
	doc := strings.ReplaceAll(`{"type":"object","properties":{"blocks":{"type":"object","properties":{
"EVIL":{"$ref":"#/definitions/EVIL","options":{"label":"EVIL","placeholder":"EVIL","message":"EVIL","value":"EVIL","markdown":true,
"visibleOn":{"EVIL":{"equals":"EVIL"}},"items":[{"label":"EVIL","value":"EVIL"}]}},
"t":{"$ref":"#/definitions/element-text","options":{"markdown":true,"value":"# EVIL\n**EVIL** [EVIL](javascript:alert(3)) `+"`EVIL`"+`"}}}},
"actions":{"type":"object","properties":{"EVIL":{"$ref":"#/definitions/action-primary","options":{"label":"EVIL","handler":"open-url","url":"EVIL"}}}}}}`, "EVIL", evil)
	m := preview.CheckModal(checker, `<b>"title"</b>`, []byte(doc))
	pdoc := strings.ReplaceAll(`{"type":"array","items":{"type":"object","properties":{"EVIL":{"$ref":"EVIL","label":"EVIL"}}}}`, "EVIL", evil)
	p := preview.CheckPanel(checker, "EVIL", []byte(pdoc))
	for _, h := range []string{m.String(), p.String()} {
		onlyOurMarkup(t, h)
		wellFormed(t, h)
		if strings.Contains(h, "javascript:") && strings.Contains(h, "href") {
			t.Error("a link of the document became a link")
		}
	}
}

func TestBounds(t *testing.T) {
	// A document near the size limit with as many choices as fit.
	build := func(per int) string {
		var blocks []string
		for i := range 40 {
			var items []string
			for j := range per {
				items = append(items, fmt.Sprintf(`{"label":"xxxxxxxxxxxxxxxxxxxx","value":%d}`, j))
			}
			blocks = append(blocks, fmt.Sprintf(`"b%d":{"$ref":"#/definitions/element-radio-group","options":{"label":"L","items":[%s]}}`,
				i, strings.Join(items, ",")))
		}
		return `{"type":"object","properties":{"blocks":{"type":"object","properties":{` + strings.Join(blocks, ",") + `}}}}`
	}
	per := 1
	for len(build(per+1)) <= devhub.MaxSchemaBytes {
		per++
	}
	doc := build(per)
	m := preview.CheckModal(checker, "Big", []byte(doc))
	h := m.String()
	if len(m.Blocks) != 30 || m.HiddenBlocks != 10 {
		t.Errorf("got %d blocks, %d hidden; want 30 and 10", len(m.Blocks), m.HiddenBlocks)
	}
	drawn := 0
	for _, b := range m.Blocks {
		drawn += len(b.Items)
	}
	if drawn != 200 {
		t.Errorf("items drawn: got %d, want the bound, 200", drawn)
	}
	if len(h) > 32<<10 {
		t.Errorf("HTML of the largest document: %d bytes, want at most 32 KiB", len(h))
	}
	t.Logf("document %d bytes -> HTML %d bytes", len(doc), len(h))
	wellFormed(t, h)
}

var (
	tagRE  = regexp.MustCompile(`<(/?)([a-z0-9]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>`)
	attrRE = regexp.MustCompile(`([a-z-]+)="`)
)

var voids = map[string]bool{"br": true, "hr": true}

// wellFormed checks that every element of h is closed in order.
func wellFormed(t *testing.T, h string) {
	t.Helper()
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(h, -1) {
		name := m[2]
		switch {
		case voids[name]:
		case m[1] == "":
			stack = append(stack, name)
		case len(stack) == 0 || stack[len(stack)-1] != name:
			t.Fatalf("</%s> closes %v", name, stack)
		default:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		t.Fatalf("unclosed %v", stack)
	}
}

var (
	allowedTags  = []string{"div", "span", "p", "ul", "li", "code", "strong", "em", "hr", "br", "dl", "dt", "dd"}
	allowedAttrs = []string{"class", "data-preview", "data-line", "aria-hidden"}
)

// onlyOurMarkup checks that every "<" of h starts one of our tags with our
// attributes: the document's text never becomes markup.
func onlyOurMarkup(t *testing.T, h string) {
	t.Helper()
	tags := tagRE.FindAllStringSubmatchIndex(h, -1)
	if n := strings.Count(h, "<"); n != len(tags) {
		t.Fatalf("%d '<' but %d of our tags: %s", n, len(tags), h)
	}
	for _, ix := range tags {
		name := h[ix[4]:ix[5]]
		if !slices.Contains(allowedTags, name) {
			t.Errorf("tag %q", name)
		}
		for _, a := range attrRE.FindAllStringSubmatch(h[ix[6]:ix[7]], -1) {
			if !slices.Contains(allowedAttrs, a[1]) {
				t.Errorf("attribute %q", a[1])
			}
		}
	}
	if strings.Count(h, ">") != len(tags) {
		t.Errorf("stray '>' in %s", h)
	}
}
