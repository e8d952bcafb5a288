package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
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
		{Method: http.MethodGet, Pattern: "/v1/scopes", Public: true, Handle: listScopes},
		{Method: http.MethodGet, Pattern: "/v1/marketplace/apps", Public: true, Handle: s.listMarketplace},
		{Method: http.MethodGet, Pattern: "/v1/marketplace/apps/{app_id}", Public: true, Handle: s.getMarketplaceApp},
	}, append(append(s.lifecycleRoutes(), s.manifestRoutes()...), s.deliveryRoutes()...)...)
}

// developer refuses a caller who may not use the Developer Hub before its
// request is read, so that such a caller gets 403 whatever it sent (the
// use case checks again: it is the authority).
func developer(r *http.Request) (devhub.Identity, error) {
	id := identity(r.Context())
	return id, hub.CheckDeveloper(id)
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
	OwnerName       *string                `json:"owner_company_name"`
	CreatedBy       string                 `json:"created_by"`
	CreatedAt       string                 `json:"created_at"`
	UpdatedAt       string                 `json:"updated_at"`
	Version         int                    `json:"version"`
	Warnings        []string               `json:"warnings"`
}

// viewApp renders a for its owner, client secret included. Arrays are [],
// never null.
func viewApp(a *devhub.App) appView {
	listing := a.Listing
	listing.ImageURLs = orEmpty(listing.ImageURLs)
	return appView{
		ID: a.ID, Type: a.Type, Status: a.Status, Name: a.Name, CallbackURL: a.CallbackURL, Scopes: orEmpty(a.Scopes),
		InstallationURL: a.InstallationURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret, Listing: listing,
		TokenRotation: a.RefreshTokenRotation, ReviewFeedback: a.ReviewFeedback,
		PendingChanges: a.PendingChanges, CallbackHealth: a.CallbackHealth, OwnerCompanyID: a.OwnerCompanyID,
		OwnerName: nonEmpty(a.OwnerCompanyName), CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339Nano),
		UpdatedAt: a.UpdatedAt.UTC().Format(time.RFC3339Nano), Version: a.Version, Warnings: appWarnings(a),
	}
}

// WarningHTTPCallback is the warning of a draft whose callback URL is
// http://: accepted on a draft, but going live and review need https.
const WarningHTTPCallback = "callback_url is http://: a draft may keep it, but going live and sending to review need an https:// callback URL"

// appWarnings are what is accepted but will stop the app later.
func appWarnings(a *devhub.App) []string {
	w := []string{}
	if a.Status == devhub.StatusDraft && strings.HasPrefix(strings.ToLower(a.CallbackURL), "http://") {
		w = append(w, WarningHTTPCallback)
	}
	return w
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeApp(w http.ResponseWriter, status int, a *devhub.App) error {
	w.Header().Set("ETag", etag(a.Version))
	return writeJSON(w, status, viewApp(a))
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	var in devhub.NewAppInput
	body, err := readJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	a, prev, err := s.Hub.CreateApp(r.Context(), id, in, idempotency(r, body, func(a *devhub.App) (hub.Answer, error) {
		b, err := devhub.MarshalJSON(viewApp(a))
		return hub.Answer{Status: http.StatusCreated, Location: appLocation(a), Body: b}, err
	}))
	if err != nil || prev != nil {
		return replay(w, prev, err)
	}
	w.Header().Set("Location", appLocation(a))
	return writeApp(w, http.StatusCreated, a)
}

func appLocation(a *devhub.App) string { return "/v1/apps/" + a.ID }

// idempotency hands a POST's Idempotency-Key to a use case, with what
// fingerprints the request (method, path, body) and how to render the
// answer that its retries get back.
func idempotency[T any](r *http.Request, body []byte, answer func(T) (hub.Answer, error)) hub.Idempotency[T] {
	return hub.Idempotency[T]{Key: r.Header.Get("Idempotency-Key"), Request: r.Method + " " + r.URL.Path, Body: body, Answer: answer}
}

// replay answers a retried POST with the first response (err, when not nil,
// is returned as it is).
func replay(w http.ResponseWriter, prev *hub.Answer, err error) error {
	if err != nil {
		return err
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

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	page, err := pageParams(r)
	if err != nil {
		return err
	}
	p, err := s.Hub.ListApps(r.Context(), id, page)
	if err != nil {
		return err
	}
	return writeAppPage(w, p)
}

// writeAppPage renders a page of apps without client secrets: a list is
// shown and logged more widely than one app, which is where the secret is
// read (GET /v1/apps/{app_id}).
func writeAppPage(w http.ResponseWriter, page devhub.Page[*devhub.App]) error {
	views := make([]appView, len(page.Items))
	for i, a := range page.Items {
		views[i] = viewApp(a)
		views[i].ClientSecret = ""
	}
	return writeJSON(w, http.StatusOK, newList(views, page.NextCursor))
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Hub.GetApp(r.Context(), identity(r.Context()), r.PathValue("app_id"))
	if err != nil {
		return err
	}
	return writeApp(w, http.StatusOK, a)
}

func (s *Server) patchApp(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
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
	next, err := s.Hub.PatchApp(r.Context(), id, r.PathValue("app_id"), patch, ifMatch(r))
	if err != nil {
		return err
	}
	return writeApp(w, http.StatusOK, next)
}

type deleteAppRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	// No body at all reads as {}: the use case then answers that a reason
	// is required, which says more than "malformed".
	var req deleteAppRequest
	if _, err := readJSON(w, r, &req, true); err != nil {
		return err
	}
	if err := s.Hub.DeleteApp(r.Context(), id, r.PathValue("app_id"), hub.DeleteAppInput{Reason: req.Reason, IfMatch: ifMatch(r)}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// nonEmpty is s, or nil (JSON null) when s is "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
