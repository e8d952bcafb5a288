package oauth_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/benchclock"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/oauth"
)

// BenchmarkCodeExchange measures POST /oauth/token (authorization_code)
// through the whole handler stack against DynamoDB Local, the way
// internal/httpapi's benchmarks do: thread CPU time of the request loop (the
// goroutine is locked to its thread, so DynamoDB Local's JVM does not count)
// minus that of a loop making the same store calls directly (LookupCode and
// ExchangeCode: one BatchGetItem, one TransactWriteItems) with as many other
// codes. own-cpu-µs/op is thus the handler's own work: form parsing, client
// authentication, hashing, minting, JSON. Codes are stored beforehand,
// outside both loops.
func BenchmarkCodeExchange(b *testing.B) {
	e := newEnv(b)
	h := e.srv.Config.Handler
	a := e.newApp(b, devhub.StatusLive, nil)
	e.authorize(b, carol, a, nil) // the installation
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(a.ClientID+":"+a.ClientSecret))
	ctx := context.Background()
	newCode := func() (string, *devhub.AuthCode) {
		var raw [32]byte
		_, _ = rand.Read(raw[:])
		code := base64.RawURLEncoding.EncodeToString(raw[:])
		now := time.Now()
		c := &devhub.AuthCode{Hash: hexHash(code), ClientID: a.ClientID, AppID: a.ID, CompanyID: carol.CompanyID,
			UserID: carol.UserID, RedirectURI: a.CallbackURL, Scopes: a.Scopes, IssuedAt: now, ExpiresAt: now.Add(devhub.CodeLifetime)}
		if err := e.store.Consent(ctx, a, carol.CompanyID, carol.UserID, c); err != nil {
			b.Fatal(err)
		}
		return code, c
	}
	// newRequest is the harness's work (the adapter's, in Lambda): untimed.
	newRequest := func(code string) (*httptest.ResponseRecorder, *http.Request) {
		body := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.CallbackURL}}.Encode()
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", basic)
		return httptest.NewRecorder(), req
	}
	check := func(w *httptest.ResponseRecorder) {
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	exchange := func(code string) {
		w, req := newRequest(code)
		h.ServeHTTP(w, req)
		check(w)
	}
	for range 200 { // warm up DynamoDB Local's JIT and the connection pool
		code, _ := newCode()
		exchange(code)
	}
	type bare struct {
		code          *devhub.AuthCode
		access, fresh *devhub.Token
	}
	codes := make([]string, b.N)
	bares := make([]bare, b.N)
	for i := range b.N {
		codes[i], _ = newCode()
		_, c := newCode()
		tok := func(kind devhub.TokenKind) *devhub.Token {
			return &devhub.Token{Hash: hexHash(devhub.NewSecret()), Kind: kind, ClientID: a.ClientID, AppID: a.ID,
				CompanyID: carol.CompanyID, UserID: carol.UserID, Grant: "g", Scopes: a.Scopes, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt}
		}
		bares[i] = bare{c, tok(devhub.AccessToken), tok(devhub.RefreshToken)}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e.meter.Reset()
	b.ResetTimer()
	// The exchange and the same two store calls made directly alternate, so
	// that both see the same state of the machine and of DynamoDB Local.
	var handlerCPU, storeCPU time.Duration
	for i := range b.N {
		w, req := newRequest(codes[i])
		start := benchclock.ThreadCPU()
		h.ServeHTTP(w, req)
		handlerCPU += benchclock.ThreadCPU() - start
		check(w)
		b.StopTimer()
		start = benchclock.ThreadCPU()
		if _, err := e.store.LookupCode(ctx, bares[i].code.Hash, a.ClientID); err != nil {
			b.Fatal(err)
		}
		if err := e.store.ExchangeCode(ctx, bares[i].code, "g", bares[i].access, bares[i].fresh); err != nil {
			b.Fatal(err)
		}
		storeCPU += benchclock.ThreadCPU() - start
		b.StartTimer()
	}
	b.StopTimer()
	trips := e.meter.Total() - 2*b.N // the bare store calls go through the same metered client
	n := float64(b.N)
	b.ReportMetric(float64(handlerCPU-storeCPU)/n/1e3, "own-cpu-µs/op")
	b.ReportMetric(float64(storeCPU)/n/1e3, "store-cpu-µs/op")
	b.ReportMetric(float64(trips)/n, "ddb-calls/op")
}

func hexHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// BenchmarkConsentPage measures GET /oauth/authorize without DynamoDB: the
// app comes from memory (oauth.ConsentStore over a func), so ns/op and
// cpu-µs/op are the server's own work for one consent page — verifying the
// session JWT, checking the request, the CSRF token's HMAC, rendering the
// page — for an app with 8 scopes, 3 of them full access. (The page's one
// round trip, GetItem by client_id, is counted in TestEndToEnd.)
func BenchmarkConsentPage(b *testing.B) {
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	app := &devhub.App{ID: "app_0123456789abcdefghijklmnop", Type: devhub.AppPublic, Status: devhub.StatusPublished,
		Name: "Deal sync", ClientID: "client-1", CallbackURL: "https://app.example.test/oauth/callback",
		Scopes:         []string{"base", "deals:read", "contacts:read", "users:read", "deals:full", "contacts:full", "admin", "activities:read"},
		OwnerCompanyID: "acme", OwnerCompanyName: "Acme Corp",
		Listing: devhub.Listing{IconURL: "https://app.example.test/icon.png", PrivacyPolicyURL: "https://app.example.test/privacy",
			SupportURL: "https://app.example.test/support"}}
	getApp := func(context.Context, string) (*devhub.App, error) { return app, nil }
	srv := oauth.New(oauth.Options{Store: oauth.ConsentStore(getApp, nil), Verifier: v, Issuer: "https://devhub.example.test",
		Secret: secret, LoginURL: "https://login.example.test/login"})
	cookie := &http.Cookie{Name: oauth.SessionCookie, Value: userToken(b, carolNamed)}
	target := "/oauth/authorize?" + url.Values{"client_id": {app.ClientID}, "redirect_uri": {app.CallbackURL},
		"response_type": {"code"}, "state": {"st-1"}}.Encode()
	newRequest := func() (*httptest.ResponseRecorder, *http.Request) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.AddCookie(cookie)
		return httptest.NewRecorder(), req
	}
	w, req := newRequest()
	srv.Authorize(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Allow and install") {
		b.Fatalf("%d %s", w.Code, w.Body)
	}
	size := w.Body.Len()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		w, req := newRequest()
		b.StartTimer()
		start := benchclock.ThreadCPU()
		srv.Authorize(w, req)
		cpu += benchclock.ThreadCPU() - start
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu)/float64(b.N)/1e3, "cpu-µs/op")
	b.ReportMetric(float64(size), "html-bytes")
}
