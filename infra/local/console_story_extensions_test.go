package main

import (
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
	"github.com/devhub-oss/devhub/internal/console/consoletest"
)

// extensionsStep is the App extensions part of the private story: one of
// each of the 7 types through their forms (a JSON modal whose Preview shows
// its blocks: live as it is typed, or with the "Preview" button when
// scripts are off), then a 4th action in a full view, refused with the
// reason. It starts on any tab of a draft private app without extensions
// and ends on its App extensions tab.
func extensionsStep(t *testing.T, b *browsertest.Browser, noJS bool) {
	t.Helper()
	b.Get("link", "App extensions").Click()
	b.Check("extensions")
	consoletest.AddOneOfEachExtension(t, b, !noJS)
	consoletest.FourthActionRefused(t, b)
	b.Get("link", "Back to App extensions").Click()
	b.Check("extensions-done")
}
