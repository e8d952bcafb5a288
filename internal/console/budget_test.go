package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/benchclock"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/hub"
)

// fullDashboard gives alice a full dashboard page of apps (the largest
// page), one of each status among them, and returns one public approved
// app with pending changes (the largest tab).
func fullDashboard(tb testing.TB, e *env) *devhub.App {
	tb.Helper()
	ctx := context.Background()
	var pub *devhub.App
	for i := range console.DashboardLimit {
		typ := devhub.AppPrivate
		if i%2 == 0 {
			typ = devhub.AppPublic
		}
		a := e.createApp(tb, alice, typ, fmt.Sprintf("A rather long app name number %03d", i))
		if i == 0 {
			pub = a
		}
	}
	// The first app: public, approved, published, with pending changes.
	l := devhub.ListingPatch{Summary: opt("Forecasts deals."), Description: opt("Forecasts which deals close."),
		IconURL: opt("https://cdn.example.com/i.png"), ImageURLs: devhub.Optional[[]string]{Set: true, Value: []string{"https://cdn.example.com/1.png"}},
		SupportURL: opt("https://example.com/s"), PrivacyPolicyURL: opt("https://example.com/p")}
	if _, err := e.hub.PatchApp(ctx, alice, pub.ID, devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: l}}, hub.IfMatch{}); err != nil {
		tb.Fatal(err)
	}
	for _, m := range []struct {
		who devhub.Identity
		m   devhub.Move
	}{{alice, devhub.MoveReview}, {reviewer, devhub.MoveApprove}, {alice, devhub.MovePublish}} {
		if _, err := e.hub.Move(ctx, m.who, pub.ID, m.m, hub.MoveInput{}); err != nil {
			tb.Fatal(m.m, err)
		}
	}
	scopes := []string{"base", "deals:read", "deals:full", "contacts:read", "activities:full"}
	if _, err := e.hub.PatchApp(ctx, alice, pub.ID, devhub.AppPatch{Scopes: devhub.Optional[[]string]{Set: true, Value: scopes}}, hub.IfMatch{}); err != nil {
		tb.Fatal(err)
	}
	a, err := e.hub.GetApp(ctx, alice, pub.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func opt(s string) devhub.Optional[string] { return devhub.Optional[string]{Set: true, Value: s} }

// TestBudgets: DynamoDB round trips per page (dashboard 1, an app tab ≤ 2)
// and HTML ≤ 40 KB per page, on the largest pages: a full dashboard, and
// the tabs of a published app with pending changes.
func TestBudgets(t *testing.T) {
	e := newEnv(t)
	a := fullDashboard(t, e)
	for _, c := range []struct {
		who   *devhub.Identity
		path  string
		trips int
	}{
		{&alice, "/hub", 1},
		{&alice, "/hub/apps/" + a.ID + "/basic-info", 1},
		{&alice, "/hub/apps/" + a.ID + "/oauth", 1},
		{&alice, "/hub/apps/" + a.ID + "/oauth?share=1", 2},
		{&alice, "/hub/apps/" + a.ID + "/extensions", 2},
		{&alice, "/hub/apps/" + a.ID + "/general-info", 1},
		{&alice, "/hub/apps/" + a.ID + "/review", 1},
		{&alice, "/hub/apps/" + a.ID + "/delete", 1},
		{&alice, "/hub/apps/" + a.ID + "/deliveries", 2}, // GetItem and Query together: one round trip of latency
		{&alice, "/hub/new/private", 0},
		{&reviewer, "/hub/review", 1},
	} {
		e.meter.Reset()
		r := e.get(t, c.who, c.path)
		mustStatus(t, r, http.StatusOK)
		if got := e.meter.Total(); got > c.trips {
			t.Errorf("%s: %d DynamoDB round trips %v, budget %d", c.path, got, e.meter.Calls(), c.trips)
		}
		if n := len(r.Body); n > 40_000 {
			t.Errorf("%s: %d bytes of HTML, budget 40 KB", c.path, n)
		}
		t.Logf("%-60s %2d round trips, %6d bytes", c.path, e.meter.Total(), len(r.Body))
	}
}

// BenchmarkPages measures the console's own CPU per page: the request
// through the whole handler (session, CSRF tokens, use case, templ render)
// minus the same number of bare SDK calls of the kind the page makes. CPU
// is that of the benchmark's thread, to which the goroutine is locked
// (internal/benchclock): DynamoDB Local's JVM on the other core does not
// count. Report: console-cpu-µs/op (budget 300 µs) and ddb-calls/op.
func BenchmarkPages(b *testing.B) {
	e := newEnv(b)
	a := fullDashboard(b, e)
	h := e.console.Handler(e.console.Routes())
	cookie := cookieOf(b, alice)
	db := dynamotest.Client(b, (&dynamo.Meter{}).Option)
	get := &dynamodb.GetItemInput{TableName: aws.String(e.store.Table()), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "APP#" + a.ID}, "SK": &types.AttributeValueMemberS{Value: "A"}}}
	query := &dynamodb.QueryInput{TableName: aws.String(e.store.Table()), IndexName: aws.String("GSI1"), ScanIndexForward: aws.Bool(false),
		Limit: aws.Int32(int32(console.DashboardLimit)), KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CO#" + alice.CompanyID}, ":p": &types.AttributeValueMemberS{Value: "APP#"}}}
	bareGet := func() error { _, err := db.GetItem(context.Background(), get); return err }
	bareQuery := func() error {
		out, err := db.Query(context.Background(), query)
		if err == nil && len(out.Items) != console.DashboardLimit {
			err = fmt.Errorf("bare query: %d items", len(out.Items))
		}
		return err
	}
	for _, c := range []struct {
		name, path string
		bare       func() error
	}{
		{"Dashboard", "/hub", bareQuery},
		{"BasicInfo", "/hub/apps/" + a.ID + "/basic-info", bareGet},
		{"OAuth", "/hub/apps/" + a.ID + "/oauth", bareGet},
		{"Review", "/hub/apps/" + a.ID + "/review", bareGet},
	} {
		b.Run(c.name, func(b *testing.B) {
			newRequest := func() (*httptest.ResponseRecorder, *http.Request) {
				req := httptest.NewRequest(http.MethodGet, c.path, nil)
				req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cookie})
				return httptest.NewRecorder(), req
			}
			for range 200 { // warm up DynamoDB Local, the pools and the verifier's cache
				w, req := newRequest()
				h.ServeHTTP(w, req)
				if w.Code != 200 || !strings.Contains(w.Body.String(), "</html>") {
					b.Fatalf("%s: %d", c.path, w.Code)
				}
				if err := c.bare(); err != nil {
					b.Fatal(err)
				}
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			e.meter.Reset()
			b.ResetTimer()
			var cpu, bareCPU time.Duration
			for range b.N {
				w, req := newRequest()
				start := benchclock.ThreadCPU()
				h.ServeHTTP(w, req)
				cpu += benchclock.ThreadCPU() - start
				b.StopTimer()
				start = benchclock.ThreadCPU()
				if err := c.bare(); err != nil {
					b.Fatal(err)
				}
				bareCPU += benchclock.ThreadCPU() - start
				b.StartTimer()
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(float64(e.meter.Total())/n, "ddb-calls/op")
			b.ReportMetric(float64(cpu-bareCPU)/n/1e3, "console-cpu-µs/op")
		})
	}
}
