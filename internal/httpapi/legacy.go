package httpapi

// The helpers below serve the handlers that have not moved to internal/hub
// yet; they go with the last of them.

import (
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
)

func (s *Server) ownApp(r *http.Request) (*devhub.App, error) {
	return s.Hub.GetApp(r.Context(), identity(r.Context()), r.PathValue("app_id"))
}
