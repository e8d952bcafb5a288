package hub

import (
	"context"
	"regexp"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// DeliveryStore is what the delivery use cases need of the store.
type DeliveryStore interface {
	// ListDeliveries returns a page of the deliveries of companyID's app,
	// newest first. Errors: EMALFORMED (bad cursor).
	ListDeliveries(ctx context.Context, companyID, appID, cursor string, limit int) (devhub.Page[*devhub.Delivery], error)
	// GetDelivery errors: ENOTFOUND.
	GetDelivery(ctx context.Context, companyID, appID, id string) (*devhub.Delivery, error)
	// PutDelivery stores d as the version after readVersion. Errors:
	// ECONFLICT (moved since read: the stored one is returned with it),
	// ENOTFOUND (expired).
	PutDelivery(ctx context.Context, d *devhub.Delivery, readVersion int) (*devhub.Delivery, error)
}

// DeliverySender sends an app one uninstall notification, d's body with
// timestamp at, with the app's current callback URL and credentials, through
// the SSRF-guarded client (internal/notify). It never fails: the result
// says what the app answered, or why nothing did.
type DeliverySender interface {
	SendDelivery(ctx context.Context, app *devhub.App, d *devhub.Delivery, at time.Time) devhub.AttemptResult
}

var deliveryIDPattern = regexp.MustCompile(`^dlv_[0-9a-v]{26}$`)

// ListDeliveries returns a page of the uninstall notifications of one of
// the caller's company's apps (the last 30 days), newest first: one Query,
// and a GetItem only when the first page is empty, to tell an app without
// deliveries from one that is not the caller's. Errors: EFORBIDDEN,
// ENOTFOUND, EMALFORMED (bad cursor).
func (h *Hub) ListDeliveries(ctx context.Context, id devhub.Identity, appID string, page PageRequest) (devhub.Page[*devhub.Delivery], error) {
	var none devhub.Page[*devhub.Delivery]
	if err := id.CanDevelop(); err != nil {
		return none, err
	}
	if !appIDPattern.MatchString(appID) {
		return none, errNoApp(appID)
	}
	p, err := h.Deliveries.ListDeliveries(ctx, id.CompanyID, appID, page.Cursor, page.limit())
	if err != nil {
		return none, err
	}
	if len(p.Items) == 0 && page.Cursor == "" {
		if _, err := h.ownApp(ctx, id, appID); err != nil {
			return none, err
		}
	}
	return p, nil
}

// Redeliver sends one of the app's deliveries again, whatever its state:
// the same body with a fresh timestamp, one attempt, recorded on the
// delivery (delivered, or failed: a redelivery is not retried). It returns
// the delivery as recorded. One GetItem of the app (its current callback
// and credentials), one of the delivery, the send, and one conditional put
// (again when a stream attempt moved the delivery meanwhile).
//
// A retried request sends again: sending again is what it asks for. It
// takes no Idempotency-Key, unlike the other POSTs, on purpose: the
// notification states a fact (this installation ended) that an app applies
// idempotently, so a second one changes nothing; and since the send comes
// before any write, a remembered key could not stop two racing first tries
// from both sending — only a reservation write before the send could, one
// more round trip for a duplicate that is harmless.
// Errors: EFORBIDDEN, ENOTFOUND (the app, or the delivery).
func (h *Hub) Redeliver(ctx context.Context, id devhub.Identity, appID, deliveryID string) (*devhub.Delivery, error) {
	a, err := h.ownApp(ctx, id, appID)
	if err != nil {
		return nil, err
	}
	if !deliveryIDPattern.MatchString(deliveryID) {
		return nil, devhub.Errorf(devhub.ENOTFOUND, "Delivery %q was not found.", truncate(deliveryID, 64))
	}
	d, err := h.Deliveries.GetDelivery(ctx, id.CompanyID, appID, deliveryID)
	if err != nil {
		return nil, err
	}
	r := h.Notifier.SendDelivery(ctx, a, d, h.Now())
	cur := d
	for range 3 {
		stored, err := h.Deliveries.PutDelivery(ctx, cur.WithAttempt(r, time.Time{}), cur.Version)
		if devhub.ErrorCode(err) != devhub.ECONFLICT {
			return stored, err
		}
		cur = stored // a stream attempt landed meanwhile: record ours on top
	}
	return nil, devhub.Errorf(devhub.ECONFLICT, "Delivery %q keeps changing; try again.", deliveryID)
}
