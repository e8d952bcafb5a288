package sweep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/sweep"
	"github.com/devhub-oss/devhub/internal/testprobe"
)

var (
	acme   = devhub.Identity{UserID: "alice", CompanyID: "acme", Sandbox: true}
	globex = devhub.Identity{UserID: "bob", CompanyID: "globex", Sandbox: true}
)

// put writes an app in status st pointing at callback, as the status moves
// would leave it.
func put(t testing.TB, store *dynamo.Store, owner devhub.Identity, typ devhub.AppType, st devhub.AppStatus, callback string, mutate ...func(*devhub.App)) *devhub.App {
	t.Helper()
	a, err := devhub.NewApp(devhub.NewAppInput{Type: typ, Name: "Swept", CallbackURL: callback}, owner, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a.Status = st
	for _, m := range mutate {
		m(a)
	}
	if _, err := store.CreateApp(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	return a
}

func get(t testing.TB, store *dynamo.Store, id string) *devhub.App {
	t.Helper()
	a, err := store.GetApp(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSweep(t *testing.T) {
	meter := &dynamo.Meter{}
	store := dynamotest.MustOpenStore(t, meter.Option)
	ok := testprobe.NewServer(t, http.StatusOK, 40*time.Millisecond)
	broken := testprobe.NewServer(t, http.StatusServiceUnavailable, 0)
	// The canary is reachable: only the sweep's own rules keep it unprobed.
	canary := testprobe.NewCanary(t)
	prober := testprobe.New(t, ok, broken, canary)

	var due, healthy, notDue []*devhub.App
	add := func(list *[]*devhub.App, a *devhub.App) { *list = append(*list, a) }
	for i := range 5 {
		owner := []devhub.Identity{acme, globex}[i%2]
		add(&due, put(t, store, owner, devhub.AppPrivate, devhub.StatusLive, ok.URL+"/cb"))
	}
	for range 3 {
		add(&due, put(t, store, globex, devhub.AppPublic, devhub.StatusPublished, ok.URL+"/cb"))
	}
	for range 2 {
		add(&due, put(t, store, acme, devhub.AppPublic, devhub.StatusPublished, broken.URL+"/cb"))
	}
	for range 2 {
		add(&due, put(t, store, acme, devhub.AppPublic, devhub.StatusUnpublished, ok.URL+"/cb"))
	}
	// Approved, with pending changes in review: indexed under review, still
	// serving installs with its live callback.
	pendingCB := canary.URL + "/pending"
	add(&due, put(t, store, globex, devhub.AppPublic, devhub.StatusPublished, ok.URL+"/cb", func(a *devhub.App) {
		a.PendingChanges = &devhub.PendingChanges{CallbackURL: &pendingCB, InReview: true}
	}))
	healthy = due[:8:8]
	// Never probed: drafts and apps in review are not shared.
	add(&notDue, put(t, store, acme, devhub.AppPrivate, devhub.StatusDraft, canary.URL+"/draft"))
	add(&notDue, put(t, store, globex, devhub.AppPublic, devhub.StatusDraft, canary.URL+"/draft"))
	add(&notDue, put(t, store, acme, devhub.AppPublic, devhub.StatusReview, canary.URL+"/review"))
	add(&notDue, put(t, store, globex, devhub.AppPublic, devhub.StatusReview, canary.URL+"/review"))
	// Probed a minute ago: fresh, left for a later run.
	now := time.Now().UTC()
	recent := &devhub.CallbackHealth{OK: true, StatusCode: 200, CheckedAt: now.Add(-time.Minute)}
	fresh := put(t, store, acme, devhub.AppPrivate, devhub.StatusLive, canary.URL+"/fresh", func(a *devhub.App) { a.CallbackHealth = recent })
	add(&notDue, fresh)

	var logs bytes.Buffer
	sw := &sweep.Sweeper{Store: store, Prober: prober, Now: func() time.Time { return now }, PageSize: 3, Concurrency: 4,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	meter.Reset()
	st, err := sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	want := sweep.Stats{Seen: len(due) + len(notDue) - 2, Fresh: 1, Probed: len(due), OK: len(due) - 2, Failed: 2, Stored: len(due)}
	if st.Seen != want.Seen || st.Fresh != want.Fresh || st.Probed != want.Probed || st.OK != want.OK ||
		st.Failed != want.Failed || st.Stored != want.Stored || st.Conflicts+st.Gone+st.Errors+st.Deferred != 0 || st.Stopped {
		t.Errorf("stats: got %+v, want %+v", st, want)
	}
	// Pages of 3 over 4 partitions (live 6, unpublished 2, published 5, review 3).
	calls := meter.Calls()
	if st.Pages < 7 || calls["Query"] != st.Pages || calls["Scan"] != 0 {
		t.Errorf("pages %d, calls %v: want ≥ 7 Queries of ≤ 3, no Scan", st.Pages, calls)
	}
	if calls["TransactWriteItems"] != len(due) || calls["GetItem"] != 0 {
		t.Errorf("calls %v: want one write per probed app and no reads", calls)
	}
	for _, a := range due {
		got := get(t, store, a.ID)
		h := got.CallbackHealth
		wantOK := a.CallbackURL == ok.URL+"/cb"
		if h == nil || h.OK != wantOK || h.CheckedAt.Before(now.Add(-time.Second)) {
			t.Errorf("%s (%s %s): callback_health %+v, want fresh, ok=%v", a.ID, a.Type, a.Status, h, wantOK)
		}
		if got.Version != a.Version+1 || !got.UpdatedAt.Equal(a.UpdatedAt) || got.Status != a.Status {
			t.Errorf("%s: version %d → %d, updated_at %s → %s", a.ID, a.Version, got.Version, a.UpdatedAt, got.UpdatedAt)
		}
	}
	for _, a := range notDue {
		if got := get(t, store, a.ID); got.Version != a.Version || (a != fresh && got.CallbackHealth != nil) {
			t.Errorf("%s (%s): was written: %+v", a.ID, a.Status, got.CallbackHealth)
		}
	}
	if canary.Hits() != 0 {
		t.Errorf("canary hit %d times", canary.Hits())
	}
	if got := ok.Hits(); got != int64(len(healthy)+3) {
		t.Errorf("ok server hits: got %d, want %d (each app once)", got, len(healthy)+3)
	}
	if m := ok.MaxInFlight(); m > 4 || m < 2 {
		t.Errorf("probes in flight at once: got %d, want 2..4", m)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line["msg"] != "callback sweep" || line["probed"] != float64(len(due)) {
		t.Errorf("log: want one JSON line with the stats, got %q (%v)", logs.String(), err)
	}

	t.Run("SecondRunSkipsFresh", func(t *testing.T) {
		ok.Reset()
		st, err := sweep.Run(context.Background(), store, prober, time.Now)
		if err != nil || st.Probed != 0 || st.Fresh != len(due)+1 {
			t.Errorf("got %+v, %v; want every app fresh", st, err)
		}
		if ok.Hits() != 0 {
			t.Errorf("%d probes", ok.Hits())
		}
	})
}

// TestSweepDeadline: no probe starts when less than Reserve is left, and a
// run that stops leaves a consistent state that the next run continues.
func TestSweepDeadline(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	slow := testprobe.NewServer(t, http.StatusOK, 200*time.Millisecond)
	prober := testprobe.New(t, slow)
	for range 12 {
		put(t, store, acme, devhub.AppPrivate, devhub.StatusLive, slow.URL+"/cb")
	}

	t.Run("NothingStartsInsideTheReserve", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		st, err := (&sweep.Sweeper{Store: store, Prober: prober}).Run(ctx) // default reserve: 6 s
		if err != nil || st.Probed != 0 || !st.Stopped || slow.Hits() != 0 {
			t.Errorf("got %+v, %v, %d hits; want nothing started", st, err, slow.Hits())
		}
	})
	t.Run("StopsAndResumes", func(t *testing.T) {
		// 12 probes of 200 ms each need 2.4 s; 2 s may start them. The last
		// one ends about a second before the deadline, room enough on a
		// loaded machine.
		const deadline = 3 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		sw := &sweep.Sweeper{Store: store, Prober: prober, Concurrency: 1, Reserve: time.Second, PageSize: 5}
		start := time.Now()
		st, err := sw.Run(ctx)
		if err != nil || !st.Stopped || st.Probed == 0 || st.Probed >= 12 || st.Stored != st.Probed || st.Errors != 0 {
			t.Errorf("got %+v, %v; want some probed and stored, then a stop", st, err)
		}
		if d := time.Since(start); d > deadline {
			t.Errorf("ran %s, past its deadline", d)
		}
		rest, err := (&sweep.Sweeper{Store: store, Prober: prober}).Run(context.Background())
		if err != nil || rest.Probed != 12-st.Probed || rest.Fresh != st.Probed {
			t.Errorf("next run: got %+v, %v; want the %d left", rest, err, 12-st.Probed)
		}
	})
}

// racingStore lets a concurrent write land between the sweep's read and its
// write, through the same real table.
type racingStore struct {
	*dynamo.Store
	mu     sync.Mutex
	before map[string]func() // app id → a change made just before its first write
	onList map[devhub.AppStatus]func()
}

func (s *racingStore) UpdateApp(ctx context.Context, next *devhub.App, readVersion int) error {
	s.mu.Lock()
	f := s.before[next.ID]
	delete(s.before, next.ID)
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.Store.UpdateApp(ctx, next, readVersion)
}

func (s *racingStore) ListAppsByStatus(ctx context.Context, st devhub.AppStatus, cursor string, limit int) (dynamo.Page[*devhub.App], error) {
	s.mu.Lock()
	f := s.onList[st]
	delete(s.onList, st)
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.Store.ListAppsByStatus(ctx, st, cursor, limit)
}

func TestSweepConcurrentChanges(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	ok := testprobe.NewServer(t, http.StatusOK, 0)
	moving := testprobe.NewServer(t, http.StatusOK, 0)
	prober := testprobe.New(t, ok, moving)
	ctx := context.Background()

	// change is another writer: it reads, changes and writes, and like any
	// writer it reads again when it loses the race (possibly to the sweep).
	change := func(id string, f func(*devhub.App)) func() {
		return func() {
			for range 3 {
				a := get(t, store, id)
				next := *a
				f(&next)
				next.Version, next.UpdatedAt = a.Version+1, time.Now()
				err := store.UpdateApp(ctx, &next, a.Version)
				if err == nil {
					return
				}
				if !errors.Is(err, dynamo.ErrStale) {
					t.Errorf("concurrent change: %v", err)
					return
				}
			}
			t.Error("concurrent change lost three times")
		}
	}
	renamed := put(t, store, acme, devhub.AppPrivate, devhub.StatusLive, ok.URL+"/renamed")
	moved := put(t, store, acme, devhub.AppPrivate, devhub.StatusLive, ok.URL+"/moved")
	deleted := put(t, store, acme, devhub.AppPrivate, devhub.StatusLive, ok.URL+"/deleted")
	published := put(t, store, acme, devhub.AppPublic, devhub.StatusUnpublished, moving.URL+"/cb")
	rs := &racingStore{Store: store,
		before: map[string]func(){
			renamed.ID: change(renamed.ID, func(a *devhub.App) { a.Name = "Renamed meanwhile" }),
			moved.ID:   change(moved.ID, func(a *devhub.App) { a.CallbackURL = ok.URL + "/elsewhere" }),
			deleted.ID: func() {
				if err := store.DeleteApp(ctx, get(t, store, deleted.ID), "gone", "alice"); err != nil {
					t.Error(err)
				}
			},
		},
		// Published between the two pages that would both list it.
		onList: map[devhub.AppStatus]func(){
			devhub.StatusPublished: change(published.ID, func(a *devhub.App) { a.Status = devhub.StatusPublished }),
		},
	}
	st, err := (&sweep.Sweeper{Store: rs, Prober: prober, Concurrency: 1}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Probed != 4 || st.Stored != 2 || st.Conflicts != 1 || st.Gone != 1 || st.Errors != 0 {
		t.Errorf("stats: %+v; want 4 probed, 2 stored, 1 conflict, 1 gone", st)
	}
	if a := get(t, store, renamed.ID); a.Name != "Renamed meanwhile" || a.CallbackHealth == nil || !a.CallbackHealth.OK {
		t.Errorf("renamed: name %q, health %+v; want both kept", a.Name, a.CallbackHealth)
	}
	if a := get(t, store, moved.ID); a.CallbackHealth != nil {
		t.Errorf("moved: the old URL's result was stored: %+v", a.CallbackHealth)
	}
	if a := get(t, store, published.ID); a.Status != devhub.StatusPublished || a.CallbackHealth == nil || moving.Hits() != 1 {
		t.Errorf("published meanwhile: status %s, health %+v, probed %d times; want once", a.Status, a.CallbackHealth, moving.Hits())
	}
}

func TestSweepStoreError(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A cancelled context is "out of time" before the first page: not an error.
	if st, err := sweep.Run(ctx, store, testprobe.New(t), time.Now); err != nil || !st.Stopped || st.Pages != 0 {
		t.Errorf("got %+v, %v", st, err)
	}
	// An unreadable index is an error: the invocation fails, visibly.
	broken := dynamo.New(dynamotest.Client(t), "no_such_table_"+devhub.NewID(""))
	if _, err := sweep.Run(context.Background(), broken, testprobe.New(t), time.Now); err == nil {
		t.Error("got no error for a missing table")
	}
}

func TestRecord(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	a := put(t, store, acme, devhub.AppPrivate, devhub.StatusDraft, "https://example.test/cb")
	h := sweep.Health(probe.Result{OK: false, Error: probe.ErrNotAllowed.Error(), CheckedAt: time.Now()})
	got, err := sweep.Record(ctx, store, a, h)
	if err != nil || got.Version != 2 || *got.CallbackHealth != h {
		t.Fatalf("got %+v, %v", got, err)
	}
	// a is now stale and nothing else changed: the retry stores it on the new version.
	if got, err = sweep.Record(ctx, store, a, h); err != nil || got.Version != 3 {
		t.Errorf("stale: got %+v, %v", got, err)
	}
	if _, err := sweep.Record(ctx, store, &devhub.App{ID: devhub.NewID("app_"), ClientID: devhub.NewID(""), Version: 1}, h); devhub.ErrorCode(err) != devhub.ENOTFOUND {
		t.Errorf("unknown app: got %v, want ENOTFOUND", err)
	}
}

// BenchmarkSweep: apps swept per second against loopback TLS servers and
// DynamoDB Local, with the DynamoDB calls each app costs.
func BenchmarkSweep(b *testing.B) {
	meter := &dynamo.Meter{}
	store := dynamotest.MustOpenStore(b, meter.Option)
	srv := testprobe.NewServer(b, http.StatusOK, 0)
	prober := testprobe.New(b, srv)
	const n = 200
	for range n {
		put(b, store, acme, devhub.AppPrivate, devhub.StatusLive, srv.URL+"/cb")
	}
	sw := &sweep.Sweeper{Store: store, Prober: prober, MinAge: -1, Logger: slog.New(slog.DiscardHandler)}
	meter.Reset()
	swept := 0
	start := time.Now()
	for b.Loop() {
		st, err := sw.Run(context.Background())
		if err != nil || st.Stored != n {
			b.Fatalf("%+v, %v", st, err)
		}
		swept += st.Stored
	}
	b.ReportMetric(float64(swept)/time.Since(start).Seconds(), "apps/s")
	b.ReportMetric(float64(meter.Total())/float64(swept), "ddb-calls/app")
}
