package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

// TestGetAppsByClientID: one BatchGetItem per 100 ids (none for none),
// duplicates read once, missing ids left out.
func TestGetAppsByClientID(t *testing.T) {
	m := &dynamo.Meter{}
	s := dynamotest.MustOpenStore(t, m.Option)
	ctx := context.Background()
	var ids []string
	for i := range 101 {
		a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: fmt.Sprintf("App %d", i), CallbackURL: "https://example.com/cb"},
			devhub.Identity{UserID: "u", CompanyID: "owner", Sandbox: true}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateApp(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ClientID)
	}
	m.Reset()
	if apps, err := s.GetAppsByClientID(ctx, nil); err != nil || len(apps) != 0 || m.Total() != 0 {
		t.Fatalf("no ids: %d apps, %v, %d calls", len(apps), err, m.Total())
	}
	apps, err := s.GetAppsByClientID(ctx, append([]string{ids[0], devhub.NewID("")}, ids[:3]...))
	if err != nil || len(apps) != 3 || m.Calls()["BatchGetItem"] != 1 {
		t.Fatalf("3 ids, a duplicate and a missing one: %d apps, %v, %v", len(apps), err, m.Calls())
	}
	m.Reset()
	apps, err = s.GetAppsByClientID(ctx, ids)
	if err != nil || len(apps) != 101 || m.Calls()["BatchGetItem"] != 2 {
		t.Fatalf("101 ids: %d apps, %v, %v", len(apps), err, m.Calls())
	}
	seen := map[string]bool{}
	for _, a := range apps {
		if a.ID == "" || a.Name == "" || seen[a.ClientID] {
			t.Fatalf("app %+v", a)
		}
		seen[a.ClientID] = true
	}
}

func TestFindInstallation(t *testing.T) {
	s, a := oauthFixture(t)
	ctx := context.Background()
	if err := s.Consent(ctx, a, "acme", "alice", code(a, "acme", "alice")); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListInstallations(ctx, "acme", "alice", "", 10)
	if err != nil || len(p.Items) != 1 {
		t.Fatal(p, err)
	}
	in, err := s.FindInstallation(ctx, "acme", "alice", p.Items[0].ID)
	if err != nil || in.AppID != a.ID || in.ClientID != a.ClientID {
		t.Fatalf("%+v %v", in, err)
	}
	for _, who := range [][2]string{{"acme", "bob"}, {"other", "alice"}} {
		if _, err := s.FindInstallation(ctx, who[0], who[1], p.Items[0].ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("%v: %v", who, err)
		}
	}
}
