package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

func newApp(t *testing.T, company string, created time.Time) *devhub.App {
	t.Helper()
	inst := "https://example.com/install"
	a, err := devhub.NewApp(devhub.NewAppInput{
		Type: devhub.AppPublic, Name: "My app", CallbackURL: "https://example.com/cb",
		Scopes: []string{"deals:read"}, InstallationURL: &inst,
		Listing: &devhub.Listing{Summary: "s", ImageURLs: []string{"https://example.com/1.png"}},
	}, devhub.Identity{UserID: "u1", CompanyID: company, Sandbox: true}, created)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestApps(t *testing.T) {
	var meter dynamo.Meter
	s := dynamotest.MustOpenStore(t, meter.Option)
	ctx := context.Background()
	a := newApp(t, "c1", time.Now())

	t.Run("CreateGet", func(t *testing.T) {
		meter.Reset()
		if _, err := s.CreateApp(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if got := meter.Total(); got != 1 {
			t.Errorf("create: got %d round trips, want 1", got)
		}
		meter.Reset()
		got, err := s.GetApp(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if meter.Total() != 1 {
			t.Errorf("get: got %d round trips, want 1", meter.Total())
		}
		if got.ClientSecret != a.ClientSecret || got.Name != a.Name || *got.InstallationURL != *a.InstallationURL ||
			got.Listing.ImageURLs[0] != a.Listing.ImageURLs[0] || !got.CreatedAt.Equal(a.CreatedAt) || got.Version != 1 {
			t.Errorf("got %+v, want %+v", got, a)
		}
		byClient, err := s.GetAppByClientID(ctx, a.ClientID)
		if err != nil || byClient.ID != a.ID {
			t.Fatalf("by client id: got %v, %v", byClient, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.GetApp(ctx, "app_nope")
		if got := devhub.ErrorCode(err); got != devhub.ENOTFOUND {
			t.Errorf("got %q, want %q", got, devhub.ENOTFOUND)
		}
	})
	t.Run("UpdateRace", func(t *testing.T) {
		// Ten writers read version 1 and race; exactly one may win.
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := *a
				next.Name = fmt.Sprintf("Name %d", i)
				next.Version = a.Version + 1
				errs <- s.UpdateApp(ctx, &next, a.Version)
			}()
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch devhub.ErrorCode(err) {
			case "":
				won++
			case devhub.ECONFLICT:
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if won != 1 {
			t.Errorf("got %d winners, want 1", won)
		}
		got, _ := s.GetAppByClientID(ctx, a.ClientID)
		if got.Version != 2 {
			t.Errorf("client copy version: got %d, want 2", got.Version)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		cur, _ := s.GetApp(ctx, a.ID)
		stale := *cur
		stale.Version--
		if err := s.DeleteApp(ctx, &stale, "r", "u1"); devhub.ErrorCode(err) != devhub.ECONFLICT {
			t.Errorf("stale delete: got %v, want conflict", err)
		}
		meter.Reset()
		if err := s.DeleteApp(ctx, cur, "no longer needed", "u1"); err != nil {
			t.Fatal(err)
		}
		if meter.Total() != 1 {
			t.Errorf("delete: got %d round trips, want 1", meter.Total())
		}
		if _, err := s.GetAppByClientID(ctx, a.ClientID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("client copy after delete: got %v", err)
		}
		if err := s.DeleteApp(ctx, cur, "again", "u1"); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("second delete: got %v, want not found", err)
		}
	})
}

func TestIdempotency(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	rec := &devhub.Idempotency{Scope: "c1", Key: "k1", RequestHash: "h1", Status: 201, Body: []byte(`{"a":1}`)}
	a := newApp(t, "c1", time.Now())
	if prev, err := s.CreateApp(ctx, a, rec); err != nil || prev != nil {
		t.Fatalf("first: got %v, %v", prev, err)
	}
	// Racing retries under the same key: none creates a second app.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newApp(t, "c1", time.Now())
			prev, err := s.CreateApp(ctx, b, &devhub.Idempotency{Scope: "c1", Key: "k1", RequestHash: "h2"})
			if err != nil || prev == nil || prev.RequestHash != "h1" || string(prev.Body) != `{"a":1}` || prev.Status != 201 {
				t.Errorf("replay: got %+v, %v", prev, err)
			}
		}()
	}
	wg.Wait()
	page, err := s.ListApps(ctx, "c1", "", 100)
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("got %d apps (%v), want 1", len(page.Items), err)
	}
	// The same key in another company is another key.
	if prev, err := s.CreateApp(ctx, newApp(t, "c2", time.Now()), &devhub.Idempotency{Scope: "c2", Key: "k1"}); err != nil || prev != nil {
		t.Errorf("other scope: got %v, %v", prev, err)
	}
}

func TestListApps(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := map[string]bool{}
	for i := range 7 {
		a := newApp(t, "c1", base.Add(time.Duration(i)*time.Second))
		want[a.ID] = true
		if _, err := s.CreateApp(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateApp(ctx, newApp(t, "other", base), nil); err != nil {
		t.Fatal(err)
	}
	var got []*devhub.App
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatal("too many pages")
		}
		page, err := s.ListApps(ctx, "c1", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(got) != 7 {
		t.Fatalf("got %d apps, want 7", len(got))
	}
	for i, a := range got {
		if !want[a.ID] {
			t.Errorf("foreign app %s listed", a.ID)
		}
		if i > 0 && got[i-1].CreatedAt.Before(a.CreatedAt) {
			t.Errorf("not newest first at %d", i)
		}
	}
	t.Run("ErrBadCursor", func(t *testing.T) {
		for _, c := range []string{"!!", "e30", "eyJQSyI6IngiLCJTSyI6IkEiLCJHU0kxU0siOiJYIn0"} {
			if _, err := s.ListApps(ctx, "c1", c, 3); devhub.ErrorCode(err) != devhub.EMALFORMED {
				t.Errorf("cursor %q: got %v, want malformed", c, err)
			}
		}
	})
}

func TestListAppsByStatus(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	var live []string
	for i := range 5 {
		a := newApp(t, fmt.Sprintf("c%d", i), time.Now())
		if i%2 == 0 {
			a.Status = devhub.StatusLive
			live = append(live, a.ID)
		}
		if _, err := s.CreateApp(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	cursor := ""
	for {
		page, err := s.ListAppsByStatus(ctx, devhub.StatusLive, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Items {
			got = append(got, a.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	slices.Sort(got)
	slices.Sort(live)
	if !slices.Equal(got, live) {
		t.Errorf("got %v, want %v", got, live)
	}
}
