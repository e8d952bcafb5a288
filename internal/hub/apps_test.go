package hub_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// TestCreateAppIdempotency: a retry with the same key and request gets the
// first answer back and writes nothing; another request with the key is
// refused; a malformed key is refused before anything is done.
func TestCreateAppIdempotency(t *testing.T) {
	ctx := context.Background()
	h, meter := newHub(t)
	in := devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Deal sync", CallbackURL: "https://example.com/cb"}
	answers := 0
	idem := func(key, body string) hub.Idempotency[*devhub.App] {
		return hub.Idempotency[*devhub.App]{Key: key, Request: "create", Body: []byte(body),
			Answer: func(a *devhub.App) (hub.Answer, error) {
				answers++
				b, err := json.Marshal(map[string]string{"id": a.ID})
				return hub.Answer{Status: 201, Location: "/apps/" + a.ID, Body: b}, err
			}}
	}
	first, prev, err := h.CreateApp(ctx, alice, in, idem("k1", "body"))
	if err != nil || prev != nil || first == nil || answers != 1 {
		t.Fatalf("first: got %v, %v, %v (answers %d)", first, prev, err, answers)
	}
	t.Run("OK", func(t *testing.T) {
		meter.Reset()
		a, prev, err := h.CreateApp(ctx, alice, in, idem("k1", "body"))
		if err != nil || a != nil || prev == nil {
			t.Fatalf("retry: got %v, %v, %v", a, prev, err)
		}
		if prev.Status != 201 || prev.Location != "/apps/"+first.ID || !strings.Contains(string(prev.Body), first.ID) {
			t.Errorf("retry answer: %+v", prev)
		}
		if n := meter.Total(); n != 1 {
			t.Errorf("retry: %d round trips, want 1", n)
		}
		page, err := h.ListApps(ctx, alice, hub.PageRequest{})
		if err != nil || len(page.Items) != 1 {
			t.Errorf("got %d apps (%v), want 1", len(page.Items), err)
		}
	})
	t.Run("ErrOtherRequest", func(t *testing.T) {
		if _, _, err := h.CreateApp(ctx, alice, in, idem("k1", "other body")); devhub.ErrorCode(err) != devhub.EINVALID {
			t.Errorf("got %v, want invalid", err)
		}
	})
	t.Run("ErrOtherUser", func(t *testing.T) {
		mallory := alice
		mallory.UserID = "mallory" // same company, same key: another request
		if _, _, err := h.CreateApp(ctx, mallory, in, idem("k1", "body")); devhub.ErrorCode(err) != devhub.EINVALID {
			t.Errorf("got %v, want invalid", err)
		}
	})
	t.Run("ErrMalformedKey", func(t *testing.T) {
		meter.Reset()
		for _, key := range []string{strings.Repeat("k", 256), "tab\there", "é"} {
			_, _, err := h.CreateApp(ctx, alice, in, idem(key, "body"))
			if devhub.ErrorCode(err) != devhub.EMALFORMED || devhub.ErrorFields(err)[0].Field != "Idempotency-Key" {
				t.Errorf("key %q: got %v", key, err)
			}
		}
		if n := meter.Total(); n != 0 {
			t.Errorf("%d round trips for malformed keys", n)
		}
	})
	t.Run("ErrNotDeveloper", func(t *testing.T) {
		if _, _, err := h.CreateApp(ctx, customer, in, idem("k2", "body")); devhub.ErrorCode(err) != devhub.EFORBIDDEN {
			t.Errorf("got %v, want forbidden", err)
		}
	})
}

// TestPatchAppIfMatch: a condition on the version is checked against the
// version read; a lost race under a condition is a precondition failure.
func TestPatchAppIfMatch(t *testing.T) {
	ctx := context.Background()
	h, _ := newHub(t)
	a := mustApp(t, h, alice, devhub.AppPrivate)
	name := func(n string) devhub.AppPatch {
		var p devhub.AppPatch
		if err := json.Unmarshal([]byte(`{"name":"`+n+`"}`), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		cond hub.IfMatch
		want string
	}{
		{"ErrOtherVersion", hub.AtVersion(a.Version + 5), devhub.EPRECONDITION},
		{"ErrNoVersionNamed", hub.IfMatch{Given: true}, devhub.EPRECONDITION},
		{"OKNone", hub.IfMatch{}, ""},
		{"OKAny", hub.IfMatch{Given: true, Any: true}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cur, err := h.GetApp(ctx, alice, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			next, err := h.PatchApp(ctx, alice, a.ID, name("Renamed"), c.cond)
			if devhub.ErrorCode(err) != c.want {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if err == nil && next.Version != cur.Version+1 {
				t.Errorf("version %d after %d", next.Version, cur.Version)
			}
		})
	}
	t.Run("OKCurrent", func(t *testing.T) {
		cur, _ := h.GetApp(ctx, alice, a.ID)
		if _, err := h.PatchApp(ctx, alice, a.ID, name("Again"), hub.AtVersion(cur.Version)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotOwner", func(t *testing.T) {
		if _, err := h.PatchApp(ctx, bob, a.ID, name("Mine"), hub.IfMatch{}); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("got %v, want not_found", err)
		}
	})
}
