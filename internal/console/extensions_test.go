package console_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

func extTab(appID string) string { return "/hub/apps/" + appID + "/extensions" }

// extForms are one valid form per type, with the seeds' fields.
func extForms(e *env) map[devhub.ExtensionType]url.Values {
	cake, _ := os.ReadFile("preview/testdata/modal-cake-order.json")
	panel, _ := os.ReadFile("preview/testdata/panel-multiple-object.json")
	return map[devhub.ExtensionType]url.Values{
		devhub.ExtLinkAction: {"name": {"Send quote - Car Services"}, "description": {"Sends a quote"},
			"url": {"https://cars.example.com/handle_action"}, "locations": {"deal_details", "person_details"}},
		devhub.ExtJSONModal: {"name": {"Order a cake"}, "api_endpoint": {"https://cars.example.com/modal"},
			"json_schema": {string(cake)}, "locations": {"deal_details"}},
		devhub.ExtJSONPanel: {"name": {"Deliveries"}, "api_endpoint": {"https://cars.example.com/panel"},
			"http_auth.username": {"platform"}, "http_auth.password": {"panel-password-1"},
			"data_structure": {string(panel)}, "locations": {"deal_details"}},
		devhub.ExtCustomModal: {"name": {"Book a test drive"}, "iframe_url": {"https://cars.example.com/drive"},
			"entry_points": {"deals_list"}},
		devhub.ExtCustomPanel: {"name": {"Car photos"}, "iframe_url": {"https://cars.example.com/photos"},
			"locations": {"person_details"}},
		devhub.ExtFloatingWindow: {"name": {"Dialer"}, "description": {"Call customers from the platform"},
			"iframe_url": {"https://cars.example.com/dialer"}, "entry_points": {"top_bar", "phone_number"}},
		devhub.ExtSettingsPage: {"settings_kind": {"external_link"}, "url": {"https://cars.example.com/settings"},
			"iframe_url": {"https://ignored.example.com/"}},
	}
}

func (e *env) addExt(t *testing.T, who devhub.Identity, appID string, typ devhub.ExtensionType, form url.Values) response {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("type", string(typ))
	f.Set("action", "save")
	return e.post(t, &who, extTab(appID)+"/new", f)
}

func (e *env) extensions(t *testing.T, appID string) []*devhub.Extension {
	t.Helper()
	exts, err := e.store.ListExtensions(context.Background(), alice.CompanyID, appID)
	if err != nil {
		t.Fatal(err)
	}
	return exts
}

// follow fetches where a POST-redirect-GET leads, with its notice cookie.
func (e *env) follow(t *testing.T, who devhub.Identity, r response) response {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s: status %d, want 303: %s", r.Request.URL.Path, r.StatusCode, r.Body)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+r.Header.Get("Location"), nil)
	for _, c := range r.Cookies() {
		req.AddCookie(c)
	}
	return e.do(t, req, &who)
}

