package console_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/benchclock"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

// memoryHub answers AppSettings from memory, so that the benchmark times
// the console's own work (session, CSRF tokens, forms, rendering) and none
// of DynamoDB's; the tests pin the round trips.
type memoryHub struct {
	*hub.Hub
	st *hub.AppSettings
}

func (m memoryHub) AppSettings(context.Context, devhub.Identity, string) (*hub.AppSettings, error) {
	return m.st, nil
}

// settingsWithOneOfEach is an app with one extension of each type, as the
// store would return it.
func settingsWithOneOfEach(b *testing.B) *hub.AppSettings {
	a := &devhub.App{ID: "app_0000000000000000000000000a", Type: devhub.AppPrivate, Status: devhub.StatusDraft,
		Name: "Car services", OwnerCompanyID: alice.CompanyID, Version: 3}
	cake, _ := os.ReadFile("preview/testdata/modal-cake-order.json")
	panel, _ := os.ReadFile("preview/testdata/panel-multiple-object.json")
	exts := []*devhub.Extension{
		{Type: devhub.ExtLinkAction, Name: "Send quote - Car Services", URL: "https://x.example.com/a", Locations: []string{"deal_details", "person_details"}},
		{Type: devhub.ExtJSONModal, Name: "Order a cake", APIEndpoint: "https://x.example.com/m", JSONSchema: compact(cake), Locations: []string{"deal_details"}},
		{Type: devhub.ExtJSONPanel, Name: "Deliveries", APIEndpoint: "https://x.example.com/p", DataStructure: compact(panel),
			HTTPAuth: &devhub.HTTPAuth{Username: "u", Password: "p"}, Locations: []string{"organization_details"}},
		{Type: devhub.ExtCustomModal, Name: "Book a test drive", IframeURL: "https://x.example.com/c", EntryPoints: []string{"deals_list"}},
		{Type: devhub.ExtCustomPanel, Name: "Car photos", IframeURL: "https://x.example.com/cp", Locations: []string{"person_details"}},
		{Type: devhub.ExtFloatingWindow, Name: "Dialer", Description: "Calls", IframeURL: "https://x.example.com/f", EntryPoints: []string{"top_bar"}},
		{Type: devhub.ExtSettingsPage, SettingsKind: devhub.SettingsExternalLink, URL: "https://x.example.com/s"},
	}
	for i, e := range exts {
		e.ID = "ext_00000000000000000000000" + string(rune('a'+i))
		e.AppID, e.Version = a.ID, 1
	}
	return &hub.AppSettings{App: a, Live: exts, Extensions: exts, Usage: hub.UsageOf(exts)}
}

func compact(b []byte) json.RawMessage {
	var out strings.Builder
	var v any
	_ = json.Unmarshal(b, &v)
	_ = json.NewEncoder(&out).Encode(v)
	return json.RawMessage(strings.TrimSpace(out.String()))
}

// BenchmarkExtensionPages measures the console's CPU per page of the App
// extensions tab (thread CPU, DynamoDB excluded: the settings come from
// memory), and reports each page's HTML size.
func BenchmarkExtensionPages(b *testing.B) {
	st := settingsWithOneOfEach(b)
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	c := console.New(console.Options{Hub: memoryHub{Hub: &hub.Hub{Schemas: jsonschema.New()}, st: st}, Verifier: v,
		CSRFKeys: console.CSRFKeysFrom(auth.StaticKeys(testSecret).Current), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	h := c.Handler(c.Routes())
	cookie := cookieOf(b, alice)
	tab := "/hub/apps/" + st.App.ID + "/extensions"
	cake, _ := os.ReadFile("preview/testdata/modal-cake-order.json")
	previewForm := url.Values{"type": {"json_modal"}, "name": {"Order a cake"}, "json_schema": {string(cake)},
		"csrf_token": {c.CSRFTokenForCookie(cookie, tab+"/preview")}}.Encode()
	for _, page := range []struct {
		name, method, path, body string
	}{
		{"tab", http.MethodGet, tab, ""},
		{"new-link-action", http.MethodGet, tab + "/new?type=link_action", ""},
		{"edit-json-modal", http.MethodGet, tab + "/" + st.Extensions[1].ID, ""},
		{"edit-json-panel", http.MethodGet, tab + "/" + st.Extensions[2].ID, ""},
		{"preview-endpoint-modal", http.MethodPost, tab + "/preview", previewForm},
	} {
		b.Run(page.name, func(b *testing.B) {
			size := 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var cpu time.Duration
			for b.Loop() {
				req := httptest.NewRequest(page.method, tab, strings.NewReader(page.body))
				req.URL, _ = url.Parse(page.path)
				req.RequestURI = page.path
				req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cookie})
				if page.body != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				rec := httptest.NewRecorder()
				start := benchclock.ThreadCPU()
				h.ServeHTTP(rec, req)
				cpu += benchclock.ThreadCPU() - start
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", page.path, rec.Code, rec.Body.String())
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/page")
			b.ReportMetric(float64(size), "html-bytes")
		})
	}
}
