package oauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"golang.org/x/oauth2"
)

func (e *env) config(a *devhub.App, style oauth2.AuthStyle) *oauth2.Config {
	return &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: a.CallbackURL,
		Endpoint: oauth2.Endpoint{AuthURL: e.iss + "/oauth/authorize", TokenURL: e.iss + "/oauth/token", AuthStyle: style}}
}

func (e *env) ctx(t testing.TB) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: validating{t, e}})
}

type introspection struct {
	Active         bool   `json:"active"`
	Scope          string `json:"scope"`
	ClientID       string `json:"client_id"`
	Sub            string `json:"sub"`
	CompanyID      string `json:"company_id"`
	InstallationID string `json:"installation_id"`
}

func (e *env) introspect(t testing.TB, a *devhub.App, tok string) introspection {
	t.Helper()
	res := e.post(t, "/oauth/introspect", url.Values{"token": {tok}}, a.ClientID, a.ClientSecret)
	if res.Status != http.StatusOK {
		t.Fatalf("introspect: %d %s", res.Status, res.Body)
	}
	var out introspection
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) calls(t testing.TB, op string, want int, f func()) {
	t.Helper()
	e.meter.Reset()
	f()
	if got := e.meter.Total(); got != want {
		t.Errorf("%s: %d DynamoDB round trips (%v), want %d", op, got, e.meter.Calls(), want)
	}
}

// TestEndToEnd drives the whole flow with golang.org/x/oauth2 as the app:
// AuthCodeURL → consent page → "Allow and install" → the callback gets
// code, state and iss → Exchange → refresh → revoke → introspect.
func TestEndToEnd(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	conf := e.config(a, oauth2.AuthStyleInHeader)
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-42", oauth2.S256ChallengeOption(verifier))

	// The browser: the consent page as carol, then Allow, following the redirect to the callback.
	req, _ := http.NewRequest(http.MethodGet, authURL, nil)
	req.AddCookie(&http.Cookie{Name: "devhub_session", Value: userToken(t, carol)})
	var page *response
	e.calls(t, "consent page", 1, func() { page = e.send(t, req) })
	if page.Status != 200 || !strings.Contains(page.Body, "Deal sync") || !strings.Contains(page.Body, "See deals") ||
		!strings.Contains(page.Body, "Allow and install") || !strings.Contains(page.Body, "Cancel") || !strings.Contains(page.Body, "acme") {
		t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	checkPageHeaders(t, page)
	var dec *response
	e.calls(t, "decision", 2, func() { dec = e.decide(t, &carol, page.form(t), "allow") })
	if dec.Status != http.StatusSeeOther {
		t.Fatalf("decision: %d %s", dec.Status, dec.Body)
	}
	res, err := http.Get(dec.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	e.mu.Lock()
	cb := e.received[len(e.received)-1]
	e.mu.Unlock()
	if cb.Get("state") != "state-42" || cb.Get("iss") != e.iss || len(cb.Get("code")) < 43 {
		t.Fatalf("callback got %v", cb)
	}

	ctx := e.ctx(t)
	var tok *oauth2.Token
	e.calls(t, "exchange", 2, func() { tok, err = conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier)) })
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Extra("scope") != "base,deals:read" ||
		tok.Extra("api_domain") != "https://api.example.test" || time.Until(tok.Expiry) < 59*time.Minute {
		t.Errorf("token: %+v scope %v api_domain %v", tok, tok.Extra("scope"), tok.Extra("api_domain"))
	}
	var in introspection
	e.calls(t, "introspect", 1, func() { in = e.introspect(t, a, tok.AccessToken) })
	if !in.Active || in.Sub != "carol" || in.CompanyID != "initech" || in.Scope != "base deals:read" || in.ClientID != a.ClientID {
		t.Errorf("introspection %+v", in)
	}

	// Refresh through the library: an expired token makes it refresh.
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	var fresh *oauth2.Token
	e.calls(t, "refresh", 2, func() { fresh, err = conf.TokenSource(ctx, &stale).Token() })
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
		t.Errorf("refresh: new access %v, same refresh %v (want true, true)", fresh.AccessToken != tok.AccessToken, fresh.RefreshToken == tok.RefreshToken)
	}
	if !e.introspect(t, a, fresh.AccessToken).Active || !e.introspect(t, a, tok.AccessToken).Active {
		t.Error("after refresh both access tokens should be active")
	}

	// Revoking the access token ends it alone.
	if r := e.post(t, "/oauth/revoke", url.Values{"token": {tok.AccessToken}}, a.ClientID, a.ClientSecret); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if e.introspect(t, a, tok.AccessToken).Active || !e.introspect(t, a, fresh.AccessToken).Active {
		t.Error("revoking an access token must end it, and only it")
	}
	// Revoking the refresh token ends the installation: every token dies.
	e.calls(t, "revoke refresh", 2, func() {
		if r := e.post(t, "/oauth/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}, a.ClientID, a.ClientSecret); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
	})
	for _, s := range []string{fresh.AccessToken, tok.RefreshToken} {
		if e.introspect(t, a, s).Active {
			t.Error("a token of an ended installation is active")
		}
	}
	if _, err := conf.TokenSource(ctx, &stale).Token(); err == nil {
		t.Error("refresh after revocation worked")
	}
	page2, _ := e.store.ListInstallations(context.Background(), "initech", "carol", "", 10)
	if len(page2.Items) != 0 {
		t.Errorf("installation still there: %+v", page2.Items)
	}
	// Unknown tokens: 200 all the same.
	if r := e.post(t, "/oauth/revoke", url.Values{"token": {"nonsense"}}, a.ClientID, a.ClientSecret); r.Status != 200 {
		t.Errorf("revoke unknown: %d", r.Status)
	}
}

