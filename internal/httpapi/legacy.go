package httpapi

// The helpers below serve the handlers that have not moved to internal/hub
// yet; they go with the last of them.

import (
	"net/http"
	"regexp"

	"github.com/devhub-oss/devhub/internal/devhub"
)

var (
	appIDPattern       = regexp.MustCompile(`^app_[0-9a-v]{26}$`)
	extensionIDPattern = regexp.MustCompile(`^ext_[0-9a-v]{26}$`)
)

func (s *Server) ownApp(r *http.Request) (*devhub.App, error) {
	return s.Hub.GetApp(r.Context(), identity(r.Context()), r.PathValue("app_id"))
}
