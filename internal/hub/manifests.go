package hub

import (
	"context"
	"errors"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// ManifestStore is what the manifest use cases need of the store.
type ManifestStore interface {
	// AppExtensions returns the app and its live extensions in one read.
	// Errors: ENOTFOUND (missing, or another company's app).
	AppExtensions(ctx context.Context, company, appID string) (*devhub.App, []*devhub.Extension, error)
	// ApplyManifest writes a plan made from prev and live (as read) in one
	// transaction, or nothing when it changes nothing. Errors: ENOTFOUND,
	// ECONFLICT (the app changed since the read: also devhub.ErrStale; an
	// extension or a slot counter changed; a limit), EINVALID (more items
	// than one transaction holds).
	ApplyManifest(ctx context.Context, prev *devhub.App, live []*devhub.Extension, plan *devhub.ManifestPlan) error
	// CreateManifestApp writes a new app and its extensions (and rec when
	// not nil) in one transaction; when rec's key was used before it writes
	// nothing and returns the earlier record. Errors: EINVALID (too large).
	CreateManifestApp(ctx context.Context, a *devhub.App, exts []*devhub.Extension, rec *devhub.Idempotency) (*devhub.Idempotency, error)
}

// errNotWired is a composition root's fault: the manifest use cases need
// the store and the schema checker.
var errNotWired = errors.New("hub: manifests need Hub.Manifests and Hub.Schemas")

// ExportManifest returns one of the caller's apps and its extensions as a
// manifest (no ids, no secrets: jwt_secret_set instead), and the app's
// version (its ETag): one Query. On an approved public app the manifest
// shows the pending changes applied, as the developer declared them.
// Errors: EFORBIDDEN, ENOTFOUND.
func (h *Hub) ExportManifest(ctx context.Context, id devhub.Identity, appID string) (*devhub.Manifest, int, error) {
	a, live, err := h.appExtensions(ctx, id, appID)
	if err != nil {
		return nil, 0, err
	}
	return devhub.ExportManifest(a, live), a.Version, nil
}

func (h *Hub) appExtensions(ctx context.Context, id devhub.Identity, appID string) (*devhub.App, []*devhub.Extension, error) {
	if h.Manifests == nil || h.Schemas == nil {
		return nil, nil, errNotWired
	}
	if err := id.CanDevelop(); err != nil {
		return nil, nil, err
	}
	if !appIDPattern.MatchString(appID) {
		return nil, nil, errNoApp(appID)
	}
	a, live, err := h.Manifests.AppExtensions(ctx, id.CompanyID, appID)
	if err != nil {
		return nil, nil, err
	}
	if !a.OwnedBy(id.CompanyID) { // the store checks it too
		return nil, nil, errNoApp(appID)
	}
	return a, live, nil
}

// ApplyManifestInput says how to apply a manifest.
type ApplyManifestInput struct {
	// DryRun plans and writes nothing.
	DryRun  bool
	IfMatch IfMatch
}

// ManifestResult is the outcome of applying a manifest: the plan, and the
// app as it now is (as it would be, on a dry run).
type ManifestResult struct {
	Plan *devhub.ManifestPlan
	App  *devhub.App
}

// ApplyManifest makes one of the caller's apps match m, as one atomic change
// (or, with DryRun, answers the plan and writes nothing): every rule of
// PATCH and of the extension writes holds; on an approved public app the
// critical changes are held for review. A manifest that matches the app
// writes nothing and bumps no version. One Query, then (unless nothing
// changes or DryRun) one transaction. Errors: EFORBIDDEN, ENOTFOUND,
// EPRECONDITION (IfMatch, also when another write wins the race), EINVALID
// (a rule; every one at its manifest path), ECONFLICT (a limit; a
// concurrent change to the extensions; pending changes in review).
func (h *Hub) ApplyManifest(ctx context.Context, id devhub.Identity, appID string, m *devhub.Manifest, in ApplyManifestInput) (*ManifestResult, error) {
	a, live, err := h.appExtensions(ctx, id, appID)
	if err != nil {
		return nil, err
	}
	conditional, err := in.IfMatch.check(a.Version)
	if err != nil {
		return nil, err
	}
	plan, err := devhub.PlanManifest(m, a, live, h.Schemas, h.Now())
	if err != nil {
		return nil, err
	}
	res := &ManifestResult{Plan: plan, App: a}
	if plan.Changed() {
		plan.App.NoteOwner(id)
		res.App = plan.App
	}
	if in.DryRun || !plan.Changed() {
		return res, nil
	}
	if err := h.Manifests.ApplyManifest(ctx, a, live, plan); err != nil {
		return nil, preconditionIfConditional(err, conditional)
	}
	return res, nil
}

// ManifestApp is an app created from a manifest.
type ManifestApp struct {
	App        *devhub.App
	Extensions []*devhub.Extension
	Plan       *devhub.ManifestPlan
}

// CreateManifestApp creates a draft app of the caller's company and its
// extensions from m, atomically: one transaction (with the
// Idempotency-Key's record). A retry of an earlier request with the same key
// returns (nil, its answer, nil). Errors: EFORBIDDEN, EMALFORMED (the key),
// EINVALID (a rule; the key reused for another request), ECONFLICT (a limit).
func (h *Hub) CreateManifestApp(ctx context.Context, id devhub.Identity, m *devhub.Manifest, idem Idempotency[*ManifestApp]) (*ManifestApp, *Answer, error) {
	if h.Manifests == nil || h.Schemas == nil {
		return nil, nil, errNotWired
	}
	if err := id.CanDevelop(); err != nil {
		return nil, nil, err
	}
	rec, err := idem.record(id)
	if err != nil {
		return nil, nil, err
	}
	a, exts, plan, err := devhub.NewManifestApp(m, id, h.Schemas, h.Now())
	if err != nil {
		return nil, nil, err
	}
	out := &ManifestApp{App: a, Extensions: exts, Plan: plan}
	if err := idem.fill(rec, out); err != nil {
		return nil, nil, err
	}
	prev, err := h.Manifests.CreateManifestApp(ctx, a, exts, rec)
	if err != nil {
		return nil, nil, err
	}
	if prev != nil {
		ans, err := replay(prev, rec)
		return nil, ans, err
	}
	return out, nil, nil
}

// ValidateManifest applies every rule a write of m would, and writes
// nothing: with appID "", the rules of CreateManifestApp (nothing is read);
// otherwise those of ApplyManifest to that app (one Query). It returns the
// plan, whose warnings name what the manifest bends without breaking.
// Errors: as the write's, but never EPRECONDITION.
func (h *Hub) ValidateManifest(ctx context.Context, id devhub.Identity, appID string, m *devhub.Manifest) (*devhub.ManifestPlan, error) {
	if err := id.CanDevelop(); err != nil {
		return nil, err
	}
	if appID == "" {
		if h.Schemas == nil {
			return nil, errNotWired
		}
		_, _, plan, err := devhub.NewManifestApp(m, id, h.Schemas, h.Now())
		return plan, err
	}
	res, err := h.ApplyManifest(ctx, id, appID, m, ApplyManifestInput{DryRun: true})
	if err != nil {
		return nil, err
	}
	return res.Plan, nil
}