func checkPageHeaders(t *testing.T, r *response) {
	t.Helper()
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: got %q, want %q", h, got, want)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	code := e.authorize(t, carol, a, nil).Get("code")
	good := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.CallbackURL}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "" {
			delete(f, k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	withBody := func(f url.Values) url.Values {
		f.Set("client_id", a.ClientID)
		f.Set("client_secret", a.ClientSecret)
		return f
	}
	for _, c := range []struct {
		name        string
		contentType string
		body        string
		basic       []string
		status      int
		err         string
	}{
		{"ErrJSONBody", "application/json", `{"grant_type":"authorization_code"}`, []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrNoContentType", "", good.Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrNoClientAuth", "", good.Encode(), nil, 401, "invalid_client"},
		{"ErrWrongSecret", "", good.Encode(), []string{a.ClientID, "wrong"}, 401, "invalid_client"},
		{"ErrWrongSecretInBody", "", with("client_secret", "wrong").Encode() + "&client_id=" + a.ClientID, nil, 401, "invalid_client"},
		{"ErrUnknownClient", "", good.Encode(), []string{"00000000000000000000000000", a.ClientSecret}, 401, "invalid_client"},
		{"ErrBothAuthMethods", "", withBody(with("", "")).Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrRepeatedParam", "", good.Encode() + "&code=x", []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrNoGrantType", "", with("grant_type", "").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrClientCredentials", "", with("grant_type", "client_credentials").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "unsupported_grant_type"},
		{"ErrPassword", "", with("grant_type", "password").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "unsupported_grant_type"},
		{"ErrNoCode", "", with("code", "").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrUnknownCode", "", with("code", "not-a-code").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_grant"},
		{"ErrOtherRedirect", "", with("redirect_uri", a.CallbackURL+"/").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_grant"},
		{"ErrNoRedirect", "", with("redirect_uri", "").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_grant"},
		{"ErrVerifierWithoutChallenge", "", with("code_verifier", strings.Repeat("v", 43)).Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_grant"},
		{"ErrMalformedVerifier", "", with("code_verifier", "short").Encode(), []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrNoRefreshToken", "", "grant_type=refresh_token", []string{a.ClientID, a.ClientSecret}, 400, "invalid_request"},
		{"ErrBadRefreshToken", "", "grant_type=refresh_token&refresh_token=dhr.x.y", []string{a.ClientID, a.ClientSecret}, 400, "invalid_grant"},
		{"ErrTooLarge", "", good.Encode() + "&pad=" + strings.Repeat("a", 20<<10), []string{a.ClientID, a.ClientSecret}, 413, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.iss+"/oauth/token", strings.NewReader(c.body))
			ct := c.contentType
			if ct == "" && c.name != "ErrNoContentType" {
				ct = "application/x-www-form-urlencoded"
			}
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			if c.basic != nil {
				req.SetBasicAuth(c.basic[0], c.basic[1])
			}
			res := e.send(t, req)
			var body struct {
				Error string `json:"error"`
			}
			_ = json.Unmarshal([]byte(res.Body), &body)
			if res.Status != c.status || body.Error != c.err {
				t.Errorf("got %d %s, want %d %s", res.Status, res.Body, c.status, c.err)
			}
			if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", res.Header)
			}
			if c.status == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// None of the failures above consumed the code.
	if r := e.post(t, "/oauth/token", good, a.ClientID, a.ClientSecret); r.Status != 200 {
		t.Fatalf("the code no longer works: %d %s", r.Status, r.Body)
	}
	t.Run("ErrExpiredCode", func(t *testing.T) {
		code := e.authorize(t, carol, a, nil).Get("code")
		e.advance(devhub.CodeLifetime + time.Second)
		defer e.advance(-devhub.CodeLifetime - time.Second)
		r := e.post(t, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.CallbackURL}}, a.ClientID, a.ClientSecret)
		if r.Status != 400 || !strings.Contains(r.Body, "invalid_grant") {
			t.Errorf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrOtherClientsCode", func(t *testing.T) {
		b := e.newApp(t, devhub.StatusLive, nil)
		code := e.authorize(t, carol, a, nil).Get("code")
		r := e.post(t, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.CallbackURL}}, b.ClientID, b.ClientSecret)
		if r.Status != 400 || !strings.Contains(r.Body, "invalid_grant") {
			t.Errorf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("OKBodyAuth", func(t *testing.T) {
		tok, err := e.config(a, oauth2.AuthStyleInParams).Exchange(e.ctx(t), e.authorize(t, carol, a, nil).Get("code"))
		if err != nil || tok.AccessToken == "" {
			t.Errorf("got %v %v", tok, err)
		}
	})
}

func TestPKCE(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	conf := e.config(a, oauth2.AuthStyleInHeader)
	ctx := e.ctx(t)
	verifier := oauth2.GenerateVerifier()
	challenge := url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	t.Run("OK", func(t *testing.T) {
		if _, err := conf.Exchange(ctx, e.authorize(t, carol, a, challenge).Get("code"), oauth2.VerifierOption(verifier)); err != nil {
			t.Error(err)
		}
	})
	t.Run("ErrNoVerifier", func(t *testing.T) {
		if _, err := conf.Exchange(ctx, e.authorize(t, carol, a, challenge).Get("code")); !isOAuthError(err, "invalid_grant") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("ErrWrongVerifier", func(t *testing.T) {
		if _, err := conf.Exchange(ctx, e.authorize(t, carol, a, challenge).Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); !isOAuthError(err, "invalid_grant") {
			t.Errorf("got %v", err)
		}
	})
	for name, q := range map[string]url.Values{
		"ErrPlain":           {"code_challenge": {verifier}, "code_challenge_method": {"plain"}},
		"ErrNoMethod":        {"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}},
		"ErrMethodOnly":      {"code_challenge_method": {"S256"}},
		"ErrShortChallenge":  {"code_challenge": {"abc"}, "code_challenge_method": {"S256"}},
		"ErrResponseTypeTok": {"response_type": {"token"}},
	} {
		t.Run(name, func(t *testing.T) {
			base := url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.CallbackURL}, "state": {"s"}}
			for k, v := range q {
				base[k] = v
			}
			r := e.consent(t, &carol, base)
			loc, _ := url.Parse(r.Header.Get("Location"))
			want := "invalid_request"
			if name == "ErrResponseTypeTok" {
				want = "unsupported_response_type"
			}
			if r.Status != http.StatusSeeOther || loc.Query().Get("error") != want || loc.Query().Get("state") != "s" || loc.Query().Get("code") != "" {
				t.Errorf("got %d %v", r.Status, r.Header.Get("Location"))
			}
		})
	}
}

func isOAuthError(err error, name string) bool {
	re, ok := err.(*oauth2.RetrieveError)
	return ok && re.ErrorCode == name
}

func TestConsentErrors(t *testing.T) {
	e := newEnv(t)
	live := e.newApp(t, devhub.StatusLive, nil)
	draft := e.newApp(t, devhub.StatusDraft, nil)
	review := e.newApp(t, devhub.StatusReview, func(a *devhub.App) { a.Type = devhub.AppPublic })
	q := func(a *devhub.App, kv ...string) url.Values {
		v := url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.CallbackURL}, "state": {"s"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, c := range []struct {
		name   string
		id     *devhub.Identity
		query  url.Values
		status int
	}{
		{"ErrNoUser", nil, q(live), 401},
		{"ErrUnknownClient", &carol, q(live, "client_id", "00000000000000000000000000"), 400},
		{"ErrNoClient", &carol, q(live, "client_id", ""), 400},
		{"ErrRedirectTrailingSlash", &carol, q(live, "redirect_uri", live.CallbackURL+"/"), 400},
		{"ErrRedirectOtherHost", &carol, q(live, "redirect_uri", "https://evil.example/cb"), 400},
		{"ErrRedirectCase", &carol, q(live, "redirect_uri", strings.ToUpper(live.CallbackURL[:4])+live.CallbackURL[4:]), 400},
		{"ErrDraftOtherCompany", &carol, q(draft), 400},
		{"ErrInReview", &carol, q(review), 403},
		{"OKDraftOwner", &alice, q(draft), 200},
		{"OKNoRedirectURI", &carol, q(live, "redirect_uri", ""), 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.consent(t, c.id, c.query)
			if r.Status != c.status || r.Header.Get("Location") != "" {
				t.Errorf("got %d Location %q, want %d and no redirect", r.Status, r.Header.Get("Location"), c.status)
			}
			checkPageHeaders(t, r)
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
			}
		})
	}
	t.Run("GetNeverGrants", func(t *testing.T) {
		r := e.consent(t, &carol, q(live, "decision", "allow"))
		if r.Status != 200 || r.Header.Get("Location") != "" {
			t.Errorf("got %d", r.Status)
		}
		if p, _ := e.store.ListInstallations(context.Background(), carol.CompanyID, carol.UserID, "", 10); len(p.Items) != 0 {
			t.Errorf("a GET installed: %+v", p.Items)
		}
	})
	page := e.consent(t, &carol, q(live))
	form := page.form(t)
	t.Run("Cancel", func(t *testing.T) {
		r := e.decide(t, &carol, form, "deny")
		loc, _ := url.Parse(r.Header.Get("Location"))
		if r.Status != 303 || loc.Query().Get("error") != "user_denied" || loc.Query().Get("state") != "s" || loc.Query().Get("iss") != e.iss {
			t.Errorf("got %d %s", r.Status, r.Header.Get("Location"))
		}
	})
	for name, f := range map[string]func() (url.Values, *devhub.Identity){
		"ErrCSRFMissing":   func() (url.Values, *devhub.Identity) { v := clone(form); v.Del("csrf_token"); return v, &carol },
		"ErrCSRFOtherUser": func() (url.Values, *devhub.Identity) { return clone(form), &dave },
		"ErrCSRFOtherState": func() (url.Values, *devhub.Identity) {
			v := clone(form)
			v.Set("state", "other")
			return v, &carol
		},
		"ErrCSRFTampered": func() (url.Values, *devhub.Identity) {
			v := clone(form)
			v.Set("csrf_token", v.Get("csrf_token")[:10]+"AAAA"+v.Get("csrf_token")[14:])
			return v, &carol
		},
	} {
		t.Run(name, func(t *testing.T) {
			v, id := f()
			if r := e.decide(t, id, v, "allow"); r.Status != 403 || r.Header.Get("Location") != "" {
				t.Errorf("got %d %s", r.Status, r.Header.Get("Location"))
			}
		})
	}
	t.Run("ErrCSRFExpired", func(t *testing.T) {
		e.advance(20 * time.Minute)
		defer e.advance(-20 * time.Minute)
		if r := e.decide(t, &carol, form, "allow"); r.Status != 403 {
			t.Errorf("got %d", r.Status)
		}
	})
	t.Run("ErrDecisionNoUser", func(t *testing.T) {
		if r := e.decide(t, nil, form, "allow"); r.Status != 401 {
			t.Errorf("got %d", r.Status)
		}
	})
	t.Run("ErrDecisionJSON", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.iss+"/oauth/authorize", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		if r := e.send(t, req); r.Status != 400 {
			t.Errorf("got %d", r.Status)
		}
	})
	t.Run("OKBearerHeader", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.iss+"/oauth/authorize?"+q(live).Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+userToken(t, carol))
		if r := e.send(t, req); r.Status != 200 {
			t.Errorf("got %d", r.Status)
		}
	})
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vv := range v {
		out[k] = append([]string(nil), vv...)
	}
	return out
}

// TestConcurrentExchange: of 10 concurrent exchanges of one code exactly
// one wins; the losers are replays, so the winner's tokens are revoked.
func TestConcurrentExchange(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	code := e.authorize(t, carol, a, nil).Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.CallbackURL}}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     []string
		invalid int
	)
	start := make(chan struct{})
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := e.post(t, "/oauth/token", form, a.ClientID, a.ClientSecret)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.Status == 200:
				var tok struct {
					AccessToken string `json:"access_token"`
				}
				_ = json.Unmarshal([]byte(r.Body), &tok)
				won = append(won, tok.AccessToken)
			case r.Status == 400 && strings.Contains(r.Body, "invalid_grant"):
				invalid++
			default:
				t.Errorf("unexpected %d %s", r.Status, r.Body)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(won) != 1 || invalid != 9 {
		t.Fatalf("%d won, %d invalid_grant; want 1 and 9", len(won), invalid)
	}
	if e.introspect(t, a, won[0]).Active {
		t.Error("the winner's token survived the replays")
	}
}

