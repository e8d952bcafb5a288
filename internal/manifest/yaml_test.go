package manifest_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/manifest"
)

const yamlDoc = `manifest_version: 1
type: private
name: Cake shop
callback_url: https://example.com/cb
scopes: [deals:read]
refresh_token_rotation: true
extensions:
  - key: send-quote
    type: link_action
    name: Send quote
    url: https://example.com/quote
    locations:
      - deal_details
  - key: order
    type: json_modal
    name: New order
    api_endpoint: https://example.com/modal
    locations: [deals_list]
    json_schema:
      type: object
      properties:
        actions:
          type: object
          properties:
            submit:
              $ref: "#/definitions/action-primary"
              options: {label: "Submit <now>", handler: request, n: 0x10, f: 1.5e3}
`

const jsonDoc = `{"manifest_version": 1, "type": "private", "name": "Cake shop", "callback_url": "https://example.com/cb",
"scopes": ["deals:read"], "refresh_token_rotation": true, "extensions": [
{"key": "send-quote", "type": "link_action", "name": "Send quote", "url": "https://example.com/quote", "locations": ["deal_details"]},
{"key": "order", "type": "json_modal", "name": "New order", "api_endpoint": "https://example.com/modal", "locations": ["deals_list"],
 "json_schema": {"type": "object", "properties": {"actions": {"type": "object", "properties": {"submit":
   {"$ref": "#/definitions/action-primary", "options": {"label": "Submit <now>", "handler": "request", "n": 16, "f": 1500}}}}}}}]}`

func TestParseYAML(t *testing.T) {
	t.Run("OK same meaning as JSON", func(t *testing.T) {
		y, err := manifest.ParseYAML([]byte(yamlDoc))
		if err != nil {
			t.Fatal(err)
		}
		j, err := devhub.ParseManifestJSON([]byte(jsonDoc))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := y.JSON(), j.JSON(); !bytes.Equal(got, want) {
			t.Fatalf("YAML means\n%s\nJSON means\n%s", got, want)
		}
		if _, err := devhub.DecodeManifest(y); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OK export round trip", func(t *testing.T) {
		j, _ := devhub.ParseManifestJSON([]byte(jsonDoc))
		out, err := manifest.MarshalYAML(j.JSON())
		if err != nil {
			t.Fatal(err)
		}
		back, err := manifest.ParseYAML(out)
		if err != nil {
			t.Fatalf("%v in\n%s", err, out)
		}
		if !bytes.Equal(back.JSON(), j.JSON()) {
			t.Fatalf("round trip changed the document:\n%s", out)
		}
	})
	for _, c := range []struct {
		name, doc string
		line      int
		field     string
	}{
		{"unknown member", "manifest_version: 1\nextensions:\n  - key: a\n    locatoins: []\n", 4, "extensions[0].locatoins"},
		{"wrong type", "manifest_version: 1\nname:\n  - a\n", 3, "name"},
		{"alias", "a: &x 1\nb: *x\n", 2, ""},
		{"merge key", "a: {b: 1}\nc:\n  <<: {b: 2}\n", 3, ""},
		{"repeated key", "name: a\nname: b\n", 0, ""},
		{"infinity", "manifest_version: .inf\n", 1, ""},
		{"custom tag", "name: !thing x\n", 1, ""},
		{"two documents", "name: a\n---\nname: b\n", 0, ""},
		{"not YAML", "name: [a\n", 0, ""},
	} {
		t.Run("Err "+c.name, func(t *testing.T) {
			n, err := manifest.ParseYAML([]byte(c.doc))
			if err == nil {
				_, err = devhub.DecodeManifest(n)
			}
			if devhub.ErrorCode(err) != devhub.EMALFORMED {
				t.Fatalf("got %v, want malformed", err)
			}
			if c.line == 0 {
				return
			}
			f := devhub.ErrorFields(err)
			if len(f) == 0 || f[0].Line != c.line || f[0].Field != c.field {
				t.Fatalf("got %+v, want line %d field %q", f, c.line, c.field)
			}
		})
	}
	t.Run("ErrDeep", func(t *testing.T) {
		doc := strings.Repeat("- ", 100) + "x\n"
		if _, err := manifest.ParseYAML([]byte(doc)); devhub.ErrorCode(err) != devhub.EMALFORMED {
			t.Fatalf("got %v", err)
		}
	})
}

