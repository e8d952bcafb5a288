package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
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

// TestRefusalReasons: every refused token is the same EUNAUTHORIZED for the
// client, and its reason says why, for the log.
func TestRefusalReasons(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret, Issuer: "https://id.example.com", Audience: "devhub",
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "u", "company_id": "c", "iss": "https://id.example.com", "aud": "devhub",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	sign := func(m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		t.Helper()
		s, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(k string, val any) jwt.MapClaims {
		c := good()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	rsa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		if _, err := v.Verify(sign(jwt.SigningMethodHS256, secret, good())); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name  string
		token string
		want  auth.Reason
	}{
		{"ErrMissing", "", auth.ReasonMissing},
		{"ErrMalformed", "not-a-jwt", auth.ReasonMalformed},
		{"ErrMalformedParts", "a.b.c", auth.ReasonMalformed},
		{"ErrBadSignature", sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-00"), good()), auth.ReasonBadSignature},
		{"ErrAlgHS512", sign(jwt.SigningMethodHS512, secret, good()), auth.ReasonWrongAlgorithm},
		{"ErrAlgRS256", sign(jwt.SigningMethodRS256, rsa, good()), auth.ReasonWrongAlgorithm},
		{"ErrAlgNone", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good()), auth.ReasonWrongAlgorithm},
		{"ErrMissingExp", sign(jwt.SigningMethodHS256, secret, with("exp", nil)), auth.ReasonMissingExp},
		{"ErrExpired", sign(jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Minute).Unix())), auth.ReasonExpired},
		{"ErrNotYetValid", sign(jwt.SigningMethodHS256, secret, with("nbf", now.Add(time.Hour).Unix())), auth.ReasonNotYetValid},
		{"ErrIssuer", sign(jwt.SigningMethodHS256, secret, with("iss", "https://evil.example.com")), auth.ReasonIssuer},
		{"ErrNoIssuer", sign(jwt.SigningMethodHS256, secret, with("iss", nil)), auth.ReasonIssuer},
		{"ErrAudience", sign(jwt.SigningMethodHS256, secret, with("aud", "other")), auth.ReasonAudience},
		{"ErrNoAudience", sign(jwt.SigningMethodHS256, secret, with("aud", nil)), auth.ReasonAudience},
		{"ErrNoSubject", sign(jwt.SigningMethodHS256, secret, with("sub", nil)), auth.ReasonMissingClaims},
		{"ErrNoCompany", sign(jwt.SigningMethodHS256, secret, with("company_id", nil)), auth.ReasonMissingClaims},
		{"ErrClaimType", sign(jwt.SigningMethodHS256, secret, with("company_id", 7)), auth.ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.token)
			if got := auth.ReasonOf(err); got != tc.want {
				t.Errorf("reason: got %q, want %q (%v)", got, tc.want, err)
			}
			if devhub.ErrorCode(err) != devhub.EUNAUTHORIZED || devhub.ErrorMessage(err) != "A valid bearer token is required." {
				t.Errorf("the client would see %q %q", devhub.ErrorCode(err), devhub.ErrorMessage(err))
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error holds the token: %v", err)
			}
		})
	}
	if auth.ReasonOf(errors.New("other")) != "" || auth.ReasonOf(nil) != "" {
		t.Error("ReasonOf of another error is not empty")
	}
}
