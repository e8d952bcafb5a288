package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// Uninstall is the body of an uninstall notification.
type Uninstall struct {
	ClientID  string `json:"client_id"`
	CompanyID string `json:"company_id"`
	UserID    string `json:"user_id"`
	Timestamp string `json:"timestamp"` // RFC 3339: when the installation ended
}

// Defaults of a Notifier.
const (
	DefaultMaxAttempts = 3
	DefaultBaseDelay   = 250 * time.Millisecond
	// NotifyUserAgent identifies the notification to the app's server.
	NotifyUserAgent = "devhub-uninstall-notifier/1"
	// maxAnswerBytes of an answer are read, so that the connection can be
	// reused; the answer itself is ignored.
	maxAnswerBytes = 4 << 10
)

// Notifier sends uninstall notifications.
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

// errRetriesSpent wraps the last error of a notification that was never
// answered below 500.
var errRetriesSpent = errors.New("retries spent")

// Notify sends DELETE callbackURL with Basic client_id:client_secret and msg
// as JSON. Any answer below 500 settles it (the answer is ignored); network
// errors and 5xx are retried with exponential back-off. It returns the
// number of attempts made, and an error wrapping errRetriesSpent when none
// succeeded.
func (n *Notifier) Notify(ctx context.Context, c *dynamo.AppContact, msg Uninstall) (int, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("marshal notification: %w", err)
	}
	attempts := n.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	base := n.BaseDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	var last error
	for i := 1; i <= attempts; i++ {
		if i > 1 {
			window := base << (i - 2)
			t := time.NewTimer(rand.N(window) + window/4)
			select {
			case <-ctx.Done():
				t.Stop()
				return i - 1, fmt.Errorf("notify %s: %w", c.AppID, ctx.Err())
			case <-t.C:
			}
		}
		status, err := n.send(ctx, c, body)
		if err == nil && status < 500 {
			return i, nil
		}
		if err != nil {
			last = err
		} else {
			last = fmt.Errorf("answered %d", status)
		}
		if ctx.Err() != nil {
			return i, fmt.Errorf("notify %s: %w", c.AppID, ctx.Err())
		}
	}
	return attempts, fmt.Errorf("notify %s: %w after %d attempts: %w", c.AppID, errRetriesSpent, attempts, last)
}

func (n *Notifier) send(ctx context.Context, c *dynamo.AppContact, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("bad callback URL: %w", err)
	}
	req.SetBasicAuth(c.ClientID, c.ClientSecret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", NotifyUserAgent)
	resp, err := n.Client.Do(req)
	if err != nil {
		return 0, err
	}
	// Read a little and close: a drained body returns the connection to
	// the pool for the next notification.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// FailedNotification is a notification whose retries were spent, as the
// failure queue receives it. It carries no secret: whoever replays it reads
// the app's credentials again.
type FailedNotification struct {
	Kind           string `json:"kind"` // "uninstall_notification"
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
		slog.String("installation_id", f.InstallationID), slog.String("event_id", f.EventID),
		slog.Int("attempts", f.Attempts), slog.String("error", f.Error))
	return nil
}

// uninstall notifies the app of an ended installation, once per record.
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
	outcome, err := b.h.Store.Delivered(ctx, rec.EventID)
	if err != nil {
		res.err = err
		return res
	}
	if outcome != "" {
		return res // a redelivery: settled before
	}
	msg := Uninstall{ClientID: t.inst.ClientID, CompanyID: t.inst.CompanyID, UserID: t.inst.UserID,
		Timestamp: res.event.Time.Format(time.RFC3339)}
	failed := FailedNotification{Kind: "uninstall_notification", EventID: rec.EventID, AppID: t.appID,
		InstallationID: t.inst.ID, ClientID: msg.ClientID, CompanyID: msg.CompanyID, UserID: msg.UserID,
		Timestamp: msg.Timestamp}
	outcome = OutcomeNotified
	if c == nil {
		// Neither the app nor its tombstone: there is nowhere to send it.
		failed.Error = "the app and its deletion record are gone"
		outcome = OutcomeDeadLettered
	} else {
		if msg.ClientID == "" {
			msg.ClientID = c.ClientID
			failed.ClientID = c.ClientID
		}
		attempts, err := b.h.Notifier.Notify(ctx, c, msg)
		switch {
		case errors.Is(err, errRetriesSpent):
			failed.CallbackURL, failed.Attempts, failed.Error = c.CallbackURL, attempts, err.Error()
			outcome = OutcomeDeadLettered
		case err != nil:
			res.err = err // cancelled: retried with the record
			return res
		}
	}
	if outcome == OutcomeDeadLettered {
		if err := b.h.Failures.Send(ctx, failed); err != nil {
			// Not kept anywhere yet: the record fails and is retried (and
			// after the stream's retries, lands in the OnFailure queue).
			res.err = fmt.Errorf("send failed notification to the failure queue: %w", err)
			return res
		}
	}
	if _, err := b.h.Store.MarkDelivered(ctx, rec.EventID, outcome); err != nil {
		// It was delivered; a redelivery could repeat it, which at-least-once
		// allows. Failing the record would repeat it for sure.
		b.logger.Warn("delivery marker not written", slog.String("event_id", rec.EventID), slog.String("error", err.Error()))
	}
	return res
}
