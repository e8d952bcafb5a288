package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/devhub-oss/devhub/internal/metrics"
)

// TestCountEMF: a count is one line of the embedded metric format: the
// _aws directive names the namespace, no dimension and the metric, whose
// value is a top-level member; properties and the Lambda request id ride
// along.
func TestCountEMF(t *testing.T) {
	var buf bytes.Buffer
	e := metrics.New(&buf, "devhub-test")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	e.Count(ctx, metrics.Installs, 1, "app_id", "app_1", metrics.Installs, "not a value")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines: %q", len(lines), buf.String())
	}
	var got struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Installs  int    `json:"Installs"`
		AppID     string `json:"app_id"`
		RequestID string `json:"lambda_request_id"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	d := got.AWS.CloudWatchMetrics
	if got.AWS.Timestamp == 0 || len(d) != 1 || d[0].Namespace != "devhub-test" ||
		len(d[0].Dimensions) != 1 || len(d[0].Dimensions[0]) != 0 ||
		len(d[0].Metrics) != 1 || d[0].Metrics[0] != (struct{ Name, Unit string }{"Installs", "Count"}) {
		t.Errorf("directive: %s", lines[0])
	}
	if got.Installs != 1 || got.AppID != "app_1" || got.RequestID != "lambda-req-1" {
		t.Errorf("values: %s", lines[0])
	}
}

// TestCountOff: no namespace, a nil emitter or a zero count write nothing.
func TestCountOff(t *testing.T) {
	var buf bytes.Buffer
	metrics.New(&buf, "").Count(context.Background(), metrics.Installs, 1)
	metrics.New(&buf, "ns").Count(context.Background(), metrics.Installs, 0)
	var nilEmitter *metrics.Emitter
	nilEmitter.Count(context.Background(), metrics.Installs, 1)
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

// TestCountConcurrent: lines written at once stay whole lines.
func TestCountConcurrent(t *testing.T) {
	var buf bytes.Buffer
	e := metrics.New(&buf, "ns")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.Count(context.Background(), metrics.Uninstalls, 1, "app_id", strings.Repeat("x", 300))
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("got %d lines", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("not one JSON object: %q", l)
		}
	}
}
