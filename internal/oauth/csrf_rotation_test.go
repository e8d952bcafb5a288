package oauth

import (
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

type rotatingSecrets struct{ keys [][]byte }

func (r *rotatingSecrets) Current() [][]byte { return r.keys }

// TestCSRFFollowsRotation: with rotating secrets (Secrets Manager), a
// consent page shown before a rotation can still be answered while both
// secrets are held, one signed after it verifies, and once the old secret
// is dropped its pages no longer do.
func TestCSRFFollowsRotation(t *testing.T) {
	oldKey, newKey := []byte("old-secret-of-the-identity-service-0123456789"), []byte("new-secret-of-the-identity-service-9876543210")
	src := &rotatingSecrets{keys: [][]byte{oldKey}}
	s := New(Options{Secrets: src})
	id := devhub.Identity{UserID: "u1", CompanyID: "c1"}
	ar := authRequest{ClientID: "client_1", RedirectURI: "https://app.example.com/cb", State: "s"}
	until := time.Now().Add(time.Minute)
	before := s.csrfToken(id, ar, until)
	if !s.checkCSRF(before, id, ar) {
		t.Fatal("a fresh token is refused")
	}
	src.keys = [][]byte{newKey, oldKey} // rotated, in the grace period
	if !s.checkCSRF(before, id, ar) {
		t.Error("a page shown before the rotation is refused during the grace period")
	}
	after := s.csrfToken(id, ar, until)
	if after == before {
		t.Error("pages are still signed with the previous secret")
	}
	src.keys = [][]byte{newKey} // the grace period is over
	if s.checkCSRF(before, id, ar) {
		t.Error("a page signed with the dropped secret is accepted")
	}
	if !s.checkCSRF(after, id, ar) {
		t.Error("a page signed with the current secret is refused")
	}
}
