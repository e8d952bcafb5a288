package hub

import (
	"context"

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
	// LaunchTarget returns the app and extension if company may launch it
	// (installed, or a draft it owns). Errors: ENOTFOUND.
	LaunchTarget(ctx context.Context, appID, extID, company string) (*devhub.App, *devhub.Extension, error)
}

// ClientStore finds an app by its OAuth client id: the one thing a public
// install link knows.
type ClientStore interface {
	// GetAppByClientID errors: ENOTFOUND.
	GetAppByClientID(ctx context.Context, clientID string) (*devhub.App, error)
}
