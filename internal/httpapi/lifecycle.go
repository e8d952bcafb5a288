package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
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

// move makes one status move. The domain decides whether it is allowed
// (devhub.App.Apply); the callback is probed only once everything else
// holds, and the write is one conditional put on the version read, so two
// racing moves cannot both win.
func (s *Server) move(m devhub.Move) func(http.ResponseWriter, *http.Request) error {
	reviewerMove := m == devhub.MoveApprove || m == devhub.MoveReject
	return func(w http.ResponseWriter, r *http.Request) error {
		id := identity(r.Context())
		var err error
		if reviewerMove {
			if !id.HasRole(devhub.RoleReviewer) {
				return devhub.Errorf(devhub.EFORBIDDEN, "Only marketplace reviewers may %s apps.", m)
			}
		} else if err = id.CanDevelop(); err != nil {
			return err
		}
		var req moveRequest
		if _, err := readJSON(w, r, &req, true); err != nil {
			return err
		}
		var a *devhub.App
		if reviewerMove {
			a, err = s.anyApp(r)
		} else {
			a, err = s.ownApp(r)
		}
		if err != nil {
			return err
		}
		conditional, err := checkIfMatch(r, a.Version)
		if err != nil {
			return err
		}
		in := devhub.MoveInput{By: id, Reason: req.Reason, Now: s.Now()}
		if url, due := a.NeedsProbe(m); due {
			// Everything but the probe first: a refused move costs no probe.
			in.Health = &devhub.CallbackHealth{OK: true}
			if _, err := a.Apply(m, in); err != nil {
				return err
			}
			health, _ := s.checkCallback(r.Context(), url)
			in.Health = &health
		}
		next, err := a.Apply(m, in)
		if err != nil {
			return err
		}
		write := s.Apps.UpdateApp
		if m == devhub.MoveApprove && a.PendingChanges != nil && len(a.PendingChanges.Extensions) > 0 {
			// Held extension writes merge with the app in one transaction.
			write = func(ctx context.Context, next *devhub.App, _ int) error {
				return s.Extensions.MergePendingExtensions(ctx, a, next)
			}
		}
		if err := write(r.Context(), next, a.Version); err != nil {
			return preconditionIfConditional(err, conditional)
		}
		return writeAppFor(w, http.StatusOK, next, id)
	}
}

// anyApp returns the app named by the path whatever its company: only
// reviewers reach it. Apps not waiting for a reviewer are not found.
func (s *Server) anyApp(r *http.Request) (*devhub.App, error) {
	appID := r.PathValue("app_id")
	if !appIDPattern.MatchString(appID) {
		return nil, errNoApp(appID)
	}
	return s.Apps.GetApp(r.Context(), appID)
}

// writeAppFor renders a for the caller: the client secret only to the owner.
func writeAppFor(w http.ResponseWriter, status int, a *devhub.App, id devhub.Identity) error {
	v := viewApp(a)
	if !a.OwnedBy(id.CompanyID) {
		v.ClientSecret = ""
	}
	w.Header().Set("ETag", etag(a.Version))
	return writeJSON(w, status, v)
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	if !id.HasRole(devhub.RoleReviewer) {
		return devhub.Errorf(devhub.EFORBIDDEN, "Only marketplace reviewers see the review queue.")
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.Apps.ListAppsByStatus(r.Context(), devhub.StatusReview, cursor, limit)
	if err != nil {
		return err
	}
	return writeAppPage(w, page, id)
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

func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	id := identity(r.Context())
	if err := id.CanDevelop(); err != nil {
		return err
	}
	var req rotateRequest
	body, err := readJSON(w, r, &req, true)
	if err != nil {
		return err
	}
	// A retried rotation must not rotate twice: the secret it returned would
	// be lost (moves need no key: a repeated move is refused by the status).
	rec, err := idempotencyRecord(r, id, body)
	if err != nil {
		return err
	}
	grace := devhub.DefaultSecretGrace
	if g := req.GracePeriodSeconds; g != nil {
		if *g < 0 || time.Duration(*g)*time.Second > devhub.MaxSecretGrace {
			return &devhub.Error{Code: devhub.EINVALID, Message: "The grace period is out of range.",
				Fields: []devhub.FieldError{{Field: "grace_period_seconds", Message: "must be from 0 to 604800 (7 days)"}}}
		}
		grace = time.Duration(*g) * time.Second
	}
	a, err := s.ownApp(r)
	if err != nil {
		return err
	}
	conditional, err := checkIfMatch(r, a.Version)
	if err != nil {
		return err
	}
	next := a.RotateSecret(grace, s.Now())
	res := rotateResponse{
		ClientID: next.ClientID, ClientSecret: next.ClientSecret, GracePeriodSeconds: int64(grace / time.Second),
		PreviousSecretValidUntil: next.PreviousSecretUntil.Format(time.RFC3339), Version: next.Version,
	}
	if rec != nil {
		if rec.Body, err = json.Marshal(res); err != nil {
			return err
		}
		rec.Status = http.StatusOK
	}
	prev, err := s.Apps.UpdateAppRemembering(r.Context(), next, a.Version, rec)
	if err != nil {
		return preconditionIfConditional(err, conditional)
	}
	if prev != nil {
		return replay(w, prev, rec)
	}
	w.Header().Set("ETag", etag(next.Version))
	return writeJSON(w, http.StatusOK, res)
}
