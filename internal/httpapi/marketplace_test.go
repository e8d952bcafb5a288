package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

type marketplaceApp struct {
	ID                   string
	Name                 string
	DeveloperCompanyName string `json:"developer_company_name"`
	Listing              devhub.Listing
	Scopes               []devhub.ScopeInfo
	InstallURL           string `json:"install_url"`
	Features             []struct{ Type, Name, Description string }
}

type marketplacePage struct {
	Data       []marketplaceApp
	NextCursor *string `json:"next_cursor"`
}

// publishedApp takes a new public app of owner through review to published.
func (e *env) publishedApp(t *testing.T, owner devhub.Identity, base, name string, ext map[string]any) devhub.App {
	t.Helper()
	a := e.createApp(t, owner, map[string]any{"type": "public", "name": name, "callback_url": base + "/ok",
		"scopes": []string{"deals:read", "contacts:full"}, "listing": completeListing(base)})
	if ext != nil {
		e.createExtension(t, owner, a.ID, ext)
	}
	e.move(t, owner, a.ID, "review", nil).want(t, http.StatusOK)
	e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusOK)
	e.move(t, owner, a.ID, "publish", nil).want(t, http.StatusOK)
	return a
}

// TestMarketplace: published public apps only, for anyone, in words, with
// their features and install link; anything else is the same 404 as a
// missing app; unpublishing takes an app out of both at once; one round
// trip per list page, two per app.
func TestMarketplace(t *testing.T) {
	e := newEnv(t)
	e.server.Hub.IssuerURL = "https://hub.example/"
	base, _ := callbackServers(t, e)
	acme := alice
	acme.CompanyName = "Acme Inc."
	a := e.publishedApp(t, acme, base, "Deal sync", validExtension(devhub.ExtFloatingWindow))
	c := e.publishedApp(t, bob, base, "Globex notes", nil)
	draft := e.createApp(t, alice, map[string]any{"type": "public", "name": "Not yet", "callback_url": base + "/ok", "listing": completeListing(base)})
	private := e.createApp(t, alice, map[string]any{"type": "private", "name": "Ours", "callback_url": base + "/ok"})

	list := func(query string) marketplacePage {
		t.Helper()
		e.meter.Reset()
		res := e.do(t, "GET", "/v1/marketplace/apps"+query, nil, nil).want(t, http.StatusOK)
		if n := e.meter.Total(); n != 1 {
			t.Errorf("list: %d round trips (%v), want 1", n, e.meter.Calls())
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("Cache-Control %q", cc)
		}
		for _, secret := range []string{a.ClientSecret, c.ClientSecret, "client_secret", "callback_url", "owner_company_id"} {
			if strings.Contains(string(res.Body), secret) {
				t.Errorf("the marketplace shows %q: %s", secret, res.Body)
			}
		}
		var p marketplacePage
		res.decode(t, &p)
		return p
	}
	p := list("")
	if len(p.Data) != 2 || p.NextCursor != nil {
		t.Fatalf("got %+v", p)
	}
	byID := map[string]marketplaceApp{}
	for _, m := range p.Data {
		byID[m.ID] = m
	}
	got := byID[a.ID]
	if got.Name != "Deal sync" || got.DeveloperCompanyName != "Acme Inc." || got.InstallURL != "https://hub.example/install/"+url.PathEscape(a.ClientID) ||
		got.Listing.Summary != "Sync deals" || len(got.Scopes) != 3 || got.Scopes[1].Label != "See deals" || got.Scopes[2].Access != devhub.AccessFull {
		t.Errorf("listed as %+v", got)
	}
	if byID[c.ID].DeveloperCompanyName != "globex" {
		t.Errorf("no name falls back to the id: %+v", byID[c.ID])
	}
	if len(got.Features) != 0 {
		t.Errorf("features are on the app's page only: %+v", got.Features)
	}

	t.Run("Paging", func(t *testing.T) {
		first := list("?limit=1")
		if len(first.Data) != 1 || first.NextCursor == nil {
			t.Fatalf("first page %+v", first)
		}
		second := list("?limit=1&cursor=" + url.QueryEscape(*first.NextCursor))
		if len(second.Data) != 1 || second.Data[0].ID == first.Data[0].ID {
			t.Errorf("second page %+v", second)
		}
		e.do(t, "GET", "/v1/marketplace/apps?cursor=bogus", nil, nil).want(t, http.StatusBadRequest)
		e.do(t, "GET", "/v1/marketplace/apps?limit=0", nil, nil).want(t, http.StatusBadRequest)
	})

	t.Run("App", func(t *testing.T) {
		e.meter.Reset()
		res := e.do(t, "GET", "/v1/marketplace/apps/"+a.ID, nil, nil).want(t, http.StatusOK)
		if n := e.meter.Total(); n != 2 {
			t.Errorf("%d round trips (%v), want 2", n, e.meter.Calls())
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=60" || strings.Contains(string(res.Body), a.ClientSecret) {
			t.Errorf("Cache-Control %q; body %s", cc, res.Body)
		}
		var m marketplaceApp
		res.decode(t, &m)
		if len(m.Features) != 1 || m.Features[0].Type != string(devhub.ExtFloatingWindow) || m.Features[0].Name != "Softphone" ||
			m.Features[0].Description != "Call your contacts from the CRM" || m.DeveloperCompanyName != "Acme Inc." {
			t.Errorf("got %+v", m)
		}
		var none marketplaceApp
		e.do(t, "GET", "/v1/marketplace/apps/"+c.ID, nil, nil).want(t, http.StatusOK).decode(t, &none)
		if none.Features == nil || len(none.Features) != 0 {
			t.Errorf("no extensions: features %v, want []", none.Features)
		}
	})

	// Not listed is missing: same status, same words, same headers.
	missing := "app_00000000000000000000000000"
	want := e.do(t, "GET", "/v1/marketplace/apps/"+missing, nil, nil).want(t, http.StatusNotFound)
	same := func(t *testing.T, appID string) {
		t.Helper()
		res := e.do(t, "GET", "/v1/marketplace/apps/"+appID, nil, nil).want(t, http.StatusNotFound)
		if strings.ReplaceAll(string(res.Body), appID, missing) != string(want.Body) || res.Header.Get("Cache-Control") != want.Header.Get("Cache-Control") {
			t.Errorf("%s: %s / %q, a missing app: %s / %q", appID, res.Body, res.Header.Get("Cache-Control"), want.Body, want.Header.Get("Cache-Control"))
		}
	}
	t.Run("NotListed", func(t *testing.T) {
		same(t, draft.ID)
		same(t, private.ID)
		e.do(t, "GET", "/v1/marketplace/apps/not-an-id", nil, nil).want(t, http.StatusNotFound)
	})

	t.Run("Unpublished", func(t *testing.T) {
		e.move(t, alice, a.ID, "unpublish", nil).want(t, http.StatusOK)
		if p := list(""); len(p.Data) != 1 || p.Data[0].ID != c.ID {
			t.Errorf("after unpublishing: %+v", p)
		}
		same(t, a.ID)
		e.do(t, "DELETE", "/v1/apps/"+c.ID, &bob, map[string]any{"reason": "Retired"}).want(t, http.StatusNoContent)
		if p := list(""); len(p.Data) != 0 {
			t.Errorf("after deleting: %+v", p)
		}
		same(t, c.ID)
	})
}
