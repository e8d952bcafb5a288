package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// benchRequest measures one route through the whole handler stack (auth,
// routing, logging, JSON) against DynamoDB Local, and reports what the
// handler costs on its own: the time and heap allocations outside the SDK
// calls (the meter measures those around each call).
//
// Two runs: "time" and "allocs" (counting the SDK calls' allocations stops
// the world, which spoils time). Time is CPU time of the benchmark's own
// thread, to which the goroutine is locked: the handler runs there, the SDK
// call's share is subtracted with the same clock, and DynamoDB Local's JVM
// competing for the machine's two cores does not count against the handler.
func benchRequest(b *testing.B, method, path, body string) {
	e := newEnv(b)
	h := e.server.Handler(e.server.FunctionRoutes()["apps"])
	tok := "Bearer " + token(b, alice)
	path = strings.ReplaceAll(path, "{app_id}", e.createApp(b, alice, validApp()).ID)
	serve := func() {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 300 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	// Warm up DynamoDB Local's JIT and our lazy caches first.
	for range 300 {
		serve()
	}
	for _, allocs := range []bool{false, true} {
		name := map[bool]string{false: "time", true: "allocs"}[allocs]
		b.Run(name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			e.meter.Allocs, e.meter.Clock = allocs, threadCPU
			e.meter.Reset()
			startCPU := threadCPU()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				serve()
			}
			runtime.ReadMemStats(&after)
			inDDB, ddbAllocs := e.meter.Spent()
			n := float64(b.N)
			b.ReportMetric(float64(e.meter.Total())/n, "ddb-calls/op")
			if allocs {
				b.ReportMetric(float64(after.Mallocs-before.Mallocs-ddbAllocs)/n, "handler-allocs/op")
			} else {
				b.ReportMetric(float64(threadCPU()-startCPU-inDDB)/n/1e3, "handler-cpu-µs/op")
			}
		})
	}
}

func BenchmarkGetApp(b *testing.B) {
	benchRequest(b, http.MethodGet, "/v1/apps/{app_id}", "")
}

func BenchmarkListApps(b *testing.B) {
	benchRequest(b, http.MethodGet, "/v1/apps?limit=20", "")
}

func BenchmarkCreateApp(b *testing.B) {
	benchRequest(b, http.MethodPost, "/v1/apps", `{"type":"public","name":"Bench","callback_url":"https://example.com/cb"}`)
}

func BenchmarkPatchApp(b *testing.B) {
	benchRequest(b, http.MethodPatch, "/v1/apps/{app_id}", `{"name":"Renamed"}`)
}
