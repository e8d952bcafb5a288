package faultproxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	evs "github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/faultproxy"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/oauth"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/service"
	"github.com/devhub-oss/devhub/internal/streamlocal"
)

var (
	secret = []byte("fault-secret-fault-secret-fault-secret-01")
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
	alice  = devhub.Identity{UserID: "alice", CompanyID: "acme", Sandbox: true}
)

// env is the whole API over a fault proxy in front of DynamoDB Local; the
// table is made and inspected directly, around the proxy.
type env struct {
	px     *faultproxy.Proxy
	direct *dynamodb.Client
	store  *dynamo.Store
	meter  *dynamo.Meter
	table  string
	api    *httptest.Server

	mu       sync.Mutex
	statuses map[int]int
	bad      []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{px: faultproxy.Start(dynamotest.Endpoint(t)), direct: dynamotest.Client(t), meter: &dynamo.Meter{},
		table: "test_" + devhub.NewID(""), statuses: map[int]int{}}
	t.Cleanup(e.px.Close)
	ctx := context.Background()
	if err := dynamo.EnsureTable(ctx, e.direct, e.table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = e.direct.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(e.table)})
	})
	cfg := service.Config{TableName: e.table, Endpoint: e.px.URL, JWTSecret: secret, IssuerURL: "http://127.0.0.1"}
	srv, store, err := service.NewServer(ctx, cfg, quiet, dynamo.WithAttemptTimeout(time.Second), e.meter.Option)
	if err != nil {
		t.Fatal(err)
	}
	srv.Hub.Schemas = jsonschema.New()
	srv.OAuth = oauth.New(oauth.Options{Store: store, Verifier: srv.Verifier, Issuer: cfg.IssuerURL,
		Secret: cfg.JWTSecret, Logger: quiet, RequestID: httpapi.RequestID})
	e.store = store
	var groups [][]httpapi.Route
	for _, g := range srv.FunctionRoutes() {
		groups = append(groups, g)
	}
	e.api = httptest.NewServer(srv.Handler(groups...))
	t.Cleanup(e.api.Close)
	return e
}

