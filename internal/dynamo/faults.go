// Transport faults of the store: what the client retries, and what a caller
// sees when the retries do not help.
//
// A failure of the way to DynamoDB (a truncated body, a reset connection, an
// answer that does not come, throttling, a 5xx) is never the caller's fault
// and never an internal error: after the retries it carries EUNAVAILABLE,
// which the adapters answer 503 with Retry-After (temporarily_unavailable on
// /oauth/*).
//
// What is retried depends on whether a retry can change the outcome:
//
//   - Refused requests (throttling; a connection that could not be made) were
//     not applied: every operation retries them.
//   - Lost answers (reset or truncated after the request went out, no answer
//     within AttemptTimeout, a 5xx) may hide a write that was applied. Reads
//     retry them. TransactWriteItems does too: the SDK gives each call a
//     ClientRequestToken that every retry reuses, and DynamoDB answers a
//     repeated token with the first outcome for ten minutes (DynamoDB Local
//     too). Any other write retries them only when its call says so with the
//     retrySafe option, next to a comment that says why (an unconditional
//     put or delete, a condition whose failure the caller reads as the same
//     success). Every other write gives up at once, as EUNAVAILABLE.
//
// An attempt of a call that may be retried gets AttemptTimeout, within the
// caller's own deadline; the caller's deadline (the request's budget) ends
// the retries. Other calls (writes that may not be retried, table
// management) get only the caller's deadline: timing them out early would
// turn a write that may well succeed into a 503.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// Retry settings of the store's clients.
const (
	// AttemptTimeout bounds one attempt of a retryable call: DynamoDB
	// answers in milliseconds, so an attempt that takes seconds is stuck,
	// not slow (DynamoDB Local under a loaded test run can take a second).
	AttemptTimeout = 5 * time.Second
	// MaxAttempts per call, the first included.
	MaxAttempts = 4
	// MaxBackoff between attempts.
	MaxBackoff = 500 * time.Millisecond
)

// idempotentOps are the operations whose retry cannot change the outcome
// (see the package comment on TransactWriteItems).
var idempotentOps = map[string]bool{
	"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true, "TransactGetItems": true,
	"DescribeTable": true, "DescribeTimeToLive": true, "ListTables": true,
	"TransactWriteItems": true,
	// DynamoDB Streams (the local poller): reading from an iterator again
	// reads the same records.
	"ListStreams": true, "DescribeStream": true, "GetShardIterator": true, "GetRecords": true,
}

// controlOps manage tables: slow by nature, never timed out per attempt.
var controlOps = map[string]bool{"DescribeTable": true, "DescribeTimeToLive": true, "ListTables": true}

// FaultOptions are the retry settings and the fault middleware, for a client
// of DynamoDB or DynamoDB Streams: NewClient installs them; the local stream
// poller uses them on its Streams client.
func FaultOptions(attemptTimeout time.Duration) (aws.Retryer, func(*middleware.Stack) error) {
	r := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = MaxBackoff
		// No client-wide retry quota: a burst of faults must not turn the
		// next requests' first retry into a refusal. MaxAttempts and the
		// request's deadline bound the retries instead.
		o.RateLimiter = ratelimit.None
	})
	return r, func(st *middleware.Stack) error {
		if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc(faultsID, classifyFinal), middleware.Before); err != nil {
			return err
		}
		return st.Finalize.Add(attemptMiddleware(attemptTimeout), middleware.After)
	}
}

const (
	faultsID  = "devhubFaults"
	attemptID = "devhubAttempt"
)

// WithAttemptTimeout replaces AttemptTimeout on a client built by NewClient
// (tests use a short one).
func WithAttemptTimeout(d time.Duration) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			_, err := st.Finalize.Swap(attemptID, attemptMiddleware(d))
			return err
		})
	}
}

type retrySafeKey struct{}

// retrySafe is a per-call option: this write may be retried when its answer
// is lost, because a retry cannot change its outcome. Say why at the call.
func retrySafe(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("devhubRetrySafe",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(middleware.WithStackValue(ctx, retrySafeKey{}, true), in)
			}), middleware.Before)
	})
}

// attemptMiddleware runs inside the SDK's retry loop, once per attempt: it
// bounds the attempt and tells the retryer whether a lost answer may be
// retried (faultError.RetryableError).
func attemptMiddleware(timeout time.Duration) middleware.FinalizeMiddleware {
	return middleware.FinalizeMiddlewareFunc(attemptID, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		op := middleware.GetOperationName(ctx)
		safe := idempotentOps[op]
		if v, _ := middleware.GetStackValue(ctx, retrySafeKey{}).(bool); v {
			safe = true
		}
		actx := ctx
		if safe && !controlOps[op] {
			var cancel context.CancelFunc
			actx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		out, md, err := next.HandleFinalize(actx, in)
		if err == nil || ctx.Err() != nil {
			return out, md, err // the caller's own deadline or cancellation: not retried
		}
		if actx.Err() != nil {
			// Replaces the SDK's CanceledError, which it never retries.
			return out, md, &faultError{op: op, retryable: safe,
				err: fmt.Errorf("no answer within %v: %w", timeout, context.DeadlineExceeded)}
		}
		switch faultKind(err) {
		case faultRefused:
			return out, md, &faultError{op: op, retryable: true, err: err}
		case faultLost:
			return out, md, &faultError{op: op, retryable: safe, err: err}
		}
		return out, md, err
	})
}

// classifyFinal runs once per call, outside the retries: whatever transport
// fault is left after them carries EUNAVAILABLE, whichever call site wraps it.
func classifyFinal(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil && Unavailable(err) {
		var fe *faultError
		if !errors.As(err, &fe) {
			err = &faultError{op: middleware.GetOperationName(ctx), err: err}
		}
	}
	return out, md, err
}

type kind int

const (
	faultNone    kind = iota
	faultRefused      // not applied: safe to retry any operation
	faultLost         // maybe applied: safe to retry idempotent operations only
)

var throttleCodes = map[string]bool{
	"ThrottlingException": true, "ProvisionedThroughputExceededException": true, "RequestLimitExceeded": true,
	"TransactionInProgressException": true, "LimitExceededException": true,
}

func faultKind(err error) kind {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch {
		case throttleCodes[ae.ErrorCode()]:
			return faultRefused
		case ae.ErrorFault() == smithy.FaultServer:
			return faultLost
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return faultLost
		}
		return faultNone // the request's own fault (validation, condition, …)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return faultRefused
	}
	var (
		de *smithy.DeserializationError
		se *smithyhttp.RequestSendError
		ne net.Error
	)
	if errors.As(err, &de) || errors.As(err, &se) || errors.As(err, &ne) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		// A reset, an EOF, a body that does not parse: the answer was lost.
		return faultLost
	}
	return faultNone // e.g. invalid parameters: a fault of ours
}

// Unavailable reports whether err is a fault of the way to the store (or of
// the caller's budget running out) rather than of the request or of ours.
func Unavailable(err error) bool {
	var (
		fe *faultError
		qe *ratelimit.QuotaExceededError
	)
	return errors.As(err, &fe) || errors.As(err, &qe) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || faultKind(err) != faultNone
}

// faultError is a transport fault: the SDK's error for the log, EUNAVAILABLE
// for the client.
type faultError struct {
	op        string
	retryable bool
	err       error
}

func (e *faultError) Error() string        { return "store unavailable: " + e.op + ": " + e.err.Error() }
func (e *faultError) RetryableError() bool { return e.retryable }
func (e *faultError) Unwrap() []error {
	return []error{devhub.Errorf(devhub.EUNAVAILABLE, "The service is busy; retry shortly."), e.err}
}
