package hub

import (
	"context"
	"net/url"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// Listed reports whether a is in the marketplace: a public app that is
// published (devhub.App.Listed), pending changes or not. Everything else is
// as missing to anyone browsing it.
func Listed(a *devhub.App) bool { return a != nil && a.Listed() }

// MarketplaceApps is a page of the marketplace: published public apps of
// every company, for anyone (no identity), oldest change first. One Query of
// the marketplace index (GSI2, which holds exactly the listed apps, so a
// page is never short for apps filtered out); no Scan. A published app
// whose pending changes wait for a reviewer stays listed, with its approved
// values (the status index queues it under review, which is why the list
// does not read STATUS#published). Errors: EMALFORMED (bad cursor).
func (h *Hub) MarketplaceApps(ctx context.Context, page PageRequest) (devhub.Page[*devhub.App], error) {
	p, err := h.Apps.ListMarketplace(ctx, page.Cursor, page.limit())
	if err != nil {
		return p, err
	}
	listed := p.Items[:0]
	for _, a := range p.Items {
		if Listed(a) { // the index's own rule; kept as a guard
			a.ClientSecret, a.PreviousClientSecret = "", ""
			listed = append(listed, a)
		}
	}
	p.Items = listed
	return p, nil
}

// MarketplaceApp is one app of the marketplace and its live extensions (its
// features), for anyone: one GetItem and one Query. An app that is not
// listed (missing, draft, unpublished, private, in review) is the same
// ENOTFOUND as a missing one.
func (h *Hub) MarketplaceApp(ctx context.Context, appID string) (*devhub.App, []*devhub.Extension, error) {
	if !appIDPattern.MatchString(appID) {
		return nil, nil, errNoApp(appID)
	}
	a, err := h.Apps.GetApp(ctx, appID)
	if devhub.ErrorCode(err) == devhub.ENOTFOUND || (err == nil && !Listed(a)) {
		return nil, nil, errNoApp(appID)
	}
	if err != nil {
		return nil, nil, err
	}
	exts, err := h.Extensions.ListExtensions(ctx, a.OwnerCompanyID, a.ID)
	if err != nil {
		return nil, nil, err
	}
	a.ClientSecret, a.PreviousClientSecret = "", ""
	return a, exts, nil
}

// MarketplaceInstallURL is where "Install" leads for a listed app: its
// install link ($ISSUER_URL/install/<client_id>). Errors: EINTERNAL (no
// ISSUER_URL).
func (h *Hub) MarketplaceInstallURL(a *devhub.App) (string, error) {
	base, err := h.issuerBase()
	if err != nil {
		return "", err
	}
	return base + "/install/" + url.PathEscape(a.ClientID), nil
}
