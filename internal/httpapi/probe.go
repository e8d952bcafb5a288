package httpapi

import (
	"context"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// checkCallback probes rawURL and returns the result as an app stores it
// (callback_health), with its latency.
func (s *Server) checkCallback(ctx context.Context, rawURL string) (devhub.CallbackHealth, time.Duration) {
	return s.Hub.Prober.CheckCallback(ctx, rawURL)
}
