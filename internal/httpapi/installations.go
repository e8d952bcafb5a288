package httpapi

import "net/http"

// InstallationRoutes are the caller's installations; they belong to the
// install-links function.
func (s *Server) InstallationRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/v1/installations", Handle: s.listInstallations},
		{Method: http.MethodDelete, Pattern: "/v1/installations/{installation_id}", Handle: s.deleteInstallation},
	}
}

// listInstallations is any user's own installations (hub.Hub.ListInstallations).
func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) error {
	page, err := pageParams(r)
	if err != nil {
		return err
	}
	p, err := s.Hub.ListInstallations(r.Context(), identity(r.Context()), page)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(p.Items, p.NextCursor))
}

// deleteInstallation uninstalls one of the caller's installations
// (hub.Hub.Uninstall).
func (s *Server) deleteInstallation(w http.ResponseWriter, r *http.Request) error {
	if err := s.Hub.Uninstall(r.Context(), identity(r.Context()), r.PathValue("installation_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
