package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/notify"
	"github.com/devhub-oss/devhub/internal/testprobe"
	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("test-secret-test-secret-test-secret-0123")

// People used across tests.
var (
	alice    = devhub.Identity{UserID: "alice", CompanyID: "acme", Sandbox: true}
	bob      = devhub.Identity{UserID: "bob", CompanyID: "globex", Sandbox: true}
	customer = devhub.Identity{UserID: "carol", CompanyID: "initech", Sandbox: false}
	reviewer = devhub.Identity{UserID: "rita", CompanyID: "platform", Roles: []string{devhub.RoleReviewer}}
)

// env is the console on a real loopback server, over the real use cases and
// a DynamoDB Local table of its own, with a prober that reaches only the
// test's own callback server.
type env struct {
	srv     *httptest.Server
	console *console.Console
	hub     *hub.Hub
	store   *dynamo.Store
	meter   *dynamo.Meter
	cb      *testprobe.Server // a working https callback
	logs    *lockedBuffer     // every log line the console wrote
}

// lockedBuffer is a bytes.Buffer safe for the handler's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type envOptions struct {
	loginURL string
}

func newEnv(t testing.TB, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	e := &env{meter: &dynamo.Meter{}, logs: &lockedBuffer{}}
	e.store = dynamotest.MustOpenStore(t, e.meter.Option)
	e.cb = testprobe.NewServer(t, http.StatusOK, 0)
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	prober := testprobe.New(t, e.cb)
	e.hub = &hub.Hub{Apps: e.store, Extensions: e.store, Installations: e.store, Clients: e.store, Manifests: e.store, Schemas: jsonschema.New(),
		Deliveries: e.store, Notifier: &notify.Sender{Client: prober.Client()}, Prober: prober, Now: time.Now}
	e.console = console.New(console.Options{Hub: e.hub, Verifier: v, CSRFKeys: console.CSRFKeysFrom(auth.StaticKeys(testSecret).Current),
		LoginURL: o.loginURL, Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	e.srv = httptest.NewServer(e.console.Handler(e.console.Routes()))
	e.hub.IssuerURL = e.srv.URL
	t.Cleanup(e.srv.Close)
	return e
}

func cookieOf(t testing.TB, id devhub.Identity) string {
	t.Helper()
	tok, err := auth.IssueToken(testSecret, id, "", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type response struct {
	*http.Response
	Body string
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *env) do(t testing.TB, req *http.Request, who *devhub.Identity) response {
	t.Helper()
	if who != nil {
		req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cookieOf(t, *who)})
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Response: res, Body: string(b)}
}

// get fetches path as who (nil: no session).
func (e *env) get(t testing.TB, who *devhub.Identity, path string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	return e.do(t, req, who)
}

// post sends form to path as who, with the CSRF token the page would carry
// (unless form sets csrf_token itself).
func (e *env) post(t testing.TB, who *devhub.Identity, path string, form url.Values, headers ...string) response {
	t.Helper()
	form = maps.Clone(form) // the caller's form is reused for a resend
	if form == nil {
		form = url.Values{}
	}
	var cookie string
	if who != nil {
		cookie = cookieOf(t, *who)
		if _, ok := form["csrf_token"]; !ok {
			form.Set("csrf_token", e.console.CSRFTokenForCookie(cookie, path))
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cookie})
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Response: res, Body: string(b)}
}

// createApp saves a draft of type t through the store's use case directly.
func (e *env) createApp(tb testing.TB, who devhub.Identity, typ devhub.AppType, name string) *devhub.App {
	tb.Helper()
	a, _, err := e.hub.CreateApp(context.Background(), who, devhub.NewAppInput{Type: typ, Name: name, CallbackURL: e.cb.URL + "/callback"}, hub.Idempotency[*devhub.App]{})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// signWithNames signs a session token carrying the display claims.
func signWithNames(t testing.TB, id devhub.Identity, name, company string) string {
	t.Helper()
	c := jwt.MapClaims{"sub": id.UserID, "company_id": id.CompanyID, "sandbox": id.Sandbox, "name": name,
		"company_name": company, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
