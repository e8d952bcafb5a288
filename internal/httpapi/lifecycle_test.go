package httpapi_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/probe"
)

var reviewer = devhub.Identity{UserID: "rita", CompanyID: "platform", Roles: []string{devhub.RoleReviewer}}

// callbackServers starts a loopback TLS server whose /ok answers 200 and
// /broken 500, and gives the env a prober that may reach it, and nothing
// else: any lookup or non-loopback dial fails the test.
func callbackServers(t *testing.T, e *env) (base string, hits *atomic.Int64) {
	t.Helper()
	hits = &atomic.Int64{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if strings.HasPrefix(r.URL.Path, "/broken") {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	host := strings.TrimPrefix(srv.URL, "https://")
	e.server.Hub.Prober = probe.New(probe.Options{
		AllowedHosts: []string{host},
		RootCAs:      pool,
		Resolver:     failingResolver{t},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if h, _, _ := net.SplitHostPort(addr); !net.ParseIP(h).IsLoopback() {
				t.Errorf("dial to non-loopback %s", addr)
				return nil, fmt.Errorf("refused in tests: %s", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
	return srv.URL, hits
}

type failingResolver struct{ t *testing.T }

func (f failingResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.t.Errorf("DNS lookup of %q in a test", host)
	return nil, fmt.Errorf("no DNS in tests")
}

func (e *env) move(t *testing.T, id devhub.Identity, appID, m string, body any, hdr ...string) *response {
	t.Helper()
	return e.do(t, "POST", "/v1/apps/"+appID+"/"+m, &id, body, hdr...)
}

func TestPrivateGoesLive(t *testing.T) {
	e := newEnv(t)
	base, hits := callbackServers(t, e)
	a := e.createApp(t, alice, map[string]any{"type": "private", "name": "Live one", "callback_url": base + "/ok"})

	t.Run("ErrNotOwner", func(t *testing.T) {
		e.move(t, bob, a.ID, "live", nil).want(t, http.StatusNotFound)
		e.move(t, customer, a.ID, "live", nil).want(t, http.StatusForbidden)
	})
	t.Run("ErrWrongMove", func(t *testing.T) {
		res := e.move(t, alice, a.ID, "publish", nil).want(t, http.StatusUnprocessableEntity)
		if d := res.problem(t).Detail; !strings.Contains(d, "live") {
			t.Errorf("detail does not name the allowed move: %q", d)
		}
	})
	var got devhub.App
	e.move(t, alice, a.ID, "live", nil, "If-Match", `"1"`).want(t, http.StatusOK).decode(t, &got)
	if got.Status != devhub.StatusLive || got.CallbackHealth == nil || !got.CallbackHealth.OK || got.CallbackHealth.StatusCode != 200 || got.Version != 2 {
		t.Errorf("got %+v", got)
	}
	if hits.Load() != 1 {
		t.Errorf("probe hits: got %d, want 1", hits.Load())
	}
	t.Run("ErrFinal", func(t *testing.T) {
		res := e.move(t, alice, a.ID, "live", nil).want(t, http.StatusUnprocessableEntity)
		if d := res.problem(t).Detail; !strings.Contains(d, "final") {
			t.Errorf("detail: %q", d)
		}
	})
	t.Run("ChangesApplyAtOnce", func(t *testing.T) {
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"callback_url":"`+base+`/ok2"}`).want(t, http.StatusOK).decode(t, &got)
		if got.CallbackURL != base+"/ok2" || got.PendingChanges != nil {
			t.Errorf("got %+v", got)
		}
	})
}

func TestMoveRefusedByProbe(t *testing.T) {
	e := newEnv(t)
	base, hits := callbackServers(t, e)
	broken := e.createApp(t, alice, map[string]any{"type": "private", "name": "Broken", "callback_url": base + "/broken"})
	res := e.move(t, alice, broken.ID, "live", nil).want(t, http.StatusUnprocessableEntity)
	if f := res.fields(t); !slices.Equal(f, []string{"callback_url"}) {
		t.Errorf("fields: %v", f)
	}
	var body struct {
		CallbackHealth *devhub.CallbackHealth `json:"callback_health"`
	}
	res.decode(t, &body)
	if body.CallbackHealth == nil || body.CallbackHealth.OK || body.CallbackHealth.StatusCode != 500 {
		t.Errorf("callback_health: %+v", body.CallbackHealth)
	}
	plain := e.createApp(t, alice, map[string]any{"type": "private", "name": "Plain", "callback_url": "http://127.0.0.1:1/cb"})
	before := hits.Load()
	res = e.move(t, alice, plain.ID, "live", nil).want(t, http.StatusUnprocessableEntity)
	if f := res.fields(t); !slices.Equal(f, []string{"callback_url"}) || hits.Load() != before {
		t.Errorf("http callback: fields %v, probed %d times", f, hits.Load()-before)
	}
	private := e.createApp(t, alice, map[string]any{"type": "private", "name": "Private", "callback_url": "https://10.0.0.1/cb"})
	e.move(t, alice, private.ID, "live", nil).want(t, http.StatusUnprocessableEntity)
	for _, id := range []string{broken.ID, plain.ID, private.ID} {
		var got devhub.App
		e.do(t, "GET", "/v1/apps/"+id, &alice, nil).want(t, http.StatusOK).decode(t, &got)
		if got.Status != devhub.StatusDraft || got.Version != 1 {
			t.Errorf("a refused move changed the app: %+v", got)
		}
	}
}

func completeListing(base string) map[string]any {
	return map[string]any{"summary": "Sync deals", "description": "Keeps deals in sync.", "icon_url": base + "/icon.png",
		"image_urls": []string{base + "/1.png"}, "support_url": base + "/support", "privacy_policy_url": base + "/privacy"}
}

func TestPublicReviewFlow(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	a := e.createApp(t, alice, map[string]any{"type": "public", "name": "Public", "callback_url": base + "/ok"})

	res := e.move(t, alice, a.ID, "review", nil).want(t, http.StatusUnprocessableEntity)
	f := res.fields(t)
	slices.Sort(f)
	want := []string{"listing.description", "listing.icon_url", "listing.image_urls", "listing.privacy_policy_url", "listing.summary", "listing.support_url"}
	if !slices.Equal(f, want) {
		t.Errorf("every missing field at once: got %v, want %v", f, want)
	}
	e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, map[string]any{"listing": completeListing(base)}).want(t, http.StatusOK)
	var got devhub.App
	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK).decode(t, &got)
	if got.Status != devhub.StatusReview {
		t.Fatalf("status %s", got.Status)
	}
	t.Run("ErrCriticalChangeInReview", func(t *testing.T) {
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"scopes":["deals:read"]}`).want(t, http.StatusConflict)
	})
	t.Run("ErrOwnerCannotApprove", func(t *testing.T) {
		e.move(t, alice, a.ID, "approve", nil).want(t, http.StatusForbidden)
		e.do(t, "GET", "/v1/review", &alice, nil).want(t, http.StatusForbidden)
	})
	t.Run("ReviewQueue", func(t *testing.T) {
		var page struct{ Data []devhub.App }
		res := e.do(t, "GET", "/v1/review", &reviewer, nil).want(t, http.StatusOK)
		res.decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].ID != a.ID || strings.Contains(string(res.Body), a.ClientSecret) {
			t.Errorf("queue: %s", res.Body)
		}
	})
	t.Run("RejectNeedsReason", func(t *testing.T) {
		e.move(t, reviewer, a.ID, "reject", `{}`).want(t, http.StatusUnprocessableEntity)
	})
	res = e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusOK)
	got = devhub.App{}
	res.decode(t, &got)
	if got.Status != devhub.StatusUnpublished || got.ClientSecret != "" {
		t.Errorf("approve: status %s, secret shown to the reviewer: %v", got.Status, got.ClientSecret != "")
	}
	for _, step := range []struct {
		move string
		want devhub.AppStatus
	}{{"publish", devhub.StatusPublished}, {"unpublish", devhub.StatusUnpublished}, {"publish", devhub.StatusPublished}} {
		e.move(t, alice, a.ID, step.move, nil).want(t, http.StatusOK).decode(t, &got)
		if got.Status != step.want {
			t.Errorf("%s: got %s", step.move, got.Status)
		}
	}

	t.Run("PendingChanges", func(t *testing.T) {
		var got devhub.App
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, map[string]any{"name": "Public 2", "callback_url": base + "/ok/v2", "scopes": []string{"deals:read"}}).
			want(t, http.StatusOK).decode(t, &got)
		p := got.PendingChanges
		if got.Name != "Public 2" || got.CallbackURL != base+"/ok" || p == nil || *p.CallbackURL != base+"/ok/v2" ||
			!slices.Equal(p.Scopes, []string{"base", "deals:read"}) || p.InReview {
			t.Fatalf("got %+v / %+v", got, p)
		}
		e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK).decode(t, &got)
		if got.Status != devhub.StatusPublished || !got.PendingChanges.InReview {
			t.Fatalf("pending review: %+v", got)
		}
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"callback_url":"`+base+`/ok/v3"}`).want(t, http.StatusConflict)
		var page struct{ Data []devhub.App }
		e.do(t, "GET", "/v1/review", &reviewer, nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].ID != a.ID {
			t.Errorf("queue: %+v", page.Data)
		}
		e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusOK).decode(t, &got)
		if got.CallbackURL != base+"/ok/v2" || !slices.Equal(got.Scopes, []string{"base", "deals:read"}) || got.PendingChanges != nil || got.Status != devhub.StatusPublished {
			t.Errorf("merged: %+v", got)
		}
		// Rejected pending changes are discarded, with the reason kept.
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"installation_url":"`+base+`/install"}`).want(t, http.StatusOK)
		e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK)
		e.move(t, reviewer, a.ID, "reject", `{"reason":"Install page is blank"}`).want(t, http.StatusOK)
		e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &got)
		if got.InstallationURL != nil || got.PendingChanges != nil || got.ReviewFeedback == nil || got.ReviewFeedback.Reason != "Install page is blank" {
			t.Errorf("rejected: %+v", got)
		}
	})
}