// TestMarshalYAML: the export reads back as the same document, for values
// YAML could read as something else, several lines, odd characters and
// long keys; the layout is the block style people edit.
func TestMarshalYAML(t *testing.T) {
	doc := `{"a": [], "b": {}, "c": [[1, 2], [], {"x": null}], "d": "multi\nline\ntext", "e": "true", "f": "123",
"g": "- dash", "h": "a: b", "i": "x #y", "j": "", "k": " lead", "l": "trail\n", "l2": "two\n\n", "l3": "a\n  \nb",
"m": "null", "n": "1.5", "o": "yes", "o2": "no", "o3": "~", "o4": "-1", "p": "#hash", "q": "quote\"d'", "r": "tab\tin", "s": "ünï", "t": 1.5, "u": -3,
"v": false, "w": "*star", "x": "@at", "y": "0x1F", "z": "2026-01-01", "aa": [{"k": 1, "l": [2, "x\ny"]}], "ab": "é\u0001",
"ac": "ends:", "ad": "{curly}", "ae": "%pct", "af": "!bang", "ag": "...", "<<": "merge", "~": "-", "ah": "\r\n",
"` + strings.Repeat("k", 300) + `": {"deep": ["` + strings.Repeat("v", 30) + `"]}}`
	j, err := devhub.ParseManifestJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	out, err := manifest.MarshalYAML(j.JSON())
	if err != nil {
		t.Fatal(err)
	}
	back, err := manifest.ParseYAML(out)
	if err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if !bytes.Equal(back.JSON(), j.JSON()) {
		t.Fatalf("round trip changed the document:\n%s\n%s", out, back.JSON())
	}
	for _, want := range []string{"a: []\n", "b: {}\n", "c:\n  - - 1\n    - 2\n  - []\n  - x: null\n", "d: |-\n  multi\n  line\n  text\n",
		"e: \"true\"\n", "h: 'a: b'\n", "l: |\n  trail\n", "o: yes\n", "q: quote\"d'\n", "s: ünï\n", "aa:\n  - k: 1\n    l:\n      - 2\n      - |-\n        x\n        y\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("want %q in\n%s", want, out)
		}
	}
	for _, scalar := range []string{`"x"`, `"a\nb"`, `12`, `null`, `[]`, `{}`} {
		j, _ := devhub.ParseManifestJSON([]byte(scalar))
		out, err := manifest.MarshalYAML(j.JSON())
		if back, err2 := manifest.ParseYAML(out); err != nil || err2 != nil || !bytes.Equal(back.JSON(), j.JSON()) {
			t.Errorf("%s: %q, %v, %v", scalar, out, err, err2)
		}
	}
}

// FuzzMarshalYAML: whatever JSON document is exported reads back the same.
func FuzzMarshalYAML(f *testing.F) {
	f.Add([]byte(jsonDoc))
	f.Add([]byte(`{"a": "x\n y", "b": ["- c", "d: e", " f "], "g": {"": "", "h #": "'"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := devhub.ParseManifestJSON(b)
		var v any
		if err != nil || json.Unmarshal(j.JSON(), &v) != nil {
			return // not a document, or numbers beyond float64 (YAML reads 1e999 as a string, as it always did)
		}
		out, err := manifest.MarshalYAML(j.JSON())
		if err != nil {
			t.Fatalf("%s: %v", j.JSON(), err)
		}
		back, err := manifest.ParseYAML(out)
		if err != nil {
			if strings.Contains(err.Error(), "nests deeper") {
				return // YAML counts a level more per array item: the parser's own limit
			}
			t.Fatalf("%s rendered as\n%s\nwhich does not parse: %v", j.JSON(), out, err)
		}
		if !bytes.Equal(back.JSON(), j.JSON()) && !sameValues(back.JSON(), j.JSON()) {
			t.Fatalf("%s rendered as\n%s\nreads back as %s", j.JSON(), out, back.JSON())
		}
	})
}

// sameValues: a and b are the same JSON values, numbers compared as
// numbers (YAML writes 1e3 back as 1000, as it always did).
func sameValues(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// FuzzParseYAML: no input panics, and whatever parses is a document the
// JSON parser reads back the same.
func FuzzParseYAML(f *testing.F) {
	f.Add([]byte(yamlDoc))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("? [a]\n: b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := manifest.ParseYAML(b)
		if err != nil {
			if code := devhub.ErrorCode(err); code != devhub.EMALFORMED {
				t.Fatalf("code %s: %v", code, err)
			}
			return
		}
		j, err := devhub.ParseManifestJSON(n.JSON())
		if err != nil || !bytes.Equal(j.JSON(), n.JSON()) {
			t.Fatalf("%s does not read back: %v", n.JSON(), err)
		}
		if _, err := devhub.DecodeManifest(n); err != nil && devhub.ErrorCode(err) != devhub.EMALFORMED {
			t.Fatalf("decode: %v", err)
		}
	})
}
