package events_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/metrics"
)

type recordingPublisher struct{ got []events.Event }

func (r *recordingPublisher) Publish(_ context.Context, evs []events.Event) []events.PublishFailure {
	r.got = append(r.got, evs...)
	return nil
}

// TestMetricsPublisher: installs and uninstalls are counted from the domain
// events, expiries are not uninstalls, and every event still reaches the
// next publisher.
func TestMetricsPublisher(t *testing.T) {
	var buf bytes.Buffer
	next := &recordingPublisher{}
	p := events.MetricsPublisher{Next: next, Metrics: metrics.New(&buf, "devhub/test")}
	evs := []events.Event{
		{Type: events.TypeInstallationCreated, AppID: "app_1"},
		{Type: events.TypeInstallationDeleted, AppID: "app_1", Data: events.InstallationDeleted{}},
		{Type: events.TypeInstallationDeleted, AppID: "app_1", Data: events.InstallationDeleted{Reason: events.ReasonExpired}},
		{Type: events.TypeAppCreated, AppID: "app_2"},
		{Type: events.TypeInstallationCreated, AppID: "app_2"},
	}
	if f := p.Publish(context.Background(), evs); f != nil {
		t.Fatal(f)
	}
	if len(next.got) != len(evs) {
		t.Errorf("next publisher got %d events, want %d", len(next.got), len(evs))
	}
	out := buf.String()
	if n := strings.Count(out, `"Installs":1`); n != 2 {
		t.Errorf("%d install lines, want 2:\n%s", n, out)
	}
	if n := strings.Count(out, `"Uninstalls":1`); n != 1 {
		t.Errorf("%d uninstall lines, want 1:\n%s", n, out)
	}
}
