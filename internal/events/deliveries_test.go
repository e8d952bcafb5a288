package events_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	evs "github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/metrics"
	"github.com/devhub-oss/devhub/internal/streamlocal"
)

// TestDeliveriesWhileCallbackDown: an app with 40 installations is deleted
// while its server answers 503 to the first 100 requests. Through the real
// stream, every notification ends delivered or failed and listed, the failed
// ones are in the failure sink, and none that was answered is sent twice,
// although every batch is handled twice (a redelivered batch).
func TestDeliveriesWhileCallbackDown(t *testing.T) {
	const n, down = 40, 100
	f := newFixture(t)
	ctx := context.Background()
	f.cb.Status = func(i int) int {
		if i <= down {
			return 503
		}
		return 204
	}
	f.h.Notifier.BaseDelay = 20 * time.Millisecond
	var emf syncBuffer
	f.h.Metrics = metrics.New(&emf, "devhub-test")
	twice := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		if _, err := f.h.Handle(ctx, ev); err != nil {
			return events.DynamoDBEventResponse{}, err
		}
		return f.h.Handle(ctx, ev)
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &streamlocal.Poller{Client: streamlocal.NewClient(dynamotest.Endpoint(t)), Table: f.store.Table(), Handler: twice,
		Logger: f.h.Logger, PollInterval: 20 * time.Millisecond, InvocationTimeout: 30 * time.Second}
	go func() { _ = p.Run(pctx) }()

	db := dynamotest.Client(t)
	a := eventstest.NewApp(t, f.store, f.cb.URL())
	eventstest.BulkInstall(t, db, f.store.Table(), a, n)
	if err := f.store.DeleteApp(ctx, a, "Shutting down", "dev1"); err != nil {
		t.Fatal(err)
	}
	var list []*devhub.Delivery
	eventstest.WaitFor(t, 60*time.Second, "every delivery settled", func() bool {
		page, err := f.store.ListDeliveries(ctx, a.OwnerCompanyID, a.ID, "", 100)
		if err != nil || len(page.Items) < n {
			return false
		}
		for _, d := range page.Items {
			if !d.Settled() {
				return false
			}
		}
		list = page.Items
		return true
	})
	time.Sleep(200 * time.Millisecond) // room for a duplicate to show up

	received := map[string]int{}
	for _, r := range f.cb.Received() {
		received[r.Body["user_id"]]++
	}
	sunk := map[string]int{}
	for _, s := range f.sink.all() {
		sunk[s.DeliveryID]++
		if s.ClientID != a.ClientID || s.CallbackURL != f.cb.URL() || s.Timestamp == "" || s.Attempts != evs.DefaultMaxAttempts {
			t.Errorf("failure message: %+v", s)
		}
	}
	var delivered, failed, retried int
	users := map[string]bool{}
	for _, d := range list {
		users[d.UserID] = true
		switch d.State {
		case devhub.DeliveryDelivered:
			delivered++
			if d.Attempts > 1 {
				retried++
			}
			if received[d.UserID] != 1 || sunk[d.ID] != 0 || d.LastStatusCode != 204 || d.DeliveredAt.IsZero() {
				t.Errorf("delivered %s: received %d times, sunk %d, %+v", d.ID, received[d.UserID], sunk[d.ID], d)
			}
		case devhub.DeliveryFailed:
			failed++
			if received[d.UserID] != 0 || sunk[d.ID] != 1 || d.Attempts != evs.DefaultMaxAttempts || d.LastStatusCode != 503 || d.LastError == "" {
				t.Errorf("failed %s: received %d times, sunk %d, %+v", d.ID, received[d.UserID], sunk[d.ID], d)
			}
		}
	}
	if len(list) != n || len(users) != n {
		t.Fatalf("%d deliveries for %d users, want %d", len(list), len(users), n)
	}
	// 100 refusals over 40 notifications of at most 3 tries: 20 to 33 fail.
	if failed < 20 || failed > 33 || delivered != n-failed || retried == 0 {
		t.Errorf("%d delivered (%d after a retry), %d failed", delivered, retried, failed)
	}
	if got, want := f.cb.Requests(), down+delivered; got != want {
		t.Errorf("%d requests, want %d: a notification was sent again", got, want)
	}
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(emf.String()), "\n") {
		for _, m := range []string{metrics.DeliveriesDelivered, metrics.DeliveriesRetried, metrics.DeliveriesFailed} {
			if strings.Contains(line, `"`+m+`":1`) {
				counts[m]++
			}
		}
	}
	if counts[metrics.DeliveriesDelivered] != delivered || counts[metrics.DeliveriesFailed] != failed ||
		counts[metrics.DeliveriesRetried] < retried {
		t.Errorf("metrics: got %v for %d delivered, %d failed", counts, delivered, failed)
	}
	t.Logf("%d delivered after a retry, %d failed, %d requests", delivered, failed, f.cb.Requests())
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
