// Package consoletest holds browser steps through the console's pages that
// more than one test takes: the App extensions part of the private story
// (internal/console's own browser test and infra/local's story against the
// local runner). Test-only: nothing outside _test files imports it.
package consoletest

import (
	_ "embed"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/browsertest"
)

// The platform documentation's templates (as internal/jsonschema/testdata).
var (
	//go:embed testdata/modal-cake-order.json
	cake string
	//go:embed testdata/panel-multiple-object.json
	panel string
)

// WantText fails t unless the page shows every text.
func WantText(t *testing.T, b *browsertest.Browser, texts ...string) {
	t.Helper()
	page := b.Text()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			t.Fatalf("no %q at %s; the page says:\n%s", s, b.URL(), page)
		}
	}
}

// waitText polls the page until it shows every text (the live preview
// answers after the script's debounce), failing after a few seconds.
func WaitText(t *testing.T, b *browsertest.Browser, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		page := b.Text()
		missing := ""
		for _, s := range texts {
			if !strings.Contains(page, s) {
				missing = s
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q at %s; the page says:\n%s", missing, b.URL(), page)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// AddOneOfEachExtension starts on an app's "App extensions" tab and adds
// one extension of each type through its form, back on the tab after each.
// live says whether scripts run (the Preview then follows the editor; else
// the "Preview" button draws it). The private story calls it too.
func AddOneOfEachExtension(t *testing.T, b *browsertest.Browser, live bool) {
	t.Helper()
	saved := func(shot string) {
		t.Helper()
		b.Get("button", "Save").Click()
		b.Check(shot)
		WantText(t, b, "Extension added.")
	}

	b.Get("button", "Add link action").Click()
	b.Check("form-link-action")
	b.Get("textbox", "Action name").Fill("Send quote - Car Services")
	b.Get("textbox", "Action description").Fill("Sends the customer a quote for the car in this deal.")
	b.Get("textbox", "URL link").Fill("https://cars.example.com/handle_action")
	b.Get("checkbox", "Deal details").Toggle()
	b.Get("checkbox", "Person details").Toggle()
	saved("added-link-action")

	b.Get("button", "Add JSON modal").Click()
	b.Check("form-json-modal")
	b.Get("textbox", "Action name").Fill("Order a cake")
	b.Get("textbox", "API endpoint").Fill("https://cars.example.com/cake")
	b.Get("textbox", "JSON schema").Fill(cake)
	b.Get("checkbox", "Deal details").Toggle()
	if live {
		WaitText(t, b, "No problems found in the JSON schema.", "Delivery method", "Wrap as gift?")
	} else {
		b.Get("button", "Preview").Click()
	}
	b.Check("json-modal-preview")
	WantText(t, b, "Preview", "Cake size", "Insert size", "Additional instructions", "Flavor", "Cranberry",
		"Delivery date", "Options: Standard, Accelerated", "Thank you for using the cake ordering app!", "Cancel")
	saved("added-json-modal")

	b.Get("button", "Add JSON panel").Click()
	b.Check("form-json-panel")
	b.Get("textbox", "Panel name").Fill("Deliveries")
	b.Get("textbox", "API endpoint").Fill("https://cars.example.com/deliveries")
	b.Get("textbox", "HTTP Auth username").Fill("platform")
	b.Get("textbox", "HTTP Auth password").Fill("a-panel-password")
	b.Get("textbox", "JSON data structure").Fill(panel)
	b.Get("checkbox", "Organization details").Toggle()
	if live {
		WaitText(t, b, "No problems found in the JSON data structure.", "Delivery cost")
		b.Check("json-panel-preview")
	}
	saved("added-json-panel")

	b.Get("button", "Add custom modal").Click()
	b.Check("form-custom-modal")
	b.Get("textbox", "Modal name").Fill("Book a test drive")
	b.Get("textbox", "Iframe URL").Fill("https://cars.example.com/test-drive")
	b.Get("checkbox", "Deals list").Toggle()
	saved("added-custom-modal")

	b.Get("button", "Add custom panel").Click()
	b.Check("form-custom-panel")
	b.Get("textbox", "Panel name").Fill("Car photos")
	b.Get("textbox", "Iframe URL").Fill("https://cars.example.com/photos")
	b.Get("checkbox", "Person details").Toggle()
	saved("added-custom-panel")

	b.Get("button", "Add floating window").Click()
	b.Check("form-floating-window")
	b.Get("textbox", "Floating window name").Fill("Dialer")
	b.Get("textbox", "Floating window description").Fill("Call your customers without leaving the platform.")
	b.Get("textbox", "Iframe URL").Fill("https://cars.example.com/dialer")
	b.Get("checkbox", "Phone number and Calls tab").Toggle()
	saved("added-floating-window")

	b.Get("button", "Add app settings page").Click()
	b.Check("form-settings-page")
	b.Get("radio", "External link").Toggle()
	b.Get("textbox", "URL").Fill("https://cars.example.com/settings")
	saved("added-settings-page")

	WantText(t, b, "Send quote - Car Services", "Order a cake", "Deliveries", "Book a test drive", "Car photos",
		"Dialer", "Top bar (apps dock), Phone number and Calls tab", "External link: https://cars.example.com/settings",
		"The app already has a floating window", "The app already has a settings page")
	if !b.Has("link", "Edit Order a cake") || !b.Has("button", "Delete Order a cake") {
		t.Fatalf("no Edit and Delete for Order a cake at %s", b.URL())
	}
	b.Get("link", "Edit Order a cake").Click()
	b.Check("edit-json-modal")
	WantText(t, b, "Edit JSON modal", "Cake size", "Wrap as gift?")
	b.Get("link", "Back to App extensions").Click()
}

// FourthActionRefused starts on the tab of an app whose Deal details view
// holds two actions (AddOneOfEachExtension's), fills it, and shows that a
// 4th one is refused with the reason beside Locations, keeping the input.
func FourthActionRefused(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	b.Get("button", "Add link action").Click()
	b.Get("textbox", "Action name").Fill("Print the offer")
	b.Get("textbox", "URL link").Fill("https://cars.example.com/print")
	b.Get("checkbox", "Deal details").Toggle()
	b.Get("button", "Save").Click()
	WantText(t, b, "Extension added.", "3 of 3")

	b.Get("button", "Add link action").Click()
	b.Get("textbox", "Action name").Fill("One too many")
	b.Get("textbox", "URL link").Fill("https://cars.example.com/more")
	b.Get("checkbox", "Deal details").Toggle()
	b.Get("button", "Save").Click()
	b.Check("fourth-action-refused")
	WantText(t, b, "There is a problem",
		"Locations cannot include Deal details: it already has 3 of 3 link actions, JSON modals and custom modals")
	if got := b.Get("textbox", "Action name").Value(); got != "One too many" {
		t.Errorf("the refused form lost the name: %q", got)
	}
}
