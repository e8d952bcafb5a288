package oauth_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/oauth"
)

// TestServiceDocumentation: the metadata's service_documentation is a page
// for people, the README's OAuth section, which exists and states each
// deliberate difference from RFC 6749.
func TestServiceDocumentation(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.iss+"/.well-known/oauth-authorization-server", nil)
	r := e.send(t, req)
	var m struct {
		Doc string `json:"service_documentation"`
	}
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil || m.Doc != oauth.DocumentationURL || strings.HasSuffix(m.Doc, ".json") {
		t.Fatalf("service_documentation %q (%v)", m.Doc, err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## OAuth\n")
	if !ok || !strings.HasSuffix(m.Doc, "#oauth") {
		t.Fatalf("README.md has no section the anchor of %s names", m.Doc)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, want := range []string{"comma-separated", "space-separated", "error=user_denied", "`response_type` is optional",
		"previous grant", "requested `scope` is ignored", "algorithm: 'oauth2'"} {
		if !strings.Contains(section, want) {
			t.Errorf("the OAuth section does not say %q", want)
		}
	}
}
