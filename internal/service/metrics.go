package service

import (
	"context"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/metrics"
	"github.com/devhub-oss/devhub/internal/probe"
)

// countingProber is the prober of the use cases (hub.Prober): the go-live
// probe, POST …/callback-probe and the sweep all probe through it. It counts
// every result as a metric: ProbeSucceeded, or ProbeFailed with the
// failure's category (dns, connect, timeout, tls, status, redirect,
// not_allowed; never the URL or an address).
type countingProber struct {
	prober  *probe.Prober
	metrics *metrics.Emitter
}

func (p countingProber) CheckCallback(ctx context.Context, rawURL string) (devhub.CallbackHealth, time.Duration) {
	h, d, cat := p.prober.CheckCallbackCategory(ctx, rawURL)
	if h.OK {
		p.metrics.Count(ctx, metrics.ProbeSucceeded, 1)
	} else {
		p.metrics.Count(ctx, metrics.ProbeFailed, 1, "category", string(cat))
	}
	return h, d
}
