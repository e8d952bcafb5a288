package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

var testSecret = []byte("test-secret-test-secret-test-secret-0123")

// Callers used across tests.
var (
	alice    = devhub.Identity{UserID: "alice", CompanyID: "acme", Sandbox: true}
	bob      = devhub.Identity{UserID: "bob", CompanyID: "globex", Sandbox: true}
	customer = devhub.Identity{UserID: "carol", CompanyID: "initech", Sandbox: false}
)

// env is a real server on loopback over a real DynamoDB Local table; every
// response it sees is validated against the OpenAPI document.
type env struct {
	srv    *httptest.Server
	store  *dynamo.Store
	meter  *dynamo.Meter
	server *httpapi.Server
	router routers.Router
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{meter: &dynamo.Meter{}}
	e.store = dynamotest.MustOpenStore(t, e.meter.Option)
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	e.server = &httpapi.Server{Hub: &hub.Hub{Apps: e.store, Extensions: e.store, Manifests: e.store, Schemas: jsonschema.New(), Now: time.Now},
		Verifier: v, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	var groups [][]httpapi.Route
	for _, g := range e.server.FunctionRoutes() {
		groups = append(groups, g)
	}
	e.srv = httptest.NewServer(e.server.Handler(groups...))
	t.Cleanup(e.srv.Close)

	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: e.srv.URL}}
	if e.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return e
}

func token(t testing.TB, id devhub.Identity) string {
	t.Helper()
	tok, err := auth.IssueToken(testSecret, id, "", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request; body is sent as is when it is a string, else as JSON.
// hdr is name, value pairs. Content-Type defaults to application/json.
func (e *env) do(t testing.TB, method, path string, id *devhub.Identity, body any, hdr ...string) *response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id != nil {
		req.Header.Set("Authorization", "Bearer "+token(t, *id))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &response{Status: res.StatusCode, Header: res.Header, Body: raw}
	e.validate(t, req, r)
	return r
}

// validate checks a response against the OpenAPI document: its status must
// be documented for the route and its body must match the schema. Requests
// to routes the document does not have are checked only for problem shape.
func (e *env) validate(t testing.TB, req *http.Request, r *response) {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, r.Status, r.Body)
	}
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: not in the OpenAPI document but answered %d", req.Method, req.URL.Path, r.Status)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: r.Status, Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %s", req.Method, req.URL.Path, r.Status, err, r.Body)
	}
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r *response) problem(t testing.TB) httpapi.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type: got %q, want application/problem+json", ct)
	}
	var p httpapi.Problem
	r.decode(t, &p)
	if p.Status != r.Status {
		t.Errorf("problem status %d, response status %d", p.Status, r.Status)
	}
	return p
}

// fields returns the field names a problem lists.
func (r *response) fields(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, f := range r.problem(t).Errors {
		out = append(out, f.Field)
	}
	return out
}

func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status: got %d, want %d; body %s", r.Status, status, r.Body)
	}
	return r
}

func validApp() map[string]any {
	return map[string]any{"type": "public", "name": "Deal sync", "callback_url": "https://example.com/oauth/callback"}
}

func (e *env) createApp(t testing.TB, id devhub.Identity, body map[string]any) devhub.App {
	t.Helper()
	var a devhub.App
	e.do(t, "POST", "/v1/apps", &id, body).want(t, http.StatusCreated).decode(t, &a)
	return a
}
