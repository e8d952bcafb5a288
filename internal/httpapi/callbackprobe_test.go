package httpapi_test

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/testprobe"
)

// probeResult is the answer of POST …/callback-probe.
type probeResult struct {
	OK         bool     `json:"ok"`
	StatusCode *int     `json:"status_code"`
	LatencyMS  *float64 `json:"latency_ms"`
	Error      *string  `json:"error"`
	CheckedAt  string   `json:"checked_at"`
}

func (e *env) probeApp(t *testing.T, id devhub.Identity, appID string) *response {
	t.Helper()
	return e.do(t, http.MethodPost, "/v1/apps/"+appID+"/callback-probe", &id, nil)
}

func (e *env) fetchApp(t *testing.T, id devhub.Identity, appID string) devhub.App {
	t.Helper()
	var a devhub.App
	e.do(t, http.MethodGet, "/v1/apps/"+appID, &id, nil).want(t, http.StatusOK).decode(t, &a)
	return a
}

func TestCallbackProbe(t *testing.T) {
	e := newEnv(t)
	ok := testprobe.NewServer(t, http.StatusNoContent, 0)
	broken := testprobe.NewServer(t, http.StatusInternalServerError, 0)
	canary := testprobe.NewCanary(t) // on loopback, but not allowed
	e.server.Hub.Prober = testprobe.New(t, ok, broken)

	t.Run("OK", func(t *testing.T) {
		a := e.createApp(t, alice, map[string]any{"type": "private", "name": "Probed", "callback_url": ok.URL + "/oauth/cb"})
		before := time.Now().UTC()
		e.meter.Reset()
		var got probeResult
		e.probeApp(t, alice, a.ID).want(t, http.StatusOK).decode(t, &got)
		if calls, want := e.meter.Calls(), map[string]int{"GetItem": 1, "TransactWriteItems": 1}; !maps.Equal(calls, want) {
			t.Errorf("DynamoDB calls: got %v, want %v", calls, want)
		}
		if !got.OK || got.StatusCode == nil || *got.StatusCode != http.StatusNoContent || got.Error != nil ||
			got.LatencyMS == nil || *got.LatencyMS < 0 || *got.LatencyMS > 5000 {
			t.Errorf("got %+v", got)
		}
		checked, err := time.Parse(time.RFC3339Nano, got.CheckedAt)
		if err != nil || checked.Before(before.Add(-time.Second)) {
			t.Errorf("checked_at %q: %v", got.CheckedAt, err)
		}
		if ok.Hits() != 1 {
			t.Errorf("server hits: got %d, want 1", ok.Hits())
		}
		stored := e.fetchApp(t, alice, a.ID)
		h := stored.CallbackHealth
		if h == nil || !h.OK || h.StatusCode != http.StatusNoContent || h.Error != "" || !h.CheckedAt.Equal(checked) {
			t.Errorf("callback_health: got %+v, want ok 204 at %s", h, checked)
		}
		if stored.Version != a.Version+1 || !stored.UpdatedAt.Equal(a.UpdatedAt) || stored.Name != a.Name {
			t.Errorf("version %d → %d, updated_at %s → %s", a.Version, stored.Version, a.UpdatedAt, stored.UpdatedAt)
		}
	})

	t.Run("ServerError", func(t *testing.T) {
		a := e.createApp(t, alice, map[string]any{"type": "public", "name": "Broken", "callback_url": broken.URL + "/cb"})
		var got probeResult
		e.probeApp(t, alice, a.ID).want(t, http.StatusOK).decode(t, &got)
		if got.OK || got.StatusCode == nil || *got.StatusCode != 500 || got.Error == nil || !strings.HasPrefix(*got.Error, "status: the server answered 500 ") {
			t.Errorf("got %+v", got)
		}
		if h := e.fetchApp(t, alice, a.ID).CallbackHealth; h == nil || h.OK || h.StatusCode != 500 || !strings.HasPrefix(h.Error, "status: the server answered 500 ") {
			t.Errorf("callback_health: %+v", h)
		}
	})

	t.Run("NotAllowed", func(t *testing.T) {
		for _, cb := range []string{
			canary.URL + "/cb",                          // loopback, not allowed
			"https://10.20.30.40/cb",                    // private
			"https://169.254.169.254/latest/meta-data/", // cloud metadata
			"https://[fd00:ec2::254]/latest/meta-data/", // IPv6 metadata
			"https://0x7f000001/cb",                     // numeric spelling of loopback
			"https://[::ffff:10.0.0.1]/",                // IPv4-mapped private
			"https://metadata.google.internal/",         // special-use name
		} {
			a := e.createApp(t, alice, map[string]any{"type": "private", "name": "Hostile", "callback_url": cb})
			var got probeResult
			e.probeApp(t, alice, a.ID).want(t, http.StatusOK).decode(t, &got)
			if got.OK || got.StatusCode != nil || got.LatencyMS != nil || got.Error == nil || *got.Error != probe.ErrNotAllowed.Error() {
				t.Errorf("%s: got %+v, want the neutral refusal", cb, got)
			}
			if h := e.fetchApp(t, alice, a.ID).CallbackHealth; h == nil || h.OK || h.Error != probe.ErrNotAllowed.Error() {
				t.Errorf("%s: callback_health %+v", cb, h)
			}
		}
		if canary.Hits() != 0 {
			t.Errorf("canary hit %d times", canary.Hits())
		}
	})

	a := e.createApp(t, alice, map[string]any{"type": "private", "name": "Isolated", "callback_url": ok.URL + "/cb"})
	t.Run("ErrOtherCompany", func(t *testing.T) {
		hits := ok.Hits()
		e.probeApp(t, bob, a.ID).want(t, http.StatusNotFound).problem(t)
		if ok.Hits() != hits {
			t.Error("another company's request probed the app")
		}
		if h := e.fetchApp(t, alice, a.ID).CallbackHealth; h != nil {
			t.Errorf("callback_health stored: %+v", h)
		}
	})
	t.Run("ErrNotSandbox", func(t *testing.T) {
		e.probeApp(t, customer, a.ID).want(t, http.StatusForbidden).problem(t)
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		e.do(t, http.MethodPost, "/v1/apps/"+a.ID+"/callback-probe", nil, nil).want(t, http.StatusUnauthorized).problem(t)
	})
	t.Run("ErrUnknownApp", func(t *testing.T) {
		e.probeApp(t, alice, devhub.NewID("app_")).want(t, http.StatusNotFound).problem(t)
		e.meter.Reset()
		e.probeApp(t, alice, "app_not-an-id").want(t, http.StatusNotFound).problem(t)
		if n := e.meter.Total(); n != 0 {
			t.Errorf("a malformed id cost %d DynamoDB calls", n)
		}
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		res := e.do(t, http.MethodGet, "/v1/apps/"+a.ID+"/callback-probe", &alice, nil).want(t, http.StatusMethodNotAllowed)
		if res.Header.Get("Allow") != "POST" {
			t.Errorf("Allow: %q", res.Header.Get("Allow"))
		}
	})
}

