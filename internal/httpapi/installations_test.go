package httpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
)

// installEnv is newEnv with the installation store wired, as NewServer does.
func installEnv(t *testing.T) *env {
	e := newEnv(t)
	e.server.Hub.Installations = e.store
	return e
}

// install records an approved consent of id for app a (as POST
// /oauth/authorize does) and returns nothing: the store is the subject.
func (e *env) install(t *testing.T, id devhub.Identity, a devhub.App) {
	t.Helper()
	now := time.Now()
	if err := e.store.Consent(context.Background(), &a, id.CompanyID, id.UserID, &devhub.AuthCode{
		Hash: devhub.NewID("h"), ClientID: a.ClientID, AppID: a.ID, CompanyID: id.CompanyID, UserID: id.UserID,
		Scopes: a.Scopes, IssuedAt: now, ExpiresAt: now.Add(devhub.CodeLifetime),
	}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) setStatus(t *testing.T, a devhub.App, st devhub.AppStatus) devhub.App {
	t.Helper()
	next := a
	next.Status, next.Version = st, a.Version+1
	if err := e.store.UpdateApp(context.Background(), &next, a.Version); err != nil {
		t.Fatal(err)
	}
	return next
}

type installationList struct {
	Data []struct {
		ID        string `json:"id"`
		AppID     string `json:"app_id"`
		ClientID  string `json:"client_id"`
		CompanyID string `json:"company_id"`
		UserID    string `json:"user_id"`
	} `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func TestInstallations(t *testing.T) {
	e := installEnv(t)
	a1 := e.setStatus(t, e.createApp(t, alice, validApp()), devhub.StatusPublished)
	a2 := e.setStatus(t, e.createApp(t, alice, validApp()), devhub.StatusPublished)
	var empty installationList
	e.do(t, "GET", "/v1/installations", &customer, nil).want(t, 200).decode(t, &empty)
	if len(empty.Data) != 0 || empty.NextCursor != nil {
		t.Fatalf("got %+v", empty)
	}
	e.install(t, customer, a1)
	time.Sleep(2 * time.Millisecond) // ids sort by millisecond
	e.install(t, customer, a2)
	e.install(t, customer, a2) // a renewal: still one
	e.install(t, bob, a1)

	var p1, p2 installationList
	e.do(t, "GET", "/v1/installations?limit=1", &customer, nil).want(t, 200).decode(t, &p1)
	if len(p1.Data) != 1 || p1.NextCursor == nil || p1.Data[0].AppID != a2.ID {
		t.Fatalf("page 1: %+v", p1)
	}
	e.do(t, "GET", "/v1/installations?limit=1&cursor="+url.QueryEscape(*p1.NextCursor), &customer, nil).want(t, 200).decode(t, &p2)
	if len(p2.Data) != 1 || p2.Data[0].AppID != a1.ID || p2.Data[0].UserID != customer.UserID || p2.Data[0].ClientID != a1.ClientID {
		t.Fatalf("page 2: %+v", p2)
	}
	t.Run("ErrBadCursor", func(t *testing.T) {
		e.do(t, "GET", "/v1/installations?cursor=bogus", &customer, nil).want(t, 400)
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		e.do(t, "GET", "/v1/installations", nil, nil).want(t, 401)
	})
	t.Run("ErrOthersInstallation", func(t *testing.T) {
		e.do(t, "DELETE", "/v1/installations/"+p1.Data[0].ID, &bob, nil).want(t, 404)
	})
	t.Run("ErrMalformedID", func(t *testing.T) {
		e.do(t, "DELETE", "/v1/installations/inst_x", &customer, nil).want(t, 404)
	})
	t.Run("OKUninstall", func(t *testing.T) {
		e.meter.Reset()
		e.do(t, "DELETE", "/v1/installations/"+p1.Data[0].ID, &customer, nil).want(t, 204)
		if n := e.meter.Total(); n != 2 {
			t.Errorf("%d round trips, want 2", n)
		}
		e.do(t, "DELETE", "/v1/installations/"+p1.Data[0].ID, &customer, nil).want(t, 404)
		var after installationList
		e.do(t, "GET", "/v1/installations", &customer, nil).want(t, 200).decode(t, &after)
		if len(after.Data) != 1 || after.Data[0].AppID != a1.ID {
			t.Errorf("after: %+v", after)
		}
	})
}

type launchBody struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func TestLaunch(t *testing.T) {
	e := installEnv(t)
	draft := e.createApp(t, alice, validApp())
	var link, modal, panel extension
	e.do(t, "POST", "/v1/apps/"+draft.ID+"/extensions", &alice, validExtension(devhub.ExtLinkAction)).want(t, 201).decode(t, &link)
	e.do(t, "POST", "/v1/apps/"+draft.ID+"/extensions", &alice, validExtension(devhub.ExtCustomModal)).want(t, 201).decode(t, &modal)
	e.do(t, "POST", "/v1/apps/"+draft.ID+"/extensions", &alice, validExtension(devhub.ExtJSONPanel)).want(t, 201).decode(t, &panel)
	launch := func(id *devhub.Identity, ext string) *response {
		return e.do(t, "POST", "/v1/apps/"+draft.ID+"/extensions/"+ext+"/launch", id, nil)
	}
	check := func(t *testing.T, r *response, id devhub.Identity, wantURL, secret string) {
		t.Helper()
		var l launchBody
		r.want(t, 200).decode(t, &l)
		u, err := url.Parse(l.URL)
		if err != nil || !strings.HasPrefix(l.URL, wantURL+"?") || u.Query().Get("token") != l.Token ||
			u.Query().Get("userId") != id.UserID || u.Query().Get("companyId") != id.CompanyID {
			t.Fatalf("url %s", l.URL)
		}
		claims := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(l.Token, claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
			jwt.WithValidMethods([]string{"HS256"})); err != nil {
			t.Fatalf("token: %v", err)
		}
		iat, _ := claims.GetIssuedAt()
		exp, _ := claims.GetExpirationTime()
		if claims["userId"] != id.UserID || claims["companyId"] != id.CompanyID || exp.Sub(iat.Time) != 5*time.Minute ||
			!exp.Time.Equal(l.ExpiresAt) {
			t.Errorf("claims %v, expires_at %v", claims, l.ExpiresAt)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}
	}
	t.Run("OKDraftOwnerCompany", func(t *testing.T) {
		check(t, launch(&alice, link.ID), alice, "https://example.com/quote", extJWTSecret) // link_action: url, its own secret
		check(t, launch(&alice, modal.ID), alice, "https://example.com/modal", draft.ClientSecret)
		check(t, launch(&alice, panel.ID), alice, "https://example.com/panel", draft.ClientSecret) // api_endpoint
	})
	t.Run("ErrDraftOtherCompany", func(t *testing.T) {
		launch(&bob, modal.ID).want(t, 404)
	})
	live := e.setStatus(t, draft, devhub.StatusLive)
	t.Run("ErrNotInstalled", func(t *testing.T) {
		launch(&customer, modal.ID).want(t, 404)
		launch(&alice, modal.ID).want(t, 404) // live: the owner too needs an installation
	})
	e.install(t, devhub.Identity{UserID: "someone-else", CompanyID: customer.CompanyID}, live)
	t.Run("OKCompanyInstalled", func(t *testing.T) {
		check(t, launch(&customer, modal.ID), customer, "https://example.com/modal", live.ClientSecret)
	})
	t.Run("ErrUnknownExtension", func(t *testing.T) {
		launch(&customer, "ext_00000000000000000000000000").want(t, 404)
		launch(&customer, "nonsense").want(t, 404)
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		launch(nil, modal.ID).want(t, 401)
	})
}
