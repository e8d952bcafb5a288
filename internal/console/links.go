package console

import (
	"context"

	"github.com/a-h/templ"
	"github.com/devhub-oss/devhub/internal/basepath"
)

// link is one of the console's own paths ("/hub/…", "/marketplace/…",
// "/static/…") as the browser must ask for it: behind the request's base
// path (the stage, "/prod", on the execute-api URL; a custom domain's
// BASE_PATH), which the Lambda adapter cut off the request. Every href,
// src, action and data-*-url a page renders goes through it (or asset);
// handlers, routes and CSRF bindings keep using the cut paths.
// TestRenderedPathsCarryBasePath fails on any page that renders a path
// without it. Absolute URLs pass through unchanged.
func link(ctx context.Context, path string) templ.SafeURL {
	return templ.SafeURL(basepath.Link(ctx, path))
}

// assetLink is AssetURL(name) behind the request's base path.
func assetLink(ctx context.Context, name string) templ.SafeURL { return link(ctx, AssetURL(name)) }
