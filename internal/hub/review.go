package hub

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// ReviewApp is one app as a reviewer decides on it: any company's app,
// while it waits for a reviewer (in review, or approved with pending changes
// sent to review), with its live extensions and without its client secret.
// Anything else is "not found", as for a developer. Round trips: one
// GetItem, one Query. Errors: EFORBIDDEN (not a reviewer), ENOTFOUND.
func (h *Hub) ReviewApp(ctx context.Context, id devhub.Identity, appID string) (*devhub.App, []*devhub.Extension, error) {
	if err := CheckReviewer(id); err != nil {
		return nil, nil, err
	}
	a, err := h.anyApp(ctx, appID)
	if err != nil {
		return nil, nil, err
	}
	waiting := a.Status == devhub.StatusReview || (a.PendingChanges != nil && a.PendingChanges.InReview)
	if !waiting {
		return nil, nil, errNoApp(appID)
	}
	exts, err := h.Extensions.ListExtensions(ctx, a.OwnerCompanyID, a.ID)
	if err != nil {
		return nil, nil, err
	}
	return forCaller(a, id), exts, nil
}
