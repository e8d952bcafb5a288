// Package metrics writes business metrics as CloudWatch embedded metric
// format (EMF) log lines: one JSON object per line on the function's
// stdout, which CloudWatch Logs turns into metrics. That costs no API call,
// no permission beyond writing logs, and no dependency.
//
// Every metric is a count without dimensions, in the namespace that
// METRICS_NAMESPACE names (the template sets the stack name, so two stacks
// in one account do not mix); the alarms of template.yaml read them there.
// A line also carries properties (not dimensions: they would multiply the
// metrics) such as the Lambda request id and an app id, so that a metric's
// spike leads to its log lines.
//
// An Emitter with no namespace (the local runner unless METRICS_NAMESPACE is
// set, and tests) writes nothing, and a nil *Emitter is valid: callers need
// no check.
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"

	"github.com/devhub-oss/devhub/internal/lambdalog"
)

// Names of the metrics devhub emits. README "Operating devhub" explains
// each; keep the two in step.
const (
	Installs            = "Installs"            // an installation was granted (consent given)
	Uninstalls          = "Uninstalls"          // an installation was removed (any cause)
	ProbeSucceeded      = "ProbeSucceeded"      // a callback probe answered as required
	ProbeFailed         = "ProbeFailed"         // a callback probe failed
	DeliveriesDelivered = "DeliveriesDelivered" // an uninstall notification was delivered
	DeliveriesRetried   = "DeliveriesRetried"   // a delivery attempt failed and will be retried
	DeliveriesFailed    = "DeliveriesFailed"    // a delivery's retries are spent (also on the failure queue)
)

// Emitter writes EMF lines to one writer. It is safe for concurrent use.
type Emitter struct {
	namespace string
	now       func() time.Time

	mu sync.Mutex
	w  io.Writer
}

// New returns an Emitter writing to w in namespace; an empty namespace
// writes nothing.
func New(w io.Writer, namespace string) *Emitter {
	return &Emitter{namespace: namespace, w: w, now: time.Now}
}

// FromEnv returns the Emitter of a function: stdout, METRICS_NAMESPACE.
func FromEnv() *Emitter { return New(os.Stdout, os.Getenv("METRICS_NAMESPACE")) }

// Count adds n to metric. props become properties of the line (string
// values only); the Lambda request id (lambdalog.RequestID), when there is
// one, is added as lambda_request_id.
func (e *Emitter) Count(ctx context.Context, metric string, n int, props ...string) {
	if e == nil || e.namespace == "" || n == 0 {
		return
	}
	line := map[string]any{
		"_aws": emfMeta{
			Timestamp: e.now().UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  e.namespace,
				Dimensions: [][]string{{}},
				Metrics:    []emfMetric{{Name: metric, Unit: "Count"}},
			}},
		},
		metric: n,
	}
	for i := 0; i+1 < len(props); i += 2 {
		if _, taken := line[props[i]]; !taken {
			line[props[i]] = props[i+1]
		}
	}
	if id := lambdalog.RequestID(ctx); id != "" {
		line[lambdalog.Key] = id
	}
	b, err := json.Marshal(line)
	if err != nil {
		return // a map of strings and numbers always marshals
	}
	b = append(b, '\n')
	e.mu.Lock()
	_, _ = e.w.Write(b) // one Write per line: lines never interleave
	e.mu.Unlock()
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}
