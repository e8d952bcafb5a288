package service_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/oauth"
	"github.com/devhub-oss/devhub/internal/service"
)

// The generator and the runtime its code imports, pinned. go run caches the
// tool in the module cache, so only the first run downloads it.
const (
	oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"
	oapiRuntime = "github.com/oapi-codegen/runtime v1.9.0"
)

// TestGeneratedClient generates a Go client from the document the server
// serves, with the standard generator, and drives a smoke flow with it
// (testdata/clientsmoke) against the handler the local runner serves: create
// an app, add extensions, list them, delete them. The generated code is
// never committed: a document it cannot compile from fails here.
func TestGeneratedClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Go toolchain")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	base := localRunnerServer(t)

	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %v", res.StatusCode, err)
	}

	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	smoke, err := os.ReadFile(filepath.Join("testdata", "clientsmoke", "main.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	write("openapi.json", string(doc))
	write("go.mod", "module smoke\n\ngo 1.26\n\nrequire "+oapiRuntime+"\n")
	write("main.go", string(smoke))
	if err := os.MkdirAll(filepath.Join(dir, "devhubclient"), 0o755); err != nil {
		t.Fatal(err)
	}

	goCmd := func(env []string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir
		// The temp module is not the project's: no workspace, no vendoring.
		cmd.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS=-mod=mod"}, env...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	goCmd(nil, "run", oapiCodegen, "-generate", "types,client", "-package", "devhubclient",
		"-o", filepath.Join("devhubclient", "client.go"), "openapi.json")
	goCmd(nil, "mod", "tidy")
	goCmd(nil, "vet", "./...")
	token, err := auth.IssueToken([]byte(service.DevJWTSecret), devhub.Identity{UserID: "smoke", CompanyID: "smoke-co", Sandbox: true},
		"", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if out := goCmd([]string{"DEVHUB_URL=" + base, "DEVHUB_TOKEN=" + token}, "run", "."); !strings.Contains(out, "smoke: ok") {
		t.Errorf("smoke flow: %s", out)
	}
}

// localRunnerServer serves what `make run` serves (infra/local wires the
// same pieces): every function's routes and /healthz, over a table of the
// test's own, on loopback.
func localRunnerServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := dynamotest.Client(t)
	table := "test_" + devhub.NewID("")
	if err := dynamo.EnsureTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	cfg := service.Config{TableName: table, Endpoint: dynamotest.Endpoint(t), JWTSecret: []byte(service.DevJWTSecret),
		IssuerURL: "http://127.0.0.1", APIDomain: "http://127.0.0.1"}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv, store, err := service.NewServer(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.Hub.Schemas = jsonschema.New()
	srv.OAuth = oauth.New(oauth.Options{Store: store, Verifier: srv.Verifier, Issuer: cfg.IssuerURL,
		APIDomain: cfg.APIDomain, Secret: cfg.JWTSecret, Logger: logger, RequestID: httpapi.RequestID})
	groups := [][]httpapi.Route{httpapi.HealthRoutes()}
	for _, g := range srv.FunctionRoutes() {
		groups = append(groups, g)
	}
	ts := httptest.NewServer(srv.Handler(groups...))
	t.Cleanup(ts.Close)
	return ts.URL
}