// TestReplayRevokes: a code used twice revokes what its first exchange issued.
func TestReplayRevokes(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	conf := e.config(a, oauth2.AuthStyleInHeader)
	ctx := e.ctx(t)
	code := e.authorize(t, carol, a, nil).Get("code")
	tok, err := conf.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if !e.introspect(t, a, tok.AccessToken).Active {
		t.Fatal("not active")
	}
	if _, err := conf.Exchange(ctx, code); !isOAuthError(err, "invalid_grant") {
		t.Fatalf("replay: %v", err)
	}
	if e.introspect(t, a, tok.AccessToken).Active || e.introspect(t, a, tok.RefreshToken).Active {
		t.Error("replay left the first exchange's tokens alive")
	}
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.TokenSource(ctx, &stale).Token(); err == nil {
		t.Error("refresh after replay worked")
	}
	// The installation (the user's consent) remains: a new consent works.
	if _, err := conf.Exchange(ctx, e.authorize(t, carol, a, nil).Get("code")); err != nil {
		t.Error(err)
	}
}

// TestRotation: with refresh_token_rotation a refresh returns a new refresh
// token, and reusing the old one revokes the whole family.
func TestRotation(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, func(a *devhub.App) { a.RefreshTokenRotation = true })
	conf := e.config(a, oauth2.AuthStyleInHeader)
	ctx := e.ctx(t)
	tok, err := conf.Exchange(ctx, e.authorize(t, carol, a, nil).Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(rt string) (*response, map[string]any) {
		r := e.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, a.ClientID, a.ClientSecret)
		var m map[string]any
		_ = json.Unmarshal([]byte(r.Body), &m)
		return r, m
	}
	r1, t1 := refresh(tok.RefreshToken)
	if r1.Status != 200 || t1["refresh_token"] == tok.RefreshToken {
		t.Fatalf("rotation: %d %s", r1.Status, r1.Body)
	}
	r2, t2 := refresh(t1["refresh_token"].(string))
	if r2.Status != 200 {
		t.Fatalf("second rotation: %d %s", r2.Status, r2.Body)
	}
	if r, _ := refresh(tok.RefreshToken); r.Status != 400 || !strings.Contains(r.Body, "invalid_grant") {
		t.Fatalf("reuse: %d %s", r.Status, r.Body)
	}
	for _, s := range []string{t2["access_token"].(string), t2["refresh_token"].(string), t1["access_token"].(string)} {
		if e.introspect(t, a, s).Active {
			t.Error("reuse left a token of the family alive")
		}
	}
	if r, _ := refresh(t2["refresh_token"].(string)); r.Status != 400 {
		t.Errorf("the newest refresh token still works: %d", r.Status)
	}
}

