package hub

import (
	"context"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// MoveInput is what a status move needs besides the app and the move.
type MoveInput struct {
	Reason  string // reject: required, shown to the owner
	IfMatch IfMatch
}

// Move makes one status move (devhub.MoveLive, MoveReview, MoveApprove,
// MoveReject, MovePublish, MoveUnpublish). Reviewers approve and reject any
// company's app; developers make the other moves on their own apps. The
// domain decides whether the move is allowed (devhub.App.Apply); the
// callback is probed only once everything else holds (a refused move costs
// no probe); the write is one conditional write on the version read, so
// two racing moves cannot both win. Approving an app whose pending changes
// hold extension writes merges them with the app in one transaction.
// Round trips: one GetItem, one write. The app returned carries its client
// secret only for the owner. Errors: EFORBIDDEN, ENOTFOUND, EPRECONDITION,
// EINVALID (a move the status does not allow, the message listing those it
// does; the app not ready, every missing field at once and the probe result
// as the "callback_health" extension), ECONFLICT.
func (h *Hub) Move(ctx context.Context, id devhub.Identity, appID string, m devhub.Move, in MoveInput) (*devhub.App, error) {
	if err := CheckMove(id, m); err != nil {
		return nil, err
	}
	var (
		a   *devhub.App
		err error
	)
	if reviewerMove(m) {
		a, err = h.anyApp(ctx, appID)
	} else {
		a, err = h.ownApp(ctx, id, appID)
	}
	if err != nil {
		return nil, err
	}
	conditional, err := in.IfMatch.check(a.Version)
	if err != nil {
		return nil, err
	}
	mi := devhub.MoveInput{By: id, Reason: in.Reason, Now: h.Now()}
	if url, due := a.NeedsProbe(m); due {
		// Everything but the probe first: a refused move costs no probe.
		mi.Health = &devhub.CallbackHealth{OK: true}
		if _, err := a.Apply(m, mi); err != nil {
			return nil, err
		}
		health, _ := h.Prober.CheckCallback(ctx, url)
		mi.Health = &health
	}
	next, err := a.Apply(m, mi)
	if err != nil {
		return nil, err
	}
	next.NoteOwner(id)
	if m == devhub.MoveApprove && a.PendingChanges != nil && len(a.PendingChanges.Extensions) > 0 {
		// Held extension writes merge with the app in one transaction.
		err = h.Extensions.MergePendingExtensions(ctx, a, next)
	} else {
		err = h.Apps.UpdateApp(ctx, next, a.Version)
	}
	if err != nil {
		return nil, preconditionIfConditional(err, conditional)
	}
	return forCaller(next, id), nil
}

// anyApp returns app appID whatever its company: only reviewers reach it.
func (h *Hub) anyApp(ctx context.Context, appID string) (*devhub.App, error) {
	if !appIDPattern.MatchString(appID) {
		return nil, errNoApp(appID)
	}
	return h.Apps.GetApp(ctx, appID)
}

// ReviewQueue is a page of every company's apps waiting for a reviewer
// (in review, or approved with pending changes sent to review), oldest
// first, without their client secrets: one Query. Errors: EFORBIDDEN (not
// a reviewer), EMALFORMED (bad cursor).
func (h *Hub) ReviewQueue(ctx context.Context, id devhub.Identity, page PageRequest) (devhub.Page[*devhub.App], error) {
	if err := CheckReviewer(id); err != nil {
		return devhub.Page[*devhub.App]{}, err
	}
	p, err := h.Apps.ListAppsByStatus(ctx, devhub.StatusReview, page.Cursor, page.limit())
	if err != nil {
		return p, err
	}
	return pageForCaller(p, id), nil
}

// RotateInput is what rotating a client secret needs.
type RotateInput struct {
	// GracePeriodSeconds is how long the old secret keeps working: 0 to
	// 604800 (7 days); nil is devhub.DefaultSecretGrace.
	GracePeriodSeconds *int64
	IfMatch            IfMatch
}

// RotatedSecret is the outcome of a rotation.
type RotatedSecret struct {
	// App is the app after it: ClientSecret is the new secret, and
	// PreviousSecretUntil the end of the old one's grace period.
	App   *devhub.App
	Grace time.Duration
}

// RotateSecret gives one of the caller's apps a new client secret; the old
// one keeps authenticating for the grace period. A retried rotation must
// not rotate twice (the secret it returned would be lost), so it honours an
// Idempotency-Key: a retry returns (nil, the first answer, nil). One GetItem
// and one transaction. Errors: EFORBIDDEN, EMALFORMED (the key), EINVALID
// (grace period, field "grace_period_seconds"; the key reused),
// ENOTFOUND, EPRECONDITION, ECONFLICT.
func (h *Hub) RotateSecret(ctx context.Context, id devhub.Identity, appID string, in RotateInput, idem Idempotency[*RotatedSecret]) (*RotatedSecret, *Answer, error) {
	if err := id.CanDevelop(); err != nil {
		return nil, nil, err
	}
	rec, err := idem.record(id)
	if err != nil {
		return nil, nil, err
	}
	grace := devhub.DefaultSecretGrace
	if g := in.GracePeriodSeconds; g != nil {
		if *g < 0 || time.Duration(*g)*time.Second > devhub.MaxSecretGrace {
			return nil, nil, &devhub.Error{Code: devhub.EINVALID, Message: "The grace period is out of range.",
				Fields: []devhub.FieldError{{Field: "grace_period_seconds", Message: "must be from 0 to 604800 (7 days)"}}}
		}
		grace = time.Duration(*g) * time.Second
	}
	a, err := h.ownApp(ctx, id, appID)
	if err != nil {
		return nil, nil, err
	}
	conditional, err := in.IfMatch.check(a.Version)
	if err != nil {
		return nil, nil, err
	}
	res := &RotatedSecret{App: a.RotateSecret(grace, h.Now()), Grace: grace}
	if err := idem.fill(rec, res); err != nil {
		return nil, nil, err
	}
	prev, err := h.Apps.UpdateAppRemembering(ctx, res.App, a.Version, rec)
	if err != nil {
		return nil, nil, preconditionIfConditional(err, conditional)
	}
	if prev != nil {
		ans, err := replay(prev, rec)
		return nil, ans, err
	}
	return res, nil, nil
}
