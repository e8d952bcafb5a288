package oauth

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// Error is an RFC 6749 error: its wire name, the HTTP status it is sent
// with, and a description safe to show to the client. The package's errors
// are values (ErrInvalidGrant, …) decorated per use with WithDescription.
type Error struct {
	Name        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      int    `json:"-"`
}

func (e *Error) Error() string { return "oauth: " + e.Name + ": " + e.Description }

// Is makes errors.Is match on the wire name, whatever the description.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Name == e.Name
}

// WithDescription returns a copy of e that says why.
func (e *Error) WithDescription(format string, args ...any) *Error {
	c := *e
	c.Description = fmt.Sprintf(format, args...)
	return &c
}

// The token, revocation and introspection endpoints' errors (RFC 6749 §5.2,
// RFC 7009 §2.2.1), and the authorization endpoint's (§4.1.2.1) that travel
// to the callback.
var (
	ErrInvalidRequest          = &Error{Name: "invalid_request", Status: http.StatusBadRequest}
	ErrInvalidClient           = &Error{Name: "invalid_client", Status: http.StatusUnauthorized}
	ErrInvalidGrant            = &Error{Name: "invalid_grant", Status: http.StatusBadRequest}
	ErrUnsupportedGrantType    = &Error{Name: "unsupported_grant_type", Status: http.StatusBadRequest}
	ErrUnsupportedResponseType = &Error{Name: "unsupported_response_type", Status: http.StatusBadRequest}
	ErrServerError             = &Error{Name: "server_error", Status: http.StatusInternalServerError}
	ErrTemporarilyUnavailable  = &Error{Name: "temporarily_unavailable", Status: http.StatusServiceUnavailable}
	// ErrUserDenied is the platform's name for access_denied: the user
	// pressed Cancel.
	ErrUserDenied = &Error{Name: "user_denied", Status: http.StatusBadRequest}
	// ErrTooLarge is an invalid_request whose body exceeds the limit.
	ErrTooLarge = &Error{Name: "invalid_request", Status: http.StatusRequestEntityTooLarge,
		Description: "The request body is too large."}
)

// setNoStore marks a response as never to be cached (RFC 6749 §5.1).
func setNoStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// writeJSON answers status with v, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := devhub.MarshalJSON(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	setNoStore(h)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// asError turns any error into the *Error a client may see; faults are
// logged (never a secret: store errors name keys by hash only) and hidden.
func (s *Server) asError(r *http.Request, err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	s.log(r).ErrorContext(r.Context(), "oauth request failed", slog.String("error", err.Error()))
	if devhub.ErrorCode(err) == devhub.EUNAVAILABLE {
		return ErrTemporarilyUnavailable.WithDescription("The service is busy; retry shortly.")
	}
	return ErrServerError.WithDescription("An internal error occurred.")
}

// writeError answers err as RFC 6749 JSON; invalid_client carries the
// challenge of the authentication scheme the client can use (§5.2).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.asError(r, err)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="devhub", charset="UTF-8"`)
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1") // the store's faults pass in moments
	}
	writeJSON(w, e.Status, e)
}
