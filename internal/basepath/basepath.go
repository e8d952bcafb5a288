// Package basepath carries the path prefix that the browser's (or client's)
// URL has in front of the API's routes — the stage on the execute-api URL
// ("/prod"), a custom domain's API mapping (BASE_PATH, e.g. "/devhub"), or
// "" — and puts it in front of the paths that pages and answers render.
//
// The Lambda adapter (internal/service.LambdaHandler) and the local runner
// cut the prefix off the request's path, so that routes, CSRF bindings and
// handlers see the same paths everywhere; With records what was cut. Every
// same-origin path a page renders (href, src, action, data-*-url, a
// return_to) goes through Link, so that it is the path the browser must ask
// for. It is a leaf package so that internal/console and internal/oauth can
// use it without importing internal/httpapi.
package basepath

import (
	"context"
	"strings"
)

type ctxKey struct{}

// With returns ctx carrying prefix ("" or "/seg…", no trailing slash).
func With(ctx context.Context, prefix string) context.Context {
	return context.WithValue(ctx, ctxKey{}, prefix)
}

// From returns the prefix With set, or "".
func From(ctx context.Context) string {
	p, _ := ctx.Value(ctxKey{}).(string)
	return p
}

// Link is path as the client must ask for it: the prefix in front of a
// path of this site ("/hub/…"); anything else (absolute and
// protocol-relative URLs, data:, "", relative paths) is returned as is.
func Link(ctx context.Context, path string) string {
	if p := From(ctx); p != "" && IsSitePath(path) {
		return p + path
	}
	return path
}

// IsSitePath reports whether s is a path of this site: "/…" but not "//…"
// (nor "/\…", which browsers read as "//").
func IsSitePath(s string) bool {
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "/\\")
}

// Cut cuts prefix off path at a segment boundary: "/prod/hub" → "/hub",
// "/prod" → "/"; ok is false (path unchanged) when path is not under
// prefix or prefix is "".
func Cut(path, prefix string) (string, bool) {
	switch {
	case prefix == "":
		return path, false
	case path == prefix:
		return "/", true
	case strings.HasPrefix(path, prefix+"/"):
		return path[len(prefix):], true
	}
	return path, false
}

// Clean is a configured prefix in the form With wants: "prod", "/prod/"
// and "/prod" are "/prod"; "", "/" are "".
func Clean(prefix string) string {
	return strings.TrimRight("/"+strings.Trim(prefix, "/"), "/")
}
