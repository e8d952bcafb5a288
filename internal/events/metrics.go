package events

import (
	"context"

	"github.com/devhub-oss/devhub/internal/metrics"
)

// MetricsPublisher counts installs and uninstalls (internal/metrics) from
// the domain events it hands on to Next: every installation.created is an
// install, every installation.deleted but an expiry (ReasonExpired) an
// uninstall, whatever ended it (the user, a revocation, the app's deletion).
// The stream is delivered at least once, so a retried batch may count a
// record twice: the metrics are for trends and alarms, the events carry ids
// for exact counts.
type MetricsPublisher struct {
	Next    Publisher // nil: count only
	Metrics *metrics.Emitter
}

// Publish implements Publisher.
func (p MetricsPublisher) Publish(ctx context.Context, evs []Event) []PublishFailure {
	for _, e := range evs {
		switch e.Type {
		case TypeInstallationCreated:
			p.Metrics.Count(ctx, metrics.Installs, 1, "app_id", e.AppID)
		case TypeInstallationDeleted:
			if d, ok := e.Data.(InstallationDeleted); !ok || d.Reason != ReasonExpired {
				p.Metrics.Count(ctx, metrics.Uninstalls, 1, "app_id", e.AppID)
			}
		}
	}
	if p.Next == nil {
		return nil
	}
	return p.Next.Publish(ctx, evs)
}