func TestRejectToDraft(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	body := map[string]any{"type": "public", "name": "Rejected", "callback_url": base + "/ok", "listing": completeListing(base)}
	a := e.createApp(t, alice, body)
	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK)
	var got devhub.App
	e.move(t, reviewer, a.ID, "reject", `{"reason":"Screenshots missing"}`).want(t, http.StatusOK)
	e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &got)
	if got.Status != devhub.StatusDraft || got.ReviewFeedback == nil || got.ReviewFeedback.RejectedBy != "rita" {
		t.Errorf("got %+v", got)
	}
	// Sent again, the feedback is cleared.
	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK).decode(t, &got)
	if got.ReviewFeedback != nil {
		t.Errorf("feedback kept after resubmission")
	}
}

// TestRacingMoves: ten owners publish at once; one wins, none is lost.
func TestRacingMoves(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	a := e.createApp(t, alice, map[string]any{"type": "public", "name": "Race", "callback_url": base + "/ok", "listing": completeListing(base)})
	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK)
	e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusOK)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch res := e.move(t, alice, a.ID, "publish", nil); res.Status {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusConflict, http.StatusUnprocessableEntity:
			default:
				t.Errorf("status %d: %s", res.Status, res.Body)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("%d publishes won, want 1", ok.Load())
	}
	var got devhub.App
	e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &got)
	if got.Version != 4 {
		t.Errorf("version %d, want 4 (create, review, approve, publish)", got.Version)
	}
}