// fieldError returns the message shown beside the input called field.
func fieldError(body, field string) string {
	id := "f-" + regexp.MustCompile(`[^A-Za-z0-9-]`).ReplaceAllString(field, "-")
	m := regexp.MustCompile(`<p class="field__error" id="` + regexp.QuoteMeta(id) + `-error"><span class="visually-hidden">Error: </span>([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestExtensionsTab(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPrivate, "Car services")

	t.Run("OK empty", func(t *testing.T) {
		e.meter.Reset()
		r := e.get(t, &alice, extTab(a.ID))
		mustStatus(t, r, http.StatusOK)
		checkHeaders(t, r)
		if n := e.meter.Total(); n > 2 {
			t.Errorf("the tab took %d round trips (%v), want at most 2", n, e.meter.Calls())
		}
		for _, s := range []string{"Link actions", "JSON modals", "JSON panels", "Custom modals", "Custom panels",
			"Custom floating window", "App settings page", "Add link action", "Add JSON modal", "Add JSON panel",
			"Add custom modal", "Add custom panel", "Add floating window", "Add app settings page",
			"<th scope=\"row\">Deal details</th>", "0 of 3", "0 of 21", `aria-current="page">App extensions`} {
			mustContain(t, r, s)
		}
		if strings.Contains(r.Body, "disabled") {
			t.Error("an empty app has a disabled Add button")
		}
	})

	t.Run("OK one of each type", func(t *testing.T) {
		for typ, form := range extForms(e) {
			r := e.addExt(t, alice, a.ID, typ, form)
			page := e.follow(t, alice, r)
			mustContain(t, page, "Extension added.")
		}
		exts := e.extensions(t, a.ID)
		if len(exts) != 7 {
			t.Fatalf("got %d extensions, want 7", len(exts))
		}
		for _, x := range exts {
			if x.Type == devhub.ExtSettingsPage && x.IframeURL != "" {
				t.Errorf("an external-link settings page kept the iframe URL typed in for the other kind: %+v", x)
			}
			if x.Type == devhub.ExtJSONPanel && (x.HTTPAuth == nil || x.HTTPAuth.Password != "panel-password-1") {
				t.Errorf("panel auth: %+v", x.HTTPAuth)
			}
		}
		e.meter.Reset()
		r := e.get(t, &alice, extTab(a.ID))
		if n := e.meter.Total(); n > 2 {
			t.Errorf("the tab took %d round trips (%v), want at most 2", n, e.meter.Calls())
		}
		if len(r.Body) > 40<<10 {
			t.Errorf("the tab's HTML is %d bytes, want at most 40 KB", len(r.Body))
		}
		t.Logf("tab with 7 extensions: %d bytes of HTML, %d round trips", len(r.Body), e.meter.Total())
		for _, s := range []string{"Send quote - Car Services", "Deal details, Person details", "Order a cake",
			"Deliveries", "Book a test drive", "Car photos", "Dialer", "Top bar (apps dock), Phone number and Calls tab",
			"External link: https://cars.example.com/settings", "2 of 3", "3 of 21",
			"Edit<span class=\"visually-hidden\"> Order a cake</span>", "Delete<span class=\"visually-hidden\"> Dialer</span>"} {
			mustContain(t, r, s)
		}
		// One floating window and one settings page per app: their Add
		// buttons are disabled, with the reason as text.
		for _, typ := range []string{"floating_window", "settings_page"} {
			if !regexp.MustCompile(`<button type="submit" class="btn btn--secondary" disabled aria-describedby="why-` + typ + `">`).MatchString(r.Body) {
				t.Errorf("Add button of %s is not disabled", typ)
			}
		}
		mustContain(t, r, "The app already has a floating window; an app may have at most 1.",
			"The app already has a settings page; an app may have at most 1.")
		if strings.Contains(r.Body, "panel-password-1") {
			t.Error("a secret is on the page")
		}
	})

	t.Run("ErrNotFound another company's app", func(t *testing.T) {
		for _, p := range []string{extTab(a.ID), extTab(a.ID) + "/new?type=link_action"} {
			mustStatus(t, e.get(t, &bob, p), http.StatusNotFound)
		}
		r := e.addExt(t, bob, a.ID, devhub.ExtLinkAction, extForms(e)[devhub.ExtLinkAction])
		mustStatus(t, r, http.StatusNotFound)
		mustStatus(t, e.get(t, &alice, extTab(a.ID)+"/new?type=nonsense"), http.StatusNotFound)
	})
	t.Run("ErrForbidden not a sandbox", func(t *testing.T) {
		mustStatus(t, e.get(t, &customer, extTab(a.ID)), http.StatusForbidden)
	})
}

func TestExtensionFormRefused(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPrivate, "Car services")

	t.Run("ErrInvalid fields beside their inputs, input kept, nothing written", func(t *testing.T) {
		form := url.Values{"name": {"A name that is far too long for any view"}, "url": {"ftp://x"},
			"jwt_secret": {"short"}, "description": {"Kept <b>as typed</b>"}}
		e.meter.Reset()
		r := e.addExt(t, alice, a.ID, devhub.ExtLinkAction, form)
		mustStatus(t, r, http.StatusUnprocessableEntity)
		if got := e.meter.Calls(); got["TransactWriteItems"]+got["PutItem"]+got["UpdateItem"] > 0 {
			t.Errorf("a refused save wrote: %v", got)
		}
		for field, want := range map[string]string{
			"name": "Action name must be at most 30 characters", "url": "URL link ", "jwt_secret": "JWT secret must be 16 to 256 characters",
			"locations": "Locations needs at least one value",
		} {
			if got := fieldError(r.Body, field); !strings.HasPrefix(got, want) {
				t.Errorf("beside %s: got %q, want it to start %q", field, got, want)
			}
		}
		mustContain(t, r, "There is a problem", `value="A name that is far too long for any view"`, `value="Kept &lt;b&gt;as typed&lt;/b&gt;"`)
		if strings.Contains(r.Body, `value="short"`) {
			t.Error("the typed JWT secret was sent back into the page")
		}
		if n := len(e.extensions(t, a.ID)); n != 0 {
			t.Errorf("%d extensions after a refused save", n)
		}
	})

	t.Run("sentence case is advice, not an error", func(t *testing.T) {
		f := url.Values{}
		for k, v := range extForms(e)[devhub.ExtLinkAction] {
			f[k] = v
		}
		f.Set("name", "Send Quote To Customer")
		page := e.follow(t, alice, e.addExt(t, alice, a.ID, devhub.ExtLinkAction, f))
		mustContain(t, page, "Extension added.", "Advice: the name is not in sentence case")
		if strings.Contains(page.Body, "There is a problem") {
			t.Error("advice shown as an error")
		}
	})

	t.Run("ErrConflict a 4th action in one view, the reason beside Locations", func(t *testing.T) {
		e := newEnv(t)
		a := e.createApp(t, alice, devhub.AppPrivate, "Busy app")
		for _, n := range []string{"First", "Second", "Third"} {
			e.follow(t, alice, e.addExt(t, alice, a.ID, devhub.ExtLinkAction, url.Values{"name": {n + " action"},
				"url": {"https://example.com/" + n}, "locations": {"deal_details"}}))
		}
		r := e.addExt(t, alice, a.ID, devhub.ExtLinkAction, url.Values{"name": {"Fourth action"},
			"url": {"https://example.com/4"}, "locations": {"deal_details", "deals_list"}})
		mustStatus(t, r, http.StatusConflict)
		want := "Locations cannot include Deal details: it already has 3 of 3 link actions, JSON modals and custom modals"
		if got := fieldError(r.Body, "locations"); !strings.HasPrefix(got, want) {
			t.Errorf("beside Locations: got %q, want %q…", got, want)
		}
		mustContain(t, r, `value="Fourth action"`, "3 of 3 used by other extensions")
		if n := len(e.extensions(t, a.ID)); n != 3 {
			t.Errorf("%d extensions, want 3", n)
		}
	})

	t.Run("ErrInvalid a JSON modal's schema problems in the Preview, at their place", func(t *testing.T) {
		doc := `{"type": "object", "properties": {
  "blocks": {"type": "object", "properties": {
    "size": {"$ref": "#/definitions/element-input", "options": {"placeholder": "S"}}
  }},
  "actions": {"type": "object", "properties": {
    "go": {"$ref": "#/definitions/action-primary", "options": {"label": "Go", "handler": "request"}}
  }}
}}`
		r := e.addExt(t, alice, a.ID, devhub.ExtJSONModal, url.Values{"name": {"Broken modal"},
			"api_endpoint": {"https://example.com/m"}, "json_schema": {doc}, "locations": {"deal_details"}})
		mustStatus(t, r, http.StatusUnprocessableEntity)
		if got := fieldError(r.Body, "json_schema"); got != "JSON schema has 1 problem: each is shown in the Preview, at its place" {
			t.Errorf("beside JSON schema: %q", got)
		}
		mustContain(t, r, `<span class="pv-line">Line 3</span> <code>options.label</code> is required`,
			`<h2 id="ext-preview-title">Preview</h2>`, "&#34;$ref&#34;: &#34;#/definitions/element-input&#34;")
	})
}

func TestExtensionPreview(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPrivate, "Car services")
	cake := extForms(e)[devhub.ExtJSONModal]

	t.Run("OK the Preview button draws, writes nothing", func(t *testing.T) {
		f := url.Values{"type": {"json_modal"}, "action": {"preview"}, "name": {"Order a cake"}, "json_schema": cake["json_schema"]}
		e.meter.Reset()
		r := e.post(t, &alice, extTab(a.ID)+"/new", f)
		mustStatus(t, r, http.StatusOK)
		mustContain(t, r, "No problems found in the JSON schema.", `<span class="pv-mtitle">Order a cake</span>`, "Delivery method", "preview.")
		if got := e.meter.Calls(); len(got) != 1 || got["Query"] != 1 {
			t.Errorf("the Preview button's round trips: %v, want one Query", got)
		}
	})
	t.Run("OK the endpoint answers the fragment without a round trip", func(t *testing.T) {
		e.meter.Reset()
		r := e.post(t, &alice, extTab(a.ID)+"/preview", url.Values{"type": {"json_panel"}, "name": {"Deliveries"},
			"data_structure": extForms(e)[devhub.ExtJSONPanel]["data_structure"]})
		mustStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.Body, `<div class="pv" data-preview="panel">`) || !strings.Contains(r.Body, "Delivery cost") {
			t.Errorf("fragment: %s", r.Body)
		}
		if r.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("headers: %v", r.Header)
		}
		if n := e.meter.Total(); n != 0 {
			t.Errorf("%d round trips, want none", n)
		}
	})
	t.Run("ErrForbidden without the endpoint's token, or cross-site", func(t *testing.T) {
		f := url.Values{"type": {"json_modal"}, "json_schema": {"{}"}, "csrf_token": {e.console.CSRFTokenForCookie(cookieOf(t, alice), extTab(a.ID)+"/new")}}
		mustStatus(t, e.post(t, &alice, extTab(a.ID)+"/preview", f), http.StatusForbidden)
		mustStatus(t, e.post(t, &alice, extTab(a.ID)+"/preview", url.Values{"type": {"json_modal"}}, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		r := e.post(t, &alice, extTab(a.ID)+"/preview", url.Values{"type": {"json_modal"}, "json_schema": {strings.Repeat("x", 70<<10)}})
		mustStatus(t, r, http.StatusRequestEntityTooLarge)
	})
	t.Run("ErrNotFound a type without a preview", func(t *testing.T) {
		mustStatus(t, e.post(t, &alice, extTab(a.ID)+"/preview", url.Values{"type": {"link_action"}}), http.StatusNotFound)
	})
}

func TestExtensionEdit(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPrivate, "Car services")
	form := extForms(e)[devhub.ExtJSONPanel]
	form.Set("jwt_secret", "a-jwt-secret-of-the-panel")
	e.follow(t, alice, e.addExt(t, alice, a.ID, devhub.ExtJSONPanel, form))
	x := e.extensions(t, a.ID)[0]
	path := extTab(a.ID) + "/" + x.ID

	t.Run("OK the form holds the extension, never its secrets", func(t *testing.T) {
		e.meter.Reset()
		r := e.get(t, &alice, path)
		mustStatus(t, r, http.StatusOK)
		if n := e.meter.Total(); n > 2 {
			t.Errorf("%d round trips, want at most 2", n)
		}
		mustContain(t, r, "Edit JSON panel", `value="Deliveries"`, `value="platform"`, "One is stored: leave this empty to keep it.",
			"Remove the JWT secret", `<span class="pv-ptitle">Deliveries</span>`, "preview.", `data-preview-token="`)
		for _, secret := range []string{"panel-password-1", "a-jwt-secret-of-the-panel"} {
			if strings.Contains(r.Body, secret) {
				t.Errorf("the page shows the secret %q", secret)
			}
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}
		// The one addition to console.md's CSP: the Preview's fetch.
		if got, want := r.Header.Get("Content-Security-Policy"), pageHeaders["Content-Security-Policy"]+"; connect-src 'self'"; got != want {
			t.Errorf("CSP %q, want %q", got, want)
		}
	})
	t.Run("OK empty secrets keep the stored ones", func(t *testing.T) {
		f := extValuesForm(t, e, path)
		f.Set("name", "Deliveries of cars")
		r := e.post(t, &alice, path, f)
		mustContain(t, e.follow(t, alice, r), "Extension saved.", "Deliveries of cars")
		got := e.extensions(t, a.ID)[0]
		if got.JWTSecret != "a-jwt-secret-of-the-panel" || got.HTTPAuth == nil || got.HTTPAuth.Password != "panel-password-1" {
			t.Errorf("secrets after an edit without them: jwt %q, auth %+v", got.JWTSecret, got.HTTPAuth)
		}
		if got.Version != 2 {
			t.Errorf("version %d, want 2", got.Version)
		}
		if string(got.DataStructure) != string(x.DataStructure) {
			t.Error("the data structure changed although the editor was not touched")
		}
	})
	t.Run("ErrInvalid removing HTTP Auth and the JWT secret leaves the panel unauthenticated", func(t *testing.T) {
		f := extValuesForm(t, e, path)
		f.Del("http_auth.username")
		f.Set("jwt_secret_remove", "1")
		r := e.post(t, &alice, path, f)
		mustStatus(t, r, http.StatusUnprocessableEntity)
		if got := fieldError(r.Body, "http_auth.username"); !strings.HasPrefix(got, "HTTP Auth username is required unless jwt_secret is set") {
			t.Errorf("beside HTTP Auth username: %q", got)
		}
	})
	t.Run("OK removing the JWT secret", func(t *testing.T) {
		f := extValuesForm(t, e, path)
		f.Set("jwt_secret_remove", "1")
		mustContain(t, e.follow(t, alice, e.post(t, &alice, path, f)), "Extension saved.")
		if got := e.extensions(t, a.ID)[0]; got.JWTSecret != "" || got.HTTPAuth == nil {
			t.Errorf("after removing the JWT secret: jwt %q, auth %+v", got.JWTSecret, got.HTTPAuth)
		}
		// Put it back for the next steps.
		f = extValuesForm(t, e, path)
		f.Set("jwt_secret", "a-jwt-secret-of-the-panel")
		e.follow(t, alice, e.post(t, &alice, path, f))
	})
	t.Run("ErrPrecondition a stale form writes nothing", func(t *testing.T) {
		f := extValuesForm(t, e, path)
		f.Set("version", "2")
		f.Set("name", "Stale name")
		r := e.post(t, &alice, path, f)
		mustStatus(t, r, http.StatusPreconditionFailed)
		mustContain(t, r, "This extension was changed since you opened it", `value="Stale name"`)
		if got := e.extensions(t, a.ID)[0]; got.Name != "Deliveries of cars" || got.Version != 4 {
			t.Errorf("name %q after a stale save", got.Name)
		}
	})
	t.Run("OK delete", func(t *testing.T) {
		cur := e.extensions(t, a.ID)[0]
		r := e.post(t, &alice, path+"/delete", url.Values{"version": {strconv.Itoa(cur.Version)}})
		mustContain(t, e.follow(t, alice, r), "Extension deleted.")
		if n := len(e.extensions(t, a.ID)); n != 0 {
			t.Errorf("%d extensions after delete", n)
		}
	})
}

