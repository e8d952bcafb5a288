package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/notify"
	"github.com/devhub-oss/devhub/internal/probe"
)

type deliveryJSON struct {
	ID             string  `json:"id"`
	CompanyID      string  `json:"company_id"`
	State          string  `json:"state"`
	Attempts       int     `json:"attempts"`
	LastStatusCode *int    `json:"last_status_code"`
	LastError      *string `json:"last_error"`
	DeliveredAt    *string `json:"delivered_at"`
}

func TestDeliveries(t *testing.T) {
	e := newEnv(t)
	cb := eventstest.NewCallback(t)
	e.server.Hub.Deliveries = e.store
	e.server.Hub.Notifier = &notify.Sender{Client: probe.New(probe.Options{AllowedHosts: []string{cb.HostPort()}}).Client()}
	owner := devhub.Identity{UserID: "dev1", CompanyID: "c1", Sandbox: true} // eventstest.NewApp's
	a := eventstest.NewApp(t, e.store, cb.URL())
	quiet := eventstest.NewApp(t, e.store, cb.URL())
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	var ids []string
	for i, st := range []devhub.DeliveryState{devhub.DeliveryFailed, devhub.DeliveryDelivered, devhub.DeliveryDelivered} {
		d := &devhub.Delivery{ID: devhub.NewDeliveryID(t0.Add(time.Duration(i)*time.Minute), "ev"+string(rune('a'+i))),
			AppID: a.ID, OwnerCompanyID: "c1", InstallationID: "inst_1", ClientID: a.ClientID, CompanyID: "co9", UserID: "u9",
			Event: devhub.DeliveryEventUninstall, EndedAt: t0, State: st, Attempts: 3, LastStatusCode: 503, CreatedAt: t0}
		if _, err := e.store.PutDelivery(t.Context(), d, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	list := "/v1/apps/" + a.ID + "/deliveries"

	t.Run("ListNewestFirstInOneQuery", func(t *testing.T) {
		var page struct {
			Data       []deliveryJSON `json:"data"`
			NextCursor *string        `json:"next_cursor"`
		}
		e.meter.Reset()
		e.do(t, "GET", list+"?limit=2", &owner, nil).want(t, http.StatusOK).decode(t, &page)
		if calls := e.meter.Calls(); calls["Query"] != 1 || e.meter.Total() != 1 {
			t.Errorf("round trips: %v", calls)
		}
		if len(page.Data) != 2 || page.Data[0].ID != ids[2] || page.Data[1].ID != ids[1] || page.NextCursor == nil {
			t.Fatalf("page 1: %+v", page)
		}
		e.do(t, "GET", list+"?limit=2&cursor="+*page.NextCursor, &owner, nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].ID != ids[0] || page.Data[0].State != "failed" || page.NextCursor != nil {
			t.Fatalf("page 2: %+v", page)
		}
		e.do(t, "GET", "/v1/apps/"+quiet.ID+"/deliveries", &owner, nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Data) != 0 {
			t.Errorf("an app without deliveries: %+v", page)
		}
	})

	t.Run("ErrNotTheOwner", func(t *testing.T) {
		e.do(t, "GET", list, &alice, nil).want(t, http.StatusNotFound)
		e.do(t, "GET", "/v1/apps/"+quiet.ID+"/deliveries", &alice, nil).want(t, http.StatusNotFound)
		e.do(t, "GET", list, &customer, nil).want(t, http.StatusForbidden)
		e.do(t, "GET", "/v1/apps/app_nope/deliveries", &owner, nil).want(t, http.StatusNotFound)
		e.do(t, "GET", list+"?cursor=!!", &owner, nil).want(t, http.StatusBadRequest)
		e.do(t, "POST", list+"/"+ids[0]+"/redeliver", &alice, nil).want(t, http.StatusNotFound)
		if cb.Requests() != 0 {
			t.Error("another company's redelivery was sent")
		}
	})

	t.Run("RedeliverSendsTheSameBodyFreshTimestamp", func(t *testing.T) {
		var got deliveryJSON
		e.do(t, "POST", list+"/"+ids[0]+"/redeliver", &owner, nil).want(t, http.StatusOK).decode(t, &got)
		if got.State != "delivered" || got.Attempts != 4 || got.LastStatusCode == nil || *got.LastStatusCode != 200 ||
			got.LastError != nil || got.DeliveredAt == nil {
			t.Errorf("delivery: %+v", got)
		}
		r := cb.Received()
		if len(r) != 1 || r[0].Method != "DELETE" || r[0].User != a.ClientID || r[0].Password != a.ClientSecret ||
			r[0].Body["company_id"] != "co9" || r[0].Body["user_id"] != "u9" || r[0].Body["client_id"] != a.ClientID {
			t.Fatalf("received: %+v", r)
		}
		if ts, err := time.Parse(time.RFC3339, r[0].Body["timestamp"]); err != nil || time.Since(ts) > time.Minute {
			t.Errorf("timestamp %q is not fresh", r[0].Body["timestamp"])
		}
		stored, err := e.store.GetDelivery(t.Context(), "c1", a.ID, ids[0])
		if err != nil || stored.State != devhub.DeliveryDelivered || stored.Attempts != 4 {
			t.Errorf("stored: %+v, %v", stored, err)
		}
	})

	t.Run("RedeliverFailingIsFailed", func(t *testing.T) {
		cb.Status = func(int) int { return 502 }
		defer func() { cb.Status = nil }()
		var got deliveryJSON
		e.do(t, "POST", list+"/"+ids[1]+"/redeliver", &owner, `{}`).want(t, http.StatusOK).decode(t, &got)
		if got.State != "failed" || got.Attempts != 4 || *got.LastStatusCode != 502 || got.LastError == nil {
			t.Errorf("delivery: %+v", got)
		}
	})

	t.Run("ErrRedeliverUnknown", func(t *testing.T) {
		e.do(t, "POST", list+"/dlv_nope/redeliver", &owner, nil).want(t, http.StatusNotFound)
		e.do(t, "POST", list+"/"+devhub.NewDeliveryID(t0, "never")+"/redeliver", &owner, nil).want(t, http.StatusNotFound)
		e.do(t, "POST", "/v1/apps/"+quiet.ID+"/deliveries/"+ids[2]+"/redeliver", &owner, nil).want(t, http.StatusNotFound)
		e.do(t, "POST", list+"/"+ids[2]+"/redeliver", &owner, `{"x":1}`).want(t, http.StatusBadRequest)
	})
}
