package hub

import (
	"context"
	"errors"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// CallbackCheck is the outcome of ProbeCallback.
type CallbackCheck struct {
	// Health is the result as stored in the app's callback_health.
	Health devhub.CallbackHealth
	// Latency is the time until the answer's headers; 0 when there was none.
	Latency time.Duration
	// App is the app as stored with it.
	App *devhub.App
}

// ProbeCallback probes the callback URL of one of the caller's apps now, in
// any status (a draft's developer wants to know before going live), and
// stores the result as its callback_health: one GetItem, the probe, one
// write (two more if the app changed meanwhile: RecordHealth). The URL
// probed is the one installs use now; a callback URL held in pending changes
// is probed when it is sent to review. Retrying is harmless: it probes
// again. Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT (RecordHealth), and ctx's
// error when the caller went away during the probe (a cut-short probe says
// nothing about the server, so nothing is stored).
func (h *Hub) ProbeCallback(ctx context.Context, id devhub.Identity, appID string) (*CallbackCheck, error) {
	a, err := h.ownApp(ctx, id, appID)
	if err != nil {
		return nil, err
	}
	health, latency := h.Prober.CheckCallback(ctx, a.CallbackURL)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stored, err := RecordHealth(ctx, h.Apps, a, health)
	if err != nil {
		return nil, err
	}
	return &CallbackCheck{Health: health, Latency: latency, App: stored}, nil
}

// HealthStore is what storing a probe result needs of the store.
type HealthStore interface {
	// GetApp errors: ENOTFOUND.
	GetApp(ctx context.Context, id string) (*devhub.App, error)
	// UpdateApp errors: ENOTFOUND, ECONFLICT (version moved since read; it
	// then also matches devhub.ErrStale).
	UpdateApp(ctx context.Context, next *devhub.App, readVersion int) error
}

// ErrURLChanged: the callback URL changed while it was being probed, so the
// result describes a URL the app no longer has.
var ErrURLChanged = devhub.Errorf(devhub.ECONFLICT, "The callback URL changed while it was being probed; probe it again.")

// RecordHealth stores h as a's callback_health with one conditional write on
// the version read. If the app changed meanwhile (a rename, a status move),
// it reads it once more and writes again, provided the callback URL is the
// one probed. It returns the app as stored. Version moves on (the
// representation changed, so does its ETag); updated_at does not: a probe
// observes the app, it does not change it. Errors: ENOTFOUND (deleted),
// ECONFLICT (changed twice, or ErrURLChanged).
func RecordHealth(ctx context.Context, store HealthStore, a *devhub.App, h devhub.CallbackHealth) (*devhub.App, error) {
	next := withHealth(a, h)
	err := store.UpdateApp(ctx, next, a.Version)
	if err == nil || !errors.Is(err, devhub.ErrStale) {
		return next, err
	}
	cur, err := store.GetApp(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if cur.CallbackURL != a.CallbackURL {
		return nil, ErrURLChanged
	}
	next = withHealth(cur, h)
	if err := store.UpdateApp(ctx, next, cur.Version); err != nil {
		return nil, err
	}
	return next, nil
}

func withHealth(a *devhub.App, h devhub.CallbackHealth) *devhub.App {
	next := *a // nothing shared with a is changed below
	next.CallbackHealth = &h
	next.Version = a.Version + 1
	return &next
}
