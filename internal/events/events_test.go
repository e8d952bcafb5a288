package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	evs "github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/probe"
)

// sink records failed notifications; err, when set, refuses them.
type sink struct {
	mu  sync.Mutex
	got []evs.FailedNotification
	err error
}

func (s *sink) Send(_ context.Context, f evs.FailedNotification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, f)
	return nil
}

func (s *sink) all() []evs.FailedNotification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]evs.FailedNotification(nil), s.got...)
}

type fixture struct {
	store *dynamo.Store
	cb    *eventstest.Callback
	rec   *evs.Recorder
	sink  *sink
	h     *evs.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: dynamotest.MustOpenStore(t), cb: eventstest.NewCallback(t), rec: &evs.Recorder{}, sink: &sink{}}
	f.h = &evs.Handler{
		Store: f.store,
		Notifier: &evs.Notifier{
			Client:    probe.New(probe.Options{AllowedHosts: []string{f.cb.HostPort()}}).Client(),
			BaseDelay: 5 * time.Millisecond,
		},
		Failures:  f.sink,
		Publisher: f.rec,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return f
}

// loadStreamEvent reads an infra/events fixture with its placeholders
// replaced by real values.
func loadStreamEvent(t *testing.T, name string, repl ...string) events.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile("../../infra/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal([]byte(strings.NewReplacer(repl...).Replace(string(raw))), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestStreamFixtures feeds the sam local invoke fixtures through the
// handler: the tombstone INSERT runs the cascade, the installation REMOVE
// notifies the app with the credentials kept on the tombstone, and
// redelivering both changes nothing.
func TestStreamFixtures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db := dynamotest.Client(t)
	a := eventstest.NewApp(t, f.store, f.cb.URL())
	for _, u := range []string{"u1", "u2", "u3"} {
		eventstest.Install(t, f.store, a, "co-"+u, u)
	}
	eventstest.PutExtensionItems(t, db, f.store.Table(), a, 2)
	if err := f.store.DeleteApp(ctx, a, "Replaced by a new app", "dev-user"); err != nil {
		t.Fatal(err)
	}
	repl := []string{"app_00000000000000000000000000", a.ID, "client_00000000000000000000000000", a.ClientID,
		"company-1", "co-u1", "user-1", "u1"}

	deleted := loadStreamEvent(t, "stream-events-app-deleted.json", repl...)
	removed := loadStreamEvent(t, "stream-events-installation-removed.json", repl...)
	for round := range 2 { // the second is a redelivery
		for _, ev := range []events.DynamoDBEvent{deleted, removed} {
			resp, err := f.h.Handle(ctx, ev)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("round %d: got %+v, %v", round, resp, err)
			}
		}
		if n := eventstest.PartitionSize(t, db, f.store.Table(), a.ID); n != 1 {
			t.Errorf("round %d: partition has %d items, want the tombstone only", round, n)
		}
		got := f.cb.Received()
		if len(got) != 1 {
			t.Fatalf("round %d: %d notifications, want 1", round, len(got))
		}
		n := got[0]
		want := map[string]string{"client_id": a.ClientID, "company_id": "co-u1", "user_id": "u1", "timestamp": "2026-11-23T13:15:12Z"}
		if n.Method != "DELETE" || n.User != a.ClientID || n.Password != a.ClientSecret || n.ContentType != "application/json" {
			t.Errorf("request: got %+v", n)
		}
		for k, v := range want {
			if n.Body[k] != v {
				t.Errorf("body %s: got %q, want %q", k, n.Body[k], v)
			}
		}
		if len(n.Body) != len(want) {
			t.Errorf("body: got %v", n.Body)
		}
	}
	got := f.rec.Events()
	if len(got) != 4 || got[0].Type != evs.TypeAppDeleted || got[1].Type != evs.TypeInstallationDeleted {
		t.Fatalf("events: got %+v", got)
	}
	if got[0].ID != got[2].ID {
		t.Errorf("a redelivered event must keep its id: %q, %q", got[0].ID, got[2].ID)
	}
	if d := got[0].Data.(evs.AppDeleted); d.Reason != "Replaced by a new app" || d.ClientID != a.ClientID {
		t.Errorf("app.deleted: got %+v", d)
	}
	if d := got[1].Data.(evs.InstallationDeleted); d.Reason != evs.ReasonAppDeleted || d.InstallationID != "inst_00000000000000000000000000" {
		t.Errorf("installation.deleted: got %+v", d)
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), a.ClientSecret) || strings.Contains(string(raw), "secret-placeholder") {
		t.Error("a domain event carries the client secret")
	}
}

// rec builds a stream record of an item given as string attributes.
func rec(id, name string, old, new map[string]string) events.DynamoDBEventRecord {
	img := func(m map[string]string) map[string]events.DynamoDBAttributeValue {
		if m == nil {
			return nil
		}
		out := map[string]events.DynamoDBAttributeValue{}
		for k, v := range m {
			if k == "version" || strings.HasPrefix(k, "cascade_round") {
				out[k] = events.NewNumberAttribute(v)
			} else {
				out[k] = events.NewStringAttribute(v)
			}
		}
		return out
	}
	return events.DynamoDBEventRecord{
		EventID: id, EventName: name, EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Unix(1795439712, 0)},
			NewImage:                    img(new), OldImage: img(old), SequenceNumber: "seq-" + id,
			StreamViewType: "NEW_AND_OLD_IMAGES",
		},
	}
}

