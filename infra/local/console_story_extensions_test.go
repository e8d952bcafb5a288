package main

import (
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
)

// extensionsStep is the App extensions part of the private story. Helper
// `preview` owns the tab and fills this step: one of each of the 7 types
// through their forms (a JSON modal whose Preview shows its blocks), then a
// 4th action in one view refused with the reason. Until then it opens the
// tab and comes back to OAuth & access scopes.
func extensionsStep(t *testing.T, b *browsertest.Browser, noJS bool) {
	t.Helper()
	b.Get("link", "App extensions").Click()
	b.Check("extensions")
	b.Get("link", "OAuth & access scopes").Click()
}
