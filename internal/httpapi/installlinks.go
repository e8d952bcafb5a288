package httpapi

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

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

// clientIDPattern is the shape of every client id (devhub.NewID("")):
// anything else is answered without a read.
var clientIDPattern = regexp.MustCompile(`^[0-9a-v]{26}$`)

type linkView struct {
	URL string `json:"url"`
}

// issuer returns the public base URL that links are built on. Without it a
// link would be relative, or point at whatever host the request named:
// neither can be handed out, so it is a configuration fault.
func (s *Server) issuer() (string, error) {
	base := strings.TrimRight(s.Hub.IssuerURL, "/")
	if base == "" {
		return "", errNoIssuer
	}
	return base, nil
}

var errNoIssuer = devhub.Errorf(devhub.EINTERNAL, "ISSUER_URL is not configured: install links cannot be built.")

// installLink is the app's shareable link, for an app that may be shared:
// private live, public unpublished or published. Anything else is 409 with
// the reason (devhub.App.Shareable).
func (s *Server) installLink(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownApp(r)
	if err != nil {
		return err
	}
	if err := a.Shareable(); err != nil {
		return err
	}
	base, err := s.issuer()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, linkView{URL: base + "/install/" + url.PathEscape(a.ClientID)})
}

// installTest is "Install & test": the consent page for the owner company's
// own users, for a draft only (a shared app is installed through its link).
func (s *Server) installTest(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownApp(r)
	if err != nil {
		return err
	}
	if err := a.CanInstall(identity(r.Context()).CompanyID); err != nil {
		return err // in review
	}
	if a.Status != devhub.StatusDraft {
		return devhub.Errorf(devhub.ECONFLICT, "Install & test is for drafts; this app is %s: share its install link (GET /v1/apps/%s/install-link) instead.", a.Status, a.ID)
	}
	base, err := s.issuer()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, linkView{URL: authorizeURL(base, a)})
}

// authorizeURL is the consent page for a, with its registered callback as
// redirect_uri. Keys are encoded in sorted order: client_id, redirect_uri,
// response_type.
func authorizeURL(base string, a *devhub.App) string {
	q := url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.CallbackURL}, "response_type": {"code"}}
	return base + "/oauth/authorize?" + q.Encode()
}

// followInstallLink is the public install link. A shareable app redirects to
// its installation_url when it has one (its own site starts the flow, with a
// state), else to the consent page. Everything else — malformed id, unknown
// id, a draft, an app in review — is the same small 404 page, so that the
// link reveals nothing about apps that are not shared. One GetItem at most.
func (s *Server) followInstallLink(w http.ResponseWriter, r *http.Request) error {
	clientID := r.PathValue("client_id")
	if !clientIDPattern.MatchString(clientID) {
		writeInstallPage(w, http.StatusNotFound)
		return nil
	}
	a, err := s.Hub.Clients.GetAppByClientID(r.Context(), clientID)
	if err == nil {
		err = a.Shareable()
	}
	switch code := devhub.ErrorCode(err); {
	case code == devhub.ENOTFOUND, code == devhub.ECONFLICT:
		writeInstallPage(w, http.StatusNotFound)
		return nil
	case err != nil:
		status := ErrorStatus(err)
		logger(r.Context()).ErrorContext(r.Context(), "install link failed", slog.String("error", err.Error()))
		writeInstallPage(w, status)
		return nil
	}
	target := ""
	if a.InstallationURL != nil && *a.InstallationURL != "" {
		target = *a.InstallationURL
	} else {
		base, err := s.issuer()
		if err != nil {
			logger(r.Context()).ErrorContext(r.Context(), "install link failed", slog.String("error", err.Error()))
			writeInstallPage(w, http.StatusInternalServerError)
			return nil
		}
		target = authorizeURL(base, a)
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
