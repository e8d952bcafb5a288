package console_test

import (
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
	"github.com/devhub-oss/devhub/internal/console/consoletest"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// TestBrowserExtensions adds one extension of each of the seven types
// through their forms in a real browser, every control found by role and
// name: a JSON modal whose Preview shows its blocks (live as it is typed,
// or with the "Preview" button without JavaScript), then a 4th action in a
// full view, refused with the reason beside Locations.
func TestBrowserExtensions(t *testing.T) {
	for _, noJS := range []bool{false, true} {
		name := "JS"
		if noJS {
			name = "NoJS"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			a := e.createApp(t, alice, devhub.AppPrivate, "Car services")
			b := browsertest.Start(t, browsertest.Options{NoJavaScript: noJS, NoScreenshots: noJS})
			e.login(t, b, alice)
			b.Go(e.srv.URL + "/hub/apps/" + a.ID + "/extensions")
			b.Check("ext-tab-empty")
			consoletest.AddOneOfEachExtension(t, b, !noJS)
			consoletest.FourthActionRefused(t, b)
		})
	}
}
