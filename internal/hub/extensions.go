package hub

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// ExtensionStore is what the extension use cases need of the store. Every
// method checks, in the same round trip, that the app exists and belongs to
// company: another company's app is "not found", as a missing one.
type ExtensionStore interface {
	// CreateExtension writes e and takes its slots atomically, and rec when
	// not nil. When rec's key was used before it writes nothing and returns
	// the earlier record. Errors: ENOTFOUND (app), ECONFLICT (a limit), and
	// devhub.ErrHeldForReview when the app is an approved public app.
	CreateExtension(ctx context.Context, company string, e *devhub.Extension, rec *devhub.Idempotency) (*devhub.Idempotency, error)
	// GetExtension returns the app (also when only the extension is
	// missing, so that a held write can be told apart) and the extension.
	// Errors: ENOTFOUND (app or extension).
	GetExtension(ctx context.Context, company, appID, extID string) (*devhub.App, *devhub.Extension, error)
	// ListExtensions returns every extension of the app, oldest first.
	// Errors: ENOTFOUND (app).
	ListExtensions(ctx context.Context, company, appID string) ([]*devhub.Extension, error)
	// UpdateExtension replaces prev (as read) by next and moves the slots.
	// Errors: ENOTFOUND, ECONFLICT (a limit; or the version moved since the
	// read, which also matches devhub.ErrStale), devhub.ErrHeldForReview.
	UpdateExtension(ctx context.Context, company string, prev, next *devhub.Extension) error
	// DeleteExtension removes e (as read) and frees its slots. Errors:
	// ENOTFOUND, ECONFLICT (the version moved since the read; matches
	// devhub.ErrStale), devhub.ErrHeldForReview.
	DeleteExtension(ctx context.Context, company string, e *devhub.Extension) error
	// AppExtensions returns the app and its live extensions in one read.
	// Errors: ENOTFOUND (app).
	AppExtensions(ctx context.Context, company, appID string) (*devhub.App, []*devhub.Extension, error)
	// MergePendingExtensions writes next (prev approved) and applies prev's
	// pending extension writes and their slots, atomically. Errors:
	// ENOTFOUND, ECONFLICT (changed since read, or a limit).
	MergePendingExtensions(ctx context.Context, prev, next *devhub.App) error
}
