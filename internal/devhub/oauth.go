package devhub

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// Lifetimes of what the authorization server issues.
const (
	CodeLifetime        = 5 * time.Minute
	AccessTokenLifetime = time.Hour
	// RefreshTokenIdle is how long a refresh token lives unused; every use
	// starts it again (a sliding life).
	RefreshTokenIdle = 60 * 24 * time.Hour
	// LaunchTokenLifetime is the life of the JWT an extension is opened with.
	LaunchTokenLifetime = 5 * time.Minute
)

// Installation is one user's installation of one app for one company. There
// is at most one per (company, user, app): approving the consent page
// creates it or renews it. Grant names the token family that the latest code
// exchange started: every token carries the grant it belongs to, and a token
// whose grant is no longer its installation's is dead. Ending an
// installation (deleting it) therefore kills all its tokens at once.
type Installation struct {
	ID        string    `json:"id"`
	AppID     string    `json:"app_id"`
	ClientID  string    `json:"client_id"`
	CompanyID string    `json:"company_id"`
	UserID    string    `json:"user_id"`
	Scopes    []string  `json:"scopes"`
	Grant     string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`
}

// NewInstallationID returns an installation id that sorts by creation time:
// "inst_" and 26 base32 characters of 48 bits of milliseconds and 80 random
// bits. The caller's installations list in that order.
func NewInstallationID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return "inst_" + idEncoding.EncodeToString(b[:])
}

// AuthCode is an authorization code as the server remembers it: never the
// code itself, only its SHA-256 (Hash) and what it was issued for.
type AuthCode struct {
	Hash        string
	ClientID    string
	AppID       string
	CompanyID   string
	UserID      string
	RedirectURI string // as sent in the authorization request ("" if none was)
	Challenge   string // PKCE S256 code_challenge, "" without PKCE
	Scopes      []string
	IssuedAt    time.Time
	ExpiresAt   time.Time
}

// UsedCode remembers a consumed code: which installation and token family
// its exchange started, so that a replay can revoke them.
type UsedCode struct {
	Hash      string
	ClientID  string
	AppID     string
	CompanyID string
	UserID    string
	Grant     string
}

// TokenKind tells access tokens from refresh tokens.
type TokenKind string

const (
	AccessToken  TokenKind = "access_token"
	RefreshToken TokenKind = "refresh_token"
)

// Token is an access or refresh token as the server remembers it: its
// SHA-256 (Hash), never the token.
type Token struct {
	Hash      string
	Kind      TokenKind
	ClientID  string
	AppID     string
	CompanyID string
	UserID    string
	Grant     string
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RotatedAt is set on a refresh token that rotation replaced: it is
	// kept until it expires, so that its reuse is recognised.
	RotatedAt time.Time
}

// Live reports whether t is unexpired and not rotated away at now.
func (t *Token) Live(now time.Time) bool {
	return t.RotatedAt.IsZero() && now.Before(t.ExpiresAt)
}

// FormatScopes renders scopes as the platform's token responses do:
// comma-separated.
func FormatScopes(scopes []string) string { return strings.Join(scopes, ",") }
