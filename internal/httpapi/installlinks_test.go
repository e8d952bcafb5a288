package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

const linksIssuer = "https://hub.devhub.test"

// storeApp writes an app in any status straight to the store, as the status
// moves would leave it.
func (e *env) storeApp(t testing.TB, owner devhub.Identity, typ devhub.AppType, st devhub.AppStatus, mutate ...func(*devhub.App)) *devhub.App {
	t.Helper()
	a, err := devhub.NewApp(devhub.NewAppInput{Type: typ, Name: "Linked " + string(typ) + " " + string(st),
		CallbackURL: "https://app.vendor.test/oauth/callback?tenant=a&x=%2F"}, owner, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.Status = st
	for _, m := range mutate {
		m(a)
	}
	if _, err := e.store.CreateApp(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	return a
}

// follow requests an install link without following the redirect, which
// points off this machine, and validates the answer against the document.
func (e *env) follow(t testing.TB, method, path string) *response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &response{Status: res.StatusCode, Header: res.Header, Body: raw}
	e.validate(t, req, r)
	return r
}

func newLinksEnv(t testing.TB) *env {
	e := newEnv(t)
	e.server.Hub.Clients = e.store
	e.server.Hub.IssuerURL = linksIssuer + "/" // a trailing slash must not double
	return e
}

func wantAuthorize(a *devhub.App) string {
	return linksIssuer + "/oauth/authorize?client_id=" + a.ClientID +
		"&redirect_uri=" + url.QueryEscape(a.CallbackURL) + "&response_type=code"
}

// TestInstallLinks walks every type × status through the three routes.
func TestInstallLinks(t *testing.T) {
	e := newLinksEnv(t)
	statuses := []devhub.AppStatus{devhub.StatusDraft, devhub.StatusLive, devhub.StatusReview, devhub.StatusUnpublished, devhub.StatusPublished}
	for _, typ := range []devhub.AppType{devhub.AppPrivate, devhub.AppPublic} {
		for _, st := range statuses {
			shareable := (typ == devhub.AppPrivate && st == devhub.StatusLive) ||
				(typ == devhub.AppPublic && (st == devhub.StatusUnpublished || st == devhub.StatusPublished))
			t.Run(string(typ)+"_"+string(st), func(t *testing.T) {
				a := e.storeApp(t, alice, typ, st)
				link := e.do(t, http.MethodGet, "/v1/apps/"+a.ID+"/install-link", &alice, nil)
				test := e.do(t, http.MethodPost, "/v1/apps/"+a.ID+"/install-test", &alice, nil)
				e.meter.Reset()
				install := e.follow(t, http.MethodGet, "/install/"+a.ClientID)
				if calls := e.meter.Calls(); calls["GetItem"] != 1 || e.meter.Total() != 1 {
					t.Errorf("GET /install: DynamoDB calls %v, want 1 GetItem", calls)
				}

				if shareable {
					var got struct{ URL string }
					link.want(t, http.StatusOK).decode(t, &got)
					if want := linksIssuer + "/install/" + a.ClientID; got.URL != want {
						t.Errorf("install-link: got %q, want %q", got.URL, want)
					}
					install.want(t, http.StatusFound)
					if got := install.Header.Get("Location"); got != wantAuthorize(a) {
						t.Errorf("Location: got %q, want %q", got, wantAuthorize(a))
					}
					if install.Header.Get("Cache-Control") != "no-store" || len(install.Body) != 0 {
						t.Errorf("redirect: Cache-Control %q, body %q", install.Header.Get("Cache-Control"), install.Body)
					}
				} else {
					link.want(t, http.StatusConflict)
					if d := link.problem(t).Detail; d != devhub.ErrorMessage(a.Shareable()) {
						t.Errorf("install-link detail: got %q, want Shareable's reason", d)
					}
					wantNotFoundPage(t, install, a)
				}

				if st == devhub.StatusDraft {
					var got struct{ URL string }
					test.want(t, http.StatusOK).decode(t, &got)
					if got.URL != wantAuthorize(a) {
						t.Errorf("install-test: got %q, want %q", got.URL, wantAuthorize(a))
					}
				} else {
					test.want(t, http.StatusConflict).problem(t)
				}
			})
		}
	}
}

// wantNotFoundPage: the plain 404 page, which says nothing about the app.
func wantNotFoundPage(t testing.TB, r *response, a *devhub.App) {
	t.Helper()
	r.want(t, http.StatusNotFound)
	for name, want := range map[string]string{
		"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
		"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	body := string(r.Body)
	if !strings.Contains(body, "App not found") || len(body) > 1024 || r.Header.Get("Location") != "" {
		t.Errorf("page: %q", body)
	}
	if a != nil {
		for _, secret := range []string{a.Name, a.ID, a.ClientID, string(a.Status), a.CallbackURL, "draft", "review"} {
			if strings.Contains(body, secret) {
				t.Errorf("the 404 page reveals %q", secret)
			}
		}
	}
}

func TestInstallLinkRedirect(t *testing.T) {
	e := newLinksEnv(t)
	t.Run("InstallationURL", func(t *testing.T) {
		site := "https://vendor.test/install/start?plan=pro"
		a := e.storeApp(t, alice, devhub.AppPublic, devhub.StatusPublished, func(a *devhub.App) { a.InstallationURL = &site })
		res := e.follow(t, http.MethodGet, "/install/"+a.ClientID).want(t, http.StatusFound)
		if got := res.Header.Get("Location"); got != site {
			t.Errorf("Location: got %q, want %q", got, site)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("Referrer-Policy: %q", got)
		}
	})
	t.Run("PendingChangesNotServed", func(t *testing.T) {
		// Until a reviewer approves them, installs use the live settings.
		newCB, newSite := "https://new.vendor.test/cb", "https://new.vendor.test/install"
		a := e.storeApp(t, alice, devhub.AppPublic, devhub.StatusUnpublished, func(a *devhub.App) {
			a.PendingChanges = &devhub.PendingChanges{CallbackURL: &newCB, InstallationURL: &newSite, InReview: true}
		})
		res := e.follow(t, http.MethodGet, "/install/"+a.ClientID).want(t, http.StatusFound)
		if got := res.Header.Get("Location"); got != wantAuthorize(a) {
			t.Errorf("Location: got %q, want %q", got, wantAuthorize(a))
		}
	})
	t.Run("AnotherCompanysUser", func(t *testing.T) {
		// The link is public: it needs no token, and works for anybody.
		a := e.storeApp(t, bob, devhub.AppPrivate, devhub.StatusLive)
		e.follow(t, http.MethodGet, "/install/"+a.ClientID).want(t, http.StatusFound)
	})
	t.Run("Head", func(t *testing.T) {
		a := e.storeApp(t, alice, devhub.AppPrivate, devhub.StatusLive)
		// HEAD is served with every GET (the document lists GET only).
		req, _ := http.NewRequest(http.MethodHead, e.srv.URL+"/install/"+a.ClientID, nil)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != wantAuthorize(a) {
			t.Errorf("got %d, Location %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		e.meter.Reset()
		wantNotFoundPage(t, e.follow(t, http.MethodGet, "/install/"+devhub.NewID("")), nil)
		if calls := e.meter.Calls(); calls["GetItem"] != 1 || e.meter.Total() != 1 {
			t.Errorf("DynamoDB calls %v, want 1 GetItem", calls)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		a := e.storeApp(t, alice, devhub.AppPrivate, devhub.StatusLive)
		for _, id := range []string{
			"x", strings.ToUpper(a.ClientID), a.ClientID + "0", a.ClientID[:25], "app_" + a.ClientID[4:],
			"wwwwwwwwwwwwwwwwwwwwwwwwww", // w is not in the alphabet
			"%27%20or%201%3D1--", "%00", url.PathEscape(a.ClientID + "\n"), "..%2F..%2Fetc%2Fpasswd",
			strings.Repeat("0", 4000),
		} {
			e.meter.Reset()
			wantNotFoundPage(t, e.follow(t, http.MethodGet, "/install/"+id), nil)
			if n := e.meter.Total(); n != 0 {
				t.Errorf("%q: %d DynamoDB calls, want none", id, n)
			}
		}
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		a := e.storeApp(t, alice, devhub.AppPrivate, devhub.StatusLive)
		res := e.follow(t, http.MethodPost, "/install/"+a.ClientID).want(t, http.StatusMethodNotAllowed)
		if res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("Allow: %q", res.Header.Get("Allow"))
		}
	})
}

func TestInstallLinkAccess(t *testing.T) {
	e := newLinksEnv(t)
	live := e.storeApp(t, alice, devhub.AppPrivate, devhub.StatusLive)
	draft := e.storeApp(t, alice, devhub.AppPrivate, devhub.StatusDraft)
	for _, c := range []struct {
		name, method, path string
		id                 *devhub.Identity
		want               int
	}{
		{"LinkOtherCompany", http.MethodGet, "/v1/apps/" + live.ID + "/install-link", &bob, http.StatusNotFound},
		{"LinkNotSandbox", http.MethodGet, "/v1/apps/" + live.ID + "/install-link", &customer, http.StatusForbidden},
		{"LinkNoToken", http.MethodGet, "/v1/apps/" + live.ID + "/install-link", nil, http.StatusUnauthorized},
		{"LinkUnknown", http.MethodGet, "/v1/apps/" + devhub.NewID("app_") + "/install-link", &alice, http.StatusNotFound},
		{"TestOtherCompany", http.MethodPost, "/v1/apps/" + draft.ID + "/install-test", &bob, http.StatusNotFound},
		{"TestNotSandbox", http.MethodPost, "/v1/apps/" + draft.ID + "/install-test", &customer, http.StatusForbidden},
		{"TestNoToken", http.MethodPost, "/v1/apps/" + draft.ID + "/install-test", nil, http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.do(t, c.method, c.path, c.id, nil).want(t, c.want).problem(t)
		})
	}
	t.Run("RoundTrips", func(t *testing.T) {
		for _, path := range []string{"/v1/apps/" + live.ID + "/install-link", "/v1/apps/" + draft.ID + "/install-test"} {
			method := http.MethodGet
			if strings.HasSuffix(path, "test") {
				method = http.MethodPost
			}
			e.meter.Reset()
			e.do(t, method, path, &alice, nil).want(t, http.StatusOK)
			if calls := e.meter.Calls(); calls["GetItem"] != 1 || e.meter.Total() != 1 {
				t.Errorf("%s: DynamoDB calls %v, want 1 GetItem", path, calls)
			}
		}
	})
	t.Run("ErrNoIssuer", func(t *testing.T) {
		// A link without ISSUER_URL would be relative or name a host the
		// client chose: a configuration fault, not a link.
		e.server.Hub.IssuerURL = ""
		defer func() { e.server.Hub.IssuerURL = linksIssuer }()
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/apps/"+live.ID+"/install-link", nil)
		req.Header.Set("Authorization", "Bearer "+token(t, alice))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusInternalServerError || strings.Contains(string(body), "ISSUER_URL") {
			t.Errorf("got %d %s", res.StatusCode, body)
		}
	})
}

// BenchmarkFollowInstallLink: GET /install/{client_id} through the whole
// handler stack against DynamoDB Local; ddb-calls/op must be 1.
func BenchmarkFollowInstallLink(b *testing.B) {
	e := newLinksEnv(b)
	a := e.storeApp(b, alice, devhub.AppPublic, devhub.StatusPublished)
	h := e.server.Handler(e.server.FunctionRoutes()["install-links"])
	serve := func() {
		req, _ := http.NewRequest(http.MethodGet, "/install/"+a.ClientID, nil)
		w := &redirectRecorder{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.code != http.StatusFound {
			b.Fatalf("status %d", w.code)
		}
	}
	for range 300 { // warm DynamoDB Local's JIT
		serve()
	}
	e.meter.Reset()
	for b.Loop() {
		serve()
	}
	b.ReportMetric(float64(e.meter.Total())/float64(b.N), "ddb-calls/op")
}

type redirectRecorder struct {
	h    http.Header
	code int
}

func (w *redirectRecorder) Header() http.Header         { return w.h }
func (w *redirectRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (w *redirectRecorder) WriteHeader(code int)        { w.code = code }
