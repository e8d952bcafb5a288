package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
)

// TestDisplayClaims: name and company_name reach the identity, cleaned for
// display, and the ids stay what decisions use; without them the display
// names fall back to the ids.
func TestDisplayClaims(t *testing.T) {
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(id devhub.Identity) devhub.Identity {
		t.Helper()
		tok, err := auth.IssueToken(secret, id, "", "", time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := verify(devhub.Identity{UserID: "alice", CompanyID: "acme", Name: "Alice Adams", CompanyName: "Acme & Co"})
	if got.UserID != "alice" || got.CompanyID != "acme" || got.DisplayName() != "Alice Adams" || got.DisplayCompany() != "Acme & Co" {
		t.Errorf("got %+v", got)
	}
	got = verify(devhub.Identity{UserID: "bob", CompanyID: "globex"})
	if got.Name != "" || got.CompanyName != "" || got.DisplayName() != "bob" || got.DisplayCompany() != "globex" {
		t.Errorf("no names: got %+v (%q, %q)", got, got.DisplayName(), got.DisplayCompany())
	}
	got = verify(devhub.Identity{UserID: "u", CompanyID: "c", Name: " Eve\x00\u202e\nX ", CompanyName: strings.Repeat("é", 150)})
	if got.Name != "EveX" {
		t.Errorf("control characters kept: %q", got.Name)
	}
	if len(got.CompanyName) > 200 || !strings.HasPrefix(got.CompanyName, "éé") || strings.ToValidUTF8(got.CompanyName, "?") != got.CompanyName {
		t.Errorf("long name: %d bytes, %q", len(got.CompanyName), got.CompanyName)
	}
}

// TestDisplayClaimOfWrongType: a name that is not a string makes the token
// malformed: refused, with a reason for the log.
func TestDisplayClaimOfWrongType(t *testing.T) {
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: secret})
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u", "company_id": "c", "name": 7,
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(tok); devhub.ErrorCode(err) != devhub.EUNAUTHORIZED || auth.ReasonOf(err) == "" {
		t.Errorf("got %v (%s)", err, auth.ReasonOf(err))
	}
}
