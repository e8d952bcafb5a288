// Package sweep re-probes the callback URLs of every installable app on a
// schedule and stores each result as the app's callback_health, so that a
// developer (and the platform) learns when a live app's server stops
// answering.
//
// It reads apps only through the status index of the store (pages of at most
// 100 client copies, never a Scan), probes with a bounded number of probes in
// flight, and stops starting new probes when the invocation is about to run
// out of time. One app's failure never fails the sweep: it is counted.
//
// It must not probe apps that are not shared with anyone (drafts) or that
// wait in review, and it must not move an app's updated_at or its place in
// the status index: a sweep that moved the apps it had probed to the end of
// the index would meet them again on a later page.
package sweep

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/probe"
)

// Defaults of a Sweeper.
const (
	// MaxPageSize is the largest page read from the status index.
	MaxPageSize = 100
	// DefaultConcurrency is how many probes are in flight at once.
	DefaultConcurrency = 8
	// DefaultReserve is the time left before the deadline below which no new
	// probe starts: one probe's budget (probe.MaxTimeout) plus its write.
	DefaultReserve = probe.MaxTimeout + time.Second
	// DefaultMinAge skips apps probed more recently than this. It is below
	// the schedule's period (15 minutes), so a normal run probes everything,
	// and a run that stopped at its deadline is continued by the next one
	// instead of starting over with the apps it already did.
	DefaultMinAge = 10 * time.Minute
)

// Swept are the statuses whose apps are probed: the ones anybody may install.
var Swept = []devhub.AppStatus{devhub.StatusLive, devhub.StatusUnpublished, devhub.StatusPublished}

// listed are the index partitions read: an approved app whose pending changes
// wait for a reviewer is indexed under review, and keeps serving installs.
var listed = []devhub.AppStatus{devhub.StatusLive, devhub.StatusUnpublished, devhub.StatusPublished, devhub.StatusReview}

// AppWriter stores a probe result. *dynamo.Store implements it.
type AppWriter interface {
	// GetApp errors: ENOTFOUND.
	GetApp(ctx context.Context, id string) (*devhub.App, error)
	// UpdateApp errors: ENOTFOUND, ECONFLICT (version moved since read).
	UpdateApp(ctx context.Context, next *devhub.App, readVersion int) error
}

// Store is what a sweep needs of the store.
type Store interface {
	AppWriter
	// ListAppsByStatus pages through the status index. Errors: EMALFORMED.
	ListAppsByStatus(ctx context.Context, status devhub.AppStatus, cursor string, limit int) (dynamo.Page[*devhub.App], error)
}

// Prober checks one callback URL (internal/probe): the result as an app
// stores it, and the time to the answer.
type Prober interface {
	CheckCallback(ctx context.Context, rawURL string) (devhub.CallbackHealth, time.Duration)
}

var _ Store = (*dynamo.Store)(nil)

// Health is a probe result as an app stores it.
func Health(r probe.Result) devhub.CallbackHealth {
	return devhub.CallbackHealth{OK: r.OK, StatusCode: r.StatusCode, CheckedAt: r.CheckedAt.UTC(), Error: r.Error}
}

// ErrURLChanged: the callback URL changed while it was being probed, so the
// result describes a URL the app no longer has (hub.ErrURLChanged).
var ErrURLChanged = hub.ErrURLChanged

// Record stores h as a's callback_health, as POST …/callback-probe does
// (hub.RecordHealth: one conditional write, and if the app changed
// meanwhile one read and one write more). Errors: ENOTFOUND (deleted),
// ECONFLICT (changed twice, or ErrURLChanged).
func Record(ctx context.Context, store AppWriter, a *devhub.App, h devhub.CallbackHealth) (*devhub.App, error) {
	return hub.RecordHealth(ctx, store, a, h)
}

// Stats is what one sweep did.
type Stats struct {
	Pages     int  `json:"pages"`         // index pages read
	Seen      int  `json:"seen"`          // apps read from the index
	Fresh     int  `json:"skipped_fresh"` // probed less than MinAge ago
	Probed    int  `json:"probed"`
	OK        int  `json:"ok"`
	Failed    int  `json:"failed"`    // probed, and the callback did not work
	Stored    int  `json:"stored"`    // results written
	Conflicts int  `json:"conflicts"` // writes lost twice to concurrent changes, or the URL changed
	Gone      int  `json:"gone"`      // deleted while being probed
	Errors    int  `json:"errors"`    // writes that failed otherwise
	Deferred  int  `json:"deferred"`  // read but left for the next run: out of time
	Stopped   bool `json:"stopped"`   // the deadline ended the run before the index did
	// Duration is the wall time of the run.
	Duration time.Duration `json:"-"`
}

// Sweeper probes the callback URL of every live, unpublished and published app.
type Sweeper struct {
	Store  Store
	Prober Prober
	// Now decides which results are fresh; nil means time.Now.
	Now func() time.Time
	// PageSize is the index page size (1–100); 0 means 100.
	PageSize int
	// Concurrency is the number of probes in flight; 0 means 8.
	Concurrency int
	// Reserve: no probe starts when ctx's deadline is nearer than this;
	// 0 means DefaultReserve.
	Reserve time.Duration
	// MinAge: apps whose callback_health is younger are skipped; 0 means
	// DefaultMinAge, negative probes every app.
	MinAge time.Duration
	// Logger gets one line per run; nil means slog.Default().
	Logger *slog.Logger
}