// TestCallbackProbeConcurrentChange: a write that lands while the probe is
// in flight does not make the probe fail, and is not lost; a changed
// callback URL makes the result worthless, so it is not stored (409).
func TestCallbackProbeConcurrentChange(t *testing.T) {
	e := newEnv(t)
	slow := testprobe.NewServer(t, http.StatusOK, 400*time.Millisecond)
	e.server.Hub.Prober = testprobe.New(t, slow)

	// probeWhile sends the probe and, once the server has it, runs change.
	probeWhile := func(t *testing.T, appID string, change func()) *response {
		t.Helper()
		hits := slow.Hits()
		done := make(chan *response, 1)
		go func() { done <- e.probeApp(t, alice, appID) }()
		for deadline := time.Now().Add(5 * time.Second); slow.Hits() == hits; {
			if time.Now().After(deadline) {
				t.Fatal("the probe never reached the server")
			}
			time.Sleep(5 * time.Millisecond)
		}
		change()
		return <-done
	}

	t.Run("Renamed", func(t *testing.T) {
		a := e.createApp(t, alice, map[string]any{"type": "private", "name": "Before", "callback_url": slow.URL + "/cb"})
		res := probeWhile(t, a.ID, func() {
			e.do(t, http.MethodPatch, "/v1/apps/"+a.ID, &alice, `{"name":"After"}`).want(t, http.StatusOK)
		})
		var got probeResult
		res.want(t, http.StatusOK).decode(t, &got)
		stored := e.fetchApp(t, alice, a.ID)
		if stored.Name != "After" || stored.CallbackHealth == nil || !stored.CallbackHealth.OK || stored.Version != 3 {
			t.Errorf("got name %q, health %+v, version %d; want the rename and the result, version 3",
				stored.Name, stored.CallbackHealth, stored.Version)
		}
	})
	t.Run("ErrCallbackChanged", func(t *testing.T) {
		a := e.createApp(t, alice, map[string]any{"type": "private", "name": "Moving", "callback_url": slow.URL + "/old"})
		res := probeWhile(t, a.ID, func() {
			e.do(t, http.MethodPatch, "/v1/apps/"+a.ID, &alice, `{"callback_url":"`+slow.URL+`/new"}`).want(t, http.StatusOK)
		})
		res.want(t, http.StatusConflict).problem(t)
		if h := e.fetchApp(t, alice, a.ID).CallbackHealth; h != nil {
			t.Errorf("a result for the old URL was stored: %+v", h)
		}
	})
}

// TestCallbackProbeCancelled: a probe cut short by the caller going away
// stores nothing.
func TestCallbackProbeCancelled(t *testing.T) {
	e := newEnv(t)
	slow := testprobe.NewServer(t, http.StatusOK, time.Second)
	e.server.Hub.Prober = testprobe.New(t, slow)
	a := e.createApp(t, alice, map[string]any{"type": "private", "name": "Cancelled", "callback_url": slow.URL + "/cb"})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/v1/apps/"+a.ID+"/callback-probe", nil)
	req.Header.Set("Authorization", "Bearer "+token(t, alice))
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("got %d, want the request cut short", res.StatusCode)
	}
	// The probe ends with the request's context; give the handler time to
	// (not) write.
	time.Sleep(500 * time.Millisecond)
	if h := e.fetchApp(t, alice, a.ID).CallbackHealth; h != nil {
		t.Errorf("a cut-short probe was stored: %+v", h)
	}
}
