package events

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/streamlocal"
	"gopkg.in/yaml.v3"
)

// TestFilterCriteriaInTemplate: the event source mapping filters with
// FilterPatterns, no more, no less.
func TestFilterCriteriaInTemplate(t *testing.T) {
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				FilterCriteria struct {
					Filters []struct {
						Pattern string `yaml:"Pattern"`
					} `yaml:"Filters"`
				} `yaml:"FilterCriteria"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	mappings := 0
	for _, r := range doc.Resources {
		if r.Type != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		mappings++
		for _, f := range r.Properties.FilterCriteria.Filters {
			got = append(got, canonical(t, f.Pattern))
		}
	}
	if mappings != 1 || len(got) != len(FilterPatterns) {
		t.Fatalf("%d mappings with %d filters, want 1 with %d", mappings, len(got), len(FilterPatterns))
	}
	for i, p := range FilterPatterns {
		if got[i] != canonical(t, p) {
			t.Errorf("filter %d: template has %s, want %s", i, got[i], p)
		}
	}
}

func canonical(t *testing.T, s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("pattern %s: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// recorder keeps every record the poller handed over.
type recorder struct {
	mu   sync.Mutex
	recs []events.DynamoDBEventRecord
}

func (r *recorder) wrap(h *Handler) streamlocal.Handler {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		r.mu.Lock()
		r.recs = append(r.recs, ev.Records...)
		r.mu.Unlock()
		return h.Handle(ctx, ev)
	}
}

type streamEnv struct {
	store  *dynamo.Store
	db     *dynamodb.Client
	cb     *eventstest.Callback
	poller *streamlocal.Poller
	rec    *recorder
}

func startStream(t *testing.T, filter func(events.DynamoDBEventRecord) bool, maxItems int) *streamEnv {
	t.Helper()
	e := &streamEnv{store: dynamotest.MustOpenStore(t), db: dynamotest.Client(t), cb: eventstest.NewCallback(t), rec: &recorder{}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &Handler{Store: e.store, Logger: quiet, Failures: LogSink{Logger: quiet}, CascadeMaxItems: maxItems,
		Notifier: &Notifier{Client: probe.New(probe.Options{AllowedHosts: []string{e.cb.HostPort()}, IdleConnsPerHost: DefaultConcurrency}).Client()}}
	e.poller = &streamlocal.Poller{Client: streamlocal.NewClient(dynamotest.Endpoint(t)), Table: e.store.Table(), Logger: quiet,
		PollInterval: 20 * time.Millisecond, InvocationTimeout: 60 * time.Second, Filter: filter, Handler: e.rec.wrap(h)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.poller.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func (e *streamEnv) settled(t *testing.T, a *devhub.App, n int) {
	t.Helper()
	states := map[devhub.DeliveryState]int{}
	defer func() {
		if t.Failed() {
			t.Logf("deliveries: %v", states)
		}
	}()
	eventstest.WaitFor(t, 120*time.Second, strconv.Itoa(n)+" deliveries delivered", func() bool {
		cursor, got := "", 0
		clear(states)
		for {
			p, err := e.store.ListDeliveries(context.Background(), a.OwnerCompanyID, a.ID, cursor, 100)
			if err != nil {
				return false
			}
			for _, d := range p.Items {
				states[d.State]++
				got++
			}
			if states[devhub.DeliveryDelivered] != got {
				return false
			}
			if cursor = p.NextCursor; cursor == "" {
				return got >= n
			}
		}
	})
	// The stream is quiet: the last deliveries' own records passed too.
	last, still := -1, time.Now()
	eventstest.WaitFor(t, 30*time.Second, "a quiet stream", func() bool {
		e.rec.mu.Lock()
		n := len(e.rec.recs)
		e.rec.mu.Unlock()
		if n != last {
			last, still = n, time.Now()
		}
		return time.Since(still) > time.Second
	})
}

// TestFilterKeepsWhatTheHandlerActsOn runs a workload through the real
// stream unfiltered (app and extension writes, installs, uninstalls with
// their deliveries, a cascade over several rounds) and checks every record:
// what classify acts on passes the filter; the bookkeeping does not.
func TestFilterKeepsWhatTheHandlerActsOn(t *testing.T) {
	e := startStream(t, nil, 10)
	ctx := context.Background()
	a := eventstest.NewApp(t, e.store, e.cb.URL())
	eventstest.PutExtensionItems(t, e.db, e.store.Table(), a, 2)
	next := *a
	next.Name, next.Version, next.UpdatedAt = "Renamed", a.Version+1, time.Now()
	if err := e.store.UpdateApp(ctx, &next, a.Version); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		eventstest.Install(t, e.store, &next, "rc"+strconv.Itoa(i), "ru"+strconv.Itoa(i))
	}
	eventstest.BulkInstall(t, e.db, e.store.Table(), &next, 20)
	// One uninstall on its own, then the app's deletion ends the rest.
	if _, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(e.store.Table()),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "APP#" + a.ID},
			"SK": &types.AttributeValueMemberS{Value: "INST#co0#u0"}}}); err != nil {
		t.Fatal(err)
	}
	e.settled(t, a, 1)
	if err := e.store.DeleteApp(ctx, &next, "Filter test", "dev1"); err != nil {
		t.Fatal(err)
	}
	e.settled(t, a, 23)

	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	kept, dropped := map[string]int{}, map[string]int{}
	for i := range e.rec.recs {
		r := &e.rec.recs[i]
		img := image(r.Change.NewImage)
		if r.EventName == "REMOVE" {
			img = image(r.Change.OldImage)
		}
		what := r.EventName + " " + img.str("type")
		tk := classify(r)
		acts := tk.kind != kindNone || tk.event != nil
		switch m := Matches(*r); {
		case acts && !m:
			t.Errorf("the filter drops a record the handler acts on: %s %v", what, r.Change.Keys)
		case m:
			kept[what]++
		default:
			dropped[what]++
		}
	}
	for _, what := range []string{"INSERT delivery", "MODIFY delivery", "INSERT client", "INSERT access_token", "MODIFY app_deleted"} {
		if dropped[what] == 0 || kept[what] != 0 {
			t.Errorf("%s: %d dropped, %d kept; want all dropped", what, dropped[what], kept[what])
		}
	}
	t.Logf("kept %v", kept)
	t.Logf("dropped %v", dropped)
}

// TestStreamInvocations measures what the filter saves: invocations of the
// handler (the poller batches like the event source mapping, 100 records)
// for one uninstall at a time, and for the uninstall notifications of an
// app's deletion (200; DEVHUB_STREAM_N sets it), unfiltered and filtered.
func TestStreamInvocations(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 notifications through the stream, twice")
	}
	type run struct{ invocations, records int64 }
	measure := func(filter func(events.DynamoDBEventRecord) bool) (single, cascade run) {
		e := startStream(t, filter, 0)
		a := eventstest.NewApp(t, e.store, e.cb.URL())
		// DEVHUB_STREAM_N=1000 gives the figure of the README; the default
		// keeps make test short.
		const alone = 10
		n := 200
		if v, err := strconv.Atoi(os.Getenv("DEVHUB_STREAM_N")); err == nil && v > 0 {
			n = v
		}
		eventstest.BulkInstall(t, e.db, e.store.Table(), a, alone+n)
		time.Sleep(500 * time.Millisecond)
		base := e.poller.Invocations.Load()
		e.rec.mu.Lock()
		baseRecs := len(e.rec.recs)
		e.rec.mu.Unlock()
		for i := range alone {
			if _, err := e.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(e.store.Table()),
				Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "APP#" + a.ID},
					"SK": &types.AttributeValueMemberS{Value: "INST#co" + strconv.Itoa(i) + "#u" + strconv.Itoa(i)}}}); err != nil {
				t.Fatal(err)
			}
			e.settled(t, a, i+1)
		}
		e.rec.mu.Lock()
		single = run{e.poller.Invocations.Load() - base, int64(len(e.rec.recs) - baseRecs)}
		baseRecs = len(e.rec.recs)
		e.rec.mu.Unlock()
		base = e.poller.Invocations.Load()
		if err := e.store.DeleteApp(context.Background(), a, "Invocation count", "dev1"); err != nil {
			t.Fatal(err)
		}
		e.settled(t, a, alone+n)
		e.rec.mu.Lock()
		cascade = run{e.poller.Invocations.Load() - base, int64(len(e.rec.recs) - baseRecs)}
		e.rec.mu.Unlock()
		single.invocations, single.records = single.invocations*10/alone, single.records*10/alone // per 10 uninstalls
		return single, cascade
	}
	s0, c0 := measure(nil)
	s1, c1 := measure(Matches)
	t.Logf("10 uninstalls one at a time: %d invocations (%d records) unfiltered, %d (%d) filtered", s0.invocations, s0.records, s1.invocations, s1.records)
	t.Logf("app deleted with its installations: %d invocations (%d records) unfiltered, %d (%d) filtered", c0.invocations, c0.records, c1.invocations, c1.records)
	if s1.invocations >= s0.invocations || c1.records >= c0.records {
		t.Errorf("the filter saves nothing: %+v %+v → %+v %+v", s0, c0, s1, c1)
	}
}

func TestMatches(t *testing.T) {
	s := events.NewStringAttribute
	img := func(kv ...string) map[string]events.DynamoDBAttributeValue {
		m := map[string]events.DynamoDBAttributeValue{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = s(kv[i+1])
		}
		return m
	}
	rec := func(name string, keys, old, new map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
		return events.DynamoDBEventRecord{EventName: name, Change: events.DynamoDBStreamRecord{Keys: keys, OldImage: old, NewImage: new}}
	}
	tomb := img("PK", "APP#a", "SK", "DELETED", "type", "app_deleted")
	rearmed := img("PK", "APP#a", "SK", "DELETED", "type", "app_deleted")
	rearmed["cascade_round"] = events.NewNumberAttribute("2")
	done := img("PK", "APP#a", "SK", "DELETED", "type", "app_deleted", "cascade_done_at", "2026-12-01T00:00:00Z")
	appKeys, clientKeys := img("PK", "APP#a", "SK", "A"), img("PK", "CLIENT#c", "SK", "A")
	inst := img("PK", "APP#a", "SK", "INST#c#u", "type", "installation")
	dlv := img("PK", "DLV#co#a", "SK", "dlv_x", "type", "delivery")
	for _, c := range []struct {
		name string
		rec  events.DynamoDBEventRecord
		want bool
	}{
		{"TombstoneInsert", rec("INSERT", nil, nil, tomb), true},
		{"Rearm", rec("MODIFY", nil, tomb, rearmed), true},
		{"CascadeDone", rec("MODIFY", nil, rearmed, done), false},
		{"AppInsert", rec("INSERT", appKeys, nil, img("PK", "APP#a", "type", "app")), true},
		{"AppModify", rec("MODIFY", appKeys, img("type", "app"), img("type", "app")), true},
		{"AppRemove", rec("REMOVE", appKeys, img("type", "app"), nil), false},
		{"ClientCopy", rec("INSERT", clientKeys, nil, img("PK", "CLIENT#c", "type", "app")), false},
		{"InstallationInsert", rec("INSERT", nil, nil, inst), true},
		{"InstallationRenewed", rec("MODIFY", nil, inst, inst), false},
		{"InstallationRemoved", rec("REMOVE", nil, inst, nil), true},
		{"ExtensionRemoved", rec("REMOVE", nil, img("type", "extension"), nil), true},
		{"DeliveryWritten", rec("INSERT", nil, nil, dlv), false},
		{"DeliveryUpdated", rec("MODIFY", nil, dlv, dlv), false},
		{"Slot", rec("INSERT", nil, nil, img("type", "slot")), false},
	} {
		if got := Matches(c.rec); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
