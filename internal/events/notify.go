package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/metrics"
	"github.com/devhub-oss/devhub/internal/notify"
)

// Uninstall is the body of an uninstall notification.
type Uninstall = notify.Uninstall

// Defaults of a Notifier.
const (
	DefaultMaxAttempts = 3
	DefaultBaseDelay   = 250 * time.Millisecond
	// NotifyUserAgent identifies the notification to the app's server.
	NotifyUserAgent = notify.UserAgent
)

// Notifier sends uninstall notifications and says when to try again.
type Notifier struct {
	// Client must be the SSRF-guarded client (probe.Prober.Client): the URL
	// is the developer's. It keeps connections alive between notifications.
	Client *http.Client
	// MaxAttempts per notification, the first included.
	MaxAttempts int
	// BaseDelay is the first back-off window; each retry doubles it (full
	// jitter).
	BaseDelay time.Duration
}

func (n *Notifier) maxAttempts() int {
	if n.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return n.MaxAttempts
}

// backoff is the wait after the attempts-th failed attempt.
func (n *Notifier) backoff(attempts int) time.Duration {
	base := n.BaseDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	window := base << min(attempts-1, 10)
	return rand.N(window) + window/4
}

func (n *Notifier) send(ctx context.Context, c *dynamo.AppContact, body Uninstall) devhub.AttemptResult {
	s := notify.Sender{Client: n.Client}
	return s.Send(ctx, notify.Target{CallbackURL: c.CallbackURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret}, body)
}

// FailedNotification is a notification whose retries were spent, as the
// failure queue receives it: everything needed to send it again (the body is
// client_id, company_id, user_id and timestamp), but no secret: whoever
// replays it reads the app's credentials again, or redelivers it through
// POST /v1/apps/{app_id}/deliveries/{delivery_id}/redeliver.
type FailedNotification struct {
	Kind           string `json:"kind"` // "uninstall_notification"
	DeliveryID     string `json:"delivery_id"`
	EventID        string `json:"event_id"`
	AppID          string `json:"app_id"`
	InstallationID string `json:"installation_id"`
	ClientID       string `json:"client_id"`
	CompanyID      string `json:"company_id"`
	UserID         string `json:"user_id"`
	Timestamp      string `json:"timestamp"`
	CallbackURL    string `json:"callback_url,omitempty"`
	Attempts       int    `json:"attempts"`
	Error          string `json:"error"`
}

// FailureSink keeps notifications that could not be delivered, for an
// operator to inspect or replay (the SQS failure queue on AWS).
type FailureSink interface {
	Send(ctx context.Context, f FailedNotification) error
}

// LogSink logs failed notifications at error level: the local runner's sink.
type LogSink struct{ Logger *slog.Logger }

// Send implements FailureSink.
func (s LogSink) Send(ctx context.Context, f FailedNotification) error {
	s.Logger.LogAttrs(ctx, slog.LevelError, "uninstall notification failed", slog.String("app_id", f.AppID),
		slog.String("delivery_id", f.DeliveryID), slog.String("installation_id", f.InstallationID),
		slog.String("event_id", f.EventID), slog.Int("attempts", f.Attempts), slog.String("error", f.Error))
	return nil
}

// uninstall notifies the app of an ended installation, once per record: the
// record's delivery item (same id for every redelivery of the record) is
// created first, and a delivery that is already delivered or failed is not
// sent again; one still pending or retrying resumes where it stopped.
func (b *batch) uninstall(ctx context.Context, rec *events.DynamoDBEventRecord, t task) result {
	res := result{event: t.event}
	setReason := func(r string) {
		if d, ok := res.event.Data.(InstallationDeleted); ok {
			d.Reason = r
			ev := *res.event
			ev.Data = d
			res.event = &ev
		}
	}
	c, err := b.contact(ctx, t.appID)
	switch {
	case devhub.ErrorCode(err) == devhub.ENOTFOUND:
		setReason(ReasonAppDeleted)
	case err != nil:
		res.err = err
		return res
	case c.Deleted:
		setReason(ReasonAppDeleted)
	default:
		setReason(ReasonUninstalled)
	}
	d := &devhub.Delivery{
		ID: devhub.NewDeliveryID(res.event.Time, rec.EventID), AppID: t.appID, InstallationID: t.inst.ID,
		ClientID: t.inst.ClientID, CompanyID: t.inst.CompanyID, UserID: t.inst.UserID,
		Event: devhub.DeliveryEventUninstall, EndedAt: res.event.Time, SourceID: rec.EventID,
		State: devhub.DeliveryPending, CreatedAt: time.Now().UTC(),
	}
	if c != nil {
		d.OwnerCompanyID = c.OwnerCompanyID
		if d.ClientID == "" {
			d.ClientID = c.ClientID
		}
	}
	cur, err := b.h.Store.PutDelivery(ctx, d, 0)
	switch devhub.ErrorCode(err) {
	case "", devhub.ECONFLICT: // created, or made by an earlier delivery of the record
	default:
		res.err = err
		return res
	}
	if !cur.Settled() {
		res.err = b.deliver(ctx, c, cur)
	}
	return res
}

