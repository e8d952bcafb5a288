// Package events handles the table's DynamoDB stream: what must happen after
// a write, outside the request that made it.
//
//   - An app's tombstone (app_deleted INSERT) starts the uninstall cascade:
//     every item of the app's partition is deleted in bounded batches, a
//     round per invocation; a round that runs out of time re-arms the
//     tombstone (cascade_round + 1), and that MODIFY record starts the next.
//   - An installation's REMOVE (uninstall, refresh-token revocation, app
//     deletion: the cascade's own deletes) sends the app the uninstall
//     notification, DELETE <callback_url>, through the SSRF-guarded client,
//     retried on network errors and 5xx. Each notification is a delivery
//     item (internal/dynamo deliveries.go) written before the first attempt
//     and after each; when the retries are spent it is failed and goes to
//     the FailureSink (SQS) with all it takes to send it again, so it is
//     neither dropped nor allowed to block the shard.
//   - Every record of interest becomes a domain event (app.created,
//     app.status_changed, app.deleted, installation.created,
//     installation.deleted, extension.changed) for the Publisher
//     (EventBridge when EVENT_BUS_NAME is set).
//
// Delivery is at least once, so every effect is idempotent: a notification
// is the delivery whose id derives from the record's event id, created
// before sending, and one that is delivered or failed is not sent again; the cascade deletes what is still there and only
// the current round may re-arm; a domain event carries the record's event id
// for consumers to drop duplicates. A record whose effect failed is reported
// in batchItemFailures (ReportBatchItemFailures), so only it and the records
// after it are retried, and records left when the invocation runs out of
// time are reported the same way rather than cut off half-done.
//
// What it must not do: log or publish secrets (client secrets, tokens), call
// a callback URL with anything but the guarded client, or let one bad record
// fail the batch.
package events

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/metrics"
	"github.com/devhub-oss/devhub/internal/probe"
)

// Store is what the handler needs of the table. *dynamo.Store implements it.
type Store interface {
	// CascadeApp errors: ENOTFOUND (no tombstone), ECONFLICT (the app exists).
	CascadeApp(ctx context.Context, appID string, o dynamo.CascadeOptions) (dynamo.CascadeResult, error)
	// GetAppContact errors: ENOTFOUND (neither the app nor its tombstone).
	GetAppContact(ctx context.Context, appID string) (*dynamo.AppContact, error)
	// PutDelivery stores d as the version after readVersion (0: new).
	// Errors: ECONFLICT (it exists, or moved since read: the stored one is
	// returned with the error), ENOTFOUND (expired).
	PutDelivery(ctx context.Context, d *devhub.Delivery, readVersion int) (*devhub.Delivery, error)
}

var _ Store = (*dynamo.Store)(nil)

// Defaults of a Handler.
const (
	DefaultConcurrency = 16
	// DefaultReserve is the time before the invocation's deadline after which
	// no record is started and the cascade stops: a notification's worst
	// case (3 tries of at most 5 s, plus back-off) fits in it.
	DefaultReserve = 20 * time.Second
)

// Handler processes batches of stream records. Set Store, Notifier and
// Failures; the rest has defaults. It is safe for concurrent use.
type Handler struct {
	Store    Store
	Notifier *Notifier
	Failures FailureSink
	// Publisher receives domain events; nil publishes none.
	Publisher Publisher
	// Metrics counts deliveries delivered, retried and failed; nil counts none.
	Metrics *metrics.Emitter
	Logger  *slog.Logger
	// Concurrency bounds the notifications in flight.
	Concurrency int
	// Reserve: see DefaultReserve.
	Reserve time.Duration
	// CascadeMaxItems ends a cascade round after that many deletes even with
	// time left (0: only the deadline ends it). Tests use it to force rounds.
	CascadeMaxItems int
	// OwnedKeys is passed to the cascade (CascadeOptions.OwnedKeys).
	OwnedKeys func(item map[string]types.AttributeValue) []dynamo.Key
}

// Handle processes one batch: the Lambda handler of stream-events, and what
// the local runner's poller calls. It returns an error only when the batch
// cannot be looked at at all; a record's failure is reported in the response.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	logger := h.logger()
	reserve := h.Reserve
	if reserve <= 0 {
		reserve = DefaultReserve
	}
	var stopAt time.Time
	if d, ok := ctx.Deadline(); ok {
		stopAt = d.Add(-reserve)
	}
	conc := h.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	b := &batch{h: h, logger: logger, contacts: map[string]*contactEntry{}}
	results := make([]result, len(ev.Records))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range ev.Records {
		rec := &ev.Records[i]
		if !stopAt.IsZero() && time.Now().After(stopAt) || ctx.Err() != nil {
			// Out of time: the rest is retried by the next invocation.
			for j := i; j < len(ev.Records); j++ {
				results[j].err = errNotStarted
			}
			break
		}
		t := classify(rec)
		if t.kind == kindCascade {
			// In order, in this goroutine: rounds of one app must not overlap.
			results[i] = b.run(ctx, rec, t, stopAt)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = b.run(ctx, rec, t, stopAt)
		}()
	}
	wg.Wait()

	// Domain events of the records that succeeded, in record order.
	var evs []Event
	var owners []int
	for i := range results {
		if results[i].err == nil && results[i].event != nil {
			evs = append(evs, *results[i].event)
			owners = append(owners, i)
		}
	}
	if h.Publisher != nil && len(evs) > 0 {
		failed := h.Publisher.Publish(ctx, evs)
		for _, f := range failed {
			results[owners[f.Index]].err = fmt.Errorf("publish %s: %w", evs[f.Index].Type, f.Err)
		}
	}

	var resp events.DynamoDBEventResponse
	for i, r := range results {
		if r.err == nil {
			continue
		}
		rec := &ev.Records[i]
		if !errors.Is(r.err, errNotStarted) {
			logger.Error("stream record failed", slog.String("event_id", rec.EventID),
				slog.String("event_name", rec.EventName), slog.String("error", r.err.Error()))
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{
			ItemIdentifier: rec.Change.SequenceNumber,
		})
	}
	if n := len(resp.BatchItemFailures); n > 0 {
		logger.Warn("stream batch partly failed", slog.Int("records", len(ev.Records)), slog.Int("failed", n))
	}
	return resp, nil
}

