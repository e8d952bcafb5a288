// Package auth verifies the platform's developer bearer tokens and issues
// development tokens for local use.
//
// Tokens are HS256 JWTs signed by the platform's identity service with a
// shared secret. The algorithm is pinned: a token signed any other way, or
// without an expiry, is refused. A refusal tells the client nothing but
// "unauthorized"; its Reason (expired, bad signature, …) is for the log.
// This package never logs, and never puts a token in an error.
package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims the identity service puts in a developer token.
type Claims struct {
	CompanyID string   `json:"company_id"`
	Sandbox   bool     `json:"sandbox"`
	Roles     []string `json:"roles,omitempty"`
	// Name and CompanyName are optional display claims: shown to people
	// (consent page, console, marketplace), never used for a decision.
	Name        string `json:"name,omitempty"`
	CompanyName string `json:"company_name,omitempty"`
	jwt.RegisteredClaims
}

// Verifier checks bearer tokens. It remembers the identities of tokens it
// verified, until they expire (and at most cacheTTL): a warm Lambda sees
// the same developer's token request after request, and parsing it again
// cost more than the rest of the request's own work. Tokens are stateless,
// so there is nothing to revoke that the cache could miss.
type Verifier struct {
	keys   KeySource
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

// KeySource supplies the HS256 secrets of a Verifier when they rotate
// (internal/service reads them from Secrets Manager): during a rotation
// both the new and the previous secret verify.
type KeySource interface {
	// Current returns the secrets that verify, newest first; never empty.
	Current() [][]byte
	// Renew is called when a token's signature matched none of them: it
	// returns the secrets again when it fetched them anew (a rotation may
	// have happened since), nil when it did not, e.g. because it fetched a
	// moment ago. Callers try once more only on a non-nil answer.
	Renew() [][]byte
}

// StaticKeys is a KeySource of fixed secrets (AUTH_JWT_SECRET).
func StaticKeys(secrets ...[]byte) KeySource { return staticKeys(secrets) }

type staticKeys [][]byte

func (k staticKeys) Current() [][]byte { return k }
func (staticKeys) Renew() [][]byte     { return nil }

// VerifierOptions configures a Verifier. Issuer and Audience are checked
// only when set. Keys, when set, supplies the secrets instead of Secret.
type VerifierOptions struct {
	Secret   []byte
	Keys     KeySource
	Issuer   string
	Audience string
	Now      func() time.Time
}

// MinSecretLen is the shortest HS256 secret accepted: 256 bits.
const MinSecretLen = 32

// NewVerifier returns a Verifier, or an error when the secret is too short
// to be safe.
func NewVerifier(o VerifierOptions) (*Verifier, error) {
	keys := o.Keys
	if keys == nil {
		keys = staticKeys{o.Secret}
	}
	if st, ok := keys.(staticKeys); ok { // a rotating source checks what it reads
		for _, k := range st {
			if len(k) < MinSecretLen {
				return nil, errors.New("auth: the JWT secret (AUTH_JWT_SECRET) must be at least 32 bytes")
			}
		}
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
	return &Verifier{keys: keys, parser: jwt.NewParser(opts...), now: now, cache: map[string]cached{}}, nil
}

var errUnauthorized = devhub.Errorf(devhub.EUNAUTHORIZED, "A valid bearer token is required.")

// Reason says why a token was refused, in words for the log.
type Reason string

// The reasons Verify refuses a token for.
const (
	ReasonMissing        Reason = "missing"           // no bearer token at all
	ReasonMalformed      Reason = "malformed"         // not a JWT (three base64url parts of JSON)
	ReasonWrongAlgorithm Reason = "wrong_algorithm"   // signed with anything but HS256 (none included)
	ReasonBadSignature   Reason = "bad_signature"     // HS256, but not with our secret
	ReasonMissingExp     Reason = "missing_exp"       // no exp claim
	ReasonExpired        Reason = "expired"           // exp passed (beyond the leeway)
	ReasonNotYetValid    Reason = "not_yet_valid"     // nbf or iat in the future
	ReasonIssuer         Reason = "issuer_mismatch"   // iss is not AUTH_JWT_ISSUER
	ReasonAudience       Reason = "audience_mismatch" // aud does not hold AUTH_JWT_AUDIENCE
	ReasonMissingClaims  Reason = "missing_claims"    // no sub or no company_id
	ReasonInvalidClaims  Reason = "invalid_claims"    // a claim of the wrong type
)

// RefusedError is the error of a refused token: EUNAUTHORIZED for the
// client (devhub.ErrorCode and ErrorMessage see only that), with the reason
// for the log. It never holds the token.
type RefusedError struct{ Reason Reason }

func (e *RefusedError) Error() string { return fmt.Sprintf("bearer token refused: %s", e.Reason) }

// RefusalReason is Reason as a string, for adapters that log it without
// importing this package.
func (e *RefusedError) RefusalReason() string { return string(e.Reason) }

// Unwrap gives devhub.ErrorCode the one EUNAUTHORIZED every refusal shares.
func (e *RefusedError) Unwrap() error { return errUnauthorized }

// ReasonOf returns why err refused a token, or "" when err is not a refusal.
func ReasonOf(err error) Reason {
	var r *RefusedError
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

func refused(r Reason) error { return &RefusedError{Reason: r} }

// reason maps the parser's error to a Reason. The checks go from the
// token's form to its claims, so a token wrong in two ways reports the
// first (a forged token that is also expired is bad_signature).
func reason(tok *jwt.Token, c *Claims, err error) Reason {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ReasonMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) || errors.Is(err, jwt.ErrTokenUnverifiable):
		// The parser refuses another alg with the same error as a bad
		// signature; the header tells them apart.
		if tok == nil || tok.Method == nil || tok.Method.Alg() != jwt.SigningMethodHS256.Alg() {
			return ReasonWrongAlgorithm
		}
		return ReasonBadSignature
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// exp, or the iss or aud that AUTH_JWT_ISSUER / AUDIENCE require.
		switch {
		case c.ExpiresAt == nil:
			return ReasonMissingExp
		case c.Issuer == "":
			return ReasonIssuer
		}
		return ReasonAudience
	case errors.Is(err, jwt.ErrTokenExpired):
		return ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ReasonNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return ReasonIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return ReasonAudience
	}
	return ReasonInvalidClaims
}

// Verify returns the identity a token vouches for, or a *RefusedError: an
// EUNAUTHORIZED error that tells the client nothing about why, and whose
// Reason is for the log.
func (v *Verifier) Verify(token string) (devhub.Identity, error) {
	if token == "" {
		return devhub.Identity{}, refused(ReasonMissing)
	}
	now := v.now()
	v.mu.Lock()
	hit, ok := v.cache[token]
	v.mu.Unlock()
	if ok && now.Before(hit.until) {
		return hit.id, nil
	}
	keys := v.keys.Current()
	if len(keys) == 0 {
		// The secret could not be read (Secrets Manager): not the
		// caller's fault, and it may pass.
		return devhub.Identity{}, errNoSecret
	}
	tok, c, err := v.parse(token, keys)
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		// Signed with a secret we do not hold: perhaps rotated since we
		// last looked.
		if fresh := v.keys.Renew(); fresh != nil {
			tok, c, err = v.parse(token, fresh)
		}
	}
	if err != nil {
		return devhub.Identity{}, refused(reason(tok, c, err))
	}
	if c.Subject == "" || c.CompanyID == "" {
		return devhub.Identity{}, refused(ReasonMissingClaims)
	}
	id := devhub.Identity{UserID: c.Subject, CompanyID: c.CompanyID, Sandbox: c.Sandbox, Roles: c.Roles,
		Name: displayClaim(c.Name), CompanyName: displayClaim(c.CompanyName)}
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

func (v *Verifier) parse(token string, keys [][]byte) (*jwt.Token, *Claims, error) {
	set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, 0, len(keys))}
	for _, k := range keys {
		if len(k) >= MinSecretLen {
			set.Keys = append(set.Keys, k)
		}
	}
	var c Claims
	if len(set.Keys) == 0 {
		return nil, &c, jwt.ErrTokenUnverifiable
	}
	tok, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return set, nil })
	return tok, &c, err
}

// maxDisplayClaim bounds a display name, in bytes: a page shows it whole.
const maxDisplayClaim = 200

// displayClaim trims a display claim, drops control characters and bidi
// overrides (a name must not reorder the text around it) and cuts it to
// maxDisplayClaim bytes on a character boundary.
func displayClaim(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return -1
		}
		return r
	}, s))
	for len(s) > maxDisplayClaim {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

var errNoSecret = devhub.Errorf(devhub.EUNAVAILABLE, "Developer tokens cannot be verified at the moment; retry shortly.")

// IssueToken signs a developer token for id, valid for ttl. It is for local
// runs and tests: in production the platform's identity service issues them.
func IssueToken(secret []byte, id devhub.Identity, issuer, audience string, now time.Time, ttl time.Duration) (string, error) {
	c := Claims{
		CompanyID:   id.CompanyID,
		Sandbox:     id.Sandbox,
		Roles:       id.Roles,
		Name:        id.Name,
		CompanyName: id.CompanyName,
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
