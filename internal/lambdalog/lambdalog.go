// Package lambdalog is the JSON logger of every Lambda function: log/slog
// JSON lines on stdout, each tagged with the Lambda request id
// (lambda_request_id) of the invocation it belongs to, whichever code logs
// it and whether or not that code passes the invocation's context.
//
// The id comes from the line's context (lambdacontext, set by the Lambda
// runtime) when the caller passed it, else from the invocation Wrap is
// running: a classic Lambda execution environment runs one invocation at a
// time, so that is the one. Outside Lambda (the local runner, tests) there
// is none and lines carry no such field.
package lambdalog

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Key is the attribute that carries the Lambda request id.
const Key = "lambda_request_id"

var current atomic.Pointer[string]

// New returns a JSON logger writing to w (os.Stdout when nil) at level,
// whose lines carry the Lambda request id.
func New(w io.Writer, level slog.Level) *slog.Logger {
	if w == nil {
		w = os.Stdout
	}
	return slog.New(handler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// RequestID returns the Lambda request id of ctx, or of the invocation
// being run, or "".
func RequestID(ctx context.Context) string {
	if ctx != nil {
		if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
			return lc.AwsRequestID
		}
	}
	if id := current.Load(); id != nil {
		return *id
	}
	return ""
}

// Wrap returns h, marking the invocation it runs as the current one for
// the lines logged meanwhile without its context. Use it around the
// handler given to lambda.Start.
func Wrap[T, R any](h func(context.Context, T) (R, error)) func(context.Context, T) (R, error) {
	return func(ctx context.Context, ev T) (R, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
			id := lc.AwsRequestID
			current.Store(&id)
			defer current.CompareAndSwap(&id, nil)
		}
		return h(ctx, ev)
	}
}

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String(Key, id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler { return handler{h.Handler.WithAttrs(as)} }
func (h handler) WithGroup(name string) slog.Handler    { return handler{h.Handler.WithGroup(name)} }
