package devhub

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Error codes. Adapters map each code to a transport status in exactly one
// place (internal/httpapi); nothing else decides what a client sees.
const (
	EMALFORMED    = "malformed"    // the request cannot be parsed (400)
	EUNAUTHORIZED = "unauthorized" // no valid identity (401)
	EFORBIDDEN    = "forbidden"    // identity known, action not allowed (403)
	ENOTFOUND     = "not_found"    // absent, or not visible to the caller (404)
	ECONFLICT     = "conflict"     // a limit or a race was lost (409)
	EPRECONDITION = "precondition" // If-Match did not match (412)
	ETOOLARGE     = "too_large"    // body over the limit (413)
	EUNSUPPORTED  = "unsupported"  // media type not accepted (415)
	EINVALID      = "invalid"      // well-formed but breaks a rule (422)
	EINTERNAL     = "internal"     // a fault of ours (500); its text never reaches a client
	EUNAVAILABLE  = "unavailable"  // a dependency is overloaded or down (503)
)

// EMETHOD: the path exists but does not take the request's method (405).
const EMETHOD = "method_not_allowed"

// FieldError names one offending field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Line is where the field is in a manifest document (1-based), when known.
	Line int `json:"line,omitempty"`
}

// Error is the one error type that crosses package boundaries with meaning.
// Message is safe to show to a client; Fields lists per-field problems.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Extensions are extra members of the problem document a client sees,
	// e.g. the probe result that refused a move ("callback_health").
	Extensions map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("devhub: %s: %s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
		if f.Line > 0 {
			parts[i] = "line " + strconv.Itoa(f.Line) + ": " + parts[i]
		}
	}
	return fmt.Sprintf("devhub: %s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain,
// EINTERNAL for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// statusByCode is the one table from error code to HTTP status, for the
// JSON API (problem+json) and the console's pages alike.
var statusByCode = map[string]int{
	EMALFORMED:    http.StatusBadRequest,
	EUNAUTHORIZED: http.StatusUnauthorized,
	EFORBIDDEN:    http.StatusForbidden,
	ENOTFOUND:     http.StatusNotFound,
	ECONFLICT:     http.StatusConflict,
	EPRECONDITION: http.StatusPreconditionFailed,
	ETOOLARGE:     http.StatusRequestEntityTooLarge,
	EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	EMETHOD:       http.StatusMethodNotAllowed,
	EINVALID:      http.StatusUnprocessableEntity,
	EINTERNAL:     http.StatusInternalServerError,
	EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// ErrorStatus returns the HTTP status of err's code (500 for an error
// without one).
func ErrorStatus(err error) int {
	if s, ok := statusByCode[ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorMessage returns the client-safe message of err; internal errors get a
// generic text so that their details reach only the log.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "An internal error occurred."
}

// ErrorFields returns the per-field problems carried by err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Problems collects field errors while validating; Err returns nil when
// nothing was added, so validators report every problem at once.
type Problems struct {
	fields []FieldError
}

// Add records a problem with field.
func (p *Problems) Add(field, format string, args ...any) {
	p.fields = append(p.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an EINVALID *Error listing every problem, or nil.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The request breaks one or more rules.", Fields: p.fields}
}

// ErrorExtensions returns the extra members carried by err, if any.
func ErrorExtensions(err error) map[string]any {
	var e *Error
	if errors.As(err, &e) {
		return e.Extensions
	}
	return nil
}
