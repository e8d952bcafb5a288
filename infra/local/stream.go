package main

import (
	"cmp"
	"context"
	"log/slog"
	"os"

	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/streamlocal"
)

// startStream feeds the table's stream in DynamoDB Local to the handler the
// stream-events Lambda runs (cascades, uninstall notifications, domain
// events), until ctx ends; done closes once the poller has stopped. Domain
// events are logged at debug level (LOG_LEVEL=DEBUG shows them) unless
// EVENT_BUS_NAME names a real bus; failed notifications are logged. The
// stream position is kept in positionFile, so a restart does not hand old
// records over again.
func startStream(ctx context.Context, store *dynamo.Store, positionFile string, sample *sampleApp, logger *slog.Logger) (done <-chan struct{}, err error) {
	o, err := events.OptionsFromEnv()
	if err != nil {
		return nil, err
	}
	h, err := events.New(store, o, logger)
	if err != nil {
		return nil, err
	}
	// The notifier may reach the sample app too (its CA, its host:port).
	po := sample.proberOptions(o.ProbeAllowedHosts)
	po.IdleConnsPerHost = cmp.Or(o.NotifyConcurrency, events.DefaultConcurrency)
	h.Notifier = &events.Notifier{Client: probe.New(po).Client(), MaxAttempts: o.NotifyMaxAttempts}
	p := &streamlocal.Poller{
		Client: streamlocal.NewClient(os.Getenv("DYNAMODB_ENDPOINT")), Table: store.Table(),
		Handler: h.Handle, Logger: logger, PositionFile: positionFile,
		Filter: events.Matches, // the event source mapping's FilterCriteria
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := p.Run(ctx); err != nil && ctx.Err() == nil {
			logger.Error("stream poller stopped", slog.String("error", err.Error()))
		}
	}()
	return stopped, nil
}
