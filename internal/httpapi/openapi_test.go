package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/getkin/kin-openapi/openapi3"
)

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
