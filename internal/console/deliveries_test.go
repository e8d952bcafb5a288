package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/browsertest"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// putDeliveries writes one delivery of each state for a, oldest first, as
// the stream handler would have (internal/events), and returns them.
func putDeliveries(t *testing.T, e *env, a *devhub.App) []*devhub.Delivery {
	t.Helper()
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	var out []*devhub.Delivery
	for i, c := range []struct {
		state  devhub.DeliveryState
		status int
		err    string
	}{
		{devhub.DeliveryFailed, 503, ""},
		{devhub.DeliveryRetrying, 0, "dial tcp: connection refused"},
		{devhub.DeliveryDelivered, 204, ""},
		{devhub.DeliveryPending, 0, ""},
	} {
		at := t0.Add(time.Duration(i) * time.Minute)
		d := &devhub.Delivery{ID: devhub.NewDeliveryID(at, "ev"+string(rune('a'+i))), AppID: a.ID, OwnerCompanyID: a.OwnerCompanyID,
			InstallationID: "inst_1", ClientID: a.ClientID, CompanyID: "co-" + string(rune('a'+i)), UserID: "u9",
			Event: devhub.DeliveryEventUninstall, EndedAt: at, State: c.state, LastStatusCode: c.status, LastError: c.err, CreatedAt: at}
		if c.state != devhub.DeliveryPending {
			d.Attempts = 3
		}
		if c.state == devhub.DeliveryDelivered {
			d.DeliveredAt = at.Add(time.Second)
		}
		if c.state == devhub.DeliveryRetrying {
			d.NextAttemptAt = at.Add(time.Hour)
		}
		stored, err := e.store.PutDelivery(t.Context(), d, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, stored)
	}
	return out
}

