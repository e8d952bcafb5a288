package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Category names why a probe did not find a working callback (or, for
// Redirect, what kind of answer it got). It is the first word of every
// Result.Error and Error.Error, so whoever reads the message (a 422, a log
// line, callback_health) can tell the cases apart without the address.
type Category string

// The categories. Only NotAllowed is used for private, loopback, link-local
// and reserved destinations, and its message never names the address: a
// non-public destination is refused before any connection is tried, so DNS,
// Connect, Timeout and TLS only ever describe public servers (or host:ports
// listed in Options.AllowedHosts).
const (
	// NotAllowed: the URL breaks the rules (scheme, port, user info,
	// special-use name, numeric spelling) or leads to a non-public address.
	NotAllowed Category = "not_allowed"
	// DNS: the host name does not resolve.
	DNS Category = "dns"
	// Connect: no address of the host accepted a TCP connection.
	Connect Category = "connect"
	// Timeout: a connection was made but no answer came within the budget.
	Timeout Category = "timeout"
	// TLS: the certificate was not accepted (Error says why) or the
	// handshake failed.
	TLS Category = "tls"
	// Status: the server answered with a status of 500 or more.
	Status Category = "status"
	// Redirect: the server answered with a redirect, which is never
	// followed. The answer counts (it is below 500): Result.OK stays true
	// and Result.Note says it.
	Redirect Category = "redirect"
)

// Error is a probe failure as shown to whoever submitted the URL: its
// message is the category and a reason in words, and never contains the
// address, the resolver's answer or the response body.
type Error struct {
	Category Category
	// Reason is the words after the category.
	Reason string
}

func (e *Error) Error() string {
	if m, ok := messages[e]; ok {
		return m // the sentinels' messages are built once: refusals are hot
	}
	return string(e.Category) + ": " + e.Reason
}

// Is makes every Error of a category match that category's sentinel
// (errors.Is(err, ErrTLS) for any TLS reason).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Category == e.Category
}

// The sentinels, one per failure category; errors.Is matches any Error of
// the same category. ErrTLS and ErrServerError stand for their category:
// the Error a probe returns says which reason or status.
var (
	// ErrNotAllowed is every refusal of the URL or its destination.
	ErrNotAllowed error = &Error{NotAllowed, "the URL leads to a private, loopback, link-local or reserved address, " +
		"or breaks the URL rules (http(s) on port 443 or 80, a public host name, no user info), so the platform does not call it"}
	// ErrDNS: the host name has no address.
	ErrDNS error = &Error{DNS, "the host name does not resolve to an address"}
	// ErrConnect: nothing accepted a TCP connection.
	ErrConnect error = &Error{Connect, fmt.Sprintf("no server accepted a connection on the URL's port "+
		"(refused, unreachable, or no answer within %s)", connectTimeout)}
	// ErrTimeout: connected, but no answer came within the budget.
	ErrTimeout error = &Error{Timeout, "the server did not answer in time"}
	// ErrTLS: the certificate or the handshake was not accepted.
	ErrTLS error = &Error{TLS, "the TLS handshake failed"}
	// ErrServerError: the server answered with a 5xx status.
	ErrServerError error = &Error{Status, "the server answered with an error status (500 or more)"}

	errCanceled = errors.New("the check was cancelled")
)

// messages holds the sentinels' Error texts, read-only after init.
var messages = func() map[*Error]string {
	m := map[*Error]string{}
	for _, err := range []error{ErrNotAllowed, ErrDNS, ErrConnect, ErrTimeout, ErrTLS, ErrServerError} {
		e := err.(*Error)
		m[e] = string(e.Category) + ": " + e.Reason
	}
	return m
}()

// statusError is the Status error for one answer.
func statusError(code int) *Error {
	return &Error{Status, fmt.Sprintf("the server answered %s; a callback must answer below 500", statusText(code))}
}

func redirectNote(code int) string {
	return string(Redirect) + ": the server answered " + statusText(code) +
		" with a redirect, which is never followed; an answer below 500 counts as working"
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// classify maps a transport error to one of the package's errors. Refusals
// are tested first so that nothing else can describe a refused destination.
func classify(err error) error {
	var (
		pe          *Error
		netErr      net.Error
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		certErr     *tls.CertificateVerificationError
		alertErr    tls.AlertError
		recordErr   tls.RecordHeaderError
		opErr       *net.OpError
	)
	switch {
	case errors.Is(err, ErrNotAllowed):
		return ErrNotAllowed
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &unknownAuth):
		return &Error{TLS, "the certificate is signed by an unknown authority (self-signed, or a CA this platform does not trust)"}
	case errors.As(err, &hostErr):
		return &Error{TLS, "the certificate is not valid for the URL's host name"}
	case errors.As(err, &invalidErr):
		switch invalidErr.Reason {
		case x509.Expired:
			return &Error{TLS, "the certificate has expired or is not yet valid"}
		case x509.IncompatibleUsage:
			return &Error{TLS, "the certificate is not valid for a TLS server"}
		}
		return &Error{TLS, "the certificate chain is not valid"}
	case errors.As(err, &certErr):
		return &Error{TLS, "the certificate could not be verified"}
	case errors.As(err, &alertErr), errors.As(err, &opErr) && opErr.Op == "remote error":
		// crypto/tls reports an alert from the peer as that *net.OpError.
		return &Error{TLS, "the TLS handshake failed (the server accepts no TLS 1.2 or later version or cipher we offer)"}
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		// net/http turns the RecordHeaderError of a plain-HTTP answer into
		// a plain error.
		return &Error{TLS, "the server does not speak TLS on this port (it answered plain HTTP to an https URL)"}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ErrTimeout
	case errors.Is(err, context.Canceled):
		return errCanceled
	case strings.Contains(err.Error(), "tls: "):
		// crypto/tls reports some handshake failures as plain errors.
		return ErrTLS
	default:
		// An answer that is not HTTP, a reset mid-answer: the connection to
		// a checked address was made, so this says nothing about others.
		return &Error{Connect, "the connection failed before an HTTP answer arrived"}
	}
}

// CategoryOf returns the category of an error returned by the package (or
// by Client), "" when it has none.
func CategoryOf(err error) Category {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Category
	}
	return ""
}
