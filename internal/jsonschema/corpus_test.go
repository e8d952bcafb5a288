package jsonschema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestPublishedSchemasAgree: the grammars published in /openapi.json
// (components JsonModalSchema and JsonPanelDataStructure) and the Checker
// agree on every document of testdata/corpus. A file named
// <modal|panel>-valid-… passes both; -invalid-… fails both; -beyond-…
// passes the published schema but not the Checker, because it breaks a rule
// the schema's description lists as one a schema cannot say (a valid JSON
// Schema, references, duplicate members, visibleOn naming a block, one
// primary action, …). So a tool validating against the published schema
// never refuses what the server accepts, and what it lets through the
// server refuses only for the reasons written there.
func TestPublishedSchemasAgree(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	published := map[string]*openapi3.Schema{}
	for kind, name := range map[string]string{"modal": "JsonModalSchema", "panel": "JsonPanelDataStructure"} {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Fatalf("components.schemas.%s is not published", name)
		}
		published[kind] = ref.Value
	}
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	counts := map[string]int{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		kind, rest, _ := strings.Cut(name, "-")
		expect, _, _ := strings.Cut(rest, "-")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var p devhub.Problems
			switch kind {
			case "modal":
				jsonschema.New().CheckModalSchema("json_schema", raw, &p)
			case "panel":
				jsonschema.New().CheckPanelSchema("data_structure", raw, &p)
			default:
				t.Fatalf("file name must start with modal- or panel-")
			}
			checker := p.Err() == nil

			var v any
			dec := json.NewDecoder(bytes.NewReader(raw))
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			schemaErr := published[kind].VisitJSON(v, openapi3.MultiErrors())
			schema := schemaErr == nil

			var wantChecker, wantSchema bool
			switch expect {
			case "valid":
				wantChecker, wantSchema = true, true
			case "invalid":
			case "beyond":
				wantSchema = true
			default:
				t.Fatalf("file name must say valid, invalid or beyond")
			}
			if checker != wantChecker {
				t.Errorf("Checker accepts: got %v, want %v (%v)", checker, wantChecker, p.Err())
			}
			if schema != wantSchema {
				t.Errorf("published schema accepts: got %v, want %v (%v)", schema, wantSchema, schemaErr)
			}
		})
		counts[kind+"-"+expect]++
	}
	for _, k := range []string{"modal-valid", "modal-invalid", "modal-beyond", "panel-valid", "panel-invalid", "panel-beyond"} {
		if counts[k] < 5 {
			t.Errorf("the corpus has %d %s documents, want at least 5", counts[k], k)
		}
	}
}
