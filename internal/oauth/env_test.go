package oauth_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/oauth"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

var secret = []byte("oauth-test-secret-oauth-test-secret-0123")

var (
	alice = devhub.Identity{UserID: "alice", CompanyID: "acme", Sandbox: true} // owns the apps
	carol = devhub.Identity{UserID: "carol", CompanyID: "initech"}             // a customer
	dave  = devhub.Identity{UserID: "dave", CompanyID: "initech"}
)

// env is every route of every function on a loopback server over a real
// DynamoDB Local table, a callback server that records what reaches it, and
// a client that validates every response against the OpenAPI document.
type env struct {
	srv    *httptest.Server
	iss    string
	store  *dynamo.Store
	meter  *dynamo.Meter
	oauth  *oauth.Server
	clock  atomic.Int64 // offset added to time.Now, in ns
	cb     *httptest.Server
	cbURL  string
	router routers.Router

	mu       sync.Mutex
	received []url.Values // callback queries
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{meter: &dynamo.Meter{}}
	e.store = dynamotest.MustOpenStore(t, e.meter.Option)
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Now().Add(time.Duration(e.clock.Load())) }
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := &httpapi.Server{Hub: &hub.Hub{Apps: e.store, Extensions: e.store, Installations: e.store, Clients: e.store, Now: now},
		Verifier: v, Logger: logger}
	e.srv = httptest.NewUnstartedServer(nil)
	e.iss = "http://" + e.srv.Listener.Addr().String()
	srv.Hub.IssuerURL = e.iss
	e.oauth = oauth.New(oauth.Options{Store: e.store, Verifier: v, Issuer: e.iss, APIDomain: "https://api.example.test",
		Secret: secret, Logger: logger, RequestID: httpapi.RequestID, Now: now})
	srv.OAuth = e.oauth
	var groups [][]httpapi.Route
	for _, g := range srv.FunctionRoutes() {
		groups = append(groups, g)
	}
	e.srv.Config.Handler = srv.Handler(groups...)
	e.srv.Start()
	t.Cleanup(e.srv.Close)

	e.cb = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.received = append(e.received, r.URL.Query())
		e.mu.Unlock()
		_, _ = io.WriteString(w, `<!doctype html><html lang="en"><title>callback</title><main><h1>Callback</h1><p id=done>callback reached</p></main></html>`)
	}))
	t.Cleanup(e.cb.Close)
	e.cbURL = e.cb.URL + "/oauth/callback"

	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: e.iss}}
	if e.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) advance(d time.Duration) { e.clock.Add(int64(d)) }

func userToken(t testing.TB, id devhub.Identity) string {
	t.Helper()
	tok, err := auth.IssueToken(secret, id, "", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newApp saves an app of alice's company with the callback server as its
// callback, in status st, and returns it with its secret.
func (e *env) newApp(t testing.TB, st devhub.AppStatus, change func(*devhub.App)) *devhub.App {
	t.Helper()
	a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Deal sync", CallbackURL: e.cbURL,
		Scopes: []string{"deals:read"}}, alice, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.store.CreateApp(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if st != devhub.StatusDraft || change != nil {
		next := *a
		next.Status = st
		if change != nil {
			change(&next)
		}
		next.Version = a.Version + 1
		if err := e.store.UpdateApp(ctx, &next, a.Version); err != nil {
			t.Fatal(err)
		}
		a = &next
	}
	return a
}

// validating is a RoundTripper that checks every response of the server
// under test against the OpenAPI document.
type validating struct {
	t testing.TB
	e *env
}

func (v validating) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.String(), v.e.iss) {
		return res, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	check := req.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, ferr := v.e.router.FindRoute(check)
	if ferr != nil {
		v.t.Errorf("%s %s: not in the OpenAPI document (%v)", req.Method, req.URL.Path, ferr)
		return res, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if verr := openapi3filter.ValidateResponse(context.Background(), in); verr != nil {
		v.t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, verr, body)
	}
	return res, nil
}

// client follows no redirect: tests look at each hop.
func (e *env) client(t testing.TB) *http.Client {
	return &http.Client{Transport: validating{t, e}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

func (e *env) send(t testing.TB, req *http.Request) *response {
	t.Helper()
	res, err := e.client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &response{res.StatusCode, res.Header, string(b)}
}

// consent loads the consent page as id (nil: nobody) with query q.
func (e *env) consent(t testing.TB, id *devhub.Identity, q url.Values) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.iss+"/oauth/authorize?"+q.Encode(), nil)
	if id != nil {
		req.AddCookie(&http.Cookie{Name: oauth.SessionCookie, Value: userToken(t, *id)})
	}
	return e.send(t, req)
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// form reads the consent page's hidden fields.
func (r *response) form(t testing.TB) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(r.Body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("csrf_token") == "" {
		t.Fatalf("no consent form in %d %s", r.Status, r.Body)
	}
	return v
}

// decide posts the consent form as id.
func (e *env) decide(t testing.TB, id *devhub.Identity, form url.Values, decision string) *response {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("decision", decision)
	req, _ := http.NewRequest(http.MethodPost, e.iss+"/oauth/authorize", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != nil {
		req.AddCookie(&http.Cookie{Name: oauth.SessionCookie, Value: userToken(t, *id)})
	}
	return e.send(t, req)
}

// authorize runs the consent page and "Allow and install" as id, and
// returns the callback's query.
func (e *env) authorize(t testing.TB, id devhub.Identity, a *devhub.App, extra url.Values) url.Values {
	t.Helper()
	q := url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.CallbackURL}, "response_type": {"code"}, "state": {"st-1"}}
	for k, v := range extra {
		q[k] = v
	}
	page := e.consent(t, &id, q)
	if page.Status != http.StatusOK {
		t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	res := e.decide(t, &id, page.form(t), "allow")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("decision: %d %s", res.Status, res.Body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(res.Header.Get("Location"), a.CallbackURL+"?") {
		t.Fatalf("Location %q", res.Header.Get("Location"))
	}
	return loc.Query()
}

// post sends a form to an OAuth endpoint; with basic, the client
// authenticates with HTTP Basic (client_id, secret).
func (e *env) post(t testing.TB, path string, form url.Values, basic ...string) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.iss+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	return e.send(t, req)
}
