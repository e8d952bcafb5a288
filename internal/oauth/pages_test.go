package oauth

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/devhub-oss/devhub/internal/devhub"
)

func TestScopeGroups(t *testing.T) {
	rest, full := scopeGroups([]string{"base", "deals:full", "deals:read", "admin", "phone-integration", "made:up"})
	var r, f []string
	for _, s := range rest {
		r = append(r, s.Scope)
	}
	for _, s := range full {
		f = append(f, s.Scope)
	}
	if strings.Join(r, " ") != "base deals:read phone-integration" || strings.Join(f, " ") != "deals:full admin made:up" {
		t.Errorf("rest %v, full %v", r, f)
	}
}

// FuzzConsentPage: whatever the names, the page is valid UTF-8 markup in
// which no name opens an element or leaves its attribute.
func FuzzConsentPage(f *testing.F) {
	f.Add("Deal sync", "Acme", "Carol", `"><script>alert(1)</script>`)
	f.Add("<img src=x onerror=alert(1)>", "a&b", "</p>", "'")
	f.Fuzz(func(t *testing.T, app, company, user, state string) {
		v := &consentView{AppName: app, Developer: company, Monogram: devhub.Monogram(app), UserName: user, UserCompany: company,
			State: state, Read: []devhub.ScopeInfo{{Label: app, Description: user}}, CallbackHost: company}
		var buf bytes.Buffer
		if err := consentPage(v).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Count(out, "<") != strings.Count(mustRender(t, &consentView{Read: v.Read[:1]}), "<") {
			t.Errorf("a name added markup: %s", out)
		}
		valid := utf8.ValidString(app) && utf8.ValidString(company) && utf8.ValidString(user) && utf8.ValidString(state)
		if valid && !utf8.ValidString(out) {
			t.Error("invalid UTF-8 out of valid input")
		}
	})
}

func mustRender(t *testing.T, v *consentView) string {
	var buf bytes.Buffer
	if err := consentPage(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
