package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestListScopes: GET /v1/scopes needs no token and serves the catalog in
// words, in display order, cacheable by anyone.
func TestListScopes(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, http.MethodGet, "/v1/scopes", nil, nil).want(t, http.StatusOK)
	if cc := res.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") {
		t.Errorf("Cache-Control = %q", cc)
	}
	var got struct{ Data []devhub.ScopeInfo }
	res.decode(t, &got)
	if !slices.Equal(got.Data, devhub.Scopes) {
		t.Errorf("got %+v\nwant %+v", got.Data, devhub.Scopes)
	}
	for _, s := range got.Data {
		if s.Label == "" || s.Description == "" || s.Access == "" {
			t.Errorf("%s is not in words: %+v", s.Scope, s)
		}
	}
	// A token is not needed, and a bad one does not matter either.
	e.do(t, http.MethodGet, "/v1/scopes", nil, nil, "Authorization", "Bearer nonsense").want(t, http.StatusOK)
	e.do(t, http.MethodPost, "/v1/scopes", nil, "{}").want(t, http.StatusMethodNotAllowed)
}

// TestOpenAPIScopesInWords: the document's Scope schema lists the catalog
// and says what each scope allows in the catalog's own words.
func TestOpenAPIScopesInWords(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas["Scope"].Value
	var enum []string
	for _, v := range s.Enum {
		enum = append(enum, v.(string))
	}
	if !slices.Equal(enum, devhub.ScopeCatalog) {
		t.Errorf("Scope enum %v, catalog %v", enum, devhub.ScopeCatalog)
	}
	for _, info := range devhub.Scopes {
		if want := info.Scope + ": " + info.Label + ". " + info.Description; !strings.Contains(s.Description, want) {
			t.Errorf("the Scope schema's description lacks %q", want)
		}
	}
}
