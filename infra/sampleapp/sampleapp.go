// Package sampleapp is the third-party app server that the local runner
// (`make run`) starts on https://127.0.0.1:3443 (SAMPLE_APP_PORT), so that a
// newcomer can install, launch and uninstall something real on one machine.
// It is dev tooling: it must never be linked into a functions/* binary (a
// test in infra/local checks it).
//
// What it does, as a real app would:
//   - /sample-app/install starts an install of the "Sample app" (the runner
//     registers it with this page as its installation URL): it remembers a
//     random state and sends the browser to devhub's consent page.
//   - /sample-app/callback is the Sample app's OAuth callback: it checks the
//     state and iss, exchanges the code with its own credentials at
//     /oauth/token, and shows the granted scope from /oauth/introspect.
//   - /callback is a working callback for any other app (any draft may use
//     https://127.0.0.1:3443/callback): it shows the code, state and iss it
//     received, and exchanges nothing (it does not know that app's secret).
//   - DELETE on either callback is an uninstall notification. Its HTTP Basic
//     credentials are checked (the Sample app's against its own; another
//     app's by asking devhub's introspection endpoint, which authenticates
//     the client); a wrong one is answered 401 and listed as refused.
//   - /sample-app/extension is an extension iframe page: it verifies the
//     launch JWT (HS256, with the Sample app's client secret for its own
//     extensions, or with ExtensionJWTSecret for any app's extension that
//     sets that jwt_secret) and shows its claims.
//   - / lists what it received, newest first.
//
// A GET of any callback without a code answers 400 (below 500), which is
// what devhub's callback probe wants. Pages are plain HTML without script.
package sampleapp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ExtensionJWTSecret is the documented dev secret: an extension of any app
// whose jwt_secret is this value, and whose iframe URL is this server's
// /sample-app/extension, is verified and shown here. It is public, like the
// runner's dev token secret: never use it outside a local run.
const ExtensionJWTSecret = "sample-app-dev-extension-secret"

// Paths of the pages.
const (
	PathInstall       = "/sample-app/install"
	PathOwnCallback   = "/sample-app/callback"
	PathOtherCallback = "/callback"
	PathExtension     = "/sample-app/extension"
)

// maxEvents is how many received things the home page keeps.
const maxEvents = 200

// Credentials are the Sample app's, as devhub registered it.
type Credentials struct {
	AppID, ClientID, ClientSecret string
}

// Options configure a Server.
type Options struct {
	// BaseURL is this server's own https origin, e.g. https://127.0.0.1:3443.
	BaseURL string
	// Devhub is devhub's base URL (its ISSUER_URL): the consent page, the
	// token and introspection endpoints, and the expected iss.
	Devhub string
	// Client calls devhub; nil means a plain client with a 10 s timeout.
	Client *http.Client
	Logger *slog.Logger
	Now    func() time.Time
}

// Event is one thing the app received.
type Event struct {
	At    time.Time
	Kind  string // install, install_failed, callback, uninstall, uninstall_refused, extension, extension_refused
	Title string
	// Details are shown as a definition list, in order.
	Details []Detail
}

// Detail is one name and value of an Event.
type Detail struct{ Name, Value string }

// Server is the sample app. Make one with New.
type Server struct {
	o Options

	mu     sync.Mutex
	creds  Credentials
	states map[string]time.Time // install states issued, until when they are good
	events []Event              // oldest first
}

// New returns a Server; it knows its credentials once SetCredentials ran.
func New(o Options) *Server {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	o.Devhub = strings.TrimRight(o.Devhub, "/")
	return &Server{o: o, states: map[string]time.Time{}}
}

// SetCredentials tells the server who it is.
func (s *Server) SetCredentials(c Credentials) {
	s.mu.Lock()
	s.creds = c
	s.mu.Unlock()
}

func (s *Server) credentials() Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds
}

// CallbackURL is the Sample app's registered callback.
func (s *Server) CallbackURL() string { return s.o.BaseURL + PathOwnCallback }

// InstallationURL is the Sample app's registered installation URL.
func (s *Server) InstallationURL() string { return s.o.BaseURL + PathInstall }

// ExtensionURL is the iframe URL of the extensions it verifies.
func (s *Server) ExtensionURL() string { return s.o.BaseURL + PathExtension }

// Events returns what the server received, newest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, len(s.events))
	for i, e := range s.events {
		out[len(s.events)-1-i] = e
	}
	return out
}