var errNotStarted = errors.New("not started: the invocation is out of time")

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

type result struct {
	err   error
	event *Event
}

// batch is the state of one Handle call: the app contacts read so far, so
// that a cascade's many REMOVE records read their app once per batch.
type batch struct {
	h        *Handler
	logger   *slog.Logger
	mu       sync.Mutex
	contacts map[string]*contactEntry
}

type contactEntry struct {
	once sync.Once
	c    *dynamo.AppContact
	err  error
}

func (b *batch) contact(ctx context.Context, appID string) (*dynamo.AppContact, error) {
	b.mu.Lock()
	e, ok := b.contacts[appID]
	if !ok {
		e = &contactEntry{}
		b.contacts[appID] = e
	}
	b.mu.Unlock()
	e.once.Do(func() { e.c, e.err = b.h.Store.GetAppContact(ctx, appID) })
	if e.err != nil && devhub.ErrorCode(e.err) != devhub.ENOTFOUND {
		// A transient failure is not cached for the other records.
		b.mu.Lock()
		if b.contacts[appID] == e {
			delete(b.contacts, appID)
		}
		b.mu.Unlock()
	}
	return e.c, e.err
}

func (b *batch) run(ctx context.Context, rec *events.DynamoDBEventRecord, t task, stopAt time.Time) result {
	switch t.kind {
	case kindCascade:
		return result{event: t.event, err: b.cascade(ctx, t, stopAt)}
	case kindUninstall:
		return b.uninstall(ctx, rec, t)
	default:
		return result{event: t.event}
	}
}

func (b *batch) cascade(ctx context.Context, t task, stopAt time.Time) error {
	o := dynamo.CascadeOptions{Round: t.round, Deadline: stopAt, MaxItems: b.h.CascadeMaxItems, OwnedKeys: b.h.OwnedKeys}
	res, err := b.h.Store.CascadeApp(ctx, t.appID, o)
	switch devhub.ErrorCode(err) {
	case "":
		b.logger.Info("cascade round", slog.String("app_id", t.appID), slog.Int("round", t.round),
			slog.Int("deleted", res.Deleted), slog.Bool("done", res.Done), slog.Bool("rearmed", res.Rearmed))
		return nil
	case devhub.ENOTFOUND, devhub.ECONFLICT:
		// Nothing to act on (the tombstone expired), or never to act on:
		// retrying would block the shard for nothing.
		b.logger.Warn("cascade skipped", slog.String("app_id", t.appID), slog.String("error", err.Error()))
		return nil
	}
	return err
}

// Options is the stream handler's configuration. README.md documents the
// environment variables.
type Options struct {
	EventBusName      string   // EVENT_BUS_NAME: publish domain events there; empty: log them (debug)
	FailureQueueURL   string   // FAILURE_QUEUE_URL: failed notifications go there; empty: log them (error)
	NotifyMaxAttempts int      // NOTIFY_MAX_ATTEMPTS (default 3)
	NotifyConcurrency int      // NOTIFY_CONCURRENCY (default 16)
	ProbeAllowedHosts []string // PROBE_ALLOWED_HOSTS: local runs and tests only
}

// OptionsFromEnv reads Options.
func OptionsFromEnv() (Options, error) {
	o := Options{EventBusName: os.Getenv("EVENT_BUS_NAME"), FailureQueueURL: os.Getenv("FAILURE_QUEUE_URL")}
	for _, h := range strings.Split(os.Getenv("PROBE_ALLOWED_HOSTS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.ProbeAllowedHosts = append(o.ProbeAllowedHosts, h)
		}
	}
	for name, dst := range map[string]*int{"NOTIFY_MAX_ATTEMPTS": &o.NotifyMaxAttempts, "NOTIFY_CONCURRENCY": &o.NotifyConcurrency} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				return o, fmt.Errorf("%s: want an integer from 1 to 100, got %q", name, v)
			}
			*dst = n
		}
	}
	return o, nil
}

// New wires a Handler: the guarded notification client, EventBridge and SQS
// when configured, logging stand-ins otherwise. It does no I/O.
func New(store Store, o Options, logger *slog.Logger) (*Handler, error) {
	h := &Handler{
		Store: store,
		Notifier: &Notifier{Client: probe.New(probe.Options{
			AllowedHosts: o.ProbeAllowedHosts, IdleConnsPerHost: cmp.Or(o.NotifyConcurrency, DefaultConcurrency),
		}).Client(), MaxAttempts: o.NotifyMaxAttempts},
		Failures:    LogSink{Logger: logger},
		Publisher:   LogPublisher{Logger: logger},
		Logger:      logger,
		Concurrency: o.NotifyConcurrency,
		Metrics:     metrics.FromEnv(),
	}
	if o.EventBusName != "" {
		p, err := NewEventBridgePublisher(o.EventBusName)
		if err != nil {
			return nil, err
		}
		h.Publisher = p
	}
	if o.FailureQueueURL != "" {
		s, err := NewSQSSink(o.FailureQueueURL)
		if err != nil {
			return nil, err
		}
		h.Failures = s
	}
	return h, nil
}
