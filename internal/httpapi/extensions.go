package httpapi

import (
	"net/http"
	"net/url"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// Writes to the extensions of an approved public app (unpublished or
// published) are held in the app's pending changes (hub.HeldWrite) and
// answered 202 with the pending write.

// pendingWrite is the answer to a held extension write.
type pendingWrite struct {
	devhub.PendingExtension
	AppVersion int `json:"app_version"`
}

// ExtensionsRoutes are the routes of the extensions function.
func (s *Server) ExtensionsRoutes() []Route {
	const list, one = "/v1/apps/{app_id}/extensions", "/v1/apps/{app_id}/extensions/{extension_id}"
	return []Route{
		{Method: http.MethodPost, Pattern: list, Handle: s.createExtension},
		{Method: http.MethodGet, Pattern: list, Handle: s.listExtensions},
		{Method: http.MethodGet, Pattern: one, Handle: s.getExtension},
		{Method: http.MethodPatch, Pattern: one, Handle: s.patchExtension},
		{Method: http.MethodDelete, Pattern: one, Handle: s.deleteExtension},
		{Method: http.MethodPost, Pattern: one + "/launch", Handle: s.launchExtension},
	}
}

func extensionLocation(e *devhub.Extension) string {
	return "/v1/apps/" + e.AppID + "/extensions/" + e.ID
}

func writeExtension(w http.ResponseWriter, status int, e *devhub.Extension) error {
	w.Header().Set("ETag", etag(e.Version))
	return writeJSON(w, status, e)
}

// extensionAnswer renders an extension write: 201 with the extension and
// its Location, 202 with the held write, 204 for a deletion.
func extensionAnswer(res hub.ExtensionWrite) (hub.Answer, error) {
	switch {
	case res.Held != nil:
		b, err := devhub.MarshalJSON(pendingWrite{PendingExtension: res.Held.Op, AppVersion: res.Held.AppVersion})
		return hub.Answer{Status: http.StatusAccepted, Body: b}, err
	case res.Extension != nil:
		b, err := devhub.MarshalJSON(res.Extension)
		return hub.Answer{Status: http.StatusCreated, Location: extensionLocation(res.Extension), Body: b}, err
	}
	return hub.Answer{Status: http.StatusNoContent}, nil
}

// writeExtensionWrite answers a made write with status (and the extension),
// a held one with 202 and the pending write.
func writeExtensionWrite(w http.ResponseWriter, status int, res hub.ExtensionWrite) error {
	switch {
	case res.Held != nil:
		return writeJSON(w, http.StatusAccepted, pendingWrite{PendingExtension: res.Held.Op, AppVersion: res.Held.AppVersion})
	case res.Extension != nil:
		return writeExtension(w, status, res.Extension)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// extensionTarget refuses, before the request is read, a caller who may not
// develop and a path whose ids cannot exist (as the use case would).
func extensionTarget(r *http.Request) (devhub.Identity, error) {
	id := identity(r.Context())
	return id, hub.CheckExtensionTarget(id, r.PathValue("app_id"), r.PathValue("extension_id"))
}

func (s *Server) createExtension(w http.ResponseWriter, r *http.Request) error {
	id, err := extensionTarget(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, "application/json")
	if err != nil {
		return err
	}
	var in devhub.NewExtensionInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	res, prev, err := s.Hub.CreateExtension(r.Context(), id, r.PathValue("app_id"), in, idempotency(r, body, extensionAnswer))
	if err != nil || prev != nil {
		return replay(w, prev, err)
	}
	if res.Extension != nil {
		w.Header().Set("Location", extensionLocation(res.Extension))
	}
	return writeExtensionWrite(w, http.StatusCreated, res)
}

func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request) error {
	id, err := extensionTarget(r)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return devhub.Errorf(devhub.EMALFORMED, "The query string is malformed.")
	}
	exts, err := s.Hub.ListExtensions(r.Context(), id, r.PathValue("app_id"), devhub.ExtensionType(q.Get("type")))
	if err != nil {
		return err
	}
	// The limits keep an app's extensions to a few dozen: one page holds them.
	return writeJSON(w, http.StatusOK, newList(exts, ""))
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Hub.GetExtension(r.Context(), identity(r.Context()), r.PathValue("app_id"), r.PathValue("extension_id"))
	if err != nil {
		return err
	}
	return writeExtension(w, http.StatusOK, e)
}

func (s *Server) patchExtension(w http.ResponseWriter, r *http.Request) error {
	id, err := extensionTarget(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, "application/merge-patch+json", "application/json")
	if err != nil {
		return err
	}
	var patch devhub.ExtensionPatch
	if err := decodeJSON(body, &patch); err != nil {
		return err
	}
	res, err := s.Hub.PatchExtension(r.Context(), id, r.PathValue("app_id"), r.PathValue("extension_id"), patch, ifMatch(r))
	if err != nil {
		return err
	}
	return writeExtensionWrite(w, http.StatusOK, res)
}

func (s *Server) deleteExtension(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Hub.DeleteExtension(r.Context(), identity(r.Context()), r.PathValue("app_id"), r.PathValue("extension_id"), ifMatch(r))
	if err != nil {
		return err
	}
	return writeExtensionWrite(w, http.StatusNoContent, res)
}