func (s *Server) record(e Event) {
	e.At = s.o.Now().UTC()
	s.mu.Lock()
	s.events = append(s.events, e)
	if len(s.events) > maxEvents {
		s.events = s.events[len(s.events)-maxEvents:]
	}
	s.mu.Unlock()
	s.o.Logger.Info("sample app: "+e.Title, slog.String("kind", e.Kind))
}

// Handler serves every page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /style.css", serveCSS)
	mux.HandleFunc("GET "+PathInstall, s.install)
	mux.HandleFunc("GET "+PathOwnCallback, s.ownCallback)
	mux.HandleFunc("GET "+PathOtherCallback, s.otherCallback)
	mux.HandleFunc("DELETE "+PathOwnCallback, s.uninstall)
	mux.HandleFunc("DELETE "+PathOtherCallback, s.uninstall)
	mux.HandleFunc("GET "+PathExtension, s.extension)
	return mux
}

// ---- pages ----

func (s *Server) home(w http.ResponseWriter, _ *http.Request) {
	c := s.credentials()
	s.render(w, http.StatusOK, "home", map[string]any{
		"Events": s.Events(), "Registered": c.ClientID != "", "ClientID": c.ClientID, "AppID": c.AppID,
		"Install": s.o.Devhub + "/install/" + url.PathEscape(c.ClientID), "Other": s.o.BaseURL + PathOtherCallback,
		"Extension": s.ExtensionURL(), "DevSecret": ExtensionJWTSecret,
	}, "")
}

// install starts the Sample app's install with a fresh state.
func (s *Server) install(w http.ResponseWriter, _ *http.Request) {
	c := s.credentials()
	if c.ClientID == "" {
		s.message(w, http.StatusServiceUnavailable, "Not registered yet", "The runner has not registered the Sample app yet; try again in a moment.")
		return
	}
	state := randomString()
	now := s.o.Now()
	s.mu.Lock()
	for k, until := range s.states {
		if now.After(until) {
			delete(s.states, k)
		}
	}
	if len(s.states) < 1000 {
		s.states[state] = now.Add(10 * time.Minute)
	}
	s.mu.Unlock()
	q := url.Values{"client_id": {c.ClientID}, "redirect_uri": {s.CallbackURL()}, "response_type": {"code"}, "state": {state}}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Location", s.o.Devhub+"/oauth/authorize?"+q.Encode())
	w.WriteHeader(http.StatusSeeOther)
}

// takeState reports whether state was issued by install and not used yet.
func (s *Server) takeState(state string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.states[state]
	delete(s.states, state)
	return ok && s.o.Now().Before(until)
}

