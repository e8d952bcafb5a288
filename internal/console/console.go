// Package console is the HTML adapter of the Developer Hub: the pages of
// console.md (dashboard, app settings, review queue; later the marketplace)
// served beside the JSON API.
//
// A page handler parses a form, calls one use case (internal/hub), and
// renders one templ component inside the one layout, with the one
// stylesheet. It never reads the table, never calls the JSON API, and never
// decides a rule: the use cases do, and their *devhub.Error fields come back
// as messages beside the fields that caused them.
//
// Every page carries the headers of console.md (CSP without inline script,
// frame-ancestors 'none', nosniff, same-origin referrers). Every form POST
// carries a CSRF token bound to the session and to the form's action, and a
// cross-site POST (Origin, Sec-Fetch-Site) is refused before any work.
// Forms answer with a redirect (POST-redirect-GET) and a one-time notice,
// so every flow completes without JavaScript; console.js only enhances.
//
// It must not log secrets: no cookie, token, client secret or CSRF token
// ever reaches a log line, and no secret is ever put in a URL.
package console

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// TokenVerifier checks the session cookie's JWT (the same token as the
// API's bearer token). Errors: EUNAUTHORIZED.
type TokenVerifier interface {
	Verify(token string) (devhub.Identity, error)
}

// Options configures a Console.
type Options struct {
	Hub      Hub
	Verifier TokenVerifier
	// CSRFKeys returns the keys of the forms' CSRF tokens, newest first:
	// the newest signs, any verifies, so that a rotation of the secret
	// they come from does not expire every open form at once. Derive them
	// from a server secret (CSRFKeysFrom), so that every instance agrees.
	CSRFKeys func() [][]byte
	// LoginURL is where a visitor without a session is sent, with
	// ?return_to=<path>; empty: a 401 page "Please log in".
	LoginURL string
	Logger   *slog.Logger
	Now      func() time.Time
	// RequestID returns the request id the Lambda adapter put in the
	// context (API Gateway's), or "".
	RequestID func(context.Context) string
}

// Console serves the console's pages. Build it once per process.
type Console struct {
	hub      Hub
	verifier TokenVerifier
	csrfKeys func() [][]byte
	loginURL string
	log      *slog.Logger
	now      func() time.Time
	reqID    func(context.Context) string
}

// Route is one method and pattern (net/http.ServeMux syntax) of the console.
type Route struct {
	Method  string
	Pattern string
	// Public pages need no session (static assets, later the marketplace).
	Public bool
	Handle func(w http.ResponseWriter, r *http.Request) error
}

// New returns a Console.
func New(o Options) *Console {
	c := &Console{hub: o.Hub, verifier: o.Verifier, csrfKeys: o.CSRFKeys, loginURL: o.LoginURL,
		log: o.Logger, now: o.Now, reqID: o.RequestID}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.csrfKeys == nil {
		c.csrfKeys = func() [][]byte { return nil }
	}
	if c.reqID == nil {
		c.reqID = func(context.Context) string { return "" }
	}
	return c
}

// GatewayRoutes are the console function's routes on API Gateway (api.md
// "Console"): greedy paths under which every page of Routes lies.
var GatewayRoutes = []string{
	"GET /hub", "GET /hub/{proxy+}", "POST /hub/{proxy+}",
	"GET /marketplace", "GET /marketplace/{proxy+}", "POST /marketplace/{proxy+}",
	"GET /static/{proxy+}",
}

// Prefixes are the paths the local runner hands to the console's handler.
var Prefixes = []string{"/hub", "/hub/", "/marketplace", "/marketplace/", "/static/"}

// Routes are every route of the console function (api.md "Console"), for
// the function, the local runner and the template test.
func (c *Console) Routes() []Route {
	rs := []Route{
		{Method: http.MethodGet, Pattern: "/static/{file}", Public: true, Handle: serveStatic},
	}
	rs = append(rs, c.hubRoutes()...)
	rs = append(rs, c.extensionRoutes()...)
	rs = append(rs, c.manifestRoutes()...)
	rs = append(rs, c.deliveryRoutes()...)
	rs = append(rs, c.marketplaceRoutes()...)
	return rs
}

// Handler serves routes with the console's middleware: request id and
// access log, panic recovery, page headers, session, and the cross-site
// check and CSRF token on every POST.
func (c *Console) Handler(routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := c.wrap(rt)
		pattern := rt.Method + " " + rt.Pattern
		mux.Handle(pattern, h)
	}
	mux.Handle("/", c.wrap(Route{Public: true, Handle: func(w http.ResponseWriter, r *http.Request) error {
		return devhub.Errorf(devhub.ENOTFOUND, "No page at %s.", r.URL.Path)
	}}))
	return c.tag(mux)
}

type ctxKey int

const sessionKey ctxKey = iota

// wrap applies a route's guards and renders its error as a page.
func (c *Console) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w.Header())
		var err error
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				c.logger(r).ErrorContext(r.Context(), "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				c.renderError(w, r, devhub.Errorf(devhub.EINTERNAL, "panic"))
			}
		}()
		if !rt.Public {
			var s *Session
			if s, err = c.session(r); err == nil {
				if rec, ok := w.(*recorder); ok {
					rec.caller = s.Identity
				}
				r = r.WithContext(context.WithValue(r.Context(), sessionKey, s))
				if r.Method == http.MethodPost {
					err = c.checkPost(r, s)
				}
			}
		}
		if err == nil {
			err = rt.Handle(w, r)
		}
		if err != nil {
			c.renderError(w, r, err)
		}
	})
}

// sessionOf returns the session wrap put in the request (non-public routes).
func sessionOf(r *http.Request) *Session {
	s, _ := r.Context().Value(sessionKey).(*Session)
	return s
}

// setPageHeaders are the headers of console.md, on every answer.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
}

// tag names the request and writes one access line. The line carries the
// path, never the query (a return_to can be long) nor any header.
func (c *Console) tag(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := c.reqID(r.Context())
		if id == "" {
			id = "req_" + strconv.FormatUint(rand.Uint64(), 36)
		}
		r = r.WithContext(context.WithValue(r.Context(), reqIDKey, id))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		c.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("user_id", rec.caller.UserID), slog.String("company_id", rec.caller.CompanyID))
	})
}

const reqIDKey ctxKey = 100

func (c *Console) logger(r *http.Request) *slog.Logger {
	id, _ := r.Context().Value(reqIDKey).(string)
	return c.log.With(slog.String("request_id", id))
}

type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	caller devhub.Identity
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// renderError answers err as a page. A missing session goes to LOGIN_URL
// when it is set; internal errors are logged and never shown.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := devhub.ErrorStatus(err)
	if status >= 500 {
		c.logger(r).ErrorContext(r.Context(), "request failed", slog.String("error", err.Error()))
	}
	if status == http.StatusUnauthorized && c.loginURL != "" && r.Method == http.MethodGet {
		sep := "?"
		if strings.Contains(c.loginURL, "?") {
			sep = "&"
		}
		w.Header().Set("Cache-Control", "no-store")
		// return_to is the path the browser used: behind the base path.
		http.Redirect(w, r, c.loginURL+sep+"return_to="+urlQueryEscape(basepath.Link(r.Context(), r.URL.RequestURI())), http.StatusFound)
		return
	}
	page := errorPageFor(status, err)
	if status == http.StatusNotFound && strings.HasPrefix(r.URL.Path, "/marketplace") {
		page = marketplaceNotFound // anyone may browse there: no dashboard to go back to
	}
	w.Header().Set("Cache-Control", "no-store")
	render(w, r, status, nil, page.title, errorPage(page))
}