func token(t testing.TB, id devhub.Identity) string {
	tok, err := auth.IssueToken(secret, id, "", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request and checks the one rule every answer keeps: nothing
// at or above 500 but a 503 with Retry-After in the right error format.
func (e *env) do(t testing.TB, id *devhub.Identity, method, path, body string, hdr ...string) resp {
	req, err := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if id != nil {
		req.Header.Set("Authorization", "Bearer "+token(t, *id))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(hr.Body)
	hr.Body.Close()
	r := resp{hr.StatusCode, hr.Header, b}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.statuses[r.status]++
	switch {
	case r.status == http.StatusServiceUnavailable:
		ct, ra := r.header.Get("Content-Type"), r.header.Get("Retry-After")
		oauth := strings.HasPrefix(path, "/oauth/")
		if ra == "" || (oauth && (ct != "application/json" || !strings.Contains(string(b), `"temporarily_unavailable"`))) ||
			(!oauth && ct != "application/problem+json") {
			e.bad = append(e.bad, fmt.Sprintf("%s %s: 503 with %s, Retry-After %q: %s", method, path, ct, ra, b))
		}
	case r.status >= 500:
		e.bad = append(e.bad, fmt.Sprintf("%s %s: %d %s", method, path, r.status, b))
	}
	return r
}

// retry sends a request again while it answers 503, as a client honouring
// Retry-After would (without waiting the whole second).
func (e *env) retry(t testing.TB, id *devhub.Identity, method, path, body string, hdr ...string) resp {
	for i := 0; ; i++ {
		r := e.do(t, id, method, path, body, hdr...)
		if r.status != http.StatusServiceUnavailable || i == 20 {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) check(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.bad {
		t.Error(b)
	}
	faults, byOp := e.px.Counts()
	t.Logf("statuses %v; faults %v; by operation %v", e.statuses, faults, byOp)
}

// items reads a partition directly (no proxy).
func (e *env) items(t *testing.T, pk string) []map[string]types.AttributeValue {
	t.Helper()
	p := dynamodb.NewQueryPaginator(e.direct, &dynamodb.QueryInput{TableName: aws.String(e.table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}, ConsistentRead: aws.Bool(true)})
	var out []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
	}
	return out
}

func str(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(item map[string]types.AttributeValue, k string) int {
	if v, ok := item[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.Atoi(v.Value)
		return n
	}
	return -1
}

var mixed = faultproxy.Options{ResetBefore: 0.03, ResetAfter: 0.04, Truncate: 0.05, Delay: 0.02, DelayBy: 2 * time.Second, Seed: 7}

// TestAPIUnderStoreFaults: creates, racing extension creates for the last
// slots, racing PATCHes, lists, deletes and OAuth requests while one in
// seven store round trips is reset, cut short or held back. No answer is a
// 5xx but 503 (with Retry-After), and every invariant of the race tests
// holds: one app per Idempotency-Key, no more extensions than slots and the
// counters equal to them, one winner of racing PATCHes, no app without its
// client copy.
func TestAPIUnderStoreFaults(t *testing.T) {
	e := newEnv(t)
	e.px.Set(mixed)

	// Creates, each retried with its Idempotency-Key until it answers.
	const workers, perWorker = 6, 6
	var wg sync.WaitGroup
	ids := make(chan string, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				body := fmt.Sprintf(`{"type":"private","name":"Fault app %d-%d","callback_url":"https://example.com/cb","scopes":["deals:read"]}`, w, i)
				r := e.retry(t, &alice, "POST", "/v1/apps", body, "Idempotency-Key", fmt.Sprintf("k-%d-%d", w, i))
				var a struct{ ID string }
				if r.status != http.StatusCreated || json.Unmarshal(r.body, &a) != nil {
					t.Errorf("create: %d %s", r.status, r.body)
					continue
				}
				ids <- a.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	var apps []string
	for id := range ids {
		apps = append(apps, id)
	}
	companyApps := 0
	p := dynamodb.NewQueryPaginator(e.direct, &dynamodb.QueryInput{TableName: aws.String(e.table), IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CO#acme"}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		companyApps += len(page.Items)
	}
	if companyApps != workers*perWorker || len(apps) != workers*perWorker {
		t.Errorf("%d apps stored, %d created, want %d: one per Idempotency-Key", companyApps, len(apps), workers*perWorker)
	}

	// Racing creates for the three link actions of one view.
	target := apps[0]
	var won sync.Map
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"type":"link_action","name":"Open %d","url":"https://example.com/x","locations":["deal_details"]}`, i)
			r := e.retry(t, &alice, "POST", "/v1/apps/"+target+"/extensions", body, "Idempotency-Key", "ext-"+strconv.Itoa(i))
			switch r.status {
			case http.StatusCreated:
				won.Store(i, true)
			case http.StatusConflict:
			default:
				t.Errorf("racing extension create: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	winners := 0
	won.Range(func(any, any) bool { winners++; return true })
	exts, slots := 0, 0
	for _, it := range e.items(t, "APP#"+target) {
		switch str(it, "type") {
		case "extension":
			exts++
		case "slot":
			if strings.Contains(str(it, "SK"), "deal_details") {
				slots += num(it, "count")
			}
		}
	}
	if winners != 3 || exts != 3 || slots != 3 {
		t.Errorf("racing for 3 slots: %d winners, %d extensions, slot count %d", winners, exts, slots)
	}

	// Racing PATCHes with the same If-Match: at most one wins.
	patched := apps[1]
	var oks sync.Map
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(t, &alice, "PATCH", "/v1/apps/"+patched, fmt.Sprintf(`{"name":"Renamed %d"}`, i), "If-Match", `"1"`)
			switch r.status {
			case http.StatusOK:
				oks.Store(i, true)
			case http.StatusPreconditionFailed, http.StatusConflict, http.StatusServiceUnavailable:
			default:
				t.Errorf("racing patch: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	nOK := 0
	oks.Range(func(any, any) bool { nOK++; return true })
	app := e.items(t, "APP#"+patched)
	if nOK > 1 || len(app) != 1 || num(app[0], "version") > 2 || num(app[0], "version")-1 < nOK {
		t.Errorf("racing patches: %d won, version %d", nOK, num(app[0], "version"))
	}

	// Lists and reads while faults go on.
	for range 15 {
		e.do(t, &alice, "GET", "/v1/apps?limit=100", "")
		e.do(t, &alice, "GET", "/v1/apps/"+apps[2], "")
	}
	// OAuth: a wrong client secret is 401, or 503 in RFC 6749 form.
	var client struct {
		ClientID string `json:"client_id"`
	}
	_ = json.Unmarshal(e.retry(t, &alice, "GET", "/v1/apps/"+apps[3], "").body, &client)
	for range 10 {
		form := "grant_type=authorization_code&code=nope&redirect_uri=https://example.com/cb&client_id=" + client.ClientID + "&client_secret=wrong"
		r := e.do(t, nil, "POST", "/oauth/token", form, "Content-Type", "application/x-www-form-urlencoded")
		if r.status != http.StatusUnauthorized && r.status != http.StatusServiceUnavailable {
			t.Errorf("token with a wrong secret: %d %s", r.status, r.body)
		}
	}
	// Deletes, retried: 204, or 404 when a lost answer hid the first.
	for _, id := range apps[4:10] {
		r := e.retry(t, &alice, "DELETE", "/v1/apps/"+id, `{"reason":"Fault test cleanup"}`)
		if r.status != http.StatusNoContent && r.status != http.StatusNotFound {
			t.Errorf("delete: %d %s", r.status, r.body)
		}
	}
	e.px.Off()

	// No partial writes: every app has its client copy at the same version,
	// every deleted one has neither but its tombstone.
	deleted := map[string]bool{}
	for _, id := range apps[4:10] {
		deleted[id] = true
	}
	for _, id := range apps {
		items := e.items(t, "APP#"+id)
		var a, tomb map[string]types.AttributeValue
		for _, it := range items {
			switch str(it, "SK") {
			case "A":
				a = it
			case "DELETED":
				tomb = it
			}
		}
		if deleted[id] {
			if a != nil || tomb == nil {
				t.Errorf("deleted app %s: app item %v, tombstone %v", id, a != nil, tomb != nil)
			}
			continue
		}
		if a == nil {
			t.Errorf("app %s is gone", id)
			continue
		}
		cl := e.items(t, "CLIENT#"+str(a, "client_id"))
		if len(cl) != 1 || num(cl[0], "version") != num(a, "version") {
			t.Errorf("app %s at version %d, its client copy: %v", id, num(a, "version"), cl)
		}
	}
	e.check(t)
}

// TestRetriedOnlyWhereSafe pins what is retried: a truncated Query is read
// again (200); a put whose condition makes a retry safe recognises its own
// landed first try; an uninstall whose answer was lost is not retried (its
// condition would turn the success into a 404): 503, and it did happen.
func TestRetriedOnlyWhereSafe(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	t.Run("TruncatedQueryReadAgain", func(t *testing.T) {
		e.retry(t, &alice, "POST", "/v1/apps", `{"type":"private","name":"One","callback_url":"https://example.com/cb"}`)
		e.px.Set(faultproxy.Options{Ops: []string{"Query"}, Truncate: 1, Max: 1})
		e.meter.Reset()
		if r := e.do(t, &alice, "GET", "/v1/apps", ""); r.status != http.StatusOK || e.meter.Calls()["Query"] != 2 {
			t.Errorf("got %d after %v", r.status, e.meter.Calls())
		}
	})

	t.Run("SafePutRecognisesItsOwnWrite", func(t *testing.T) {
		e.px.Set(faultproxy.Options{Ops: []string{"PutItem"}, ResetAfter: 1, Max: 1})
		e.meter.Reset()
		d := &devhub.Delivery{ID: devhub.NewDeliveryID(time.Now(), "ev"), AppID: "a1", OwnerCompanyID: "acme", State: devhub.DeliveryPending, CreatedAt: time.Now()}
		got, err := e.store.PutDelivery(ctx, d, 0)
		if err != nil || got.Version != 1 || e.meter.Calls()["PutItem"] != 2 {
			t.Errorf("got %+v, %v after %v", got, err, e.meter.Calls())
		}
	})

	t.Run("UnsafeDeleteNotRetried", func(t *testing.T) {
		e.px.Off()
		a := eventstest.NewApp(t, e.store, "https://example.com/cb")
		eventstest.Install(t, e.store, a, "co-x", "u-x")
		user := devhub.Identity{UserID: "u-x", CompanyID: "co-x"}
		var list struct{ Data []struct{ ID string } }
		if err := json.Unmarshal(e.retry(t, &user, "GET", "/v1/installations", "").body, &list); err != nil || len(list.Data) != 1 {
			t.Fatalf("installations: %+v, %v", list, err)
		}
		e.px.Set(faultproxy.Options{Ops: []string{"DeleteItem"}, ResetAfter: 1, Max: 1})
		e.meter.Reset()
		r := e.do(t, &user, "DELETE", "/v1/installations/"+list.Data[0].ID, "")
		if r.status != http.StatusServiceUnavailable || e.meter.Calls()["DeleteItem"] != 1 {
			t.Errorf("got %d %s after %v", r.status, r.body, e.meter.Calls())
		}
		if r := e.do(t, &user, "DELETE", "/v1/installations/"+list.Data[0].ID, ""); r.status != http.StatusNotFound {
			t.Errorf("the uninstall did not happen: %d", r.status)
		}
	})
	e.check(t)
}

// TestStreamUnderStoreFaults: the local poller and the stream handler read
// and write through the fault proxy (GetRecords truncated too) while an app
// with 60 installations is deleted. Every notification is delivered once.
func TestStreamUnderStoreFaults(t *testing.T) {
	const n = 60
	e := newEnv(t)
	cb := eventstest.NewCallback(t)
	h := &evs.Handler{Store: e.store, Logger: quiet, Failures: evs.LogSink{Logger: quiet},
		Notifier: &evs.Notifier{Client: probe.New(probe.Options{AllowedHosts: []string{cb.HostPort()}}).Client(), BaseDelay: 10 * time.Millisecond}}
	pctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	poller := &streamlocal.Poller{Client: streamlocal.NewClient(e.px.URL), Table: e.table, Logger: quiet,
		PollInterval: 20 * time.Millisecond, InvocationTimeout: 30 * time.Second, MaxRetries: 20,
		Handler: func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			return h.Handle(ctx, ev)
		}}
	go func() { _ = poller.Run(pctx) }()

	a := eventstest.NewApp(t, e.store, cb.URL())
	eventstest.BulkInstall(t, e.direct, e.table, a, n)
	e.px.Set(faultproxy.Options{ResetBefore: 0.04, ResetAfter: 0.04, Truncate: 0.08, Delay: 0.02, DelayBy: 2 * time.Second, Seed: 3})
	owner := devhub.Identity{UserID: "dev1", CompanyID: "c1", Sandbox: true} // eventstest.NewApp's
	if r := e.retry(t, &owner, "DELETE", "/v1/apps/"+a.ID, `{"reason":"Stream fault test"}`); r.status != http.StatusNoContent {
		t.Logf("delete: %d (404: it landed behind a lost answer)", r.status)
	}
	eventstest.WaitFor(t, 90*time.Second, "every delivery delivered", func() bool {
		page, err := dynamo.New(e.direct, e.table).ListDeliveries(context.Background(), a.OwnerCompanyID, a.ID, "", 100)
		if err != nil || len(page.Items) < n {
			return false
		}
		for _, d := range page.Items {
			if d.State != devhub.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond)
	users := map[string]int{}
	for _, r := range cb.Received() {
		users[r.Body["user_id"]]++
	}
	for u, k := range users {
		if k != 1 {
			t.Errorf("%s notified %d times", u, k)
		}
	}
	if len(users) != n {
		t.Errorf("%d users notified, want %d", len(users), n)
	}
	e.check(t)
}
