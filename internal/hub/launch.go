package hub

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
)

// Launch is what opening an extension needs: its URL with the token,
// userId and companyId appended, and the token on its own.
type Launch struct {
	URL       string
	Token     string
	ExpiresAt time.Time
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

// LaunchExtension signs the JWT an extension is opened with, for a user
// whose company has the app installed (or, for a draft, owns it): HS256
// with devhub.SigningSecret, claims userId, companyId, iat, exp (5 min).
// One Query. Errors: ENOTFOUND (no such app or extension, or not installed
// by the caller's company: it cannot tell which), ECONFLICT (the extension
// has no URL).
func (h *Hub) LaunchExtension(ctx context.Context, id devhub.Identity, appID, extID string) (*Launch, error) {
	if !appIDPattern.MatchString(appID) {
		return nil, errNoApp(appID)
	}
	if !extensionIDPattern.MatchString(extID) {
		return nil, errNoExtension(extID)
	}
	app, ext, err := h.Installations.LaunchTarget(ctx, appID, extID, id.CompanyID)
	if err != nil {
		return nil, err
	}
	target := launchURL(ext)
	if target == "" {
		return nil, devhub.Errorf(devhub.ECONFLICT, "Extension %q has no URL to open.", extID)
	}
	now := h.Now().UTC().Truncate(time.Second)
	exp := now.Add(devhub.LaunchTokenLifetime)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, launchClaims{UserID: id.UserID, CompanyID: id.CompanyID,
		RegisteredClaims: jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)}}).
		SignedString([]byte(devhub.SigningSecret(ext, app)))
	if err != nil {
		return nil, fmt.Errorf("sign launch token of %s: %w", extID, err)
	}
	q := url.Values{"token": {tok}, "userId": {id.UserID}, "companyId": {id.CompanyID}}.Encode()
	if strings.Contains(target, "?") {
		target += "&" + q
	} else {
		target += "?" + q
	}
	return &Launch{URL: target, Token: tok, ExpiresAt: exp}, nil
}
