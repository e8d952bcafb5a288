package console

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// BenchmarkRenderDashboard is the dashboard's template alone: a full page
// of apps into a buffer, no DynamoDB, no HTTP.
func BenchmarkRenderDashboard(b *testing.B) {
	c := New(Options{CSRFKeys: func() [][]byte { return [][]byte{[]byte("k")} }})
	s := &Session{Identity: devhub.Identity{UserID: "u", CompanyID: "c", Sandbox: true}, Name: "u", CompanyName: "c", bind: "x"}
	var apps []*devhub.App
	for i := range DashboardLimit {
		typ := devhub.AppPrivate
		if i%2 == 0 {
			typ = devhub.AppPublic
		}
		apps = append(apps, &devhub.App{ID: devhub.NewID("app_"), Type: typ, Status: devhub.StatusDraft, Name: fmt.Sprintf("A rather long app name number %03d", i), CreatedAt: time.Now()})
	}
	// "/prod": every link behind the stage, as on the execute-api URL.
	for _, prefix := range []string{"", "/prod"} {
		b.Run("prefix="+prefix, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for range b.N {
				buf.Reset()
				ctx := templ.WithChildren(basepath.With(context.Background(), prefix), dashboardPage(c.view(s), apps, ""))
				if err := layout(&Page{Title: "x", Session: s}).Render(ctx, &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
}
