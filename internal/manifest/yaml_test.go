package manifest_test

import (
	"bytes"
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
