package events

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Domain event types (EventBridge detail-type). README.md documents each
// one's JSON schema.
const (
	TypeAppCreated          = "app.created"
	TypeAppStatusChanged    = "app.status_changed"
	TypeAppDeleted          = "app.deleted"
	TypeInstallationCreated = "installation.created"
	TypeInstallationDeleted = "installation.deleted"
	TypeExtensionChanged    = "extension.changed"
)

// Reasons an installation ended.
const (
	ReasonUninstalled = "uninstalled" // by its user, or by revoking its refresh token
	ReasonAppDeleted  = "app_deleted" // the app's deletion cascade
	ReasonExpired     = "expired"     // removed by the table's TTL: no notification
)

// Event is a domain event: the EventBridge detail. ID is the stream record's
// event id: at-least-once delivery can repeat an event, never with another id.
type Event struct {
	ID    string    `json:"id"`
	Type  string    `json:"type"`
	Time  time.Time `json:"time"`
	AppID string    `json:"app_id"`
	Data  any       `json:"data"`
}

// AppCreated is the data of app.created.
type AppCreated struct {
	AppType        string `json:"app_type"`
	Status         string `json:"status"`
	Name           string `json:"name"`
	ClientID       string `json:"client_id"`
	OwnerCompanyID string `json:"owner_company_id"`
}

// AppStatusChanged is the data of app.status_changed.
type AppStatusChanged struct {
	From           string `json:"from"`
	To             string `json:"to"`
	OwnerCompanyID string `json:"owner_company_id"`
}

// AppDeleted is the data of app.deleted.
type AppDeleted struct {
	ClientID       string `json:"client_id"`
	OwnerCompanyID string `json:"owner_company_id"`
	Reason         string `json:"reason"`
	DeletedBy      string `json:"deleted_by"`
	DeletedAt      string `json:"deleted_at"`
}

// InstallationCreated is the data of installation.created.
type InstallationCreated struct {
	InstallationID string   `json:"installation_id"`
	ClientID       string   `json:"client_id"`
	CompanyID      string   `json:"company_id"`
	UserID         string   `json:"user_id"`
	Scopes         []string `json:"scopes"`
}

// InstallationDeleted is the data of installation.deleted.
type InstallationDeleted struct {
	InstallationID string `json:"installation_id"`
	ClientID       string `json:"client_id"`
	CompanyID      string `json:"company_id"`
	UserID         string `json:"user_id"`
	Reason         string `json:"reason"`
}

// ExtensionChanged is the data of extension.changed.
type ExtensionChanged struct {
	ExtensionID   string `json:"extension_id"`
	ExtensionType string `json:"extension_type"`
	Change        string `json:"change"` // created, updated, deleted
	Version       int    `json:"version"`
}

// PublishFailure names an event that could not be published.
type PublishFailure struct {
	Index int // into the events passed to Publish
	Err   error
}

// Publisher sends domain events somewhere subscribers can hang automations
// on. Publish returns the events it could not send (after its own retries);
// their records are reported as failed, so the stream retries them.
type Publisher interface {
	Publish(ctx context.Context, evs []Event) []PublishFailure
}

// LogPublisher logs each event at debug level: the publisher when no bus is
// configured (and the local runner's).
type LogPublisher struct{ Logger *slog.Logger }

// Publish implements Publisher.
func (p LogPublisher) Publish(ctx context.Context, evs []Event) []PublishFailure {
	for _, e := range evs {
		p.Logger.LogAttrs(ctx, slog.LevelDebug, "domain event", slog.String("type", e.Type),
			slog.String("id", e.ID), slog.String("app_id", e.AppID))
	}
	return nil
}

// Recorder is a Publisher that keeps what it gets, for tests.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Publish implements Publisher.
func (r *Recorder) Publish(_ context.Context, evs []Event) []PublishFailure {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, evs...)
	return nil
}

// Events returns what was published so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}
