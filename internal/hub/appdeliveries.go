package hub

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// AppDeliveries is one of the caller's apps with a page of its uninstall
// notifications, newest first: the console's Deliveries tab, which shows
// the app's header above the list. The GetItem of the app and the Query of
// its deliveries go out together (the Query is keyed by the caller's
// company, so it reads nothing of another company's): one round trip of
// latency, two calls, and no third call for an empty list (the app's own
// GetItem tells an app without deliveries from one that is not the
// caller's). Errors: EFORBIDDEN, ENOTFOUND, EMALFORMED (bad cursor).
func (h *Hub) AppDeliveries(ctx context.Context, id devhub.Identity, appID string, page PageRequest) (*devhub.App, devhub.Page[*devhub.Delivery], error) {
	var none devhub.Page[*devhub.Delivery]
	if err := id.CanDevelop(); err != nil {
		return nil, none, err
	}
	if !appIDPattern.MatchString(appID) {
		return nil, none, errNoApp(appID)
	}
	type listed struct {
		p   devhub.Page[*devhub.Delivery]
		err error
	}
	ch := make(chan listed, 1)
	go func() {
		p, err := h.Deliveries.ListDeliveries(ctx, id.CompanyID, appID, page.Cursor, page.limit())
		ch <- listed{p, err}
	}()
	a, err := h.ownApp(ctx, id, appID)
	l := <-ch
	if err != nil {
		return nil, none, err
	}
	if l.err != nil {
		return nil, none, l.err
	}
	return a, l.p, nil
}
