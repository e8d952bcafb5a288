package httpapi

import (
	"net/http"
	"time"
)

// launchView is what opening an extension needs: its URL with the token,
// userId and companyId appended, and the token on its own.
type launchView struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// launchExtension answers the URL and JWT an extension opens with
// (hub.Hub.LaunchExtension), never cached.
func (s *Server) launchExtension(w http.ResponseWriter, r *http.Request) error {
	l, err := s.Hub.LaunchExtension(r.Context(), identity(r.Context()), r.PathValue("app_id"), r.PathValue("extension_id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, launchView{URL: l.URL, Token: l.Token, ExpiresAt: l.ExpiresAt})
}
