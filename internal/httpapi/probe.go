package httpapi

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/probe"
)

// Prober checks that a callback URL reaches a working public server
// (internal/probe). Tests inject one allowed to reach loopback servers.
type Prober interface {
	Probe(ctx context.Context, rawURL string) probe.Result
}

// checkCallback probes rawURL and returns the result as an app stores it
// (callback_health), with the raw result for its latency.
func (s *Server) checkCallback(ctx context.Context, rawURL string) (devhub.CallbackHealth, probe.Result) {
	r := s.Prober.Probe(ctx, rawURL)
	return devhub.CallbackHealth{OK: r.OK, StatusCode: r.StatusCode, CheckedAt: r.CheckedAt.UTC(), Error: r.Error}, r
}
