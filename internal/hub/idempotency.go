package hub

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// Idempotency carries an Idempotency-Key into a use case whose result is T:
// the same key with the same request within 24 hours gets the first answer
// again, and nothing is written twice. The zero value (no Key) turns it off.
//
// The record is written in the same transaction as the use case's own
// write, so a retry racing the first request cannot write twice either.
type Idempotency[T any] struct {
	// Key is the client's key: 1 to 255 printable ASCII characters (else
	// EMALFORMED, field "Idempotency-Key"). Keys are scoped to the caller's
	// company.
	Key string
	// Request names the operation and its target as the adapter sees it
	// (the JSON adapter: "POST /v1/apps"); Body is the request as sent.
	// Together with the caller's user id they fingerprint the request: the
	// same key with another fingerprint is refused (EINVALID).
	Request string
	Body    []byte
	// Answer renders the result as a retry is to get it back. It is called
	// only when Key is set, before the write, and may be called more than
	// once (a create that turns out to be held is answered differently).
	Answer func(T) (Answer, error)
}

// Answer is an adapter's response to the first request with a key, stored
// with the key and handed back to its retries: a status, an optional
// Location and a body, as the adapter chose them.
type Answer struct {
	Status   int
	Location string
	Body     []byte
}

// record returns the record to keep for the request, or nil when it carries
// no key.
func (i Idempotency[T]) record(id devhub.Identity) (*devhub.Idempotency, error) {
	if i.Key == "" {
		return nil, nil
	}
	if len(i.Key) > 255 || !printableASCII(i.Key) {
		return nil, &devhub.Error{Code: devhub.EMALFORMED, Message: "Idempotency-Key must be 1 to 255 printable ASCII characters.",
			Fields: []devhub.FieldError{{Field: "Idempotency-Key", Message: "must be 1 to 255 printable ASCII characters"}}}
	}
	h := sha256.New()
	h.Write([]byte(i.Request + "\n" + id.UserID + "\n"))
	h.Write(i.Body)
	return &devhub.Idempotency{Scope: id.CompanyID, Key: i.Key, RequestHash: hex.EncodeToString(h.Sum(nil))}, nil
}

// fill renders result into rec (when there is one) before the write.
func (i Idempotency[T]) fill(rec *devhub.Idempotency, result T) error {
	if rec == nil {
		return nil
	}
	a, err := i.Answer(result)
	if err != nil {
		return err
	}
	rec.Status, rec.Location, rec.Body = a.Status, a.Location, a.Body
	return nil
}

// replay returns the first answer to a retried request, or refuses a
// different request that reuses the key.
func replay(prev, rec *devhub.Idempotency) (*Answer, error) {
	if prev.RequestHash != rec.RequestHash {
		return nil, devhub.Errorf(devhub.EINVALID, "This Idempotency-Key was used with a different request in the last 24 hours; use a new key.")
	}
	return &Answer{Status: prev.Status, Location: prev.Location, Body: prev.Body}, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
