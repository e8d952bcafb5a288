package httpapi

import (
	"net/http"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// The marketplace (GET /v1/marketplace/apps, …/{app_id}) is public: it shows
// published public apps to anyone, and nothing else (an app that is not
// listed is the same 404 as a missing one). Its answers may be cached by
// anyone for a minute, so unpublishing takes at most that long to show
// through a shared cache; the origin stops serving the app at once.

// marketplaceCache is the Cache-Control of the marketplace's answers.
const marketplaceCache = "public, max-age=60"

// marketplaceApp is a listed app as anyone may see it: no client secret,
// no callback, no owner id beyond its display name.
type marketplaceApp struct {
	ID                   string                `json:"id"`
	Name                 string                `json:"name"`
	DeveloperCompanyName string                `json:"developer_company_name"`
	Listing              devhub.Listing        `json:"listing"`
	Scopes               []devhub.ScopeInfo    `json:"scopes"`
	InstallURL           string                `json:"install_url"`
	Features             *[]marketplaceFeature `json:"features,omitempty"`
	UpdatedAt            string                `json:"updated_at"`
}

// marketplaceFeature is one of an app's extensions, as its Features section
// shows it.
type marketplaceFeature struct {
	Type        devhub.ExtensionType `json:"type"`
	Name        string               `json:"name"`
	Description string               `json:"description"`
}

func (s *Server) viewMarketplaceApp(a *devhub.App) (marketplaceApp, error) {
	install, err := s.Hub.MarketplaceInstallURL(a)
	if err != nil {
		return marketplaceApp{}, err
	}
	l := a.Listing
	if l.ImageURLs == nil {
		l.ImageURLs = []string{}
	}
	return marketplaceApp{ID: a.ID, Name: a.Name, DeveloperCompanyName: a.OwnerDisplayName(), Listing: l,
		Scopes: devhub.DescribeScopes(a.Scopes), InstallURL: install, UpdatedAt: a.UpdatedAt.UTC().Format(time.RFC3339Nano)}, nil
}

func (s *Server) listMarketplace(w http.ResponseWriter, r *http.Request) error {
	page, err := pageParams(r)
	if err != nil {
		return err
	}
	p, err := s.Hub.MarketplaceApps(r.Context(), page)
	if err != nil {
		return err
	}
	views := make([]marketplaceApp, len(p.Items))
	for i, a := range p.Items {
		if views[i], err = s.viewMarketplaceApp(a); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", marketplaceCache)
	return writeJSON(w, http.StatusOK, newList(views, p.NextCursor))
}

func (s *Server) getMarketplaceApp(w http.ResponseWriter, r *http.Request) error {
	a, exts, err := s.Hub.MarketplaceApp(r.Context(), r.PathValue("app_id"))
	if err != nil {
		return err
	}
	v, err := s.viewMarketplaceApp(a)
	if err != nil {
		return err
	}
	features := make([]marketplaceFeature, len(exts))
	for i, x := range exts {
		features[i] = marketplaceFeature{Type: x.Type, Name: x.Name, Description: x.Description}
	}
	v.Features = &features
	w.Header().Set("Cache-Control", marketplaceCache)
	return writeJSON(w, http.StatusOK, v)
}
