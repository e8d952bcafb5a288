package console_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestTemplatesUseLink is the cheap guard beside
// TestRenderedPathsCarryBasePath (which renders the pages it knows): no
// template of the console or the consent page writes one of the site's
// paths itself — a literal "/…" in an href, src, action or formaction, a
// templ.SafeURL(…) or an AssetURL(…) — instead of link(ctx, …) /
// assetLink(ctx, …), which put the request's base path in front.
func TestTemplatesUseLink(t *testing.T) {
	bad := regexp.MustCompile(`\s(href|src|action|formaction|poster)="/|templ\.SafeURL\(|AssetURL\(`)
	files, _ := filepath.Glob("*.templ")
	if len(files) < 5 {
		t.Fatalf("templates: %v", files)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range bad.FindAllIndex(src, -1) {
			line := 1 + len(regexp.MustCompile("\n").FindAll(src[:loc[0]], -1))
			t.Errorf("%s:%d: %q: use link(ctx, path) / assetLink(ctx, name)", f, line, src[loc[0]:loc[1]])
		}
	}
	consent, err := os.ReadFile("../oauth/pages.templ")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`\s(href|src|action|formaction)="/`).Find(consent); m != nil {
		t.Errorf("internal/oauth/pages.templ renders a site path %q: make it relative or pass it through basepath.Link", m)
	}
}
