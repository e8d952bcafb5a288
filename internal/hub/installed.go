package hub

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// InstalledApp is one of the caller's installations and its app: nil when
// the app is gone (deleted apps lose their installations soon after).
// The app carries no client secret.
type InstalledApp struct {
	Installation *devhub.Installation
	App          *devhub.App
}

// InstalledApps is a page of the caller's own installations, newest first,
// each with its app, for the marketplace's "Installed apps" page: one Query
// of the installations, then one BatchGetItem of their apps' client copies
// (none when the page is empty) — two round trips for a page of up to 100.
// Errors: EMALFORMED (bad cursor).
func (h *Hub) InstalledApps(ctx context.Context, id devhub.Identity, page PageRequest) (devhub.Page[InstalledApp], error) {
	var out devhub.Page[InstalledApp]
	insts, err := h.ListInstallations(ctx, id, page)
	if err != nil {
		return out, err
	}
	out.NextCursor = insts.NextCursor
	out.Items = make([]InstalledApp, 0, len(insts.Items))
	if len(insts.Items) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(insts.Items))
	seen := make(map[string]bool, len(insts.Items))
	for _, in := range insts.Items {
		if !seen[in.ClientID] {
			seen[in.ClientID] = true
			ids = append(ids, in.ClientID)
		}
	}
	apps, err := h.Clients.GetAppsByClientID(ctx, ids)
	if err != nil {
		return out, err
	}
	byClient := make(map[string]*devhub.App, len(apps))
	for _, a := range apps {
		a.ClientSecret, a.PreviousClientSecret = "", ""
		byClient[a.ClientID] = a
	}
	for _, in := range insts.Items {
		out.Items = append(out.Items, InstalledApp{Installation: in, App: byClient[in.ClientID]})
	}
	return out, nil
}

// InstalledAppOf is one of the caller's installations and its app, for the
// page that confirms an uninstall: one Query of the caller's installations
// (another user's installation is not found) and one GetItem of the app's
// client copy. Errors: ENOTFOUND.
func (h *Hub) InstalledAppOf(ctx context.Context, id devhub.Identity, installationID string) (InstalledApp, error) {
	if !installationIDPattern.MatchString(installationID) {
		return InstalledApp{}, errNoInstallation(installationID)
	}
	in, err := h.Installations.FindInstallation(ctx, id.CompanyID, id.UserID, installationID)
	if err != nil {
		return InstalledApp{}, err
	}
	a, err := h.Clients.GetAppByClientID(ctx, in.ClientID)
	if devhub.ErrorCode(err) == devhub.ENOTFOUND {
		return InstalledApp{Installation: in}, nil
	}
	if err != nil {
		return InstalledApp{}, err
	}
	a.ClientSecret, a.PreviousClientSecret = "", ""
	return InstalledApp{Installation: in, App: a}, nil
}

func errNoInstallation(id string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "Installation %q was not found.", truncate(id, 64))
}
