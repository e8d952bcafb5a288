package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/benchclock"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// marketHub answers the marketplace use cases from memory, so that the
// benchmark times the console's own work (session, rendering) and none of
// DynamoDB's; the tests pin the round trips.
type marketHub struct {
	*hub.Hub
	apps  []*devhub.App
	exts  []*devhub.Extension
	insts []hub.InstalledApp
}

func (m marketHub) MarketplaceApps(context.Context, hub.PageRequest) (devhub.Page[*devhub.App], error) {
	return devhub.Page[*devhub.App]{Items: m.apps, NextCursor: "eyJQSyI6IkNMSUVOVCN4In0"}, nil
}

func (m marketHub) MarketplaceApp(context.Context, string) (*devhub.App, []*devhub.Extension, error) {
	return m.apps[0], m.exts, nil
}

func (m marketHub) InstalledApps(context.Context, devhub.Identity, hub.PageRequest) (devhub.Page[hub.InstalledApp], error) {
	return devhub.Page[hub.InstalledApp]{Items: m.insts, NextCursor: "eyJQSyI6IkNMSUVOVCN4In0"}, nil
}

// benchMarket is 40 listed apps (the first with 10 scopes and 20
// features) and 40 installations of them.
func benchMarket() marketHub {
	scopes := []string{"base", "deals:read", "deals:full", "contacts:read", "contacts:full", "activities:read", "activities:full",
		"products:read", "users:read", "search:read"}
	m := marketHub{Hub: &hub.Hub{IssuerURL: "https://api.example.com"}}
	now := time.Now()
	for i := range console.MarketplaceLimit {
		a := &devhub.App{ID: devhub.NewID("app_"), ClientID: devhub.NewID(""), Type: devhub.AppPublic, Status: devhub.StatusPublished,
			Name: fmt.Sprintf("A rather long app name number %03d", i), OwnerCompanyID: "acme", OwnerCompanyName: "Acme Robotics Incorporated",
			Scopes: scopes, Version: 4, CreatedAt: now, UpdatedAt: now,
			Listing: devhub.Listing{Summary: "Forecasts which deals close this quarter, from the activity on each deal and its people, in one score.",
				Description: "Forecasts which deals close.\n\nA long description of what the app does, for whom and how, in a few sentences.",
				IconURL:     fmt.Sprintf("https://cdn.example.com/icons/%03d.png", i), ImageURLs: []string{"https://cdn.example.com/1.png", "https://cdn.example.com/2.png", "https://cdn.example.com/3.png"},
				VideoURL: "https://video.example.com/watch?v=1", SupportURL: "https://example.com/support", PrivacyPolicyURL: "https://example.com/privacy"}}
		if i%3 == 0 {
			a.Listing.IconURL = "" // a monogram
		}
		m.apps = append(m.apps, a)
		m.insts = append(m.insts, hub.InstalledApp{App: a, Installation: &devhub.Installation{ID: devhub.NewInstallationID(now), AppID: a.ID,
			ClientID: a.ClientID, CompanyID: "initech", UserID: "carol", Scopes: scopes, CreatedAt: now, UpdatedAt: now, Version: 1}})
	}
	types := devhub.ExtensionTypes()
	for i := range 20 {
		m.exts = append(m.exts, &devhub.Extension{ID: devhub.NewID("ext_"), AppID: m.apps[0].ID, Type: types[i%len(types)],
			Name: fmt.Sprintf("Feature number %02d", i), Description: "What this feature adds to the pages of the CRM, in a sentence."})
	}
	return m
}

// BenchmarkMarketplacePages measures the console's CPU per marketplace
// page (thread CPU, DynamoDB excluded: the use cases answer from memory):
// the list of 40 apps, an app page with 20 features and 10 scopes, the
// installed apps page with 40 installations. Budget 300 µs each.
func BenchmarkMarketplacePages(b *testing.B) {
	m := benchMarket()
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	c := console.New(console.Options{Hub: m, Verifier: v, CSRFKeys: console.CSRFKeysFrom(auth.StaticKeys(testSecret).Current),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	h := c.Handler(c.Routes())
	cookie := cookieOf(b, customer)
	for _, page := range []struct {
		name, path string
		session    bool
	}{
		{"list-anonymous", "/marketplace", false},
		{"list-session", "/marketplace", true},
		{"app-anonymous", "/marketplace/apps/" + m.apps[0].ID, false},
		{"installed", "/marketplace/installed", true},
	} {
		b.Run(page.name, func(b *testing.B) {
			size := 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var cpu time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, page.path, nil)
				if page.session {
					req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cookie})
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
