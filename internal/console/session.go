package console

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// SessionCookie is the platform's session cookie: the same HS256 JWT as the
// API's bearer token.
const SessionCookie = "devhub_session"

// Session is the logged-in visitor: the identity the token vouches for and
// the optional display names it carries (display only: every decision is
// made on ids).
type Session struct {
	devhub.Identity
	Name        string // the token's "name", or the user id
	CompanyName string // the token's "company_name", or the company id
	bind        string // the SHA-256 of the token: what CSRF tokens are bound to
}

// session verifies the session cookie. Errors: EUNAUTHORIZED.
func (c *Console) session(r *http.Request) (*Session, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	id, err := c.verifier.Verify(ck.Value)
	if err != nil {
		return nil, errNoSession
	}
	sum := sha256.Sum256([]byte(ck.Value))
	s := &Session{Identity: id, Name: id.UserID, CompanyName: id.CompanyID, bind: string(sum[:])}
	// The signature is verified: the payload's display claims can be read.
	if _, rest, ok := strings.Cut(ck.Value, "."); ok {
		if payload, _, ok := strings.Cut(rest, "."); ok {
			if raw, err := base64.RawURLEncoding.DecodeString(payload); err == nil {
				var names struct {
					Name        string `json:"name"`
					CompanyName string `json:"company_name"`
				}
				if json.Unmarshal(raw, &names) == nil {
					if names.Name != "" {
						s.Name = names.Name
					}
					if names.CompanyName != "" {
						s.CompanyName = names.CompanyName
					}
				}
			}
		}
	}
	return s, nil
}

var errNoSession = devhub.Errorf(devhub.EUNAUTHORIZED, "Please log in.")

// errNoSandbox is the 403 of console.md for users of non-sandbox companies.
var errNoSandbox = devhub.Errorf(devhub.EFORBIDDEN, TextNoSandbox)

// developer is the guard of every /hub page but the review queue.
func developer(s *Session) error {
	if !s.Sandbox {
		return errNoSandbox
	}
	return nil
}

// csrfField is the name of the hidden input that carries the token.
const csrfField = "csrf_token"

// maxForm bounds a form body, as the API bounds JSON bodies.
const maxForm = 64 << 10

// CSRFToken is the token a form posting to action must carry for session
// s: an HMAC of the session token's hash and the action path, so that a
// token lifted from one form neither works for another form nor outlives
// the session.
func (c *Console) CSRFToken(s *Session, action string) string {
	keys := c.csrfKeys()
	if len(keys) == 0 {
		return "" // refused by checkPost: no key, no form works
	}
	return csrfMAC(keys[0], s, action)
}

func csrfMAC(key []byte, s *Session, action string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s.bind))
	m.Write([]byte{0})
	m.Write([]byte(action))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// csrfSigner signs the CSRF tokens of one page's forms with one keyed
// HMAC, reset between tokens, instead of a new one per form.
type csrfSigner struct {
	h hash.Hash
}

func (cs *csrfSigner) sign(c *Console, s *Session, action string) string {
	if cs.h == nil {
		keys := c.csrfKeys()
		if len(keys) == 0 {
			return ""
		}
		cs.h = hmac.New(sha256.New, keys[0])
	}
	cs.h.Reset()
	cs.h.Write([]byte(s.bind))
	cs.h.Write([]byte{0})
	cs.h.Write([]byte(action))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(cs.h.Sum(sum[:0])[:24])
}

// validCSRF reports whether got is the token of s and action under any
// current key.
func (c *Console) validCSRF(s *Session, action, got string) bool {
	if got == "" {
		return false
	}
	for _, k := range c.csrfKeys() {
		if subtle.ConstantTimeCompare([]byte(got), []byte(csrfMAC(k, s, action))) == 1 {
			return true
		}
	}
	return false
}

var (
	errCrossSite = devhub.Errorf(devhub.EFORBIDDEN, "This form was sent from another site, so it was refused.")
	errCSRF      = devhub.Errorf(devhub.EFORBIDDEN, "This form has expired or was not sent from Developer Hub. Go back, reload the page and try again.")
)

// checkPost refuses a cross-site POST before reading it (Sec-Fetch-Site,
// then Origin), then parses the form and checks its CSRF token for the
// request's own path. Errors: EFORBIDDEN, ETOOLARGE, EMALFORMED.
func (c *Console) checkPost(r *http.Request, s *Session) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return errCrossSite
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || o == "null" || u.Host != r.Host {
			return errCrossSite
		}
	}
	if err := parseForm(r); err != nil {
		return err
	}
	if !c.validCSRF(s, r.URL.Path, r.PostForm.Get(csrfField)) {
		return errCSRF
	}
	return nil
}

func parseForm(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return devhub.Errorf(devhub.EUNSUPPORTED, "Forms must be sent as application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		if strings.Contains(err.Error(), "too large") {
			return devhub.Errorf(devhub.ETOOLARGE, "The form is larger than 64 KiB.")
		}
		return devhub.Errorf(devhub.EMALFORMED, "The form could not be read.")
	}
	return nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// CSRFKeysFrom derives the keys of the forms' CSRF tokens from the server's
// JWT secrets (newest first), so that every instance agrees without one
// more secret, and a CSRF token says nothing about the JWT secret. The
// derivation is remembered until the secrets change: a dashboard signs a
// token per form.
func CSRFKeysFrom(secrets func() [][]byte) func() [][]byte {
	var mu sync.Mutex
	var from, keys [][]byte
	return func() [][]byte {
		cur := secrets()
		mu.Lock()
		defer mu.Unlock()
		if !slices.EqualFunc(cur, from, bytes.Equal) {
			out := make([][]byte, len(cur))
			for i, s := range cur {
				m := hmac.New(sha256.New, s)
				m.Write([]byte("devhub console csrf v1"))
				out[i] = m.Sum(nil)
			}
			from, keys = slices.Clone(cur), out
		}
		return keys
	}
}