// Run sweeps with the defaults: Sweeper{Store: store, Prober: prober, Now: now}.Run(ctx).
func Run(ctx context.Context, store Store, prober Prober, now func() time.Time) (Stats, error) {
	sw := &Sweeper{Store: store, Prober: prober, Now: now}
	return sw.Run(ctx)
}

// Run probes every app due and stores the results. It returns an error only
// when the index cannot be read; whatever it did until then is in Stats,
// which it also logs as one JSON line.
func (sw *Sweeper) Run(ctx context.Context) (Stats, error) {
	start := time.Now()
	c := sw.config()
	r := &run{sw: c, ctx: ctx}
	work := make(chan *devhub.App)
	var wg sync.WaitGroup
	for range c.Concurrency {
		wg.Go(func() {
			for a := range work {
				r.sweepOne(a)
			}
		})
	}
	err := r.list(work)
	close(work)
	wg.Wait()
	st := r.stats
	st.Duration = time.Since(start)
	attrs := []slog.Attr{
		slog.Int("pages", st.Pages), slog.Int("seen", st.Seen), slog.Int("skipped_fresh", st.Fresh),
		slog.Int("probed", st.Probed), slog.Int("ok", st.OK), slog.Int("failed", st.Failed),
		slog.Int("stored", st.Stored), slog.Int("conflicts", st.Conflicts), slog.Int("gone", st.Gone),
		slog.Int("errors", st.Errors), slog.Int("deferred", st.Deferred), slog.Bool("stopped", st.Stopped),
		slog.Float64("duration_ms", float64(st.Duration.Microseconds())/1000),
	}
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.Logger.LogAttrs(ctx, level, "callback sweep", attrs...)
	return st, err
}

func (sw *Sweeper) config() *Sweeper {
	c := *sw
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PageSize <= 0 || c.PageSize > MaxPageSize {
		c.PageSize = MaxPageSize
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Reserve <= 0 {
		c.Reserve = DefaultReserve
	}
	if c.MinAge == 0 {
		c.MinAge = DefaultMinAge
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &c
}

// run is one sweep's state.
type run struct {
	sw  *Sweeper
	ctx context.Context

	mu    sync.Mutex
	stats Stats
}

func (r *run) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// outOfTime reports whether a new probe would risk the deadline.
func (r *run) outOfTime() bool {
	if r.ctx.Err() != nil {
		return true
	}
	dl, ok := r.ctx.Deadline()
	return ok && time.Until(dl) < r.sw.Reserve
}

// list pages through the index and hands every app due to the workers.
func (r *run) list(work chan<- *devhub.App) error {
	seen := map[string]bool{} // an app that moves during the run shows up twice
	minChecked := r.sw.Now().Add(-r.sw.MinAge)
	for _, status := range listed {
		cursor := ""
		for {
			if r.outOfTime() {
				r.count(func(s *Stats) { s.Stopped = true })
				return nil
			}
			page, err := r.sw.Store.ListAppsByStatus(r.ctx, status, cursor, r.sw.PageSize)
			if err != nil {
				return fmt.Errorf("sweep: list %s apps: %w", status, err)
			}
			r.count(func(s *Stats) { s.Pages++; s.Seen += len(page.Items) })
			for _, a := range page.Items {
				if seen[a.ID] || !slices.Contains(Swept, a.Status) {
					continue
				}
				seen[a.ID] = true
				if h := a.CallbackHealth; r.sw.MinAge > 0 && h != nil && h.CheckedAt.After(minChecked) {
					r.count(func(s *Stats) { s.Fresh++ })
					continue
				}
				if r.outOfTime() {
					r.count(func(s *Stats) { s.Deferred++; s.Stopped = true })
					continue
				}
				work <- a
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return nil
}

// sweepOne probes one app and stores the result.
func (r *run) sweepOne(a *devhub.App) {
	if r.outOfTime() { // it may have waited for a worker
		r.count(func(s *Stats) { s.Deferred++; s.Stopped = true })
		return
	}
	h, _ := r.sw.Prober.CheckCallback(r.ctx, a.CallbackURL)
	if r.ctx.Err() != nil {
		// A probe cut short by our own deadline says nothing about the app.
		r.count(func(s *Stats) { s.Deferred++; s.Stopped = true })
		return
	}
	_, err := Record(r.ctx, r.sw.Store, a, h)
	r.count(func(s *Stats) {
		s.Probed++
		if h.OK {
			s.OK++
		} else {
			s.Failed++
		}
		switch devhub.ErrorCode(err) {
		case "":
			s.Stored++
		case devhub.ENOTFOUND:
			s.Gone++
		case devhub.ECONFLICT:
			s.Conflicts++
		default:
			s.Errors++
		}
	})
	if code := devhub.ErrorCode(err); code != "" && code != devhub.ENOTFOUND {
		r.sw.Logger.LogAttrs(r.ctx, slog.LevelWarn, "callback sweep: result not stored",
			slog.String("app_id", a.ID), slog.String("error", err.Error()))
	}
}
