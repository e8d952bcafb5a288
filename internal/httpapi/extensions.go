package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// Writes to the extensions of an approved public app (unpublished or
// published) are not made: the store refuses them with
// devhub.ErrHeldForReview (or the read shows the app approved), and they are
// held in the app's pending changes, answered 202 with the pending write.
// The live extensions keep serving meanwhile.

// pendingWrite is the answer to a held extension write.
type pendingWrite struct {
	devhub.PendingExtension
	AppVersion int `json:"app_version"`
}

// holdExtension holds the write of extension extID (next: its new state, nil
// to delete it) on the approved app appID: one Query, then one conditional
// write of the app item. check, when not nil, sees the extension's current
// state (live or pending) and returns its next state.
func (s *Server) holdExtension(w http.ResponseWriter, r *http.Request, company, appID, extID string, next *devhub.Extension,
	check func(cur *devhub.Extension) (*devhub.Extension, bool, error), rec *devhub.Idempotency) error {
	a, live, err := s.Hub.Extensions.AppExtensions(r.Context(), company, appID)
	if err != nil {
		return err
	}
	if !a.HoldsExtensionWrites() {
		return devhub.Errorf(devhub.ECONFLICT, "App %q changed status meanwhile; retry.", appID)
	}
	conditional := false
	if check != nil {
		var cur *devhub.Extension
		for _, e := range a.EffectiveExtensions(live) {
			if e.ID == extID {
				cur = e
			}
		}
		if cur == nil {
			return devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", extID)
		}
		if next, conditional, err = check(cur); err != nil {
			return err
		}
	}
	nextApp, op, err := a.HoldExtension(live, extID, next, s.Hub.Now())
	if err != nil {
		return err
	}
	res := pendingWrite{PendingExtension: *op, AppVersion: nextApp.Version}
	if rec != nil { // a held create remembers its answer, as a created one does
		if rec.Body, err = devhub.MarshalJSON(res); err != nil {
			return err
		}
		rec.Status, rec.Location = http.StatusAccepted, ""
	}
	prev, err := s.Hub.Apps.UpdateAppRemembering(r.Context(), nextApp, a.Version, rec)
	if err != nil {
		return preconditionIfConditional(err, conditional)
	}
	if prev != nil {
		return replayRecord(w, prev, rec)
	}
	return writeJSON(w, http.StatusAccepted, res)
}

