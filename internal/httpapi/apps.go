package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// AppsRoutes are the routes of the apps function, which also serves the
// OpenAPI document.
func (s *Server) AppsRoutes() []Route {
	return append([]Route{
		{Method: http.MethodPost, Pattern: "/v1/apps", Handle: s.createApp},
		{Method: http.MethodGet, Pattern: "/v1/apps", Handle: s.listApps},
		{Method: http.MethodGet, Pattern: "/v1/apps/{app_id}", Handle: s.getApp},
		{Method: http.MethodPatch, Pattern: "/v1/apps/{app_id}", Handle: s.patchApp},
		{Method: http.MethodDelete, Pattern: "/v1/apps/{app_id}", Handle: s.deleteApp},
		{Method: http.MethodGet, Pattern: "/openapi.json", Public: true, Handle: serveOpenAPI},
	}, s.lifecycleRoutes()...)
}

var appIDPattern = regexp.MustCompile(`^app_[0-9a-v]{26}$`)

// ownApp returns the app named by the path, provided the caller may develop
// and the app is its company's. Another company's app is "not found": its
// existence is not revealed.
func (s *Server) ownApp(r *http.Request) (*devhub.App, error) {
	id := identity(r.Context())
	if err := id.CanDevelop(); err != nil {
		return nil, err
	}
	appID := r.PathValue("app_id")
	if !appIDPattern.MatchString(appID) {
		return nil, errNoApp(appID)
	}
	a, err := s.Apps.GetApp(r.Context(), appID)
	if err != nil {
		return nil, err
	}
	if !a.OwnedBy(id.CompanyID) {
		return nil, errNoApp(appID)
	}
	return a, nil
}

// appView is the app as the API shows it. Times are preformatted: the
// reflective time.Time encoder (MarshalJSON, then re-compaction) was the
// largest cost of a GET outside DynamoDB.
type appView struct {
	ID              string                 `json:"id"`
	Type            devhub.AppType         `json:"type"`
	Status          devhub.AppStatus       `json:"status"`
	Name            string                 `json:"name"`
	CallbackURL     string                 `json:"callback_url"`
	Scopes          []string               `json:"scopes"`
	InstallationURL *string                `json:"installation_url"`
	ClientID        string                 `json:"client_id"`
	ClientSecret    string                 `json:"client_secret,omitempty"`
	ReviewFeedback  *devhub.ReviewFeedback `json:"review_feedback"`
	TokenRotation   bool                   `json:"refresh_token_rotation"`
	Listing         devhub.Listing         `json:"listing"`
	PendingChanges  *devhub.PendingChanges `json:"pending_changes"`
	CallbackHealth  *devhub.CallbackHealth `json:"callback_health"`
	OwnerCompanyID  string                 `json:"owner_company_id"`
	CreatedBy       string                 `json:"created_by"`
	CreatedAt       string                 `json:"created_at"`
	UpdatedAt       string                 `json:"updated_at"`
	Version         int                    `json:"version"`
}

// viewApp renders a for its owner, client secret included.
func viewApp(a *devhub.App) appView {
	return appView{
		ID: a.ID, Type: a.Type, Status: a.Status, Name: a.Name, CallbackURL: a.CallbackURL, Scopes: a.Scopes,
		InstallationURL: a.InstallationURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret, Listing: a.Listing,
		TokenRotation: a.RefreshTokenRotation, ReviewFeedback: a.ReviewFeedback,
		PendingChanges: a.PendingChanges, CallbackHealth: a.CallbackHealth, OwnerCompanyID: a.OwnerCompanyID,
		CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339Nano),
		UpdatedAt: a.UpdatedAt.UTC().Format(time.RFC3339Nano), Version: a.Version,
	}
}

// errNoApp is the answer for an app that is missing or not the caller's:
// the two must not be told apart.
func errNoApp(appID string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "App %q was not found.", truncate(appID, 64))
}

func writeApp(w http.ResponseWriter, status int, a *devhub.App) error {
	w.Header().Set("ETag", etag(a.Version))
	return writeJSON(w, status, viewApp(a))
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	if err := id.CanDevelop(); err != nil {
		return err
	}
	var in devhub.NewAppInput
	body, err := readJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	rec, err := idempotencyRecord(r, id, body)
	if err != nil {
		return err
	}
	a, err := devhub.NewApp(in, id, s.Now())
	if err != nil {
		return err
	}
	location := "/v1/apps/" + a.ID
	if rec != nil {
		if rec.Body, err = json.Marshal(viewApp(a)); err != nil {
			return err
		}
		rec.Status, rec.Location = http.StatusCreated, location
	}
	prev, err := s.Apps.CreateApp(r.Context(), a, rec)
	if err != nil {
		return err
	}
	if prev != nil {
		return replay(w, prev, rec)
	}
	w.Header().Set("Location", location)
	return writeApp(w, http.StatusCreated, a)
}

