// Package oauth is the platform's OAuth 2.0 authorization server: the
// consent page (GET/POST /oauth/authorize), the token endpoint
// (authorization_code and refresh_token grants), revocation (RFC 7009),
// introspection (RFC 7662) and metadata (RFC 8414).
//
// Its handlers write their own responses: HTML pages on /oauth/authorize,
// RFC 6749 JSON errors (never problem documents) with Cache-Control:
// no-store everywhere else. internal/httpapi mounts them (it owns the route
// table, the request id, the access log and panic recovery), so that they
// run in the same router as every other route, locally and on Lambda.
//
// Codes and tokens are random (256 bits) and reach the store only as their
// SHA-256. The package never logs a secret, code or token.
//
// Token format: "<kind>.<locator>.<secret>", kind "dha" (access) or "dhr"
// (refresh), locator the base64url of "<app_id> NUL <company_id> NUL
// <user_id>": the key of the installation the token belongs to, so that
// introspection reads the token and its installation in one round trip (see
// internal/dynamo/oauth.go). The locator is not secret, like the
// company and user ids that the app receives anyway; the secret part alone
// carries the token's strength, and the hash covers the whole string, so a
// locator cannot be swapped.
package oauth

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// Store is what the authorization server needs of the table
// (internal/dynamo.Store). Each method is one round trip.
type Store interface {
	// GetAppByClientID errors: ENOTFOUND.
	GetAppByClientID(ctx context.Context, clientID string) (*devhub.App, error)
	// Consent creates or renews the installation and stores the code.
	// Errors: ENOTFOUND (app gone or callback changed).
	Consent(ctx context.Context, app *devhub.App, company, user string, code *devhub.AuthCode) error
	// LookupCode reads code, its consumption record and the client's app.
	LookupCode(ctx context.Context, hash, clientID string) (dynamo.CodeLookup, error)
	// ExchangeCode errors: ECONFLICT (the code was consumed meanwhile),
	// ENOTFOUND (the installation ended).
	ExchangeCode(ctx context.Context, code *devhub.AuthCode, grant string, access, refresh *devhub.Token) error
	// RevokeGrant kills a token family if it is still the installation's.
	RevokeGrant(ctx context.Context, appID, company, user, grant string) error
	// LookupToken reads a token and the client's app.
	LookupToken(ctx context.Context, hash, clientID string) (dynamo.TokenLookup, error)
	// IntrospectToken reads a token, its installation and the client's app.
	IntrospectToken(ctx context.Context, hash, clientID, appID, company, user string) (dynamo.TokenLookup, error)
	// RefreshToken errors: ENOTFOUND (dead), ECONFLICT (rotated meanwhile).
	RefreshToken(ctx context.Context, old, access, next *devhub.Token, refreshUntil time.Time) error
	// DeleteAccessToken ends one access token of the client.
	DeleteAccessToken(ctx context.Context, hash, clientID string) error
	// EndInstallation deletes the refresh token's installation, if its
	// family is still current.
	EndInstallation(ctx context.Context, rt *devhub.Token) error
}

// Verifier checks the platform's user tokens (internal/auth). Errors:
// EUNAUTHORIZED.
type Verifier interface {
	Verify(token string) (devhub.Identity, error)
}

// Options configure a Server.
type Options struct {
	Store    Store
	Verifier Verifier
	// Issuer is the public base URL (ISSUER_URL): the iss of RFC 9207 and
	// RFC 8414, and the base of every endpoint. Empty: derived from each
	// request's Host (local use only).
	Issuer string
	// APIDomain is the api_domain of token responses (API_DOMAIN); empty:
	// the issuer.
	APIDomain string
	// Secret is the key material the CSRF key is derived from (HKDF-SHA256);
	// AUTH_JWT_SECRET serves.
	Secret []byte
	// Secrets, when set, replaces Secret with rotating key material (the
	// JWT secret read from Secrets Manager): consent pages are signed with
	// the first and accepted with any, so a rotation between showing the
	// page and answering it costs nobody a retry.
	Secrets SecretSource
	// LoginURL (LOGIN_URL) is the platform's login page: "Not you?" links
	// to it, and a consent page opened without a session redirects (302)
	// to it, with return_to set to the authorization request. Empty: no
	// "Not you?", and the "Please log in" page instead.
	LoginURL string
	Logger   *slog.Logger
	// RequestID returns the request id to tag log lines with.
	RequestID func(context.Context) string
	Now       func() time.Time
}