// deliver makes the attempts that d has left, recording each, and sends the
// delivery to the failure sink when none is left. It returns an error when
// the record must be retried: cancelled, or a state it could not record.
func (b *batch) deliver(ctx context.Context, c *dynamo.AppContact, d *devhub.Delivery) error {
	n := b.h.Notifier
	max := n.maxAttempts()
	for {
		if c == nil {
			// Neither the app nor its tombstone: there is nowhere to send it.
			return b.fail(ctx, nil, d, func(cur devhub.Delivery) *devhub.Delivery {
				return cur.AsFailed("the app and its deletion record are gone")
			})
		}
		if d.Attempts >= max {
			// Spent by an earlier delivery of the record that could not
			// reach the failure sink.
			return b.fail(ctx, c, d, func(cur devhub.Delivery) *devhub.Delivery { return cur.AsFailed(cur.LastError) })
		}
		if wait := time.Until(d.NextAttemptAt); d.State == devhub.DeliveryRetrying && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("notify %s: %w", d.AppID, ctx.Err())
			case <-t.C:
			}
		}
		r := n.send(ctx, c, notify.Body(d, d.EndedAt))
		if ctx.Err() != nil {
			return fmt.Errorf("notify %s: %w", d.AppID, ctx.Err()) // not recorded: retried with the record
		}
		if !r.Delivered() && d.Attempts+1 >= max {
			return b.fail(ctx, c, d, func(cur devhub.Delivery) *devhub.Delivery { return cur.WithAttempt(r, time.Time{}) })
		}
		var nextAt time.Time
		if !r.Delivered() {
			nextAt = r.At.Add(n.backoff(d.Attempts + 1))
		}
		next, err := b.save(ctx, d, func(cur devhub.Delivery) *devhub.Delivery { return cur.WithAttempt(r, nextAt) })
		if err != nil {
			if r.Delivered() {
				// Sent: failing the record would send it again for sure.
				b.logger.Warn("delivery state not recorded", slog.String("delivery_id", d.ID), slog.String("error", err.Error()))
				return nil
			}
			return err
		}
		d = next
		if d.Settled() {
			if d.State != devhub.DeliveryDelivered {
				return nil // settled by a redelivery meanwhile
			}
			b.h.Metrics.Count(ctx, metrics.DeliveriesDelivered, 1, "app_id", d.AppID, "delivery_id", d.ID)
			return nil
		}
		b.h.Metrics.Count(ctx, metrics.DeliveriesRetried, 1, "app_id", d.AppID, "delivery_id", d.ID)
	}
}

// fail sends apply(d), d failed, to the failure sink, then records it: in
// that order, so that a delivery that is failed is also in the sink (a
// redelivered record may put it there twice; consumers drop duplicates by
// delivery_id).
func (b *batch) fail(ctx context.Context, c *dynamo.AppContact, d *devhub.Delivery, apply func(devhub.Delivery) *devhub.Delivery) error {
	last := apply(*d)
	f := FailedNotification{Kind: "uninstall_notification", DeliveryID: d.ID, EventID: d.SourceID, AppID: d.AppID,
		InstallationID: d.InstallationID, ClientID: d.ClientID, CompanyID: d.CompanyID, UserID: d.UserID,
		Timestamp: d.EndedAt.UTC().Format(time.RFC3339), Attempts: last.Attempts, Error: last.LastError}
	if c != nil {
		f.CallbackURL = c.CallbackURL
	}
	if err := b.h.Failures.Send(ctx, f); err != nil {
		// Not kept anywhere yet: the record fails and is retried (and after
		// the stream's retries, lands in the OnFailure queue).
		return fmt.Errorf("send failed notification to the failure queue: %w", err)
	}
	if _, err := b.save(ctx, d, apply); err != nil {
		return err
	}
	b.h.Metrics.Count(ctx, metrics.DeliveriesFailed, 1, "app_id", d.AppID, "delivery_id", d.ID)
	return nil
}

// save writes apply(d) over d; when another write moved d meanwhile (a
// redelivery through the API), it applies the change to what is stored now,
// unless that is settled already.
func (b *batch) save(ctx context.Context, d *devhub.Delivery, apply func(devhub.Delivery) *devhub.Delivery) (*devhub.Delivery, error) {
	cur := d
	for range 5 {
		stored, err := b.h.Store.PutDelivery(ctx, apply(*cur), cur.Version)
		if devhub.ErrorCode(err) != devhub.ECONFLICT {
			return stored, err
		}
		if stored.Settled() {
			return stored, nil
		}
		cur = stored
	}
	return nil, errors.New("save delivery " + d.ID + ": it keeps changing")
}
