package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// scopeList is the body of GET /v1/scopes: the scope catalog in words
// (devhub.Scopes), in display order. It never changes while the process
// runs, so it is encoded once.
var scopeList = func() []byte {
	b, err := json.Marshal(struct {
		Data []devhub.ScopeInfo `json:"data"`
	}{devhub.Scopes})
	if err != nil {
		panic(err)
	}
	return b
}()

// listScopes is GET /v1/scopes, public: the words an installing user reads
// are no secret, and tools may show them before anyone signs in.
func listScopes(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(scopeList)
	return nil
}
