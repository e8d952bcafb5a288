package devhub_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// The catalog is what installing users read: every scope has words, and its
// access class follows domain.md's rule.
func TestScopeCatalog(t *testing.T) {
	if len(devhub.Scopes) != 26 || len(devhub.ScopeCatalog) != len(devhub.Scopes) {
		t.Fatalf("got %d scopes (%d names), want 26", len(devhub.Scopes), len(devhub.ScopeCatalog))
	}
	labels := map[string]string{}
	for i, s := range devhub.Scopes {
		if devhub.ScopeCatalog[i] != s.Scope {
			t.Errorf("ScopeCatalog[%d] = %q, want %q", i, devhub.ScopeCatalog[i], s.Scope)
		}
		want := devhub.AccessOther
		switch {
		case strings.HasSuffix(s.Scope, ":read"):
			want = devhub.AccessRead
		case strings.HasSuffix(s.Scope, ":full") || s.Scope == "admin":
			want = devhub.AccessFull
		}
		if s.Access != want {
			t.Errorf("%s: access %q, want %q", s.Scope, s.Access, want)
		}
		if first := []rune(s.Label)[0]; !unicode.IsUpper(first) || s.Label != strings.TrimSpace(s.Label) {
			t.Errorf("%s: label %q is not in sentence case", s.Scope, s.Label)
		}
		if prev, dup := labels[s.Label]; dup {
			t.Errorf("%s and %s share the label %q", prev, s.Scope, s.Label)
		}
		labels[s.Label] = s.Scope
		d := s.Description
		if !unicode.IsUpper([]rune(d)[0]) || !strings.HasSuffix(d, ".") || strings.Count(d, ". ") != 0 || len(d) > 140 {
			t.Errorf("%s: description %q is not one short sentence", s.Scope, d)
		}
	}
}

func TestDescribeScopes(t *testing.T) {
	got := devhub.DescribeScopes([]string{"deals:full", "nope", "base"})
	if len(got) != 2 || got[0].Scope != "deals:full" || got[1].Scope != "base" {
		t.Fatalf("got %+v, want deals:full then base, unknown skipped", got)
	}
	if _, ok := devhub.LookupScope("deals:write"); ok {
		t.Error("LookupScope found a scope the catalog does not have")
	}
}
