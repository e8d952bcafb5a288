package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// The document describes HTML pages as strings, so that response
// validation reads them as such.
func init() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) }

// TestOpenAPIMatchesRoutes: every registered route is documented, and every
// documented operation is registered, so the document cannot drift.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	srv := &httpapi.Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var registered []string
	for _, g := range append(slices.Collect(maps.Values(srv.FunctionRoutes())), httpapi.HealthRoutes()) {
		for _, r := range g {
			registered = append(registered, r.Method+" "+r.Pattern)
		}
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(registered)
	sort.Strings(documented)
	if !slices.Equal(registered, documented) {
		t.Errorf("routes and document differ:\nregistered: %v\ndocumented: %v", registered, documented)
	}
	// Every operation that takes a body documents 400, 413 and 415, and
	// every authenticated one 401.
	pathParam := regexp.MustCompile(`\{[a-z_]+\}`)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			codes := op.Responses.Map()
			if op.RequestBody != nil {
				for _, c := range []string{"400", "413", "415"} {
					// RFC 6749 answers a wrong media type with 400 invalid_request.
					if codes[c] == nil && (c != "415" || !strings.HasPrefix(path, "/oauth/")) {
						t.Errorf("%s %s does not document %s", method, path, c)
					}
				}
			}
			if op.Security == nil && strings.HasPrefix(path, "/v1/") && codes["401"] == nil {
				t.Errorf("%s %s does not document 401", method, path)
			}
			if pathParam.MatchString(path) && codes["404"] == nil {
				t.Errorf("%s %s does not document 404", method, path)
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, http.MethodGet, "/openapi.json", nil, nil).want(t, http.StatusOK)
	if string(res.Body) != string(httpapi.OpenAPIDocument()) || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got %q", res.Header.Get("Content-Type"))
	}
}

// TestOpenAPIFormat: the document is kept as 2-space indented JSON, one
// member per line, so that concurrent additions merge line by line.
func TestOpenAPIFormat(t *testing.T) {
	doc, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var compact, want bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	want.WriteByte('\n')
	if !bytes.Equal(doc, want.Bytes()) {
		t.Errorf("internal/httpapi/openapi.json is not 2-space indented JSON; reformat it, e.g. " +
			"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[1],\"w\").write(json.dumps(d, indent=2, ensure_ascii=False)+\"\\n\")' internal/httpapi/openapi.json")
	}
	// The binary embeds openapi.min.json, the compact form, and serves it
	// indented again: the same bytes as the source file.
	if !bytes.Equal(httpapi.OpenAPIDocument(), doc) {
		t.Errorf("internal/httpapi/openapi.min.json is stale: run 'make generate'")
	}
}

// TestOpenAPIDescribed: a tool reading the document finds words and an
// example for everything: every tag used is declared with a description,
// every operation has a description, and every request body and response
// body has a schema and an example.
func TestOpenAPIDescribed(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %s has no description", tag.Name)
		}
		declared[tag.Name] = true
	}
	checkContent := func(where string, content openapi3.Content) {
		if len(content) == 0 {
			return
		}
		for mt, m := range content {
			if m.Schema == nil {
				t.Errorf("%s %s has no schema", where, mt)
			}
			if m.Example == nil && len(m.Examples) == 0 {
				t.Errorf("%s %s has no example", where, mt)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if strings.TrimSpace(op.Description) == "" {
				t.Errorf("%s has no description", where)
			}
			for _, tag := range op.Tags {
				if !declared[tag] {
					t.Errorf("%s uses the undeclared tag %s", where, tag)
				}
			}
			if op.RequestBody != nil {
				checkContent(where+" request body", op.RequestBody.Value.Content)
			}
			for status, r := range op.Responses.Map() {
				checkContent(where+" response "+status, r.Value.Content)
			}
		}
	}
}

// TestOpenAPIUnavailable: every /v1 operation that reads or writes
// DynamoDB (all but the static scope catalog) lists the 503 the store's
// faults end in, with the Retry-After the adapter sends.
func TestOpenAPIUnavailable(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.HasPrefix(path, "/v1/") || path == "/v1/scopes" {
				continue
			}
			n++
			r := op.Responses.Status(http.StatusServiceUnavailable)
			if r == nil || r.Value == nil {
				t.Errorf("%s %s lists no 503", method, path)
				continue
			}
			h := r.Value.Headers["Retry-After"]
			if h == nil || h.Value == nil || !h.Value.Required || r.Value.Content.Get("application/problem+json") == nil {
				t.Errorf("%s %s: the 503 has no required Retry-After or no problem document", method, path)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d /v1 operations", n)
	}
	if s, err := strconv.Atoi(httpapi.RetryAfterSeconds); err != nil || s < 1 {
		t.Errorf("Retry-After %q is not the documented integer ≥ 1", httpapi.RetryAfterSeconds)
	}
}