func TestRotateSecret(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	var got struct {
		ClientSecret             string `json:"client_secret"`
		GracePeriodSeconds       int64  `json:"grace_period_seconds"`
		PreviousSecretValidUntil string `json:"previous_secret_valid_until"`
	}
	e.do(t, "POST", "/v1/apps/"+a.ID+"/secret", &alice, nil).want(t, http.StatusOK).decode(t, &got)
	until, err := time.Parse(time.RFC3339, got.PreviousSecretValidUntil)
	if got.ClientSecret == a.ClientSecret || got.GracePeriodSeconds != 86400 || err != nil || time.Until(until) < 23*time.Hour {
		t.Errorf("got %+v", got)
	}
	var app devhub.App
	e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &app)
	if app.ClientSecret != got.ClientSecret {
		t.Error("GET does not show the new secret")
	}
	e.do(t, "POST", "/v1/apps/"+a.ID+"/secret", &alice, `{"grace_period_seconds":0}`).want(t, http.StatusOK).decode(t, &got)
	if got.GracePeriodSeconds != 0 {
		t.Errorf("grace %d", got.GracePeriodSeconds)
	}
	e.do(t, "POST", "/v1/apps/"+a.ID+"/secret", &alice, `{"grace_period_seconds":999999}`).want(t, http.StatusUnprocessableEntity)
	e.do(t, "POST", "/v1/apps/"+a.ID+"/secret", &bob, nil).want(t, http.StatusNotFound)
	e.do(t, "POST", "/v1/apps/"+a.ID+"/secret", &alice, nil, "If-Match", `"1"`).want(t, http.StatusPreconditionFailed)

	t.Run("RetryDoesNotRotateTwice", func(t *testing.T) {
		first := e.do(t, "POST", "/v1/apps/"+a.ID+"/secret", &alice, nil, "Idempotency-Key", "rot-1").want(t, http.StatusOK)
		again := e.do(t, "POST", "/v1/apps/"+a.ID+"/secret", &alice, nil, "Idempotency-Key", "rot-1").want(t, http.StatusOK)
		if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %s vs %s", again.Body, first.Body)
		}
		var rot struct {
			ClientSecret string `json:"client_secret"`
		}
		first.decode(t, &rot)
		var app devhub.App
		e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &app)
		if app.ClientSecret != rot.ClientSecret {
			t.Error("the retry rotated the secret again")
		}
	})
}
