package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
)

var titleByCode = map[string]string{
	devhub.EMALFORMED:    "Malformed request",
	devhub.EUNAUTHORIZED: "Unauthorized",
	devhub.EFORBIDDEN:    "Forbidden",
	devhub.ENOTFOUND:     "Not found",
	devhub.ECONFLICT:     "Conflict",
	devhub.EPRECONDITION: "Precondition failed",
	devhub.ETOOLARGE:     "Request body too large",
	devhub.EUNSUPPORTED:  "Unsupported media type",
	devhub.EMETHOD:       "Method not allowed",
	devhub.EINVALID:      "Validation failed",
	devhub.EINTERNAL:     "Internal error",
	devhub.EUNAVAILABLE:  "Service unavailable",
}

// RetryAfterSeconds is the Retry-After of a 503: the store's faults pass in
// moments (internal/dynamo faults.go).
const RetryAfterSeconds = "1"

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors []devhub.FieldError `json:"errors,omitempty"`
}

// writeProblem answers with err as application/problem+json. Internal errors
// are logged with the request id and never shown.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	code := devhub.ErrorCode(err)
	status := devhub.ErrorStatus(err)
	if status >= 500 {
		logger(r.Context()).ErrorContext(r.Context(), "request failed", slog.String("error", err.Error()))
	}
	p := Problem{
		Type: "/problems/" + code, Title: titleByCode[code], Status: status,
		Detail: devhub.ErrorMessage(err), Errors: devhub.ErrorFields(err),
	}
	if code == devhub.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devhub"`)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfterSeconds)
	}
	body, _ := devhub.MarshalJSON(p)
	if ext := devhub.ErrorExtensions(err); len(ext) > 0 && status < 500 {
		body = withMembers(body, ext)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// withMembers adds extension members to a problem document (RFC 9457 §3.2).
func withMembers(doc []byte, ext map[string]any) []byte {
	var m map[string]any
	if json.Unmarshal(doc, &m) != nil {
		return doc
	}
	for k, v := range ext {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	out, err := devhub.MarshalJSON(m)
	if err != nil {
		return doc
	}
	return out
}
