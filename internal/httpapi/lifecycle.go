package httpapi

import (
	"net/http"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// lifecycleRoutes are the status moves, the review queue and secret
// rotation; they belong to the apps function.
func (s *Server) lifecycleRoutes() []Route {
	routes := []Route{
		{Method: http.MethodGet, Pattern: "/v1/review", Handle: s.reviewQueue},
		{Method: http.MethodPost, Pattern: "/v1/apps/{app_id}/secret", Handle: s.rotateSecret},
	}
	for _, m := range []devhub.Move{devhub.MoveLive, devhub.MoveReview, devhub.MoveApprove,
		devhub.MoveReject, devhub.MovePublish, devhub.MoveUnpublish} {
		routes = append(routes, Route{Method: http.MethodPost, Pattern: "/v1/apps/{app_id}/" + string(m), Handle: s.move(m)})
	}
	return routes
}

type moveRequest struct {
	Reason string `json:"reason"`
}

// move makes one status move (hub.Hub.Move).
func (s *Server) move(m devhub.Move) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := identity(r.Context())
		if err := hub.CheckMove(id, m); err != nil {
			return err // before the body is read, as for every refused caller
		}
		var req moveRequest
		if _, err := readJSON(w, r, &req, true); err != nil {
			return err
		}
		next, err := s.Hub.Move(r.Context(), id, r.PathValue("app_id"), m, hub.MoveInput{Reason: req.Reason, IfMatch: ifMatch(r)})
		if err != nil {
			return err
		}
		return writeApp(w, http.StatusOK, next)
	}
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	if err := hub.CheckReviewer(id); err != nil {
		return err
	}
	page, err := pageParams(r)
	if err != nil {
		return err
	}
	p, err := s.Hub.ReviewQueue(r.Context(), id, page)
	if err != nil {
		return err
	}
	return writeAppPage(w, p)
}

type rotateRequest struct {
	GracePeriodSeconds *int64 `json:"grace_period_seconds"`
}

type rotateResponse struct {
	ClientID                 string `json:"client_id"`
	ClientSecret             string `json:"client_secret"`
	GracePeriodSeconds       int64  `json:"grace_period_seconds"`
	PreviousSecretValidUntil string `json:"previous_secret_valid_until"`
	Version                  int    `json:"version"`
}

func viewRotated(res *hub.RotatedSecret) rotateResponse {
	a := res.App
	return rotateResponse{
		ClientID: a.ClientID, ClientSecret: a.ClientSecret, GracePeriodSeconds: int64(res.Grace / time.Second),
		PreviousSecretValidUntil: a.PreviousSecretUntil.Format(time.RFC3339), Version: a.Version,
	}
}

func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	var req rotateRequest
	body, err := readJSON(w, r, &req, true)
	if err != nil {
		return err
	}
	res, prev, err := s.Hub.RotateSecret(r.Context(), id, r.PathValue("app_id"),
		hub.RotateInput{GracePeriodSeconds: req.GracePeriodSeconds, IfMatch: ifMatch(r)},
		idempotency(r, body, func(res *hub.RotatedSecret) (hub.Answer, error) {
			b, err := devhub.MarshalJSON(viewRotated(res))
			return hub.Answer{Status: http.StatusOK, Body: b}, err
		}))
	if err != nil || prev != nil {
		return replay(w, prev, err)
	}
	w.Header().Set("ETag", etag(res.App.Version))
	return writeJSON(w, http.StatusOK, viewRotated(res))
}
