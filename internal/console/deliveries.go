package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// The Deliveries tab: the app's uninstall notifications of the last 30
// days, newest first, each with what its attempts got and a "Redeliver"
// button (GitHub App settings' "Recent deliveries"). A tab of its own, not
// a section of another: it is the app's history, not a setting, so it has
// no Save; it pages; and it is the same on private and public apps.
const tabDeliveries = "deliveries"

// DeliveriesLimit is the number of deliveries per page of the tab.
const DeliveriesLimit = 25

func (c *Console) deliveryRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/hub/apps/{app_id}/" + tabDeliveries, Handle: c.deliveriesTab},
		{Method: http.MethodPost, Pattern: "/hub/apps/{app_id}/" + tabDeliveries + "/{delivery_id}/redeliver", Handle: c.redeliver},
	}
}

// deliveriesPage is the tab: one page of deliveries and the next's cursor.
type deliveriesPage struct {
	*appPage
	Deliveries []*devhub.Delivery
	Cursor     string // this page's ("" for the first)
	Next       string
}

// deliveriesTab lists the deliveries: the app and the list in one round
// trip (hub.AppDeliveries).
func (c *Console) deliveriesTab(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	cursor := r.URL.Query().Get("cursor")
	a, page, err := c.hub.AppDeliveries(r.Context(), s.Identity, r.PathValue("app_id"), hub.PageRequest{Limit: DeliveriesLimit, Cursor: cursor})
	if err != nil {
		return err
	}
	p := &deliveriesPage{appPage: &appPage{view: c.view(s), App: a, Tab: tabDeliveries, Form: NewForm(nil), Now: c.now()},
		Deliveries: page.Items, Cursor: cursor, Next: page.NextCursor}
	renderPage(w, r, http.StatusOK, &Page{Title: TabDeliveries + " – " + a.Name, Session: s}, appShell(p.appPage, deliveriesTabBody(p)))
	return nil
}

// redeliver sends one delivery again and goes back to the page it was on.
func (c *Console) redeliver(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	appID := r.PathValue("app_id")
	d, err := c.hub.Redeliver(r.Context(), s.Identity, appID, r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	target := "/hub/apps/" + appID + "/" + tabDeliveries
	if cur := r.PostForm.Get("cursor"); cur != "" {
		target += "?cursor=" + url.QueryEscape(cur)
	}
	notice := "redelivered"
	if d.State != devhub.DeliveryDelivered {
		notice = "redeliver-failed"
	}
	return redirect(w, r, target+"#"+d.ID, notice)
}

// redeliverPath is the action of d's Redeliver button.
func (p *deliveriesPage) redeliverPath(d *devhub.Delivery) string {
	return p.Path(tabDeliveries + "/" + d.ID + "/redeliver")
}

// lastAnswer is what d's last attempt got: the status code, or the error.
func lastAnswer(d *devhub.Delivery) string {
	switch {
	case d.LastStatusCode > 0:
		return "HTTP " + strconv.Itoa(d.LastStatusCode)
	case d.LastError != "":
		return d.LastError
	case d.Attempts == 0:
		return "Not sent yet"
	}
	return ""
}

func deliveryState(d *devhub.Delivery) string {
	if w, ok := deliveryWords[d.State]; ok {
		return w
	}
	return string(d.State)
}
