package hub

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// CreateApp saves a draft app owned by the caller's company, with fresh
// client credentials: one transaction (with the Idempotency-Key's record).
// A retry of an earlier request with the same key returns (nil, its answer,
// nil). Errors: EFORBIDDEN (not a developer), EMALFORMED (the key), EINVALID
// (the input; or the key reused for another request).
func (h *Hub) CreateApp(ctx context.Context, id devhub.Identity, in devhub.NewAppInput, idem Idempotency[*devhub.App]) (*devhub.App, *Answer, error) {
	if err := id.CanDevelop(); err != nil {
		return nil, nil, err
	}
	rec, err := idem.record(id)
	if err != nil {
		return nil, nil, err
	}
	a, err := devhub.NewApp(in, id, h.Now())
	if err != nil {
		return nil, nil, err
	}
	if err := idem.fill(rec, a); err != nil {
		return nil, nil, err
	}
	prev, err := h.Apps.CreateApp(ctx, a, rec)
	if err != nil {
		return nil, nil, err
	}
	if prev != nil {
		ans, err := replay(prev, rec)
		return nil, ans, err
	}
	return a, nil, nil
}

// ListApps is the dashboard: a page of the caller's company's apps, newest
// first, client secrets included (they are the company's own). One Query.
// Errors: EFORBIDDEN, EMALFORMED (bad cursor).
func (h *Hub) ListApps(ctx context.Context, id devhub.Identity, page PageRequest) (devhub.Page[*devhub.App], error) {
	if err := id.CanDevelop(); err != nil {
		return devhub.Page[*devhub.App]{}, err
	}
	return h.Apps.ListApps(ctx, id.CompanyID, page.Cursor, page.limit())
}

// GetApp returns one of the caller's company's apps, client secret
// included: one GetItem. Errors: EFORBIDDEN, ENOTFOUND (missing, or another
// company's).
func (h *Hub) GetApp(ctx context.Context, id devhub.Identity, appID string) (*devhub.App, error) {
	return h.ownApp(ctx, id, appID)
}

// PatchApp applies a merge patch to one of the caller's apps. On an approved
// public app the critical fields (callback URL, scopes, installation URL)
// are held as pending changes; the others apply at once. One GetItem and
// one conditional write. Errors: EFORBIDDEN, ENOTFOUND, EPRECONDITION
// (ifMatch), EINVALID (the patch), ECONFLICT (a concurrent change).
func (h *Hub) PatchApp(ctx context.Context, id devhub.Identity, appID string, patch devhub.AppPatch, ifMatch IfMatch) (*devhub.App, error) {
	a, err := h.ownApp(ctx, id, appID)
	if err != nil {
		return nil, err
	}
	conditional, err := ifMatch.check(a.Version)
	if err != nil {
		return nil, err
	}
	next, err := patch.Apply(a, h.Now())
	if err != nil {
		return nil, err
	}
	next.NoteOwner(id)
	if err := h.Apps.UpdateApp(ctx, next, a.Version); err != nil {
		return nil, preconditionIfConditional(err, conditional)
	}
	return next, nil
}

// DeleteAppInput is what deleting an app needs.
type DeleteAppInput struct {
	Reason  string // required (devhub.CheckReason)
	IfMatch IfMatch
}

// DeleteApp deletes one of the caller's apps for good: it leaves the hub at
// once, and the stream handler uninstalls it from every company that has it
// (every installation ends, every token dies, the app is notified). One
// GetItem and one transaction. Errors: EFORBIDDEN, EINVALID (reason),
// ENOTFOUND, EPRECONDITION, ECONFLICT.
func (h *Hub) DeleteApp(ctx context.Context, id devhub.Identity, appID string, in DeleteAppInput) error {
	if err := id.CanDevelop(); err != nil {
		return err
	}
	if err := devhub.CheckReason(in.Reason); err != nil {
		return err
	}
	a, err := h.ownApp(ctx, id, appID)
	if err != nil {
		return err
	}
	conditional, err := in.IfMatch.check(a.Version)
	if err != nil {
		return err
	}
	if err := h.Apps.DeleteApp(ctx, a, in.Reason, id.UserID); err != nil {
		return preconditionIfConditional(err, conditional)
	}
	return nil
}