// SecretSource supplies rotating secrets, newest first (auth.KeySource).
type SecretSource interface {
	Current() [][]byte
}

// Server is the authorization server. Build it once per process with New.
type Server struct {
	Options
	csrfKey []byte

	derivedMu sync.Mutex
	derived   map[string][]byte // secret -> CSRF key, for Secrets
}

// New returns a Server. It does no I/O.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Issuer = strings.TrimRight(o.Issuer, "/")
	return &Server{Options: o, csrfKey: deriveCSRFKey(o.Secret), derived: map[string][]byte{}}
}

func deriveCSRFKey(secret []byte) []byte {
	key, err := hkdf.Key(sha256.New, secret, nil, "devhub oauth consent csrf v1", 32)
	if err != nil {
		panic("oauth: derive CSRF key: " + err.Error()) // only for a length over 255*32
	}
	return key
}

// csrfKeys returns the CSRF keys, the signing one first.
func (s *Server) csrfKeys() [][]byte {
	if s.Secrets == nil {
		return [][]byte{s.csrfKey}
	}
	secrets := s.Secrets.Current()
	keys := make([][]byte, 0, len(secrets))
	s.derivedMu.Lock()
	defer s.derivedMu.Unlock()
	for _, sec := range secrets {
		k, ok := s.derived[string(sec)]
		if !ok {
			if len(s.derived) > 8 {
				clear(s.derived) // old rotations
			}
			k = deriveCSRFKey(sec)
			s.derived[string(sec)] = k
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		keys = append(keys, s.csrfKey)
	}
	return keys
}

func (s *Server) log(r *http.Request) *slog.Logger {
	if s.RequestID != nil {
		if id := s.RequestID(r.Context()); id != "" {
			return s.Logger.With(slog.String("request_id", id))
		}
	}
	return s.Logger
}

// issuer is the configured issuer, or one derived from the request.
func (s *Server) issuer(r *http.Request) string {
	if s.Issuer != "" {
		return s.Issuer
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) apiDomain(r *http.Request) string {
	if s.APIDomain != "" {
		return s.APIDomain
	}
	return s.issuer(r)
}

// randomString returns 256 random bits, base64url-encoded (43 characters).
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hash is how codes and tokens are stored: hex SHA-256.
func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const (
	kindAccess  = "dha"
	kindRefresh = "dhr"
	// maxTokenLen bounds what is parsed (and hashed) at all.
	maxTokenLen = 1024
)

// locator is the installation a token belongs to.
type locator struct {
	AppID, CompanyID, UserID string
}

var appIDPattern = regexp.MustCompile(`^app_[0-9a-v]{26}$`)

// mintToken returns a new token of kind for the installation loc.
func mintToken(kind string, loc locator) string {
	raw := loc.AppID + "\x00" + loc.CompanyID + "\x00" + loc.UserID
	return kind + "." + base64.RawURLEncoding.EncodeToString([]byte(raw)) + "." + randomString()
}

// parseToken reads the kind and locator of a token; ok is false for
// anything that this server cannot have issued.
func parseToken(tok string) (kind string, loc locator, ok bool) {
	if len(tok) > maxTokenLen {
		return "", locator{}, false
	}
	kind, rest, ok1 := strings.Cut(tok, ".")
	enc, secret, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || (kind != kindAccess && kind != kindRefresh) || len(secret) != 43 {
		return "", locator{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", locator{}, false
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || !appIDPattern.MatchString(parts[0]) || parts[1] == "" || parts[2] == "" {
		return "", locator{}, false
	}
	return kind, locator{AppID: parts[0], CompanyID: parts[1], UserID: parts[2]}, true
}
