package console

import (
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// reviewQueue lists every company's apps waiting for a reviewer: one Query.
func (c *Console) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	page, err := c.hub.ReviewQueue(r.Context(), s.Identity, hub.PageRequest{Limit: DashboardLimit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, s, "Review queue", reviewQueuePage(page.Items, page.NextCursor))
	return nil
}

// reviewApp is one app as a reviewer decides on it.
func (c *Console) reviewApp(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	a, exts, err := c.hub.ReviewApp(r.Context(), s.Identity, r.PathValue("app_id"))
	if err != nil {
		return err
	}
	c.renderReviewApp(w, r, http.StatusOK, s, a, exts, NewForm(nil))
	return nil
}

func (c *Console) renderReviewApp(w http.ResponseWriter, r *http.Request, status int, s *Session, a *devhub.App, exts []*devhub.Extension, f *Form) {
	render(w, r, status, s, "Review "+a.Name, reviewAppPage(c.view(s), a, exts, f))
}

// decide is a reviewer's Approve or Reject (with a reason).
func (c *Console) decide(m devhub.Move) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s := sessionOf(r)
		appID := r.PathValue("app_id")
		f := NewForm(r.PostForm)
		in := hub.MoveInput{Reason: f.Get("reason")}
		if m == devhub.MoveReject {
			if err := devhub.CheckReason(in.Reason); err != nil {
				return c.refuseDecision(w, r, s, appID, f.Fail(err), err)
			}
		}
		if _, err := c.hub.Move(r.Context(), s.Identity, appID, m, in); err != nil {
			if !fieldsOrInvalid(err) {
				return err
			}
			return c.refuseDecision(w, r, s, appID, f.Fail(err), err)
		}
		return redirect(w, r, "/hub/review", moveNotices[m])
	}
}

func (c *Console) refuseDecision(w http.ResponseWriter, r *http.Request, s *Session, appID string, f *Form, cause error) error {
	a, exts, err := c.hub.ReviewApp(r.Context(), s.Identity, appID)
	if err != nil {
		return err
	}
	c.renderReviewApp(w, r, devhub.ErrorStatus(cause), s, a, exts, f)
	return nil
}