// idempotencyRecord returns the record to keep for a POST that carries an
// Idempotency-Key, or nil when it carries none.
func idempotencyRecord(r *http.Request, id devhub.Identity, body []byte) (*devhub.Idempotency, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 || !printableASCII(key) {
		return nil, &devhub.Error{Code: devhub.EMALFORMED, Message: "Idempotency-Key must be 1 to 255 printable ASCII characters.",
			Fields: []devhub.FieldError{{Field: "Idempotency-Key", Message: "must be 1 to 255 printable ASCII characters"}}}
	}
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n" + id.UserID + "\n"))
	h.Write(body)
	return &devhub.Idempotency{Scope: id.CompanyID, Key: key, RequestHash: hex.EncodeToString(h.Sum(nil))}, nil
}

// replay answers a retried POST with the first response, or refuses a
// different request that reuses the key.
func replay(w http.ResponseWriter, prev, rec *devhub.Idempotency) error {
	if prev.RequestHash != rec.RequestHash {
		return devhub.Errorf(devhub.EINVALID, "This Idempotency-Key was used with a different request in the last 24 hours; use a new key.")
	}
	if prev.Location != "" {
		w.Header().Set("Location", prev.Location)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(prev.Status)
	_, _ = w.Write(prev.Body)
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	if err := id.CanDevelop(); err != nil {
		return err
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.Apps.ListApps(r.Context(), id.CompanyID, cursor, limit)
	if err != nil {
		return err
	}
	return writeAppPage(w, page, id)
}

// writeAppPage renders a page of apps for the caller: client secrets only
// for its own company's apps.
func writeAppPage(w http.ResponseWriter, page dynamo.Page[*devhub.App], id devhub.Identity) error {
	views := make([]appView, len(page.Items))
	for i, a := range page.Items {
		views[i] = viewApp(a)
		if !a.OwnedBy(id.CompanyID) {
			views[i].ClientSecret = ""
		}
	}
	return writeJSON(w, http.StatusOK, newList(views, page.NextCursor))
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownApp(r)
	if err != nil {
		return err
	}
	return writeApp(w, http.StatusOK, a)
}

func (s *Server) patchApp(w http.ResponseWriter, r *http.Request) error {
	if err := identity(r.Context()).CanDevelop(); err != nil {
		return err
	}
	body, err := readBody(w, r, "application/merge-patch+json", "application/json")
	if err != nil {
		return err
	}
	var patch devhub.AppPatch
	if err := decodeJSON(body, &patch); err != nil {
		return err
	}
	a, err := s.ownApp(r)
	if err != nil {
		return err
	}
	conditional, err := checkIfMatch(r, a.Version)
	if err != nil {
		return err
	}
	next, err := patch.Apply(a, s.Now())
	if err != nil {
		return err
	}
	if err := s.Apps.UpdateApp(r.Context(), next, a.Version); err != nil {
		return preconditionIfConditional(err, conditional)
	}
	return writeApp(w, http.StatusOK, next)
}

// preconditionIfConditional reports a write that lost to a concurrent
// change as 412 to a client that sent If-Match: the version it named is no
// longer current. A lost limit (a full slot) stays 409 either way.
func preconditionIfConditional(err error, conditional bool) error {
	if conditional && errors.Is(err, dynamo.ErrStale) {
		return devhub.Errorf(devhub.EPRECONDITION, "If-Match no longer matches: the resource changed meanwhile.")
	}
	return err
}

type deleteAppRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	if err := identity(r.Context()).CanDevelop(); err != nil {
		return err
	}
	var req deleteAppRequest
	if _, err := readJSON(w, r, &req, false); err != nil {
		return err
	}
	if err := devhub.CheckReason(req.Reason); err != nil {
		return err
	}
	a, err := s.ownApp(r)
	if err != nil {
		return err
	}
	conditional, err := checkIfMatch(r, a.Version)
	if err != nil {
		return err
	}
	if err := s.Apps.DeleteApp(r.Context(), a, req.Reason, identity(r.Context()).UserID); err != nil {
		return preconditionIfConditional(err, conditional)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
