package httpapi

import (
	"context"
	"log/slog"

	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/devhub"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	identityKey
	requestKey
)

// request is what the tag middleware puts in a request's context, in one
// value: the request id and the server's logger.
type request struct {
	id  string
	log *slog.Logger
}

// WithRequestID returns ctx carrying the request id that API Gateway (or the
// local runner) gave the request; it tags every log line of the request.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	if r, ok := ctx.Value(requestKey).(*request); ok {
		return r.id
	}
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithBasePath returns ctx carrying the path prefix that the client's URL
// had in front of the routes' paths: the stage on the execute-api URL
// ("/prod"), a custom domain's API mapping (BASE_PATH), or "" (the local
// runner, unless RUNNER_BASE_PATH). The Lambda adapter sets it; Location
// headers and links to the API's own paths start with it, so they are the
// path the client used. It is internal/basepath's value (the pages, which
// do not import this package, read it there).
func WithBasePath(ctx context.Context, prefix string) context.Context {
	return basepath.With(ctx, prefix)
}

// BasePath returns the prefix WithBasePath set, or "".
func BasePath(ctx context.Context) string { return basepath.From(ctx) }

func withIdentity(ctx context.Context, id devhub.Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// identity returns the authenticated caller; only routes behind authenticate
// call it.
func identity(ctx context.Context) devhub.Identity {
	id, _ := ctx.Value(identityKey).(devhub.Identity)
	return id
}

// logger returns a logger that tags its lines with the request id. It is
// built on demand: most requests log only their access line.
func logger(ctx context.Context) *slog.Logger {
	if r, ok := ctx.Value(requestKey).(*request); ok {
		return r.log.With(slog.String("request_id", r.id))
	}
	return slog.Default()
}
