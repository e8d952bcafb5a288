package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// InstallLinksRoutes are the routes of the install-links function.
func (s *Server) InstallLinksRoutes() []Route {
	return append([]Route{
		{Method: http.MethodGet, Pattern: "/v1/apps/{app_id}/install-link", Handle: s.installLink},
		{Method: http.MethodPost, Pattern: "/v1/apps/{app_id}/install-test", Handle: s.installTest},
		{Method: http.MethodGet, Pattern: "/install/{client_id}", Public: true, Handle: s.followInstallLink},
	}, s.InstallationRoutes()...)
}

type linkView struct {
	URL string `json:"url"`
}

// installLink is the app's shareable link (hub.Hub.InstallLink).
func (s *Server) installLink(w http.ResponseWriter, r *http.Request) error {
	link, err := s.Hub.InstallLink(r.Context(), identity(r.Context()), r.PathValue("app_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, linkView{URL: link})
}

// installTest is "Install & test" (hub.Hub.InstallTest).
func (s *Server) installTest(w http.ResponseWriter, r *http.Request) error {
	link, err := s.Hub.InstallTest(r.Context(), identity(r.Context()), r.PathValue("app_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, linkView{URL: link})
}

// followInstallLink is the public install link (hub.Hub.FollowInstallLink):
// a redirect to where the install starts. Everything else — malformed id,
// unknown id, a draft, an app in review — is the same small 404 page, so
// that the link reveals nothing about apps that are not shared.
func (s *Server) followInstallLink(w http.ResponseWriter, r *http.Request) error {
	target, err := s.Hub.FollowInstallLink(r.Context(), r.PathValue("client_id"))
	switch code := devhub.ErrorCode(err); {
	case code == devhub.ENOTFOUND, code == devhub.ECONFLICT:
		writeInstallPage(w, http.StatusNotFound)
		return nil
	case err != nil:
		logger(r.Context()).ErrorContext(r.Context(), "install link failed", slog.String("error", err.Error()))
		writeInstallPage(w, devhub.ErrorStatus(err))
		return nil
	}
	h := w.Header()
	h.Set("Location", target)
	h.Set("Cache-Control", "no-store") // the target follows the app's settings
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
	return nil
}

// installPages are the pages a browser sees instead of a redirect. They say
// nothing about why: an unknown app and an unshared one look the same.
var installPages = map[int]string{
	http.StatusNotFound: "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>App not found</title></head>" +
		"<body><h1>App not found</h1><p>This install link does not lead to an app that can be installed.</p></body></html>\n",
	http.StatusInternalServerError: "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong</title></head>" +
		"<body><h1>Something went wrong</h1><p>Please try the install link again later.</p></body></html>\n",
}

func writeInstallPage(w http.ResponseWriter, status int) {
	page, ok := installPages[status]
	if !ok {
		page = installPages[http.StatusInternalServerError]
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}
