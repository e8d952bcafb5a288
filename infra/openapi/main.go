// Command openapi writes the OpenAPI document exactly as the server serves it:
// the body of GET /openapi.json from the routes every function mounts, served
// in process on loopback (or from a running server with -url). make lint feeds
// it to Redocly CLI, so the tool checks what clients get, not a file that
// might differ from it.
//
//	go run ./infra/openapi -o build/openapi.json
//	go run ./infra/openapi -url http://127.0.0.1:3000 -o -
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/devhub-oss/devhub/internal/httpapi"
)

func main() {
	out := flag.String("o", "-", "where to write the document (- for stdout)")
	base := flag.String("url", "", "a running server to fetch it from instead (e.g. http://127.0.0.1:3000)")
	flag.Parse()
	if err := run(*base, *out); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

func run(base, out string) error {
	if base == "" {
		srv := &httpapi.Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		groups := [][]httpapi.Route{httpapi.HealthRoutes()}
		for _, g := range srv.FunctionRoutes() {
			groups = append(groups, g)
		}
		ts := httptest.NewServer(srv.Handler(groups...))
		defer ts.Close()
		base = ts.URL
	}
	res, err := http.Get(strings.TrimRight(base, "/") + "/openapi.json")
	if err != nil {
		return fmt.Errorf("get /openapi.json: %w", err)
	}
	defer res.Body.Close()
	doc, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("read /openapi.json: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("get /openapi.json: status %d", res.StatusCode)
	}
	if out == "-" {
		_, err = os.Stdout.Write(doc)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return os.WriteFile(out, doc, 0o644)
}