func installation(appID, clientID, user string) map[string]string {
	return map[string]string{"PK": "APP#" + appID, "SK": "INST#c-" + user + "#" + user, "type": "installation",
		"id": "inst_" + user, "app_id": appID, "client_id": clientID, "company_id": "c-" + user, "user_id": user}
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()

	t.Run("RetriedOn5xx", func(t *testing.T) {
		f := newFixture(t)
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		f.cb.Status = func(n int) int {
			if n < 3 {
				return 503
			}
			return 204
		}
		resp, _ := f.h.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
			rec("e1", "REMOVE", installation(a.ID, a.ClientID, "u1"), nil)}})
		if len(resp.BatchItemFailures) != 0 || f.cb.Requests() != 3 || len(f.cb.Received()) != 1 || len(f.sink.all()) != 0 {
			t.Fatalf("got %+v, %d requests, %d sunk", resp, f.cb.Requests(), len(f.sink.all()))
		}
		if d := f.rec.Events()[0].Data.(evs.InstallationDeleted); d.Reason != evs.ReasonUninstalled {
			t.Errorf("reason: got %q", d.Reason)
		}
	})

	t.Run("SpentRetriesGoToFailureSinkOnce", func(t *testing.T) {
		f := newFixture(t)
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		f.cb.Status = func(int) int { return 500 }
		batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec("e1", "REMOVE", installation(a.ID, a.ClientID, "u1"), nil)}}
		for range 2 {
			resp, _ := f.h.Handle(ctx, batch)
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("the shard must not be blocked: %+v", resp)
			}
		}
		if f.cb.Requests() != evs.DefaultMaxAttempts {
			t.Errorf("requests: got %d, want %d", f.cb.Requests(), evs.DefaultMaxAttempts)
		}
		got := f.sink.all()
		if len(got) != 1 || got[0].Attempts != 3 || got[0].UserID != "u1" || got[0].EventID != "e1" || got[0].InstallationID != "inst_u1" {
			t.Fatalf("sunk: got %+v", got)
		}
		raw, _ := json.Marshal(got[0])
		if strings.Contains(string(raw), a.ClientSecret) {
			t.Error("the failure message carries the client secret")
		}
	})

	t.Run("ErrSinkDownFailsRecordOnly", func(t *testing.T) {
		f := newFixture(t)
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		f.cb.Status = func(n int) int {
			if n <= 3 {
				return 502 // only the first record's three tries fail
			}
			return 200
		}
		f.sink.err = errors.New("queue down")
		f.h.Concurrency = 1
		resp, _ := f.h.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
			rec("e1", "REMOVE", installation(a.ID, a.ClientID, "u1"), nil),
			rec("e2", "REMOVE", installation(a.ID, a.ClientID, "u2"), nil),
		}})
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "seq-e1" {
			t.Fatalf("got %+v", resp)
		}
		if len(f.cb.Received()) != 1 || f.cb.Received()[0].Body["user_id"] != "u2" {
			t.Errorf("received: %+v", f.cb.Received())
		}
	})

	t.Run("ErrPartialBatch", func(t *testing.T) {
		f := newFixture(t)
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		f.h.Store = failingStore{Store: f.store, failKey: "e2"}
		resp, _ := f.h.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
			rec("e1", "REMOVE", installation(a.ID, a.ClientID, "u1"), nil),
			rec("e2", "REMOVE", installation(a.ID, a.ClientID, "u2"), nil),
			rec("e3", "REMOVE", installation(a.ID, a.ClientID, "u3"), nil),
		}})
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "seq-e2" {
			t.Fatalf("got %+v", resp)
		}
		if len(f.cb.Received()) != 2 {
			t.Errorf("received %d, want 2", len(f.cb.Received()))
		}
		// The failed record's domain event is held back with it.
		for _, e := range f.rec.Events() {
			if e.ID == "e2" {
				t.Error("the failed record's event was published")
			}
		}
	})

	t.Run("ConnectionsReused", func(t *testing.T) {
		f := newFixture(t)
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		f.h.Concurrency = 1
		var recs []events.DynamoDBEventRecord
		for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
			recs = append(recs, rec("e"+u, "REMOVE", installation(a.ID, a.ClientID, u), nil))
		}
		if resp, _ := f.h.Handle(ctx, events.DynamoDBEvent{Records: recs}); len(resp.BatchItemFailures) != 0 {
			t.Fatal(resp)
		}
		if len(f.cb.Received()) != 5 || f.cb.Connections() != 1 {
			t.Errorf("%d notifications over %d connections, want 5 over 1", len(f.cb.Received()), f.cb.Connections())
		}
	})

	t.Run("ExpiredIsNotNotified", func(t *testing.T) {
		f := newFixture(t)
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		r := rec("e1", "REMOVE", installation(a.ID, a.ClientID, "u1"), nil)
		r.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
		if resp, _ := f.h.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{r}}); len(resp.BatchItemFailures) != 0 {
			t.Fatal(resp)
		}
		if f.cb.Requests() != 0 {
			t.Error("a TTL removal notified the app")
		}
		if e := f.rec.Events(); len(e) != 1 || e[0].Data.(evs.InstallationDeleted).Reason != evs.ReasonExpired {
			t.Errorf("events: %+v", e)
		}
	})

	t.Run("ErrOutOfTimeReportsTheRest", func(t *testing.T) {
		f := newFixture(t)
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		f.h.Reserve = time.Minute
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		resp, _ := f.h.Handle(dctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
			rec("e1", "REMOVE", installation(a.ID, a.ClientID, "u1"), nil),
			rec("e2", "REMOVE", installation(a.ID, a.ClientID, "u2"), nil),
		}})
		if len(resp.BatchItemFailures) != 2 || f.cb.Requests() != 0 {
			t.Fatalf("got %+v, %d requests", resp, f.cb.Requests())
		}
	})

	t.Run("ErrPrivateCallbackRefused", func(t *testing.T) {
		f := newFixture(t)
		// Not in AllowedHosts: the guarded client must refuse loopback.
		f.h.Notifier.Client = probe.New(probe.Options{}).Client()
		a := eventstest.NewApp(t, f.store, f.cb.URL())
		if resp, _ := f.h.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
			rec("e1", "REMOVE", installation(a.ID, a.ClientID, "u1"), nil)}}); len(resp.BatchItemFailures) != 0 {
			t.Fatal(resp)
		}
		if f.cb.Requests() != 0 || len(f.sink.all()) != 1 {
			t.Errorf("%d requests reached loopback, %d sunk", f.cb.Requests(), len(f.sink.all()))
		}
	})
}

