// Package auth verifies the platform's developer bearer tokens and issues
// development tokens for local use.
//
// Tokens are HS256 JWTs signed by the platform's identity service with a
// shared secret. The algorithm is pinned: a token signed any other way, or
// without an expiry, is refused. This package never logs a token.
package auth

import (
	"errors"
	"sync"
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

// Verifier checks bearer tokens. It remembers the identities of tokens it
// verified, until they expire (and at most cacheTTL): a warm Lambda sees
// the same developer's token request after request, and parsing it again
// cost more than the rest of the request's own work. Tokens are stateless,
// so there is nothing to revoke that the cache could miss.
type Verifier struct {
	secret []byte
	parser *jwt.Parser
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	id    devhub.Identity
	until time.Time
}

const (
	cacheTTL  = 5 * time.Minute
	cacheSize = 4096
	leeway    = 30 * time.Second
)

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
		jwt.WithLeeway(leeway),
	}
	if o.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		opts = append(opts, jwt.WithAudience(o.Audience))
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
		opts = append(opts, jwt.WithTimeFunc(o.Now))
	}
	return &Verifier{secret: o.Secret, parser: jwt.NewParser(opts...), now: now, cache: map[string]cached{}}, nil
}

var errUnauthorized = devhub.Errorf(devhub.EUNAUTHORIZED, "A valid bearer token is required.")

// Verify returns the identity a token vouches for, or an EUNAUTHORIZED error
// that says nothing about why (the reason is for the log, not the caller).
func (v *Verifier) Verify(token string) (devhub.Identity, error) {
	now := v.now()
	v.mu.Lock()
	hit, ok := v.cache[token]
	v.mu.Unlock()
	if ok && now.Before(hit.until) {
		return hit.id, nil
	}
	var c Claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.secret, nil })
	if err != nil {
		return devhub.Identity{}, errUnauthorized
	}
	if c.Subject == "" || c.CompanyID == "" {
		return devhub.Identity{}, errUnauthorized
	}
	id := devhub.Identity{UserID: c.Subject, CompanyID: c.CompanyID, Sandbox: c.Sandbox, Roles: c.Roles}
	until := c.ExpiresAt.Add(leeway)
	if limit := now.Add(cacheTTL); limit.Before(until) {
		until = limit
	}
	v.mu.Lock()
	if len(v.cache) >= cacheSize {
		clear(v.cache) // crude but bounded; a full cache is a cold one again
	}
	v.cache[token] = cached{id: id, until: until}
	v.mu.Unlock()
	return id, nil
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
