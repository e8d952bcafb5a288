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
			brokenModal(t, b, !noJS)
		})
	}
}

// brokenModal types a JSON modal with problems: the Preview still draws
// what it can and shows each problem at its block, with its line.
func brokenModal(t *testing.T, b *browsertest.Browser, live bool) {
	t.Helper()
	b.Get("link", "Back to App extensions").Click()
	b.Get("button", "Add JSON modal").Click()
	b.Get("textbox", "Action name").Fill("Broken modal")
	b.Get("textbox", "JSON schema").Fill(`{"type": "object", "properties": {
  "blocks": {"type": "object", "properties": {
    "size": {"$ref": "#/definitions/element-input", "options": {"placeholder": "S"}},
    "odd": {"$ref": "#/definitions/element-slider"}
  }},
  "actions": {"type": "object", "properties": {
    "go": {"$ref": "#/definitions/action-primary", "options": {"label": "Go", "handler": "reset"}}
  }}
}}`)
	if live {
		consoletest.WaitText(t, b, "problems in the JSON schema")
	} else {
		b.Get("button", "Preview").Click()
	}
	b.Check("json-modal-problems")
	consoletest.WantText(t, b, "Line 3 options.label is required", "Line 4 $ref must be one of",
		"The platform has no block element-slider", "Line 7 options.handler must be request or open-url for action-primary")
}