// ownCallback completes an install of the Sample app.
func (s *Server) ownCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("code") == "" && q.Get("error") == "" {
		s.message(w, http.StatusBadRequest, "Sample app callback", "This is the Sample app's OAuth callback: devhub sends the browser here with a code after an install.")
		return
	}
	fail := func(why string, d ...Detail) {
		s.record(Event{Kind: "install_failed", Title: "Install of the Sample app failed", Details: append([]Detail{{"Why", why}}, d...)})
		s.message(w, http.StatusBadRequest, "Install failed", why)
	}
	if e := q.Get("error"); e != "" {
		fail("devhub answered error="+e, Detail{"error_description", q.Get("error_description")})
		return
	}
	if !s.takeState(q.Get("state")) {
		fail("the state is not one this app issued (or it was used already): the install did not start at " + PathInstall)
		return
	}
	if iss := q.Get("iss"); iss != s.o.Devhub {
		fail(fmt.Sprintf("iss is %q, want %q (RFC 9207)", iss, s.o.Devhub))
		return
	}
	c := s.credentials()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
		Scope        string `json:"scope"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	status, err := s.post(r.Context(), "/oauth/token", c.ClientID, c.ClientSecret, url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {s.CallbackURL()},
	}, &tok)
	if err != nil || status != http.StatusOK {
		fail(fmt.Sprintf("the code exchange answered %d %s %s %v", status, tok.Error, tok.Description, errText(err)))
		return
	}
	var in introspection
	status, err = s.post(r.Context(), "/oauth/introspect", c.ClientID, c.ClientSecret, url.Values{"token": {tok.AccessToken}}, &in)
	if err != nil || status != http.StatusOK || !in.Active {
		fail(fmt.Sprintf("introspection answered %d, active %v %v", status, in.Active, errText(err)))
		return
	}
	ev := Event{Kind: "install", Title: "Sample app installed", Details: []Detail{
		{"Company", in.CompanyID}, {"User", in.UserID}, {"Installation", in.InstallationID},
		{"Granted scope (introspection)", in.Scope}, {"Access token", mask(tok.AccessToken)},
		{"Refresh token", mask(tok.RefreshToken)}, {"Expires in", fmt.Sprintf("%d s", tok.ExpiresIn)},
		{"iss", q.Get("iss")},
	}}
	s.record(ev)
	s.render(w, http.StatusOK, "event", ev, "")
}

type introspection struct {
	Active         bool   `json:"active"`
	Scope          string `json:"scope"`
	CompanyID      string `json:"company_id"`
	UserID         string `json:"user_id"`
	InstallationID string `json:"installation_id"`
}

// otherCallback shows what an app other than the Sample app received.
func (s *Server) otherCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("code") == "" && q.Get("error") == "" {
		s.message(w, http.StatusBadRequest, "Callback for any app",
			"Any draft may use this URL as its callback. After an install, devhub sends the browser here with code, state and iss, and this page shows them.")
		return
	}
	ev := Event{Kind: "callback", Title: "Callback received for another app", Details: []Detail{
		{"code", q.Get("code")}, {"state", q.Get("state")}, {"iss", q.Get("iss")},
	}}
	if e := q.Get("error"); e != "" {
		ev.Details = append(ev.Details, Detail{"error", e}, Detail{"error_description", q.Get("error_description")})
	}
	s.record(ev)
	s.render(w, http.StatusOK, "event", ev, "")
}

// uninstall receives an uninstall notification (DELETE on a callback).
func (s *Server) uninstall(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		ClientID  string `json:"client_id"`
		CompanyID string `json:"company_id"`
		UserID    string `json:"user_id"`
		Timestamp string `json:"timestamp"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<10))
	_ = json.Unmarshal(body, &msg)
	details := []Detail{{"Client", msg.ClientID}, {"Company", msg.CompanyID}, {"User", msg.UserID}, {"Uninstalled at", msg.Timestamp}}
	id, secret, ok := r.BasicAuth()
	why := ""
	switch {
	case !ok:
		why = "no HTTP Basic credentials"
	case id != msg.ClientID:
		why = "the Basic user is not the body's client_id"
	default:
		why = s.checkClient(r.Context(), id, secret)
	}
	if why != "" {
		s.record(Event{Kind: "uninstall_refused", Title: "Uninstall notification refused", Details: append([]Detail{{"Why", why}}, details...)})
		w.Header().Set("WWW-Authenticate", `Basic realm="sample app"`)
		http.Error(w, "wrong credentials", http.StatusUnauthorized)
		return
	}
	title := "Uninstall notification received"
	if id == s.credentials().ClientID {
		title = "Uninstall notification received for the Sample app"
	}
	s.record(Event{Kind: "uninstall", Title: title, Details: details})
	w.WriteHeader(http.StatusNoContent)
}

// checkClient verifies a client's credentials: the Sample app's against
// its own, another app's by authenticating at devhub's introspection
// endpoint (which answers 401 to a wrong client). "" means good.
func (s *Server) checkClient(ctx context.Context, id, secret string) string {
	if c := s.credentials(); id == c.ClientID && c.ClientID != "" {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(c.ClientSecret)) != 1 {
			return "wrong client secret"
		}
		return ""
	}
	var in introspection
	status, err := s.post(ctx, "/oauth/introspect", id, secret, url.Values{"token": {"sample-app-credential-check"}}, &in)
	switch {
	case err != nil:
		return "devhub could not be asked: " + err.Error()
	case status == http.StatusUnauthorized:
		return "devhub does not know these client credentials"
	case status != http.StatusOK:
		return fmt.Sprintf("devhub's introspection answered %d", status)
	}
	return ""
}

