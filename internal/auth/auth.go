// Package auth verifies the platform's developer bearer tokens and issues
// development tokens for local use.
//
// Tokens are HS256 JWTs signed by the platform's identity service with a
// shared secret. The algorithm is pinned: a token signed any other way, or
// without an expiry, is refused. This package never logs a token.
package auth

import (
	"errors"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims the identity service puts in a developer token.
type Claims struct {
	CompanyID string   `json:"company_id"`
	Sandbox   bool     `json:"sandbox"`
	Roles     []string `json:"roles,omitempty"`
	jwt.RegisteredClaims
}

// Verifier checks bearer tokens.
type Verifier struct {
	secret []byte
	parser *jwt.Parser
}

// VerifierOptions configures a Verifier. Issuer and Audience are checked
// only when set.
type VerifierOptions struct {
	Secret   []byte
	Issuer   string
	Audience string
	Now      func() time.Time
}

// minSecretLen is the shortest HS256 secret accepted: 256 bits.
const minSecretLen = 32

// NewVerifier returns a Verifier, or an error when the secret is too short
// to be safe.
func NewVerifier(o VerifierOptions) (*Verifier, error) {
	if len(o.Secret) < minSecretLen {
		return nil, errors.New("auth: AUTH_JWT_SECRET must be at least 32 bytes")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30 * time.Second),
	}
	if o.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		opts = append(opts, jwt.WithAudience(o.Audience))
	}
	if o.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(o.Now))
	}
	return &Verifier{secret: o.Secret, parser: jwt.NewParser(opts...)}, nil
}

var errUnauthorized = devhub.Errorf(devhub.EUNAUTHORIZED, "A valid bearer token is required.")

// Verify returns the identity a token vouches for, or an EUNAUTHORIZED error
// that says nothing about why (the reason is for the log, not the caller).
func (v *Verifier) Verify(token string) (devhub.Identity, error) {
	var c Claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.secret, nil })
	if err != nil {
		return devhub.Identity{}, errUnauthorized
	}
	if c.Subject == "" || c.CompanyID == "" {
		return devhub.Identity{}, errUnauthorized
	}
	return devhub.Identity{UserID: c.Subject, CompanyID: c.CompanyID, Sandbox: c.Sandbox, Roles: c.Roles}, nil
}

// BearerToken extracts the token from an Authorization header value, or "".
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// IssueToken signs a developer token for id, valid for ttl. It is for local
// runs and tests: in production the platform's identity service issues them.
func IssueToken(secret []byte, id devhub.Identity, issuer, audience string, now time.Time, ttl time.Duration) (string, error) {
	c := Claims{
		CompanyID: id.CompanyID,
		Sandbox:   id.Sandbox,
		Roles:     id.Roles,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   id.UserID,
			Issuer:    issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	if audience != "" {
		c.Audience = jwt.ClaimStrings{audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}
