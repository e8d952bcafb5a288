package httpapi

import (
	"net/http"
	"regexp"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// InstallationRoutes are the caller's installations; they belong to the
// install-links function.
func (s *Server) InstallationRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/v1/installations", Handle: s.listInstallations},
		{Method: http.MethodDelete, Pattern: "/v1/installations/{installation_id}", Handle: s.deleteInstallation},
	}
}

var installationIDPattern = regexp.MustCompile(`^inst_[0-9a-v]{26}$`)

// listInstallations is any user's own installations (not only developers':
// installing is what every user of every company does).
func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	pg, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.Hub.Installations.ListInstallations(r.Context(), id.CompanyID, id.UserID, pg.Cursor, pg.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(page.Items, page.NextCursor))
}

// deleteInstallation uninstalls one of the caller's installations; another
// user's is not found. The uninstall notification follows from the
// deletion's stream record.
func (s *Server) deleteInstallation(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	instID := r.PathValue("installation_id")
	if !installationIDPattern.MatchString(instID) {
		return devhub.Errorf(devhub.ENOTFOUND, "Installation %q was not found.", truncate(instID, 64))
	}
	if err := s.Hub.Installations.DeleteInstallation(r.Context(), id.CompanyID, id.UserID, instID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
