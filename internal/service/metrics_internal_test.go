package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/metrics"
	"github.com/devhub-oss/devhub/internal/testprobe"
)

// TestProbeMetrics: every probe through the use cases' prober is one EMF
// line, ProbeSucceeded or ProbeFailed with its category and nothing of the
// URL.
func TestProbeMetrics(t *testing.T) {
	ok := testprobe.NewServer(t, http.StatusOK, 0)
	down := testprobe.NewServer(t, http.StatusServiceUnavailable, 0)
	var buf bytes.Buffer
	p := countingProber{prober: testprobe.New(t, ok, down), metrics: metrics.New(&buf, "devhub/test")}
	ctx := context.Background()
	if h, _ := p.CheckCallback(ctx, ok.URL+"/callback"); !h.OK {
		t.Fatalf("probe of a healthy callback: %+v", h)
	}
	if h, _ := p.CheckCallback(ctx, down.URL+"/callback"); h.OK {
		t.Fatalf("probe of a 503: %+v", h)
	}
	p.CheckCallback(ctx, "https://10.1.2.3/callback") // not allowed: private
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if strings.Contains(l, "127.0.0.1") || strings.Contains(l, "10.1.2.3") {
			t.Errorf("a metric line names an address: %s", l)
		}
		switch {
		case m[metrics.ProbeSucceeded] == 1.0:
			got = append(got, "ok")
		case m[metrics.ProbeFailed] == 1.0:
			got = append(got, "failed:"+m["category"].(string))
		}
	}
	if want := []string{"ok", "failed:status", "failed:not_allowed"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("metrics %v, want %v", got, want)
	}
}
