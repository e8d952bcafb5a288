package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

func oauthFixture(t *testing.T) (*dynamo.Store, *devhub.App) {
	t.Helper()
	s := dynamotest.MustOpenStore(t)
	a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: "OAuth app", CallbackURL: "https://example.com/cb"},
		devhub.Identity{UserID: "u", CompanyID: "owner", Sandbox: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateApp(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	return s, a
}

func code(a *devhub.App, company, user string) *devhub.AuthCode {
	now := time.Now()
	return &devhub.AuthCode{Hash: devhub.NewID("c"), ClientID: a.ClientID, AppID: a.ID, CompanyID: company, UserID: user,
		Scopes: a.Scopes, IssuedAt: now, ExpiresAt: now.Add(devhub.CodeLifetime)}
}

func tokens(c *devhub.AuthCode, grant string) (*devhub.Token, *devhub.Token) {
	at := &devhub.Token{Hash: devhub.NewID("a"), Kind: devhub.AccessToken, ClientID: c.ClientID, AppID: c.AppID,
		CompanyID: c.CompanyID, UserID: c.UserID, Grant: grant, Scopes: c.Scopes, IssuedAt: c.IssuedAt, ExpiresAt: c.IssuedAt.Add(time.Hour)}
	rt := *at
	rt.Hash, rt.Kind, rt.ExpiresAt = devhub.NewID("r"), devhub.RefreshToken, c.IssuedAt.Add(devhub.RefreshTokenIdle)
	return at, &rt
}

func TestInstallationLifecycle(t *testing.T) {
	s, a := oauthFixture(t)
	ctx := context.Background()
	// Ids with the key separator cannot reach into another company's range.
	c1 := code(a, "acme", "alice")
	if err := s.Consent(ctx, a, "acme", "alice", c1); err != nil {
		t.Fatal(err)
	}
	if err := s.Consent(ctx, a, "acme#x", "bob", code(a, "acme#x", "bob")); err != nil {
		t.Fatal(err)
	}
	first, _ := s.ListInstallations(ctx, "acme", "alice", "", 10)
	if err := s.Consent(ctx, a, "acme", "alice", code(a, "acme", "alice")); err != nil { // renewal
		t.Fatal(err)
	}
	again, _ := s.ListInstallations(ctx, "acme", "alice", "", 10)
	if len(first.Items) != 1 || len(again.Items) != 1 || first.Items[0].ID != again.Items[0].ID || again.Items[0].Version != 2 {
		t.Fatalf("renewal: %+v then %+v", first.Items, again.Items)
	}
	inst := again.Items[0]
	if inst.AppID != a.ID || inst.ClientID != a.ClientID || inst.CompanyID != "acme" || inst.UserID != "alice" {
		t.Errorf("installation %+v", inst)
	}
	if ok, _ := s.CompanyInstalled(ctx, a.ID, "acme"); !ok {
		t.Error("acme has it installed")
	}
	if ok, _ := s.CompanyInstalled(ctx, a.ID, "acme#"); ok {
		t.Error("a prefix of another company's id matched")
	}

	t.Run("ExchangeOnce", func(t *testing.T) {
		look, err := s.LookupCode(ctx, c1.Hash, a.ClientID)
		if err != nil || look.Code == nil || look.App == nil || look.Used != nil {
			t.Fatalf("lookup: %+v %v", look, err)
		}
		at, rt := tokens(look.Code, "g1")
		if err := s.ExchangeCode(ctx, look.Code, "g1", at, rt); err != nil {
			t.Fatal(err)
		}
		at2, rt2 := tokens(look.Code, "g2")
		if err := s.ExchangeCode(ctx, look.Code, "g2", at2, rt2); devhub.ErrorCode(err) != devhub.ECONFLICT {
			t.Fatalf("second exchange: %v", err)
		}
		look, _ = s.LookupCode(ctx, c1.Hash, a.ClientID)
		if look.Code != nil || look.Used == nil || look.Used.Grant != "g1" {
			t.Fatalf("after: %+v", look)
		}
		in, err := s.IntrospectToken(ctx, at.Hash, a.ClientID, a.ID, "acme", "alice")
		if err != nil || in.Token == nil || in.Installation == nil || in.Installation.Grant != "g1" || in.Token.Grant != "g1" {
			t.Fatalf("introspect: %+v %v", in, err)
		}
		if err := s.RevokeGrant(ctx, a.ID, "acme", "alice", "g1"); err != nil {
			t.Fatal(err)
		}
		in, _ = s.IntrospectToken(ctx, at.Hash, a.ClientID, a.ID, "acme", "alice")
		if in.Installation == nil || in.Installation.Grant != "" {
			t.Errorf("grant not revoked: %+v", in.Installation)
		}
		if err := s.RefreshToken(ctx, rt, at2, nil, time.Now().Add(time.Hour)); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("refresh of a revoked family: %v", err)
		}
	})
	t.Run("ErrExchangeAfterUninstall", func(t *testing.T) {
		c := code(a, "acme", "alice")
		if err := s.Consent(ctx, a, "acme", "alice", c); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteInstallation(ctx, "acme", "alice", inst.ID); err != nil {
			t.Fatal(err)
		}
		at, rt := tokens(c, "g3")
		if err := s.ExchangeCode(ctx, c, "g3", at, rt); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("got %v", err)
		}
		if err := s.DeleteInstallation(ctx, "acme", "alice", inst.ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("second delete: %v", err)
		}
	})
	t.Run("ErrOtherUsersInstallation", func(t *testing.T) {
		other, _ := s.ListInstallations(ctx, "acme#x", "bob", "", 10)
		if err := s.DeleteInstallation(ctx, "acme", "alice", other.Items[0].ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("got %v", err)
		}
	})
	t.Run("ErrConsentAppGone", func(t *testing.T) {
		gone := *a
		gone.ClientID = "00000000000000000000000000"
		if err := s.Consent(ctx, &gone, "acme", "alice", code(&gone, "acme", "alice")); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("got %v", err)
		}
	})
}
