package streamlocal_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	evs "github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/streamlocal"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startPoller runs a poller on s's table until the test ends, and waits
// for it to stop.
func startPoller(tb testing.TB, s *dynamo.Store, h streamlocal.Handler) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &streamlocal.Poller{
		Client: streamlocal.NewClient(dynamotest.Endpoint(tb)), Table: s.Table(), Handler: h, Logger: quiet,
		PollInterval: 20 * time.Millisecond, InvocationTimeout: 30 * time.Second, BatchSize: 100,
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("poller: %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Error("the poller did not stop with its context")
		}
	})
}

// TestEndToEnd: delete an app with installations → every installation gets
// its notification at the app's server, with the app's Basic auth and the
// documented body; the partition is emptied in several rounds; the tokens
// are dead. Everything goes through DynamoDB Local's real stream.
func TestEndToEnd(t *testing.T) {
	for _, c := range []struct {
		name          string
		real, bulk    int
		maxItems      int
		wantMinRounds int
	}{
		{"ThreeInstallations", 3, 0, 0, 0},
		{"ThreeHundredAcrossRounds", 3, 297, 50, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := dynamotest.MustOpenStore(t)
			db := dynamotest.Client(t)
			ctx := context.Background()
			cb := eventstest.NewCallback(t)
			rec := &evs.Recorder{}
			h := &evs.Handler{
				Store:           s,
				Notifier:        &evs.Notifier{Client: probe.New(probe.Options{AllowedHosts: []string{cb.HostPort()}}).Client()},
				Failures:        evs.LogSink{Logger: quiet},
				Publisher:       rec,
				Logger:          quiet,
				CascadeMaxItems: c.maxItems,
			}
			startPoller(t, s, h.Handle)

			a := eventstest.NewApp(t, s, cb.URL())
			var toks []eventstest.Tokens
			for i := range c.real {
				toks = append(toks, eventstest.Install(t, s, a, "company-"+strconv.Itoa(i), "user-"+strconv.Itoa(i)))
			}
			eventstest.BulkInstall(t, db, s.Table(), a, c.bulk)
			eventstest.PutExtensionItems(t, db, s.Table(), a, 2)
			for _, tk := range toks { // alive before
				lk, err := s.IntrospectToken(ctx, tk.Refresh, a.ClientID, a.ID, tk.Company, tk.User)
				if err != nil || lk.Token == nil || lk.Installation == nil {
					t.Fatalf("before: %+v, %v", lk, err)
				}
			}
			if err := s.DeleteApp(ctx, a, "Shutting down", "dev1"); err != nil {
				t.Fatal(err)
			}
			total := c.real + c.bulk
			eventstest.WaitFor(t, 60*time.Second, "notifications", func() bool { return len(cb.Received()) >= total })
			eventstest.WaitFor(t, 10*time.Second, "cascade done", func() bool {
				st, err := s.GetCascadeState(ctx, a.ID)
				return err == nil && st.Done
			})
			time.Sleep(200 * time.Millisecond) // room for a duplicate to show up
			got := cb.Received()
			if len(got) != total || cb.Requests() != total {
				t.Fatalf("%d notifications in %d requests, want %d", len(got), cb.Requests(), total)
			}
			users := map[string]map[string]string{}
			for _, n := range got {
				if n.Method != "DELETE" || n.User != a.ClientID || n.Password != a.ClientSecret || n.ContentType != "application/json" {
					t.Fatalf("request: %+v", n)
				}
				if _, err := time.Parse(time.RFC3339, n.Body["timestamp"]); err != nil || n.Body["client_id"] != a.ClientID || len(n.Body) != 4 {
					t.Fatalf("body: %v", n.Body)
				}
				users[n.Body["user_id"]] = n.Body
			}
			if len(users) != total {
				t.Errorf("%d distinct users notified, want %d", len(users), total)
			}
			for _, tk := range toks {
				if b := users[tk.User]; b == nil || b["company_id"] != tk.Company {
					t.Errorf("user %s: got %v", tk.User, b)
				}
				lk, err := s.IntrospectToken(ctx, tk.Refresh, a.ClientID, a.ID, tk.Company, tk.User)
				if err != nil || lk.Installation != nil || lk.App != nil {
					t.Errorf("token of %s not dead: %+v, %v", tk.User, lk, err)
				}
			}
			if n := eventstest.PartitionSize(t, db, s.Table(), a.ID); n != 1 {
				t.Errorf("partition: %d items left, want the tombstone only", n)
			}
			st, _ := s.GetCascadeState(ctx, a.ID)
			if st.Round < c.wantMinRounds || st.Deleted < total {
				t.Errorf("cascade state: %+v", st)
			}
			counts := map[string]int{}
			for _, e := range rec.Events() {
				counts[e.Type]++
			}
			if counts[evs.TypeAppDeleted] != 1 || counts[evs.TypeInstallationDeleted] != total || counts[evs.TypeAppCreated] != 1 {
				t.Errorf("domain events: %v", counts)
			}
		})
	}
}

// TestPollerRetriesFailedRecords: a record reported failed is handed over
// again, with the records after it and not those before.
func TestPollerRetriesFailedRecords(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	db := dynamotest.Client(t)
	var mu sync.Mutex
	var calls [][]string
	failed := false
	h := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		var pks []string
		var resp events.DynamoDBEventResponse
		for _, r := range ev.Records {
			pk := r.Change.Keys["PK"].String()
			pks = append(pks, pk)
			if pk == "K2" && !failed {
				failed = true
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			}
		}
		calls = append(calls, pks)
		return resp, nil
	}
	// Written before the poller starts: one GetRecords returns them all.
	for i := range 4 {
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "K" + strconv.Itoa(i)}, "SK": &types.AttributeValueMemberS{Value: "x"},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	startPoller(t, s, h)
	eventstest.WaitFor(t, 10*time.Second, "a retry", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(calls) >= 2
	})
	mu.Lock()
	defer mu.Unlock()
	if got := calls[0]; len(got) != 4 || got[0] != "K0" {
		t.Fatalf("first call: %v", got)
	}
	if got := calls[1]; len(got) != 2 || got[0] != "K2" || got[1] != "K3" {
		t.Fatalf("retry: got %v, want [K2 K3]", got)
	}
}
