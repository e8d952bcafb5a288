package console

import (
	"net/http"
	"strings"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// "Installed apps" (console.md): any logged-in user's own installations,
// newest first, with "Uninstall" — a confirmation page, then a POST with
// its CSRF token, then back to the list with a notice. The stream handler
// sends the app its uninstall notification when the installation goes.

// InstalledLimit is how many installations a page lists: with their apps,
// one Query and one BatchGetItem.
const InstalledLimit = 40

func (c *Console) installed(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	page, err := c.hub.InstalledApps(r.Context(), s.Identity, hub.PageRequest{Limit: InstalledLimit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, s, TextInstalledApps, installedPage(page.Items, page.NextCursor))
	return nil
}

func uninstallPath(instID string) string { return "/marketplace/installed/" + instID + "/uninstall" }

func (c *Console) confirmUninstall(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	ia, err := c.hub.InstalledAppOf(r.Context(), s.Identity, r.PathValue("installation_id"))
	if err != nil {
		return err
	}
	action := uninstallPath(ia.Installation.ID)
	renderPage(w, r, http.StatusOK, &Page{Title: TextUninstall + " " + installedName(ia), Session: s, Narrow: true},
		confirmUninstallPage(ia, action, c.CSRFToken(s, action)))
	return nil
}

func (c *Console) uninstall(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := c.hub.Uninstall(r.Context(), s.Identity, r.PathValue("installation_id")); err != nil {
		return err
	}
	return redirect(w, r, "/marketplace/installed", "uninstalled")
}

// installedName is the installed app's name, or its id when the app is gone.
func installedName(ia hub.InstalledApp) string {
	if ia.App != nil {
		return ia.App.Name
	}
	return "App " + ia.Installation.AppID
}

// accessGroup is the scopes of one access class in words, for a line of
// the installed apps list: "Full access: Deals, People".
type accessGroup struct {
	Name, Labels string
	Full         bool // full access: marked
}

// accessGroups are scopes in words, full access first (and marked), then
// read-only, then the rest.
func accessGroups(scopes []string) []accessGroup {
	var full, read, other []string
	for _, sc := range devhub.DescribeScopes(scopes) {
		switch sc.Access {
		case devhub.AccessFull:
			full = append(full, sc.Label)
		case devhub.AccessRead:
			read = append(read, sc.Label)
		default:
			other = append(other, sc.Label)
		}
	}
	out := make([]accessGroup, 0, 3)
	for _, g := range []struct {
		name   string
		labels []string
	}{{"Full access", full}, {"Read only", read}, {"Other", other}} {
		if len(g.labels) > 0 {
			out = append(out, accessGroup{Name: g.name, Labels: strings.Join(g.labels, ", "), Full: g.name == "Full access"})
		}
	}
	return out
}