// heldApp reports whether a read's outcome shows an approved app whose
// extension writes are held.
func heldApp(a *devhub.App, err error) bool {
	return a != nil && a.HoldsExtensionWrites() && (err == nil || devhub.ErrorCode(err) == devhub.ENOTFOUND)
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

var extensionIDPattern = regexp.MustCompile(`^ext_[0-9a-v]{26}$`)

// extensionTarget checks what every extension route checks before it asks
// the store anything: the caller may develop, and the path's identifiers
// have the shape of real ones (anything else cannot exist, so it is not
// found without a round trip). extID is "" on the collection's routes.
func extensionTarget(r *http.Request) (id devhub.Identity, appID, extID string, err error) {
	id = identity(r.Context())
	if err := id.CanDevelop(); err != nil {
		return id, "", "", err
	}
	appID = r.PathValue("app_id")
	if !appIDPattern.MatchString(appID) {
		return id, "", "", errNoApp(appID)
	}
	extID = r.PathValue("extension_id")
	if extID != "" && !extensionIDPattern.MatchString(extID) {
		return id, "", "", devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", truncate(extID, 64))
	}
	return id, appID, extID, nil
}

func extensionLocation(e *devhub.Extension) string {
	return "/v1/apps/" + e.AppID + "/extensions/" + e.ID
}

func writeExtension(w http.ResponseWriter, status int, e *devhub.Extension) error {
	w.Header().Set("ETag", etag(e.Version))
	return writeJSON(w, status, e)
}

func (s *Server) createExtension(w http.ResponseWriter, r *http.Request) error {
	id, appID, _, err := extensionTarget(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, "application/json")
	if err != nil {
		return err
	}
	rec, err := idempotencyRecord(r, id, body)
	if err != nil {
		return err
	}
	var in devhub.NewExtensionInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	// The app is not read first, so that creating takes one round trip:
	// NewExtension needs only the app's id, and the store's transaction is
	// conditioned on the app existing and being the caller's.
	e, err := devhub.NewExtension(in, &devhub.App{ID: appID}, s.Hub.Schemas, s.Hub.Now())
	if err != nil {
		return err
	}
	location := extensionLocation(e)
	if rec != nil {
		if rec.Body, err = devhub.MarshalJSON(e); err != nil {
			return err
		}
		rec.Status, rec.Location = http.StatusCreated, location
	}
	prev, err := s.Hub.Extensions.CreateExtension(r.Context(), id.CompanyID, e, rec)
	if errors.Is(err, devhub.ErrHeldForReview) {
		return s.holdExtension(w, r, id.CompanyID, appID, e.ID, e, nil, rec)
	}
	if err != nil {
		return err
	}
	if prev != nil {
		return replayRecord(w, prev, rec)
	}
	w.Header().Set("Location", location)
	return writeExtension(w, http.StatusCreated, e)
}

func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request) error {
	id, appID, _, err := extensionTarget(r)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return devhub.Errorf(devhub.EMALFORMED, "The query string is malformed.")
	}
	typ := devhub.ExtensionType(q.Get("type"))
	if typ != "" && !slices.Contains(devhub.ExtensionTypes(), typ) {
		return &devhub.Error{Code: devhub.EMALFORMED, Message: "type must name an extension type.",
			Fields: []devhub.FieldError{{Field: "type", Message: "must be one of link_action, json_modal, json_panel, " +
				"custom_modal, custom_panel, floating_window, settings_page"}}}
	}
	exts, err := s.Hub.Extensions.ListExtensions(r.Context(), id.CompanyID, appID)
	if err != nil {
		return err
	}
	if typ != "" {
		exts = slices.DeleteFunc(exts, func(e *devhub.Extension) bool { return e.Type != typ })
	}
	// The limits keep an app's extensions to a few dozen: one page holds them.
	return writeJSON(w, http.StatusOK, newList(exts, ""))
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request) error {
	id, appID, extID, err := extensionTarget(r)
	if err != nil {
		return err
	}
	_, e, err := s.Hub.Extensions.GetExtension(r.Context(), id.CompanyID, appID, extID)
	if err != nil {
		return err
	}
	return writeExtension(w, http.StatusOK, e)
}

func (s *Server) patchExtension(w http.ResponseWriter, r *http.Request) error {
	id, appID, extID, err := extensionTarget(r)
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
	a, e, err := s.Hub.Extensions.GetExtension(r.Context(), id.CompanyID, appID, extID)
	if heldApp(a, err) {
		return s.holdExtension(w, r, id.CompanyID, appID, extID, nil, func(cur *devhub.Extension) (*devhub.Extension, bool, error) {
			conditional, err := checkIfMatch(r, cur.Version)
			if err != nil {
				return nil, false, err
			}
			next, err := patch.Apply(cur, s.Hub.Schemas, s.Hub.Now())
			return next, conditional, err
		}, nil)
	}
	if err != nil {
		return err
	}
	conditional, err := checkIfMatch(r, e.Version)
	if err != nil {
		return err
	}
	next, err := patch.Apply(e, s.Hub.Schemas, s.Hub.Now())
	if err != nil {
		return err
	}
	if err := s.Hub.Extensions.UpdateExtension(r.Context(), id.CompanyID, e, next); err != nil {
		return preconditionIfConditional(err, conditional)
	}
	return writeExtension(w, http.StatusOK, next)
}

func (s *Server) deleteExtension(w http.ResponseWriter, r *http.Request) error {
	id, appID, extID, err := extensionTarget(r)
	if err != nil {
		return err
	}
	a, e, err := s.Hub.Extensions.GetExtension(r.Context(), id.CompanyID, appID, extID)
	if heldApp(a, err) {
		return s.holdExtension(w, r, id.CompanyID, appID, extID, nil, func(cur *devhub.Extension) (*devhub.Extension, bool, error) {
			conditional, err := checkIfMatch(r, cur.Version)
			return nil, conditional, err
		}, nil)
	}
	if err != nil {
		return err
	}
	conditional, err := checkIfMatch(r, e.Version)
	if err != nil {
		return err
	}
	if err := s.Hub.Extensions.DeleteExtension(r.Context(), id.CompanyID, e); err != nil {
		return preconditionIfConditional(err, conditional)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
