// Package httpapi serves devhub's HTTP API: the routes of every function,
// their middleware (request id, logging, recovery, authentication) and the
// one place where errors become HTTP statuses.
//
// Handlers decode a request into the typed input of one use case of
// internal/hub, call it with the caller's identity, and encode its result.
// Who may do what, the probe before a move, idempotency, If-Match, pending
// changes and installs are the hub's; what is left here is HTTP: routes,
// middleware, bodies, headers (If-Match and Idempotency-Key are parsed here
// and handed over as values), JSON views, and the one table from error code
// to status. Handlers never pick a status for an error: they return it,
// and writeProblem maps its code. Each Lambda function mounts
// only its own routes (AppsRoutes, …); the local runner mounts them all.
//
// It must not log secrets: no Authorization header, client secret, code or
// token ever reaches a log line.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// TokenVerifier checks a bearer token. Errors: EUNAUTHORIZED.
type TokenVerifier interface {
	Verify(token string) (devhub.Identity, error)
}

// Server holds what the handlers share. Build it once per process.
type Server struct {
	// Hub is the use cases the /v1 and /install routes call (internal/hub);
	// the oauth-* functions leave it nil.
	Hub      *hub.Hub
	Verifier TokenVerifier
	Logger   *slog.Logger
	// OAuth is the authorization server; only the oauth-* functions set it.
	OAuth OAuthHandlers
}

// Route is one method and path pattern (net/http.ServeMux syntax) and its
// handler. Public routes skip authentication.
type Route struct {
	Method  string
	Pattern string
	Public  bool
	Handle  func(w http.ResponseWriter, r *http.Request) error
}

// Handler returns an http.Handler that serves the given route groups with
// every middleware applied. Unknown paths and
// methods get problem documents too.
func (s *Server) Handler(groups ...[]Route) http.Handler {
	byPattern := map[string]map[string]Route{}
	for _, g := range groups {
		for _, rt := range g {
			if byPattern[rt.Pattern] == nil {
				byPattern[rt.Pattern] = map[string]Route{}
			}
			byPattern[rt.Pattern][rt.Method] = rt
		}
	}
	mux := http.NewServeMux()
	for pattern, methods := range byPattern {
		mux.Handle(pattern, s.dispatch(pattern, methods))
	}
	mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return devhub.Errorf(devhub.ENOTFOUND, "No route matches %s %s.", r.Method, r.URL.Path)
	}))
	return s.recoverer(s.tag(mux))
}

// dispatch picks the route for the request's method, so that a wrong method
// gets a 405 problem with Allow rather than the mux's plain text.
func (s *Server) dispatch(pattern string, methods map[string]Route) http.Handler {
	allowed := make([]string, 0, len(methods))
	handlers := make(map[string]http.Handler, len(methods))
	for m, rt := range methods {
		allowed = append(allowed, m)
		h := s.wrap(rt.Handle)
		if !rt.Public {
			h = s.authenticate(h)
		}
		handlers[m] = h
		if m == http.MethodGet {
			allowed = append(allowed, http.MethodHead)
			handlers[http.MethodHead] = h
		}
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := handlers[r.Method]; ok {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		detail := fmt.Sprintf("%s does not accept %s; allowed: %s.", pattern, r.Method, allow)
		if strings.HasPrefix(pattern, "/oauth/") {
			// OAuth clients read RFC 6749 errors, not problem documents.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_ = writeJSONBody(w, map[string]string{"error": "invalid_request", "error_description": detail})
			return
		}
		writeProblem(w, r, devhub.Errorf(devhub.EMETHOD, "%s", detail))
	})
}

// wrap turns an error-returning handler into an http.Handler.
func (s *Server) wrap(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeProblem(w, r, err)
		}
	})
}

// tag gives the request an id (API Gateway's, when there is one), a logger
// that carries it, and one access log line.
func (s *Server) tag(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		id := RequestID(ctx)
		if id == "" {
			id = newRequestID()
		}
		ctx = context.WithValue(ctx, requestKey, &request{id: id, log: s.Logger})
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		caller := rec.caller
		attrs := []slog.Attr{slog.String("request_id", id),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("user_id", caller.UserID), slog.String("company_id", caller.CompanyID)}
		if rec.refusal != "" {
			attrs = append(attrs, slog.String("auth_refused", rec.refusal))
		}
		s.Logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	})
}

// newRequestID names a request that API Gateway did not name (local runs).
// It needs to be unique, not unguessable, so it skips crypto/rand.
func newRequestID() string {
	return "req_" + strconv.FormatUint(rand.Uint64(), 36)
}

// recoverer turns a panic into a logged 500 problem: no request may take the
// process down or leave a client without an answer.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.ErrorContext(r.Context(), "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				writeProblem(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate requires a valid bearer token and puts the caller's identity
// in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.Verifier.Verify(bearerToken(r.Header.Get("Authorization")))
		if err != nil {
			// The client is told only "unauthorized"; the access log line
			// says why (expired, bad_signature, …), never with the token.
			var refusal interface{ RefusalReason() string }
			if rec, ok := w.(*statusRecorder); ok && errors.As(err, &refusal) {
				rec.refusal = refusal.RefusalReason()
			}
			writeProblem(w, r, err)
			return
		}
		ctx := withIdentity(r.Context(), id)
		if rec, ok := w.(*statusRecorder); ok {
			rec.caller = id
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func bearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

type statusRecorder struct {
	http.ResponseWriter
	status, bytes int
	wrote         bool
	caller        devhub.Identity
	refusal       string // why the bearer token was refused, for the log
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// FunctionRoutes names the route group of each Lambda function (the folder
// under functions/). The template test checks template.yaml against it.
func (s *Server) FunctionRoutes() map[string][]Route {
	return map[string][]Route{
		"apps":       s.AppsRoutes(),
		"extensions": s.ExtensionsRoutes(),

		"callback-probe": s.CallbackProbeRoutes(),
		"install-links":  s.InstallLinksRoutes(),

		"oauth-authorize": s.OAuthAuthorizeRoutes(),
		"oauth-token":     s.OAuthTokenRoutes(),
	}
}
