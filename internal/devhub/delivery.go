package devhub

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// DeliveryState is where an uninstall notification stands.
type DeliveryState string

// Delivery states: pending (written, no answer yet), retrying (an attempt
// failed and another is due at NextAttemptAt), delivered (an answer below
// 500), failed (the retries are spent; it went to the failure queue).
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryRetrying  DeliveryState = "retrying"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
)

// DeliveryEventUninstall is the one kind of delivery there is.
const DeliveryEventUninstall = "uninstall"

// DeliveryRetention is how long a delivery stays listed.
const DeliveryRetention = 30 * 24 * time.Hour

// Delivery is one uninstall notification to an app: the body it sends (the
// installation's client, company, user and EndedAt) and what its attempts
// got. It holds no secret: the app's credentials are read when it is sent.
type Delivery struct {
	ID             string
	AppID          string
	OwnerCompanyID string // the app's: only it sees the delivery
	InstallationID string
	ClientID       string
	CompanyID      string
	UserID         string
	Event          string
	// EndedAt is when the installation ended: the body's timestamp on the
	// first delivery (a redelivery sends the time it is made).
	EndedAt time.Time
	// SourceID is the stream record's event id that started it.
	SourceID       string
	State          DeliveryState
	Attempts       int
	LastStatusCode int // 0: no HTTP answer
	LastError      string
	NextAttemptAt  time.Time // zero unless retrying
	CreatedAt      time.Time
	DeliveredAt    time.Time // zero until delivered
	Version        int
	// WriteID names the write that stored this version, so that a retried
	// write can recognise its own earlier success (see internal/dynamo).
	WriteID string
}

// Settled reports whether nothing more happens to d unless someone
// redelivers it.
func (d *Delivery) Settled() bool {
	return d.State == DeliveryDelivered || d.State == DeliveryFailed
}

// NewDeliveryID names the delivery of stream record sourceID made at at. The
// same record always gets the same id, so a redelivered record finds its
// delivery; ids sort by time (48 bits of milliseconds, then 80 bits of the
// record id's SHA-256), so a partition of them lists newest first backwards.
func NewDeliveryID(at time.Time, sourceID string) string {
	var b [16]byte
	h := sha256.Sum256([]byte(sourceID))
	copy(b[6:], h[:10])
	binary.BigEndian.PutUint16(b[4:6], uint16(at.UnixMilli()))
	binary.BigEndian.PutUint32(b[0:4], uint32(at.UnixMilli()>>16))
	return "dlv_" + idEncoding.EncodeToString(b[:])
}

// AttemptResult is what one send got: an HTTP status, or an error before any
// answer (Status 0).
type AttemptResult struct {
	Status int
	Err    string
	At     time.Time
}

// Delivered reports whether the answer settles the delivery: any status
// below 500 does (the answer itself is ignored).
func (r AttemptResult) Delivered() bool { return r.Err == "" && r.Status > 0 && r.Status < 500 }

// WithAttempt returns d after attempt r. A delivered answer settles it;
// otherwise it is retrying until nextAt, or failed when nextAt is zero (no
// retry left).
func (d Delivery) WithAttempt(r AttemptResult, nextAt time.Time) *Delivery {
	d.Attempts++
	d.LastStatusCode, d.LastError, d.NextAttemptAt = r.Status, r.Err, time.Time{}
	if d.LastError == "" && !r.Delivered() {
		d.LastError = "answered " + strconv.Itoa(r.Status)
	}
	switch {
	case r.Delivered():
		d.State, d.DeliveredAt, d.LastError = DeliveryDelivered, r.At, ""
	case nextAt.IsZero():
		d.State = DeliveryFailed
	default:
		d.State, d.NextAttemptAt = DeliveryRetrying, nextAt
	}
	return &d
}

// AsFailed returns d failed without another attempt, with reason as its
// last error.
func (d Delivery) AsFailed(reason string) *Delivery {
	d.State, d.NextAttemptAt, d.LastError = DeliveryFailed, time.Time{}, reason
	return &d
}