// TestSlidingRefresh: a refresh token expires 60 days after its last use.
func TestSlidingRefresh(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	tok, err := e.config(a, oauth2.AuthStyleInHeader).Exchange(e.ctx(t), e.authorize(t, carol, a, nil).Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	defer e.advance(-e.clockNow())
	for range 3 { // 150 days in all, in steps of 50
		e.advance(50 * 24 * time.Hour)
		if r := e.post(t, "/oauth/token", form, a.ClientID, a.ClientSecret); r.Status != 200 {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
	}
	e.advance(61 * 24 * time.Hour)
	if r := e.post(t, "/oauth/token", form, a.ClientID, a.ClientSecret); r.Status != 400 {
		t.Errorf("unused for 61 days and still works: %d", r.Status)
	}
}

func (e *env) clockNow() time.Duration { return time.Duration(e.clock.Load()) }

// TestRotatedSecret: after a rotation the previous secret works until its
// grace period ends, then not.
func TestRotatedSecret(t *testing.T) {
	e := newEnv(t)
	old := "previous-secret-previous-secret-0123456789"
	a := e.newApp(t, devhub.StatusLive, func(a *devhub.App) {
		a.PreviousClientSecret, a.PreviousSecretUntil = old, time.Now().Add(time.Hour)
	})
	tok, err := e.config(a, oauth2.AuthStyleInHeader).Exchange(e.ctx(t), e.authorize(t, carol, a, nil).Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	for _, c := range []struct {
		name   string
		secret string
		after  time.Duration
		status int
	}{
		{"OKCurrent", a.ClientSecret, 0, 200},
		{"OKPreviousInGrace", old, 0, 200},
		{"ErrPreviousAfterGrace", old, 2 * time.Hour, 401},
		{"OKCurrentAfterGrace", a.ClientSecret, 2 * time.Hour, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.advance(c.after)
			defer e.advance(-c.after)
			if r := e.post(t, "/oauth/token", form, a.ClientID, c.secret); r.Status != c.status {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
			if r := e.post(t, "/oauth/introspect", url.Values{"token": {tok.RefreshToken}}, a.ClientID, c.secret); r.Status != c.status {
				t.Errorf("introspect: got %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestUninstall: DELETE /v1/installations/{id} kills every token at once;
// another user's installation is not found.
func TestUninstall(t *testing.T) {
	e := newEnv(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	tok, err := e.config(a, oauth2.AuthStyleInHeader).Exchange(e.ctx(t), e.authorize(t, carol, a, nil).Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	in := e.introspect(t, a, tok.AccessToken)
	del := func(id devhub.Identity, inst string) int {
		req, _ := http.NewRequest(http.MethodDelete, e.iss+"/v1/installations/"+inst, nil)
		req.Header.Set("Authorization", "Bearer "+userToken(t, id))
		return e.send(t, req).Status
	}
	if s := del(dave, in.InstallationID); s != 404 {
		t.Errorf("another user's: %d", s)
	}
	if s := del(carol, "inst_nonsense"); s != 404 {
		t.Errorf("malformed: %d", s)
	}
	if s := del(carol, in.InstallationID); s != 204 {
		t.Fatalf("own: %d", s)
	}
	if e.introspect(t, a, tok.AccessToken).Active || e.introspect(t, a, tok.RefreshToken).Active {
		t.Error("tokens survived the uninstall")
	}
	if s := del(carol, in.InstallationID); s != 404 {
		t.Errorf("again: %d", s)
	}
}

func TestMetadata(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.iss+"/.well-known/oauth-authorization-server", nil)
	r := e.send(t, req)
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil || r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	for k, want := range map[string]any{
		"issuer": e.iss, "authorization_endpoint": e.iss + "/oauth/authorize", "token_endpoint": e.iss + "/oauth/token",
		"revocation_endpoint": e.iss + "/oauth/revoke", "introspection_endpoint": e.iss + "/oauth/introspect",
		"authorization_response_iss_parameter_supported": true,
	} {
		if m[k] != want {
			t.Errorf("%s: got %v, want %v", k, m[k], want)
		}
	}
	if ms, _ := m["code_challenge_methods_supported"].([]any); len(ms) != 1 || ms[0] != "S256" {
		t.Errorf("code_challenge_methods_supported %v", m["code_challenge_methods_supported"])
	}
}

var _ = dynamo.ErrCodeUsed
