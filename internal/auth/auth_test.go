package auth_test

import (
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// TestCacheHonoursExpiry: a remembered token stops working when it expires.
func TestCacheHonoursExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	id := devhub.Identity{UserID: "u", CompanyID: "c", Sandbox: true, Roles: []string{"r"}}
	tok, _ := auth.IssueToken(secret, id, "", "", now, 2*time.Minute)
	for range 2 { // the second call is served from the cache
		got, err := v.Verify(tok)
		if err != nil || got.UserID != "u" || got.CompanyID != "c" || !got.Sandbox || !got.HasRole("r") {
			t.Fatalf("got %+v, %v", got, err)
		}
	}
	now = now.Add(2*time.Minute + 31*time.Second) // past exp and the 30 s leeway
	if _, err := v.Verify(tok); devhub.ErrorCode(err) != devhub.EUNAUTHORIZED {
		t.Errorf("expired cached token: got %v, want unauthorized", err)
	}
	// A token that failed once is never remembered as good.
	bad := tok[:len(tok)-2] + "xx"
	for range 2 {
		if _, err := v.Verify(bad); devhub.ErrorCode(err) != devhub.EUNAUTHORIZED {
			t.Errorf("tampered token: got %v", err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: secret})
	tok, _ := auth.IssueToken(secret, devhub.Identity{UserID: "u", CompanyID: "c"}, "", "", time.Now(), time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
