package console

import (
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// The marketplace pages (console.md "Marketplace"): public, a session is
// optional. The list is one Query a page (hub.MarketplaceApps), an app's
// page a GetItem and a Query (hub.MarketplaceApp); an app that is not
// listed answers the same 404 as a missing one.

// MarketplaceLimit is how many apps a marketplace page lists ("More apps"
// pages on): one Query, a full page within the 40 KB budget of a page.
const MarketplaceLimit = 40

func (c *Console) marketplaceRoutes() []Route {
	get, post := http.MethodGet, http.MethodPost
	return []Route{
		{Method: get, Pattern: "/marketplace", Public: true, Handle: c.marketplace},
		{Method: get, Pattern: "/marketplace/apps/{app_id}", Public: true, Handle: c.marketplaceApp},
		{Method: get, Pattern: "/marketplace/installed", Handle: c.installed},
		{Method: get, Pattern: "/marketplace/installed/{installation_id}/uninstall", Handle: c.confirmUninstall},
		{Method: post, Pattern: "/marketplace/installed/{installation_id}/uninstall", Handle: c.uninstall},
	}
}

// optionalSession is the visitor's session on a public page, nil when
// there is none (or it is not valid: the page is then the anonymous one).
func (c *Console) optionalSession(r *http.Request) *Session {
	s, err := c.session(r)
	if err != nil {
		return nil
	}
	return s
}

// publicCache sets the caching of a public page: anonymous views may be
// kept by any cache for a minute (as the marketplace JSON is); a view with
// a session shows who is signed in, so only the browser keeps it, and
// revalidates. A one-time notice (a cookie to clear) is never public.
func publicCache(w http.ResponseWriter, r *http.Request, s *Session) {
	h := w.Header()
	h.Set("Vary", "Cookie")
	if _, err := r.Cookie(noticeCookie); s == nil && err != nil {
		h.Set("Cache-Control", "public, max-age=60")
		return
	}
	h.Set("Cache-Control", "private, no-cache")
}

func (c *Console) marketplace(w http.ResponseWriter, r *http.Request) error {
	s := c.optionalSession(r)
	page, err := c.hub.MarketplaceApps(r.Context(), hub.PageRequest{Limit: MarketplaceLimit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	publicCache(w, r, s)
	render(w, r, http.StatusOK, s, TextMarketplace, marketplacePage(page.Items, page.NextCursor))
	return nil
}

func (c *Console) marketplaceApp(w http.ResponseWriter, r *http.Request) error {
	s := c.optionalSession(r)
	a, exts, err := c.hub.MarketplaceApp(r.Context(), r.PathValue("app_id"))
	if err != nil {
		return err
	}
	install, err := c.hub.MarketplaceInstallURL(a)
	if err != nil {
		return err
	}
	publicCache(w, r, s)
	render(w, r, http.StatusOK, s, a.Name+" – "+TextMarketplace, marketplaceAppPage(newListingView(a, exts, install)))
	return nil
}

// listingView is an app's marketplace page.
type listingView struct {
	App      *devhub.App
	Install  string
	Read     []devhub.ScopeInfo // read-only access
	Full     []devhub.ScopeInfo // may create, change and delete: set apart and marked
	Other    []devhub.ScopeInfo // base and integrations
	Features []feature
}

// feature is one extension as the "Features" section shows it.
type feature struct {
	Name, Type, Description string
}

func newListingView(a *devhub.App, exts []*devhub.Extension, install string) *listingView {
	v := &listingView{App: a, Install: install}
	for _, sc := range devhub.DescribeScopes(a.Scopes) {
		switch sc.Access {
		case devhub.AccessFull:
			v.Full = append(v.Full, sc)
		case devhub.AccessRead:
			v.Read = append(v.Read, sc)
		default:
			v.Other = append(v.Other, sc)
		}
	}
	for _, e := range exts {
		typ := featureType(e.Type)
		name := e.Name
		if name == "" {
			name = typ
		}
		v.Features = append(v.Features, feature{Name: name, Type: typ, Description: e.Description})
	}
	return v
}

// featureType is an extension type in words ("Link action").
func featureType(t devhub.ExtensionType) string {
	k, ok := kindOf(t)
	if !ok {
		return string(t)
	}
	return upperFirst(k.Noun)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// httpsURLs are the https ones of us.
func httpsURLs(us []string) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		if devhub.HTTPSURL(u) != "" {
			out = append(out, u)
		}
	}
	return out
}

// appMarketPath is an app's marketplace page.
func appMarketPath(id string) string { return "/marketplace/apps/" + id }

// appName is an app's name, "" for none.
func appName(a *devhub.App) string {
	if a == nil {
		return ""
	}
	return a.Name
}

func screenshotAlt(name string, i, n int) string {
	return "Screenshot " + strconv.Itoa(i+1) + " of " + strconv.Itoa(n) + " of " + name
}
