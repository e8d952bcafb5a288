// Package notify sends one uninstall notification to an app's server:
// DELETE <callback_url> with Basic client_id:client_secret and the JSON body
// of api.md, through the SSRF-guarded client. The stream handler
// (internal/events) and the redelivery use case (internal/hub) both send
// through it; each decides for itself what to do with the result.
//
// It must not retry (callers count attempts), follow the app's answer, or
// log anything: it returns what happened.
package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// UserAgent identifies the notification to the app's server.
const UserAgent = "devhub-uninstall-notifier/1"

// maxAnswerBytes of an answer are read, so that the connection can be
// reused; the answer itself is ignored.
const maxAnswerBytes = 4 << 10

// Uninstall is the body of an uninstall notification.
type Uninstall struct {
	ClientID  string `json:"client_id"`
	CompanyID string `json:"company_id"`
	UserID    string `json:"user_id"`
	Timestamp string `json:"timestamp"` // RFC 3339: when the installation ended (or when redelivered)
}

// Body returns the body of d's notification sent at ts.
func Body(d *devhub.Delivery, ts time.Time) Uninstall {
	return Uninstall{ClientID: d.ClientID, CompanyID: d.CompanyID, UserID: d.UserID, Timestamp: ts.UTC().Format(time.RFC3339)}
}

// Target is where a notification goes and the credentials it carries.
type Target struct {
	CallbackURL, ClientID, ClientSecret string
}

// Sender sends notifications. Client must be the SSRF-guarded client
// (probe.Prober.Client): the URL is the developer's. It keeps connections
// alive between notifications.
type Sender struct {
	Client *http.Client
	Now    func() time.Time
}

// Send makes one attempt. Any answer below 500 delivers it.
func (s *Sender) Send(ctx context.Context, t Target, body Uninstall) devhub.AttemptResult {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	raw, err := devhub.MarshalJSON(body)
	if err != nil {
		return devhub.AttemptResult{Err: "marshal notification: " + err.Error(), At: now()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, t.CallbackURL, bytes.NewReader(raw))
	if err != nil {
		return devhub.AttemptResult{Err: "bad callback URL", At: now()}
	}
	req.SetBasicAuth(t.ClientID, t.ClientSecret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	resp, err := s.Client.Do(req)
	if err != nil {
		return devhub.AttemptResult{Err: err.Error(), At: now()}
	}
	// Read a little and close: a drained body returns the connection to the
	// pool for the next notification.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
	resp.Body.Close()
	return devhub.AttemptResult{Status: resp.StatusCode, At: now()}
}

// SendDelivery sends d's notification with timestamp at to app's callback
// URL with its current credentials (hub.DeliverySender).
func (s *Sender) SendDelivery(ctx context.Context, app *devhub.App, d *devhub.Delivery, at time.Time) devhub.AttemptResult {
	return s.Send(ctx, Target{CallbackURL: app.CallbackURL, ClientID: app.ClientID, ClientSecret: app.ClientSecret}, Body(d, at))
}
