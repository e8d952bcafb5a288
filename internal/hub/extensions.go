package hub

import (
	"context"
	"errors"
	"regexp"
	"slices"

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

var extensionIDPattern = regexp.MustCompile(`^ext_[0-9a-v]{26}$`)

func errNoExtension(extID string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", truncate(extID, 64))
}

// ExtensionWrite is the outcome of an extension write: made, or held.
type ExtensionWrite struct {
	// Extension is the extension as written (create, update); nil when the
	// write was held, or was a delete.
	Extension *devhub.Extension
	// Held is set when the app is an approved public app: the write was not
	// made but held in its pending changes until a reviewer approves them;
	// the live extensions keep serving meanwhile.
	Held *HeldWrite
}

// HeldWrite is an extension write held for review.
type HeldWrite struct {
	// Op is the held operation, folded with earlier ones on the same
	// extension (create+update is a create of the new state, …).
	Op devhub.PendingExtension
	// AppVersion is the app's version once the write is held.
	AppVersion int
}

// CheckExtensionTarget is the gate of every extension use case, checked
// before the store is asked anything: the caller may develop, and the
// identifiers have the shape of real ones (anything else cannot exist, so
// it is not found without a round trip). extID is "" for the app's
// collection. Errors: EFORBIDDEN, ENOTFOUND. Each use case checks it
// itself; an adapter may call it first too, before it reads the request.
func CheckExtensionTarget(id devhub.Identity, appID, extID string) error {
	if err := id.CanDevelop(); err != nil {
		return err
	}
	if !appIDPattern.MatchString(appID) {
		return errNoApp(appID)
	}
	if extID != "" && !extensionIDPattern.MatchString(extID) {
		return errNoExtension(extID)
	}
	return nil
}

// CreateExtension adds an extension to one of the caller's apps, taking its
// slots (the limits per view, per panel location, per app) in the same
// transaction: one round trip, as the app is not read first (the write is
// conditioned on it existing and being the caller's). On an approved public
// app it is held instead (Held): one Query and one write more. A retry with
// the same Idempotency-Key returns (zero, its answer, nil). Errors:
// EFORBIDDEN, ENOTFOUND (app), EMALFORMED (the key), EINVALID (the input,
// every field at once; or the key reused), ECONFLICT (a limit, the reason
// in words; or a race lost).
func (h *Hub) CreateExtension(ctx context.Context, id devhub.Identity, appID string, in devhub.NewExtensionInput,
	idem Idempotency[ExtensionWrite]) (ExtensionWrite, *Answer, error) {
	if err := CheckExtensionTarget(id, appID, ""); err != nil {
		return ExtensionWrite{}, nil, err
	}
	rec, err := idem.record(id)
	if err != nil {
		return ExtensionWrite{}, nil, err
	}
	e, err := devhub.NewExtension(in, &devhub.App{ID: appID}, h.Schemas, h.Now())
	if err != nil {
		return ExtensionWrite{}, nil, err
	}
	if err := idem.fill(rec, ExtensionWrite{Extension: e}); err != nil {
		return ExtensionWrite{}, nil, err
	}
	prev, err := h.Extensions.CreateExtension(ctx, id.CompanyID, e, rec)
	if errors.Is(err, devhub.ErrHeldForReview) {
		return h.holdExtension(ctx, id.CompanyID, appID, e.ID, e, nil, rec, idem)
	}
	if err != nil {
		return ExtensionWrite{}, nil, err
	}
	if prev != nil {
		ans, err := replay(prev, rec)
		return ExtensionWrite{}, ans, err
	}
	return ExtensionWrite{Extension: e}, nil, nil
}

// holdExtension holds the write of extension extID (next: its new state,
// nil to delete it) on the approved app appID: one Query, then one
// conditional write of the app item (with rec, when not nil). check, when
// not nil, sees the extension's current state (live or pending) and returns
// its next state and whether a condition was given.
func (h *Hub) holdExtension(ctx context.Context, company, appID, extID string, next *devhub.Extension,
	check func(cur *devhub.Extension) (*devhub.Extension, bool, error),
	rec *devhub.Idempotency, idem Idempotency[ExtensionWrite]) (ExtensionWrite, *Answer, error) {
	a, live, err := h.Extensions.AppExtensions(ctx, company, appID)
	if err != nil {
		return ExtensionWrite{}, nil, err
	}
	if !a.HoldsExtensionWrites() {
		return ExtensionWrite{}, nil, devhub.Errorf(devhub.ECONFLICT, "App %q changed status meanwhile; retry.", appID)
	}
	conditional := false
	if check != nil {
		var cur *devhub.Extension
		for _, e := range a.EffectiveExtensions(live) {
			if e.ID == extID {
				cur = e
			}
		}
		if cur == nil {
			return ExtensionWrite{}, nil, errNoExtension(extID)
		}
		if next, conditional, err = check(cur); err != nil {
			return ExtensionWrite{}, nil, err
		}
	}
	nextApp, op, err := a.HoldExtension(live, extID, next, h.Now())
	if err != nil {
		return ExtensionWrite{}, nil, err
	}
	res := ExtensionWrite{Held: &HeldWrite{Op: *op, AppVersion: nextApp.Version}}
	if err := idem.fill(rec, res); err != nil { // a held create remembers its answer, as a created one does
		return ExtensionWrite{}, nil, err
	}
	prev, err := h.Apps.UpdateAppRemembering(ctx, nextApp, a.Version, rec)
	if err != nil {
		return ExtensionWrite{}, nil, preconditionIfConditional(err, conditional)
	}
	if prev != nil {
		ans, err := replay(prev, rec)
		return ExtensionWrite{}, ans, err
	}
	return res, nil, nil
}

// heldApp reports whether a read's outcome shows an approved app whose
// extension writes are held.
func heldApp(a *devhub.App, err error) bool {
	return a != nil && a.HoldsExtensionWrites() && (err == nil || devhub.ErrorCode(err) == devhub.ENOTFOUND)
}

// ListExtensions returns every live extension of one of the caller's apps,
// oldest first, only those of type typ when it is not "": one Query (the
// limits keep an app's extensions to a few dozen). Errors: EFORBIDDEN,
// ENOTFOUND, EMALFORMED (typ, field "type").
func (h *Hub) ListExtensions(ctx context.Context, id devhub.Identity, appID string, typ devhub.ExtensionType) ([]*devhub.Extension, error) {
	if err := CheckExtensionTarget(id, appID, ""); err != nil {
		return nil, err
	}
	if typ != "" && !slices.Contains(devhub.ExtensionTypes(), typ) {
		return nil, &devhub.Error{Code: devhub.EMALFORMED, Message: "type must name an extension type.",
			Fields: []devhub.FieldError{{Field: "type", Message: "must be one of link_action, json_modal, json_panel, " +
				"custom_modal, custom_panel, floating_window, settings_page"}}}
	}
	exts, err := h.Extensions.ListExtensions(ctx, id.CompanyID, appID)
	if err != nil {
		return nil, err
	}
	if typ != "" {
		exts = slices.DeleteFunc(exts, func(e *devhub.Extension) bool { return e.Type != typ })
	}
	return exts, nil
}

// GetExtension returns one live extension of one of the caller's apps: one
// read. Errors: EFORBIDDEN, ENOTFOUND (app or extension).
func (h *Hub) GetExtension(ctx context.Context, id devhub.Identity, appID, extID string) (*devhub.Extension, error) {
	if err := CheckExtensionTarget(id, appID, extID); err != nil {
		return nil, err
	}
	_, e, err := h.Extensions.GetExtension(ctx, id.CompanyID, appID, extID)
	return e, err
}

// PatchExtension applies a merge patch to an extension, moving its slots in
// the same transaction: one read, one write. On an approved public app the
// patch applies to the extension's pending state and is held (Held): one
// read, one Query, one write. Errors: EFORBIDDEN, ENOTFOUND, EPRECONDITION,
// EINVALID, ECONFLICT (a limit, or a race lost).
func (h *Hub) PatchExtension(ctx context.Context, id devhub.Identity, appID, extID string, patch devhub.ExtensionPatch, ifMatch IfMatch) (ExtensionWrite, error) {
	if err := CheckExtensionTarget(id, appID, extID); err != nil {
		return ExtensionWrite{}, err
	}
	a, e, err := h.Extensions.GetExtension(ctx, id.CompanyID, appID, extID)
	if heldApp(a, err) {
		res, _, err := h.holdExtension(ctx, id.CompanyID, appID, extID, nil, func(cur *devhub.Extension) (*devhub.Extension, bool, error) {
			conditional, err := ifMatch.check(cur.Version)
			if err != nil {
				return nil, false, err
			}
			next, err := patch.Apply(cur, h.Schemas, h.Now())
			return next, conditional, err
		}, nil, Idempotency[ExtensionWrite]{})
		return res, err
	}
	if err != nil {
		return ExtensionWrite{}, err
	}
	conditional, err := ifMatch.check(e.Version)
	if err != nil {
		return ExtensionWrite{}, err
	}
	next, err := patch.Apply(e, h.Schemas, h.Now())
	if err != nil {
		return ExtensionWrite{}, err
	}
	if err := h.Extensions.UpdateExtension(ctx, id.CompanyID, e, next); err != nil {
		return ExtensionWrite{}, preconditionIfConditional(err, conditional)
	}
	return ExtensionWrite{Extension: next}, nil
}

// DeleteExtension removes an extension and frees its slots: one read, one
// write. On an approved public app the deletion is held (Held): one read,
// one Query, one write. A made deletion returns the zero ExtensionWrite.
// Errors: EFORBIDDEN, ENOTFOUND, EPRECONDITION, ECONFLICT.
func (h *Hub) DeleteExtension(ctx context.Context, id devhub.Identity, appID, extID string, ifMatch IfMatch) (ExtensionWrite, error) {
	if err := CheckExtensionTarget(id, appID, extID); err != nil {
		return ExtensionWrite{}, err
	}
	a, e, err := h.Extensions.GetExtension(ctx, id.CompanyID, appID, extID)
	if heldApp(a, err) {
		res, _, err := h.holdExtension(ctx, id.CompanyID, appID, extID, nil, func(cur *devhub.Extension) (*devhub.Extension, bool, error) {
			conditional, err := ifMatch.check(cur.Version)
			return nil, conditional, err
		}, nil, Idempotency[ExtensionWrite]{})
		return res, err
	}
	if err != nil {
		return ExtensionWrite{}, err
	}
	conditional, err := ifMatch.check(e.Version)
	if err != nil {
		return ExtensionWrite{}, err
	}
	if err := h.Extensions.DeleteExtension(ctx, id.CompanyID, e); err != nil {
		return ExtensionWrite{}, preconditionIfConditional(err, conditional)
	}
	return ExtensionWrite{}, nil
}
