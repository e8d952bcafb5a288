package console

import "crypto/sha256"

// CSRFTokenForCookie is the token a browser holding the session cookie
// would find in the form posting to action.
func (c *Console) CSRFTokenForCookie(cookie, action string) string {
	sum := sha256.Sum256([]byte(cookie))
	return c.CSRFToken(&Session{bind: string(sum[:])}, action)
}
