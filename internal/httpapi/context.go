package httpapi

import (
	"context"
	"log/slog"

	"github.com/devhub-oss/devhub/internal/devhub"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	identityKey
	loggerKey
)

// WithRequestID returns ctx carrying the request id that API Gateway (or the
// local runner) gave the request; it tags every log line of the request.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func withIdentity(ctx context.Context, id devhub.Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// identity returns the authenticated caller; only routes behind authenticate
// call it.
func identity(ctx context.Context) devhub.Identity {
	id, _ := ctx.Value(identityKey).(devhub.Identity)
	return id
}

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
