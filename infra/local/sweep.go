package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/devhub-oss/devhub/internal/sweep"
)

// firstSweepDelay lets the runner come up (and DynamoDB Local warm up)
// before the first sweep.
const firstSweepDelay = 5 * time.Second

// startSweeps runs the callback sweep as the EventBridge schedule does on
// AWS: every PROBE_SWEEP_INTERVAL (default 15m, the schedule's rate; 0 turns
// it off), the first time shortly after start, each run bounded by the
// interval, until ctx ends. done is closed once it has stopped.
func startSweeps(ctx context.Context, store sweep.Store, prober sweep.Prober, logger *slog.Logger) (done <-chan struct{}, err error) {
	interval, err := time.ParseDuration(envOr("PROBE_SWEEP_INTERVAL", "15m"))
	if err != nil {
		return nil, fmt.Errorf("PROBE_SWEEP_INTERVAL: %w", err)
	}
	stopped := make(chan struct{})
	if interval <= 0 {
		close(stopped)
		return stopped, nil
	}
	sw := &sweep.Sweeper{Store: store, Prober: prober, Logger: logger,
		// Skip what was probed this period, not what the last run probed.
		MinAge:  interval * 2 / 3,
		Reserve: min(sweep.DefaultReserve, interval/2),
	}
	go func() {
		defer close(stopped)
		timer := time.NewTimer(min(firstSweepDelay, interval))
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			runCtx, cancel := context.WithTimeout(ctx, interval)
			_, _ = sw.Run(runCtx) // it logs its own line, errors included
			cancel()
			timer.Reset(interval)
		}
	}()
	return stopped, nil
}
