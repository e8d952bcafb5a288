package httpapi

// The helpers below serve the handlers that have not moved to internal/hub
// yet; they go with the last of them.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"

	"github.com/devhub-oss/devhub/internal/devhub"
)

var appIDPattern = regexp.MustCompile(`^app_[0-9a-v]{26}$`)

func (s *Server) ownApp(r *http.Request) (*devhub.App, error) {
	return s.Hub.GetApp(r.Context(), identity(r.Context()), r.PathValue("app_id"))
}

func errNoApp(appID string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "App %q was not found.", truncate(appID, 64))
}

func idempotencyRecord(r *http.Request, id devhub.Identity, body []byte) (*devhub.Idempotency, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 || !printableASCII(key) {
		return nil, &devhub.Error{Code: devhub.EMALFORMED, Message: "Idempotency-Key must be 1 to 255 printable ASCII characters.",
			Fields: []devhub.FieldError{{Field: "Idempotency-Key", Message: "must be 1 to 255 printable ASCII characters"}}}
	}
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n" + id.UserID + "\n"))
	h.Write(body)
	return &devhub.Idempotency{Scope: id.CompanyID, Key: key, RequestHash: hex.EncodeToString(h.Sum(nil))}, nil
}

func replayRecord(w http.ResponseWriter, prev, rec *devhub.Idempotency) error {
	if prev.RequestHash != rec.RequestHash {
		return devhub.Errorf(devhub.EINVALID, "This Idempotency-Key was used with a different request in the last 24 hours; use a new key.")
	}
	if prev.Location != "" {
		w.Header().Set("Location", prev.Location)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(prev.Status)
	_, _ = w.Write(prev.Body)
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func preconditionIfConditional(err error, conditional bool) error {
	if conditional && errors.Is(err, devhub.ErrStale) {
		return devhub.Errorf(devhub.EPRECONDITION, "If-Match no longer matches: the resource changed meanwhile.")
	}
	return err
}
