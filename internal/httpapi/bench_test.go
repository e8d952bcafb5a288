package httpapi_test

import (
	"context"
	"github.com/devhub-oss/devhub/internal/benchclock"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

// benchRequest measures one route through the whole handler stack (auth,
// routing, logging, JSON) against DynamoDB Local.
//
// What the handler costs on its own is measured against a bare SDK call of
// the same kind (sdk, when given), made the same number of times: the CPU
// time and heap allocations of the request loop minus those of the SDK
// loop. CPU time is that of the benchmark's own thread, to which the
// goroutine is locked: the handler and the SDK call's own work run there,
// and DynamoDB Local's JVM competing for the machine's two cores does not
// count. (Wall time per op is what the standard ns/op column shows.)
func benchRequest(b *testing.B, method, path, body string, sdk func(b *testing.B, e *env, appID string) func() error) {
	e := newEnv(b)
	h := e.server.Handler(e.server.FunctionRoutes()["apps"])
	tok := "Bearer " + token(b, alice)
	appID := e.createApp(b, alice, validApp()).ID
	path = strings.ReplaceAll(path, "{app_id}", appID)
	// newRequest builds what the Lambda adapter or net/http hands the
	// handler; it is the harness's work, not the handler's, and is not timed.
	newRequest := func() (*httptest.ResponseRecorder, *http.Request) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return httptest.NewRecorder(), req
	}
	check := func(w *httptest.ResponseRecorder) {
		if w.Code >= 300 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	serve := func() {
		w, req := newRequest()
		h.ServeHTTP(w, req)
		check(w)
	}
	// Warm up DynamoDB Local's JIT and our lazy caches first.
	for range 300 {
		serve()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var call func() error
	if sdk != nil {
		call = sdk(b, e, appID)
	}
	e.meter.Reset()
	b.ResetTimer() // the set-up above must not count, nor steer b.N
	// Request and bare SDK call alternate, so that both see the same state
	// of the machine, the GC and DynamoDB Local.
	var cpu, sdkCPU time.Duration
	var allocs, sdkAllocs uint64
	for range b.N {
		w, req := newRequest()
		c, a := measure(func() { h.ServeHTTP(w, req) })
		check(w)
		cpu, allocs = cpu+c, allocs+a
		if call != nil {
			b.StopTimer()
			c, a = measure(func() {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			})
			sdkCPU, sdkAllocs = sdkCPU+c, sdkAllocs+a
			b.StartTimer()
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(e.meter.Total())/n, "ddb-calls/op")
	if call != nil {
		b.ReportMetric(float64(cpu-sdkCPU)/n/1e3, "handler-cpu-µs/op")
		b.ReportMetric((float64(allocs)-float64(sdkAllocs))/n, "handler-allocs/op")
	}
}

// measure runs f once and returns the thread CPU time and heap allocations
// it took.
func measure(f func()) (time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := benchclock.ThreadCPU()
	f()
	cpu := benchclock.ThreadCPU() - start
	runtime.ReadMemStats(&after)
	return cpu, after.Mallocs - before.Mallocs
}

// bareGetItem is the SDK call GET /v1/apps/{id} makes, made directly.
func bareGetItem(b *testing.B, e *env, appID string) func() error {
	db := dynamotest.Client(b, (&dynamo.Meter{}).Option) // metered like the server's client
	in := &dynamodb.GetItemInput{TableName: aws.String(e.store.Table()), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "APP#" + appID}, "SK": &types.AttributeValueMemberS{Value: "A"}}}
	for range 300 { // warm up this client's connection pool too
		if _, err := db.GetItem(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	return func() error {
		_, err := db.GetItem(context.Background(), in)
		return err
	}
}

func BenchmarkGetApp(b *testing.B) {
	benchRequest(b, http.MethodGet, "/v1/apps/{app_id}", "", bareGetItem)
}

func BenchmarkListApps(b *testing.B) {
	benchRequest(b, http.MethodGet, "/v1/apps?limit=20", "", nil)
}

func BenchmarkCreateApp(b *testing.B) {
	benchRequest(b, http.MethodPost, "/v1/apps", `{"type":"public","name":"Bench","callback_url":"https://example.com/cb"}`, nil)
}

func BenchmarkPatchApp(b *testing.B) {
	benchRequest(b, http.MethodPatch, "/v1/apps/{app_id}", `{"name":"Renamed"}`, nil)
}
