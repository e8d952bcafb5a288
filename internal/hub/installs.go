package hub

import (
	"context"
	"regexp"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// InstallationStore is what the installation use cases and extension
// launches need of the store.
type InstallationStore interface {
	// ListInstallations returns the user's installations, newest first.
	// Errors: EMALFORMED (bad cursor).
	ListInstallations(ctx context.Context, company, user, cursor string, limit int) (devhub.Page[*devhub.Installation], error)
	// DeleteInstallation uninstalls; every token of it dies at once.
	// Errors: ENOTFOUND (no such installation of this user).
	DeleteInstallation(ctx context.Context, company, user, id string) error
	// FindInstallation returns one of (company, user)'s installations.
	// Errors: ENOTFOUND (no such installation of this user).
	FindInstallation(ctx context.Context, company, user, id string) (*devhub.Installation, error)
	// LaunchTarget returns the app and extension if company may launch it
	// (installed, or a draft it owns). Errors: ENOTFOUND.
	LaunchTarget(ctx context.Context, appID, extID, company string) (*devhub.App, *devhub.Extension, error)
}

// ClientStore finds an app by its OAuth client id: the one thing a public
// install link knows.
type ClientStore interface {
	// GetAppByClientID errors: ENOTFOUND.
	GetAppByClientID(ctx context.Context, clientID string) (*devhub.App, error)
	// GetAppsByClientID returns the apps of those client ids that exist,
	// in any order, in one BatchGetItem per 100 ids.
	GetAppsByClientID(ctx context.Context, clientIDs []string) ([]*devhub.App, error)
}

var (
	installationIDPattern = regexp.MustCompile(`^inst_[0-9a-v]{26}$`)
	// clientIDPattern is the shape of every client id (devhub.NewID("")).
	clientIDPattern = regexp.MustCompile(`^[0-9a-v]{26}$`)
)

// FollowInstallLink returns where the public install link of clientID
// leads, for anyone: a shareable app's installation_url when it has one
// (its own site starts the flow, with a state), else the consent page.
// One GetItem at most. Errors: ENOTFOUND (a malformed or unknown client id),
// ECONFLICT (a draft, or an app in review) — an adapter shows both the
// same, so that the link reveals nothing about apps that are not shared —
// and any store failure, or EINTERNAL (no ISSUER_URL).
func (h *Hub) FollowInstallLink(ctx context.Context, clientID string) (string, error) {
	if !clientIDPattern.MatchString(clientID) {
		return "", devhub.Errorf(devhub.ENOTFOUND, "App %q was not found.", truncate(clientID, 64))
	}
	a, err := h.Clients.GetAppByClientID(ctx, clientID)
	if err != nil {
		return "", err
	}
	if err := a.Shareable(); err != nil {
		return "", err
	}
	if a.InstallationURL != nil && *a.InstallationURL != "" {
		return *a.InstallationURL, nil
	}
	base, err := h.issuerBase()
	if err != nil {
		return "", err
	}
	return AuthorizeURL(base, a), nil
}

// ListInstallations is a page of the caller's own installations, newest
// first: any user's (installing is what every user of every company does),
// not only developers'. One Query. Errors: EMALFORMED (bad cursor).
func (h *Hub) ListInstallations(ctx context.Context, id devhub.Identity, page PageRequest) (devhub.Page[*devhub.Installation], error) {
	return h.Installations.ListInstallations(ctx, id.CompanyID, id.UserID, page.Cursor, page.limit())
}

// Uninstall ends one of the caller's installations: every token of it
// stops working at once, and the stream handler notifies the app. Another
// user's installation is not found. Two round trips (a Query that finds it,
// then one DeleteItem). Errors: ENOTFOUND.
func (h *Hub) Uninstall(ctx context.Context, id devhub.Identity, installationID string) error {
	if !installationIDPattern.MatchString(installationID) {
		return devhub.Errorf(devhub.ENOTFOUND, "Installation %q was not found.", truncate(installationID, 64))
	}
	return h.Installations.DeleteInstallation(ctx, id.CompanyID, id.UserID, installationID)
}
