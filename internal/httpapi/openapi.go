package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
	"sync"
)

// openAPICompact is openapi.json, which describes every route of every
// function, in compact form (make generate writes it): the apps binary
// embeds it, 95 KB smaller than the indented source. A test keeps the
// source and the registered routes in step, validates real responses
// against it, and checks that this copy is fresh.
//
//go:embed openapi.min.json
var openAPICompact []byte

var (
	openAPIOnce     sync.Once
	openAPIIndented []byte
)

// openAPIDocument is the document as served: the source file's 2-space
// indented form, rebuilt from the compact copy on first use (a test checks
// that it equals openapi.json byte for byte). It is a plain function, not a
// package-level sync.OnceValue, so that only binaries that serve or read the
// document link it.
func openAPIDocument() []byte {
	openAPIOnce.Do(func() {
		var b bytes.Buffer
		b.Grow(len(openAPICompact) * 2)
		if err := json.Indent(&b, openAPICompact, "", "  "); err != nil {
			panic("httpapi: openapi.min.json: " + err.Error())
		}
		b.WriteByte('\n')
		openAPIIndented = b.Bytes()
	})
	return openAPIIndented
}

// OpenAPIDocument returns the OpenAPI document served at /openapi.json.
func OpenAPIDocument() []byte { return openAPIDocument() }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument())
	return nil
}

// HealthRoutes is GET /healthz, for the local runner.
func HealthRoutes() []Route {
	return []Route{{Method: http.MethodGet, Pattern: "/healthz", Public: true, Handle: func(w http.ResponseWriter, _ *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}}}
}