// extension verifies the launch JWT an extension iframe is opened with.
func (s *Server) extension(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw := q.Get("token")
	keys := []struct{ name, secret string }{{"the Sample app's client secret", s.credentials().ClientSecret}, {"the dev secret " + ExtensionJWTSecret, ExtensionJWTSecret}}
	var claims jwt.MapClaims
	var err error = errors.New("no token in the URL")
	verifiedBy := ""
	for _, k := range keys {
		if raw == "" || k.secret == "" {
			continue
		}
		claims = jwt.MapClaims{}
		_, err = jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return []byte(k.secret), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
		if err == nil {
			verifiedBy = k.name
			break
		}
		if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			break // expired, malformed, wrong algorithm: no other key changes that
		}
	}
	if verifiedBy == "" {
		ev := Event{Kind: "extension_refused", Title: "Extension launch refused", Details: []Detail{{"Why", err.Error()}}}
		s.record(ev)
		s.render(w, http.StatusUnauthorized, "event", ev, s.o.Devhub)
		return
	}
	d := []Detail{{"Verified with", verifiedBy}}
	for _, k := range []string{"userId", "companyId", "iat", "exp"} {
		d = append(d, Detail{k, fmt.Sprint(claims[k])})
	}
	if q.Get("userId") != fmt.Sprint(claims["userId"]) || q.Get("companyId") != fmt.Sprint(claims["companyId"]) {
		d = append(d, Detail{"Warning", "the userId/companyId in the URL differ from the token's: trust the token"})
	}
	ev := Event{Kind: "extension", Title: "Extension launched", Details: d}
	s.record(ev)
	s.render(w, http.StatusOK, "event", ev, s.o.Devhub)
}

// ---- helpers ----

// post sends a form to devhub with HTTP Basic client credentials and
// decodes the JSON answer into out.
func (s *Server) post(ctx context.Context, path, id, secret string, form url.Values, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.Devhub+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.o.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return res.StatusCode, err
	}
	if len(b) > 0 {
		_ = json.Unmarshal(b, out)
	}
	return res.StatusCode, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// mask shows enough of a token to recognise it.
func mask(tok string) string {
	if len(tok) <= 12 {
		return "…"
	}
	return tok[:12] + "…"
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) message(w http.ResponseWriter, status int, title, text string) {
	s.render(w, status, "message", map[string]string{"Title": title, "Text": text}, "")
}

// render writes a page with the console's page headers; frameFrom, when
// set, is the one origin that may frame it (the extension page).
func (s *Server) render(w http.ResponseWriter, status int, name string, data any, frameFrom string) {
	h := w.Header()
	frame := "'none'"
	if frameFrom != "" {
		frame = frameFrom
	} else {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors "+frame+"; base-uri 'none'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // callback URLs carry codes
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.o.Logger.Warn("sample app page", slog.String("error", err.Error()))
	}
}

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.WriteString(w, css)
}

const css = `body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0;word-break:break-all}
section{border-top:1px solid #c9ced6;padding-top:.5rem}code{background:#f2f4f7;padding:0 .25rem}a{color:#0b57d0}
`

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Sample app</title><link rel="stylesheet" href="/style.css"></head><body><main>{{end}}
{{define "foot"}}<p><a href="/">Back to the Sample app</a></p></main></body></html>
{{end}}
{{define "event"}}{{template "head" .Title}}<h1>{{.Title}}</h1>
<dl>{{range .Details}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
{{template "foot"}}{{end}}
{{define "message"}}{{template "head" .Title}}<h1>{{.Title}}</h1><p>{{.Text}}</p>{{template "foot"}}{{end}}
{{define "home"}}{{template "head" "Home"}}<h1>Sample app</h1>
<p>A third-party app server for trying devhub on one machine.</p>
{{if .Registered}}<p>Registered as app <code>{{.AppID}}</code>, client <code>{{.ClientID}}</code>.
<a href="{{.Install}}">Install the Sample app</a> (log in first at devhub's <code>/dev/login</code>).</p>{{else}}<p>Not registered with devhub yet.</p>{{end}}
<h2>Use it from your own app</h2>
<ul><li>Callback URL that works for any draft: <code>{{.Other}}</code></li>
<li>Extension iframe URL: <code>{{.Extension}}</code>, with <code>jwt_secret</code> <code>{{.DevSecret}}</code> (a public dev secret)</li></ul>
<h2>Received, newest first</h2>
{{range .Events}}<section><h3>{{.Title}}</h3><p><time datetime="{{.At.Format "2006-01-02T15:04:05Z07:00"}}">{{.At.Format "15:04:05"}}</time></p>
<dl>{{range .Details}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl></section>
{{else}}<p>Nothing yet.</p>{{end}}
</main></body></html>
{{end}}`))
