package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route of every function. A test keeps it
// and the registered routes in step, and validates real responses against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI document served at /openapi.json.
func OpenAPIDocument() []byte { return openAPIDocument }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
	return nil
}

// HealthRoutes is GET /healthz, for the local runner.
func HealthRoutes() []Route {
	return []Route{{Method: http.MethodGet, Pattern: "/healthz", Public: true, Handle: func(w http.ResponseWriter, _ *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}}}
}