func TestDeliveriesTab(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPrivate, "Deal forecaster")
	quiet := e.createApp(t, alice, devhub.AppPublic, "Quiet app")
	ds := putDeliveries(t, e, a)
	tab := "/hub/apps/" + a.ID + "/deliveries"

	t.Run("ListNewestFirstInOneRoundTrip", func(t *testing.T) {
		e.meter.Reset()
		r := e.get(t, &alice, tab)
		mustStatus(t, r, http.StatusOK)
		checkHeaders(t, r)
		// The app (for the header) and the list go out together: one
		// Query for the list, one GetItem for the app.
		if calls := e.meter.Calls(); calls["Query"] != 1 || e.meter.Total() != 2 {
			t.Errorf("DynamoDB calls %v, want 1 Query + 1 GetItem", calls)
		}
		mustContain(t, r, `aria-current="page">Deliveries</a>`, "<h1>Deal forecaster",
			">Failed<", ">Retrying<", ">Delivered<", ">Pending<", "HTTP 503", "HTTP 204", "dial tcp: connection refused",
			"Not sent yet", "Next attempt 30 Nov 2026 11:01 UTC", "30 Nov 2026 10:02 UTC", "co-a", "co-d", "Not delivered")
		// Newest first: pending (co-d) … failed (co-a).
		iD, iC, iB, iA := strings.Index(r.Body, `id="`+ds[3].ID), strings.Index(r.Body, `id="`+ds[2].ID), strings.Index(r.Body, `id="`+ds[1].ID), strings.Index(r.Body, `id="`+ds[0].ID)
		if !(iD >= 0 && iD < iC && iC < iB && iB < iA) {
			t.Errorf("not newest first: %d %d %d %d", iD, iC, iB, iA)
		}
		for _, d := range ds {
			mustContain(t, r, `action="/hub/apps/`+a.ID+`/deliveries/`+d.ID+`/redeliver"`)
		}
		if strings.Count(r.Body, `name="csrf_token"`) < len(ds) {
			t.Error("a Redeliver form without its CSRF token")
		}
	})

	t.Run("Empty", func(t *testing.T) {
		e.meter.Reset()
		r := e.get(t, &alice, "/hub/apps/"+quiet.ID+"/deliveries")
		mustStatus(t, r, http.StatusOK)
		mustContain(t, r, "No deliveries yet.")
		if e.meter.Total() != 2 {
			t.Errorf("DynamoDB calls %v, want 2", e.meter.Calls())
		}
	})

	t.Run("RedeliverSendsAgain", func(t *testing.T) {
		e.cb.Reset()
		path := tab + "/" + ds[0].ID + "/redeliver"
		r := e.post(t, &alice, path, nil)
		mustStatus(t, r, http.StatusSeeOther)
		if got, want := r.Header.Get("Location"), tab+"#"+ds[0].ID; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		if n := e.cb.Hits(); n != 1 {
			t.Fatalf("the callback got %d requests, want 1", n)
		}
		d, err := e.store.GetDelivery(t.Context(), a.OwnerCompanyID, a.ID, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != devhub.DeliveryDelivered || d.Attempts != 4 || d.LastStatusCode != 200 {
			t.Errorf("after Redeliver: %+v", d)
		}
		// The notice, once, on the list (POST-redirect-GET, no JavaScript).
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tab, nil)
		for _, c := range r.Cookies() {
			req.AddCookie(c)
		}
		page := e.do(t, req, &alice)
		mustContain(t, page, "Sent again: the app&#39;s callback URL accepted it.")
	})

	t.Run("RedeliverKeepsThePage", func(t *testing.T) {
		r := e.post(t, &alice, tab+"/"+ds[1].ID+"/redeliver", map[string][]string{"cursor": {"abc"}})
		mustStatus(t, r, http.StatusSeeOther)
		if got, want := r.Header.Get("Location"), tab+"?cursor=abc#"+ds[1].ID; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
	})

	t.Run("ErrAnotherCompany", func(t *testing.T) {
		e.cb.Reset()
		mustStatus(t, e.get(t, &bob, tab), http.StatusNotFound)
		mustStatus(t, e.get(t, &bob, "/hub/apps/"+quiet.ID+"/deliveries"), http.StatusNotFound)
		mustStatus(t, e.post(t, &bob, tab+"/"+ds[0].ID+"/redeliver", nil), http.StatusNotFound)
		mustStatus(t, e.get(t, &customer, tab), http.StatusForbidden)
		mustStatus(t, e.post(t, &alice, tab+"/dlv_nope/redeliver", nil), http.StatusNotFound)
		if n := e.cb.Hits(); n != 0 {
			t.Errorf("a refused redelivery was sent (%d requests)", n)
		}
	})

	t.Run("ErrCrossSite", func(t *testing.T) {
		e.cb.Reset()
		path := tab + "/" + ds[0].ID + "/redeliver"
		mustStatus(t, e.post(t, &alice, path, nil, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
		mustStatus(t, e.post(t, &alice, path, nil, "Origin", "https://evil.example.com"), http.StatusForbidden)
		if n := e.cb.Hits(); n != 0 {
			t.Errorf("a cross-site redelivery was sent (%d requests)", n)
		}
	})

	t.Run("ErrNoCSRFToken", func(t *testing.T) {
		e.cb.Reset()
		path := tab + "/" + ds[0].ID + "/redeliver"
		mustStatus(t, e.post(t, &alice, path, map[string][]string{"csrf_token": {""}}), http.StatusForbidden)
		// A token for another form (the list's first delivery's) is refused too.
		other := e.console.CSRFTokenForCookie(cookieOf(t, alice), tab+"/"+ds[1].ID+"/redeliver")
		mustStatus(t, e.post(t, &alice, path, map[string][]string{"csrf_token": {other}}), http.StatusForbidden)
		if n := e.cb.Hits(); n != 0 {
			t.Errorf("a redelivery without its token was sent (%d requests)", n)
		}
	})
}

// TestBrowserDeliveries: the tab passes axe-core and the page checks, with
// and without JavaScript, and Redeliver works as a plain form.
func TestBrowserDeliveries(t *testing.T) {
	for _, noJS := range []bool{false, true} {
		name := "JS"
		if noJS {
			name = "NoJS"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			a := e.createApp(t, alice, devhub.AppPrivate, "Deal forecaster")
			empty := e.createApp(t, alice, devhub.AppPrivate, "Quiet app")
			ds := putDeliveries(t, e, a)
			b := browsertest.Start(t, browsertest.Options{NoJavaScript: noJS, NoScreenshots: noJS})
			e.login(t, b, alice)
			b.Go(e.srv.URL + "/hub/apps/" + empty.ID + "/basic-info")
			b.Get("link", "Deliveries").Click()
			wantText(t, b, "No deliveries yet.")
			b.Check("deliveries-empty")
			b.Go(e.srv.URL + "/hub/apps/" + a.ID + "/deliveries")
			wantText(t, b, "Failed", "Retrying", "Delivered", "Pending", "HTTP 503")
			b.Check("deliveries")
			e.cb.Reset()
			b.Get("button", "Redeliver the delivery created 30 Nov 2026 10:00 UTC to "+ds[0].CompanyID).Click()
			wantText(t, b, "Sent again: the app's callback URL accepted it.", "HTTP 200")
			b.Check("redelivered")
			if n := e.cb.Hits(); n != 1 {
				t.Errorf("the callback got %d requests, want 1", n)
			}
		})
	}
}
