package devhub

import "slices"

// ScopeBase is part of every app's scopes.
const ScopeBase = "base"

// ScopeAccess classes a scope for the people who grant it: what it lets an
// app read, what it lets an app change, and the rest.
type ScopeAccess string

// The access classes of domain.md.
const (
	AccessRead  ScopeAccess = "read"  // read-only access to the user's data
	AccessFull  ScopeAccess = "full"  // may create, change and delete
	AccessOther ScopeAccess = "other" // neither: the base scope and integrations
)

// ScopeInfo says, to an installing user, what one scope allows. It is the
// one source of the words the console, the consent page, the marketplace,
// GET /v1/scopes and the OpenAPI document show.
type ScopeInfo struct {
	Scope       string      `json:"scope"`
	Label       string      `json:"label"`
	Description string      `json:"description"`
	Access      ScopeAccess `json:"access"`
}

// Scopes is the scope catalog in display order. Labels are short and in
// sentence case; descriptions are one sentence addressed to the person who
// installs the app, saying what the app may read or change.
var Scopes = []ScopeInfo{
	{ScopeBase, "Basic account information", "See your name, email address and company, and keep you signed in to the app.", AccessOther},
	{"deals:read", "See deals", "Read your deals, their products, followers and the pipelines and stages they sit in.", AccessRead},
	{"deals:full", "Manage deals", "Create, change and delete deals, and their products, followers and pipelines.", AccessFull},
	{"mail:read", "See email", "Read the email messages and threads synced to your account.", AccessRead},
	{"mail:full", "Manage email", "Read, send, change and delete the email messages and threads synced to your account.", AccessFull},
	{"activities:read", "See activities", "Read your activities, such as calls, meetings and tasks, and their types.", AccessRead},
	{"activities:full", "Manage activities", "Create, change and delete your activities, such as calls, meetings and tasks.", AccessFull},
	{"contacts:read", "See contacts", "Read the people and organizations you can see, with their fields and followers.", AccessRead},
	{"contacts:full", "Manage contacts", "Create, change, merge and delete people and organizations.", AccessFull},
	{"products:read", "See products", "Read your products, their prices and the deals they are attached to.", AccessRead},
	{"products:full", "Manage products", "Create, change and delete products and their prices.", AccessFull},
	{"users:read", "See users", "Read the names, roles and teams of the users in your company.", AccessRead},
	{"recents:read", "See recent changes", "Read the list of records that were recently added or changed in your company.", AccessRead},
	{"search:read", "Search", "Search across your deals, people, organizations, products and files.", AccessRead},
	{"admin", "Administer your company account", "Change your company's settings, pipelines, custom fields and users, as an administrator can.", AccessFull},
	{"leads:read", "See leads", "Read your leads and their labels.", AccessRead},
	{"leads:full", "Manage leads", "Create, change, convert and delete leads and their labels.", AccessFull},
	{"phone-integration", "Phone integration", "Place and receive calls from the platform and log them as call activities.", AccessOther},
	{"goals:read", "See goals", "Read your company's goals and how they are progressing.", AccessRead},
	{"goals:full", "Manage goals", "Create, change and delete your company's goals.", AccessFull},
	{"video-calls", "Video calls", "Offer its video calls as a meeting option and add call links to your activities.", AccessOther},
	{"messengers-integration", "Messaging integration", "Show conversations from a messaging service in the platform's inbox and send replies.", AccessOther},
	{"projects:read", "See projects", "Read your projects, their tasks, boards and phases.", AccessRead},
	{"projects:full", "Manage projects", "Create, change and delete projects, their tasks, boards and phases.", AccessFull},
	{"webhooks:read", "See webhooks", "Read the webhooks set up in your company.", AccessRead},
	{"webhooks:full", "Manage webhooks", "Create and delete webhooks that send your company's changes to other services.", AccessFull},
}

// ScopeCatalog lists every scope an app may request, in display order.
var ScopeCatalog = func() []string {
	out := make([]string, len(Scopes))
	for i, s := range Scopes {
		out[i] = s.Scope
	}
	return out
}()

// LookupScope returns the catalog entry of scope; ok is false for a scope
// the catalog does not have.
func LookupScope(scope string) (info ScopeInfo, ok bool) {
	i := slices.IndexFunc(Scopes, func(s ScopeInfo) bool { return s.Scope == scope })
	if i < 0 {
		return ScopeInfo{}, false
	}
	return Scopes[i], true
}

// DescribeScopes returns the catalog entries of scopes in the order given,
// skipping any the catalog does not have (stored data never holds one, as
// every write normalises scopes).
func DescribeScopes(scopes []string) []ScopeInfo {
	out := make([]ScopeInfo, 0, len(scopes))
	for _, s := range scopes {
		if info, ok := LookupScope(s); ok {
			out = append(out, info)
		}
	}
	return out
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
