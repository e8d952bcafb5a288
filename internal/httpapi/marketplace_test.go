package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
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

// TestMarketplacePendingChanges: a published app stays listed, with its
// approved values, while its pending changes wait for a reviewer, and is in
// the review queue meanwhile; after the decision it is listed (with the new
// values when approved) and no longer queued. One round trip per list page
// and per queue page; two per app page.
func TestMarketplacePendingChanges(t *testing.T) {
	e := newEnv(t)
	e.server.Hub.IssuerURL = "https://hub.example/"
	base, _ := callbackServers(t, e)
	a := e.publishedApp(t, alice, base, "Deal sync", nil)
	other := e.publishedApp(t, bob, base, "Globex notes", nil)

	list := func(t *testing.T) map[string]marketplaceApp {
		t.Helper()
		e.meter.Reset()
		var p marketplacePage
		e.do(t, "GET", "/v1/marketplace/apps", nil, nil).want(t, http.StatusOK).decode(t, &p)
		if n := e.meter.Total(); n != 1 {
			t.Errorf("marketplace list: %d round trips (%v), want 1", n, e.meter.Calls())
		}
		byID := map[string]marketplaceApp{}
		for _, m := range p.Data {
			byID[m.ID] = m
		}
		return byID
	}
	page := func(t *testing.T, id string) marketplaceApp {
		t.Helper()
		e.meter.Reset()
		var m marketplaceApp
		e.do(t, "GET", "/v1/marketplace/apps/"+id, nil, nil).want(t, http.StatusOK).decode(t, &m)
		if n := e.meter.Total(); n != 2 {
			t.Errorf("marketplace app: %d round trips (%v), want 2", n, e.meter.Calls())
		}
		return m
	}
	queued := func(t *testing.T) []string {
		t.Helper()
		e.meter.Reset()
		var q struct{ Data []devhub.App }
		e.do(t, "GET", "/v1/review", &reviewer, nil).want(t, http.StatusOK).decode(t, &q)
		if n := e.meter.Total(); n != 1 {
			t.Errorf("review queue: %d round trips (%v), want 1", n, e.meter.Calls())
		}
		ids := []string{}
		for _, x := range q.Data {
			ids = append(ids, x.ID)
		}
		return ids
	}
	scopes := func(m marketplaceApp) []string {
		var s []string
		for _, x := range m.Scopes {
			s = append(s, x.Scope)
		}
		return s
	}
	approvedScopes := []string{"base", "contacts:full", "deals:read"}
	sendChanges := func(t *testing.T, id string, owner devhub.Identity) {
		t.Helper()
		e.do(t, "PATCH", "/v1/apps/"+id, &owner, map[string]any{"scopes": []string{"deals:read"}}).want(t, http.StatusOK)
		e.move(t, owner, id, "review", nil).want(t, http.StatusOK)
	}
	sameSet := func(got, want []string) bool {
		got, want = slices.Clone(got), slices.Clone(want)
		slices.Sort(got)
		slices.Sort(want)
		return slices.Equal(got, want)
	}

	sendChanges(t, a.ID, alice)
	if l := list(t); len(l) != 2 || !sameSet(scopes(l[a.ID]), approvedScopes) || l[a.ID].Name != "Deal sync" {
		t.Fatalf("changes in review: listed %+v, want both apps, %s with its approved scopes %v", l, a.ID, approvedScopes)
	}
	if m := page(t, a.ID); !sameSet(scopes(m), approvedScopes) {
		t.Errorf("changes in review: app page scopes %v, want the approved %v", scopes(m), approvedScopes)
	}
	if q := queued(t); !slices.Equal(q, []string{a.ID}) {
		t.Errorf("changes in review: queue %v, want [%s]", q, a.ID)
	}

	t.Run("Approve", func(t *testing.T) {
		e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusOK)
		want := []string{"base", "deals:read"}
		if l := list(t); len(l) != 2 || !sameSet(scopes(l[a.ID]), want) {
			t.Errorf("approved: listed %+v, want %s with scopes %v", l, a.ID, want)
		}
		if m := page(t, a.ID); !sameSet(scopes(m), want) {
			t.Errorf("approved: app page scopes %v, want %v", scopes(m), want)
		}
		if q := queued(t); len(q) != 0 {
			t.Errorf("approved: queue %v, want empty", q)
		}
	})

	t.Run("Reject", func(t *testing.T) {
		sendChanges(t, other.ID, bob)
		if l := list(t); len(l) != 2 {
			t.Errorf("in review: listed %+v", l)
		}
		e.move(t, reviewer, other.ID, "reject", map[string]any{"reason": "Explain why you need fewer scopes."}).want(t, http.StatusOK)
		if l := list(t); len(l) != 2 || !sameSet(scopes(l[other.ID]), approvedScopes) {
			t.Errorf("rejected: listed %+v, want %s with its scopes %v", l, other.ID, approvedScopes)
		}
		if q := queued(t); len(q) != 0 {
			t.Errorf("rejected: queue %v, want empty", q)
		}
	})

	t.Run("UnpublishWhileInReview", func(t *testing.T) {
		sendChanges(t, other.ID, bob)
		e.move(t, bob, other.ID, "unpublish", nil).want(t, http.StatusOK)
		if l := list(t); len(l) != 1 || l[a.ID].ID == "" {
			t.Errorf("unpublished: listed %+v, want only %s", l, a.ID)
		}
		e.do(t, "GET", "/v1/marketplace/apps/"+other.ID, nil, nil).want(t, http.StatusNotFound)
		if q := queued(t); !slices.Equal(q, []string{other.ID}) {
			t.Errorf("unpublished with changes in review: queue %v, want [%s]", q, other.ID)
		}
	})

	t.Run("Unpublish", func(t *testing.T) {
		e.move(t, alice, a.ID, "unpublish", nil).want(t, http.StatusOK)
		if l := list(t); len(l) != 0 {
			t.Errorf("unpublished: listed %+v", l)
		}
		e.do(t, "GET", "/v1/marketplace/apps/"+a.ID, nil, nil).want(t, http.StatusNotFound)
	})
}
