package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
)

// launchView is what opening an extension needs: its URL with the token,
// userId and companyId appended, and the token on its own.
type launchView struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// launchClaims are the extension JWT's claims, named as the platform names them.
type launchClaims struct {
	UserID    string `json:"userId"`
	CompanyID string `json:"companyId"`
	jwt.RegisteredClaims
}

// launchURL is the address an extension opens: iframe_url for the
// iframe-based types (custom modal and panel, floating window, custom_ui
// settings page), api_endpoint for the JSON types (the platform fetches it),
// url for link actions and external_link settings pages.
func launchURL(e *devhub.Extension) string {
	switch e.Type {
	case devhub.ExtJSONModal, devhub.ExtJSONPanel:
		return e.APIEndpoint
	case devhub.ExtLinkAction:
		return e.URL
	case devhub.ExtSettingsPage:
		if e.SettingsKind == devhub.SettingsExternalLink {
			return e.URL
		}
	}
	return e.IframeURL
}

// launchExtension signs the JWT an extension is opened with, for a user
// whose company has the app installed (or, for a draft, owns it): HS256
// with devhub.SigningSecret, claims userId, companyId, iat, exp (5 min).
func (s *Server) launchExtension(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	appID, extID := r.PathValue("app_id"), r.PathValue("extension_id")
	if !appIDPattern.MatchString(appID) {
		return devhub.Errorf(devhub.ENOTFOUND, "App %q was not found.", truncate(appID, 64))
	}
	if !extensionIDPattern.MatchString(extID) {
		return devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", truncate(extID, 64))
	}
	app, ext, err := s.Hub.Installations.LaunchTarget(r.Context(), appID, extID, id.CompanyID)
	if err != nil {
		return err
	}
	target := launchURL(ext)
	if target == "" {
		return devhub.Errorf(devhub.ECONFLICT, "Extension %q has no URL to open.", extID)
	}
	now := s.Hub.Now().UTC().Truncate(time.Second)
	exp := now.Add(devhub.LaunchTokenLifetime)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, launchClaims{UserID: id.UserID, CompanyID: id.CompanyID,
		RegisteredClaims: jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)}}).
		SignedString([]byte(devhub.SigningSecret(ext, app)))
	if err != nil {
		return err
	}
	q := url.Values{"token": {tok}, "userId": {id.UserID}, "companyId": {id.CompanyID}}.Encode()
	if strings.Contains(target, "?") {
		target += "&" + q
	} else {
		target += "?" + q
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, launchView{URL: target, Token: tok, ExpiresAt: exp})
}
