package console_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestManifestTab: the App manifest tab shows the app as YAML, previews the
// changes of an edited document without writing, applies it conditioned on
// the version shown, and shows a refused document's problems with their
// lines, keeping what was typed.
func TestManifestTab(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, "private", "Cake shop")
	path := "/hub/apps/" + a.ID + "/manifest"
	r := e.get(t, &alice, path)
	mustStatus(t, r, http.StatusOK)
	mustContain(t, r, `aria-current="page">App manifest</a>`, "manifest_version: 1", "name: Cake shop", `name="version" value="1"`)
	doc := html.UnescapeString(regexp.MustCompile(`(?s)<textarea[^>]*name="manifest"[^>]*>(.*?)</textarea>`).FindStringSubmatch(r.Body)[1])
	edited := strings.Replace(doc, "extensions: []", `extensions:
  - key: send-quote
    type: link_action
    name: Send quote
    url: https://example.com/quote
    locations: [deal_details]`, 1)
	if edited == doc {
		t.Fatalf("no empty extensions list in\n%s", doc)
	}

	t.Run("OK preview writes nothing", func(t *testing.T) {
		r := e.post(t, &alice, path, url.Values{"manifest": {edited}, "version": {"1"}, "action": {"preview"}})
		mustStatus(t, r, http.StatusOK)
		mustContain(t, r, `id="manifest-plan"`, "Add", "extensions.send-quote", "send-quote")
		if got, _ := e.hub.GetApp(context.Background(), alice, a.ID); got.Version != 1 {
			t.Errorf("a preview wrote: version %d", got.Version)
		}
	})
	t.Run("ErrProblemsWithLines", func(t *testing.T) {
		bad := strings.Replace(edited, "[deal_details]", "[deal_details, nowhere]", 1)
		r := e.post(t, &alice, path, url.Values{"manifest": {bad}, "version": {"1"}, "action": {"apply"}})
		mustStatus(t, r, http.StatusUnprocessableEntity)
		mustContain(t, r, `class="error-summary"`, `id="manifest-problems"`, "extensions[0].locations[1]", "Line ", "nowhere")
		if got, _ := e.hub.GetApp(context.Background(), alice, a.ID); got.Version != 1 {
			t.Errorf("a refused apply wrote: version %d", got.Version)
		}
	})
	t.Run("OK apply", func(t *testing.T) {
		r := e.post(t, &alice, path, url.Values{"manifest": {edited}, "version": {"1"}, "action": {"apply"}})
		mustStatus(t, r, http.StatusSeeOther)
		if r.Header.Get("Location") != path {
			t.Errorf("Location %q", r.Header.Get("Location"))
		}
		exts, err := e.store.ListExtensions(context.Background(), alice.CompanyID, a.ID)
		if err != nil || len(exts) != 1 || exts[0].Key != "send-quote" {
			t.Fatalf("after apply: %v %+v", err, exts)
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		r := e.post(t, &alice, path, url.Values{"manifest": {doc}, "version": {"1"}, "action": {"apply"}})
		mustStatus(t, r, http.StatusPreconditionFailed)
		mustContain(t, r, "changed since you opened this page", `name="version" value="2"`)
	})
	t.Run("ErrOtherCompany", func(t *testing.T) {
		mustStatus(t, e.get(t, &bob, path), http.StatusNotFound)
		mustStatus(t, e.post(t, &bob, path, url.Values{"manifest": {doc}, "action": {"apply"}}), http.StatusNotFound)
	})
}