// extValuesForm reads the edit form at path and returns what it would post.
func extValuesForm(t *testing.T, e *env, path string) url.Values {
	t.Helper()
	r := e.get(t, &alice, path)
	f := url.Values{"action": {"save"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="(type|version)" value="([^"]*)"`).FindAllStringSubmatch(r.Body, -1) {
		f.Set(m[1], m[2])
	}
	for _, m := range regexp.MustCompile(`<input type="(?:text|url)" id="[^"]*" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(r.Body, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range regexp.MustCompile(`<textarea id="[^"]*" name="([^"]+)"[^>]*>([^<]*)</textarea>`).FindAllStringSubmatch(r.Body, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range regexp.MustCompile(`<input type="checkbox" id="[^"]*" name="([^"]+)" value="([^"]*)" checked`).FindAllStringSubmatch(r.Body, -1) {
		f.Add(m[1], m[2])
	}
	return f
}

func TestExtensionsHeld(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPublic, "Market app")
	// The review flow is the lifecycle's; here the app is simply approved.
	next := *a
	next.Status = devhub.StatusUnpublished
	next.Version++
	if err := e.store.UpdateApp(context.Background(), &next, a.Version); err != nil {
		t.Fatal(err)
	}
	r := e.addExt(t, alice, a.ID, devhub.ExtLinkAction, extForms(e)[devhub.ExtLinkAction])
	page := e.follow(t, alice, r)
	mustContain(t, page, "Saved as a change waiting for review", "New: waiting for review", "Send quote - Car Services")
	if n := len(e.extensions(t, a.ID)); n != 0 {
		t.Errorf("%d live extensions: a held write was made", n)
	}
	st, err := e.hub.AppSettings(context.Background(), alice, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Held) != 1 {
		t.Errorf("held writes: %+v", st.Held)
	}
}
