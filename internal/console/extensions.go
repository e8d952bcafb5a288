package console

import (
	"net/http"
)

// extensionRoutes are the App extensions tab's routes. Helper `preview`
// owns this file (forms per type, usage and limits, the live Preview);
// this first version only shows the tab inside the app's settings.
func (c *Console) extensionRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/hub/apps/{app_id}/" + tabExt, Handle: c.extensionsTab},
	}
}

func (c *Console) extensionsTab(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	a, err := c.hub.GetApp(r.Context(), s.Identity, r.PathValue("app_id"))
	if err != nil {
		return err
	}
	c.RenderAppTab(w, r, http.StatusOK, a, nil, extensionsPlaceholder())
	return nil
}
