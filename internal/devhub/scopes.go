package devhub

import "slices"

// ScopeBase is part of every app's scopes.
const ScopeBase = "base"

// ScopeCatalog lists every scope an app may request, in display order.
var ScopeCatalog = []string{
	ScopeBase, "deals:read", "deals:full", "mail:read", "mail:full", "activities:read",
	"activities:full", "contacts:read", "contacts:full", "products:read", "products:full",
	"users:read", "recents:read", "search:read", "admin", "leads:read", "leads:full",
	"phone-integration", "goals:read", "goals:full", "video-calls", "messengers-integration",
	"projects:read", "projects:full", "webhooks:read", "webhooks:full",
}

// NormalizeScopes checks scopes against the catalog, adds base, removes
// duplicates and returns them in catalog order. Unknown scopes are reported
// on field as problems.
func NormalizeScopes(field string, scopes []string, p *Problems) []string {
	want := map[string]bool{ScopeBase: true}
	for i, s := range scopes {
		if !slices.Contains(ScopeCatalog, s) {
			p.Add(fieldIndex(field, i), "unknown scope %q", truncate(s, 64))
			continue
		}
		want[s] = true
	}
	out := make([]string, 0, len(want))
	for _, s := range ScopeCatalog {
		if want[s] {
			out = append(out, s)
		}
	}
	return out
}
