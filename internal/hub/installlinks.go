package hub

import (
	"context"
	"net/url"
	"strings"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// InstallLink is the shareable installation link of one of the caller's
// apps ($ISSUER_URL/install/<client_id>), for an app that may be shared:
// private live, public unpublished or published. One GetItem. Errors:
// EFORBIDDEN, ENOTFOUND, ECONFLICT (not shareable, saying why), EINTERNAL
// (no ISSUER_URL).
func (h *Hub) InstallLink(ctx context.Context, id devhub.Identity, appID string) (string, error) {
	a, err := h.ownApp(ctx, id, appID)
	if err != nil {
		return "", err
	}
	if err := a.Shareable(); err != nil {
		return "", err
	}
	base, err := h.issuerBase()
	if err != nil {
		return "", err
	}
	return base + "/install/" + url.PathEscape(a.ClientID), nil
}

// InstallTest is "Install & test": the consent page URL of one of the
// caller's drafts, for its own company's users (a shared app is installed
// through its link). One GetItem. Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT
// (in review; not a draft), EINTERNAL (no ISSUER_URL).
func (h *Hub) InstallTest(ctx context.Context, id devhub.Identity, appID string) (string, error) {
	a, err := h.ownApp(ctx, id, appID)
	if err != nil {
		return "", err
	}
	if err := a.CanInstall(id.CompanyID); err != nil {
		return "", err // in review
	}
	if a.Status != devhub.StatusDraft {
		return "", devhub.Errorf(devhub.ECONFLICT, "Install & test is for drafts; this app is %s: share its install link (GET /v1/apps/%s/install-link) instead.", a.Status, a.ID)
	}
	base, err := h.issuerBase()
	if err != nil {
		return "", err
	}
	return AuthorizeURL(base, a), nil
}

// AuthorizeURL is the consent page for a, with its registered callback as
// redirect_uri. Keys are encoded in sorted order: client_id, redirect_uri,
// response_type.
func AuthorizeURL(base string, a *devhub.App) string {
	q := url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.CallbackURL}, "response_type": {"code"}}
	return base + "/oauth/authorize?" + q.Encode()
}

// issuerBase is the public base URL links are built on. Without it a link
// would be relative, or point at whatever host a request named: neither can
// be handed out, so it is a configuration fault.
func (h *Hub) issuerBase() (string, error) {
	base := strings.TrimRight(h.IssuerURL, "/")
	if base == "" {
		return "", errNoIssuer
	}
	return base, nil
}

var errNoIssuer = devhub.Errorf(devhub.EINTERNAL, "ISSUER_URL is not configured: install links cannot be built.")
