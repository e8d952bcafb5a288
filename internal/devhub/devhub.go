// Package devhub is the domain of the Developer Hub: apps, their types and
// statuses, the scope catalog, validation rules and limits, the identity of a
// caller, and the one error type with its codes.
//
// It imports only the standard library. It knows nothing of HTTP, DynamoDB or
// Lambda: adapters (internal/dynamo, internal/httpapi, …) translate between
// it and the outside world, and declare the small interfaces they consume.
package devhub

import (
	"cmp"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"slices"
	"strings"
)

// Identity is the authenticated caller, as the platform's identity service
// vouches for it.
type Identity struct {
	UserID    string
	CompanyID string
	Sandbox   bool
	Roles     []string
	// Name and CompanyName are the token's optional display claims "name"
	// and "company_name": shown to people, never used for a decision.
	Name        string
	CompanyName string
}

// DisplayName is the user's name, or the user id when the token had none.
func (id Identity) DisplayName() string { return cmp.Or(id.Name, id.UserID) }

// DisplayCompany is the company's name, or the company id when the token
// had none.
func (id Identity) DisplayCompany() string { return cmp.Or(id.CompanyName, id.CompanyID) }

// RoleReviewer is the platform staff role that reviews public apps.
const RoleReviewer = "marketplace_reviewer"

// HasRole reports whether the identity carries role.
func (id Identity) HasRole(role string) bool { return slices.Contains(id.Roles, role) }

// CanDevelop reports whether the caller may use the Developer Hub at all:
// only users of sandbox companies may.
func (id Identity) CanDevelop() error {
	if !id.Sandbox {
		return Errorf(EFORBIDDEN, "Only sandbox companies may use the Developer Hub.")
	}
	return nil
}

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// NewID returns a random identifier of 128 bits from crypto/rand, in
// lower-case base32 (26 characters), prefixed with prefix.
func NewID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return prefix + idEncoding.EncodeToString(b[:])
}

// NewSecret returns 256 random bits from crypto/rand, base64url-encoded.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// isPrintable reports whether s has no control characters.
func isPrintable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) })
}

// Idempotency is a remembered POST (the Idempotency-Key header): the hash of
// the request that first used Key within Scope (the caller's company), and
// the response it got, replayed to a retry of the same request.
type Idempotency struct {
	Scope       string
	Key         string
	RequestHash string
	Status      int
	Location    string
	Body        []byte
}
