package probe

import (
	"context"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// CheckCallback probes rawURL as Probe does and returns the result as an
// app stores it (callback_health), with the time until the answer's headers
// (0 when there was none). It is what the use cases (internal/hub) and the
// sweep consume: their interfaces name only domain types.
func (p *Prober) CheckCallback(ctx context.Context, rawURL string) (devhub.CallbackHealth, time.Duration) {
	h, d, _ := p.CheckCallbackCategory(ctx, rawURL)
	return h, d
}

// CheckCallbackCategory is CheckCallback that also says why a probe failed
// (Result.Category), for the probe metrics.
func (p *Prober) CheckCallbackCategory(ctx context.Context, rawURL string) (devhub.CallbackHealth, time.Duration, Category) {
	r := p.Probe(ctx, rawURL)
	return devhub.CallbackHealth{OK: r.OK, StatusCode: r.StatusCode, CheckedAt: r.CheckedAt.UTC(), Error: r.Error}, r.Latency, r.Category
}
