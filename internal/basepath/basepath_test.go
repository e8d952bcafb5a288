package basepath_test

import (
	"context"
	"testing"

	"github.com/devhub-oss/devhub/internal/basepath"
)

func TestLink(t *testing.T) {
	ctx := basepath.With(context.Background(), "/prod")
	for in, want := range map[string]string{
		"/hub": "/prod/hub", "/": "/prod/", "/hub?cursor=a%2Fb#x": "/prod/hub?cursor=a%2Fb#x",
		"//evil.example/x": "//evil.example/x", "/\\evil.example": "/\\evil.example", "https://cdn.example/i.png": "https://cdn.example/i.png",
		"data:image/svg+xml,x": "data:image/svg+xml,x", "authorize": "authorize", "#client-secret": "#client-secret", "": "",
	} {
		if got := basepath.Link(ctx, in); got != want {
			t.Errorf("Link(%q) = %q, want %q", in, got, want)
		}
	}
	if got := basepath.Link(context.Background(), "/hub"); got != "/hub" {
		t.Errorf("no prefix: %q", got)
	}
}

func TestCutAndClean(t *testing.T) {
	for _, c := range []struct {
		path, prefix, rest string
		ok                 bool
	}{
		{"/prod/hub", "/prod", "/hub", true}, {"/prod", "/prod", "/", true}, {"/prodx/hub", "/prod", "/prodx/hub", false},
		{"/hub", "/prod", "/hub", false}, {"/hub", "", "/hub", false}, {"/a/b/hub", "/a/b", "/hub", true},
	} {
		if rest, ok := basepath.Cut(c.path, c.prefix); rest != c.rest || ok != c.ok {
			t.Errorf("Cut(%q, %q) = %q, %v", c.path, c.prefix, rest, ok)
		}
	}
	for in, want := range map[string]string{"": "", "/": "", "prod": "/prod", "/prod/": "/prod", "/a/b": "/a/b"} {
		if got := basepath.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q", in, got)
		}
	}
}