// failingStore fails the delivery writes of one record.
type failingStore struct {
	*dynamo.Store
	failKey string
}

func (s failingStore) PutDelivery(ctx context.Context, d *devhub.Delivery, read int) (*devhub.Delivery, error) {
	if d.SourceID == s.failKey {
		return nil, devhub.Errorf(devhub.EUNAVAILABLE, "busy")
	}
	return s.Store.PutDelivery(ctx, d, read)
}

func TestDomainEvents(t *testing.T) {
	f := newFixture(t)
	app := map[string]string{"PK": "APP#a1", "SK": "A", "type": "app", "id": "a1", "app_type": "public", "status": "draft",
		"name": "N", "client_id": "cid", "client_secret": "s3cret", "owner_company_id": "c1"}
	moved := map[string]string{}
	for k, v := range app {
		moved[k] = v
	}
	moved["status"] = "review"
	renamed := map[string]string{}
	for k, v := range moved {
		renamed[k] = v
	}
	renamed["name"] = "M"
	client := map[string]string{"PK": "CLIENT#cid", "SK": "A", "type": "client", "id": "a1", "status": "draft"}
	ext := map[string]string{"PK": "APP#a1", "SK": "EXT#e1", "type": "extension", "id": "e1", "app_id": "a1", "ext_type": "json_panel", "version": "2"}
	inst := installation("a1", "cid", "u1")
	inst["scopes"] = ""
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		rec("r1", "INSERT", nil, app),
		rec("r2", "MODIFY", app, moved),
		rec("r3", "MODIFY", moved, renamed), // no status change: no event
		rec("r4", "INSERT", nil, client),    // the client copy: no event
		rec("r5", "MODIFY", ext, ext),
		rec("r6", "INSERT", nil, inst),
		rec("r7", "MODIFY", inst, inst), // a renewal: no event
		rec("r8", "REMOVE", ext, nil),
	}}
	resp, err := f.h.Handle(context.Background(), batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp, err)
	}
	got := f.rec.Events()
	var types []string
	for _, e := range got {
		types = append(types, e.ID+":"+e.Type)
	}
	want := "r1:app.created r2:app.status_changed r5:extension.changed r6:installation.created r8:extension.changed"
	if strings.Join(types, " ") != want {
		t.Fatalf("got %v, want %s", types, want)
	}
	if d := got[1].Data.(evs.AppStatusChanged); d.From != "draft" || d.To != "review" {
		t.Errorf("status_changed: %+v", d)
	}
	if d := got[2].Data.(evs.ExtensionChanged); d.Change != "updated" || d.ExtensionType != "json_panel" || d.Version != 2 {
		t.Errorf("extension.changed: %+v", d)
	}
	if d := got[4].Data.(evs.ExtensionChanged); d.Change != "deleted" {
		t.Errorf("extension.changed: %+v", d)
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), "s3cret") {
		t.Error("an event carries the client secret")
	}
	if got[0].AppID != "a1" || got[0].Time.IsZero() {
		t.Errorf("envelope: %+v", got[0])
	}
}
