package httpapi

import (
	"math"
	"net/http"
	"time"

	"github.com/devhub-oss/devhub/internal/sweep"
)

// CallbackProbeRoutes are the routes of the callback-probe function (whose
// other trigger, the scheduled sweep, is internal/sweep).
func (s *Server) CallbackProbeRoutes() []Route {
	return []Route{
		{Method: http.MethodPost, Pattern: "/v1/apps/{app_id}/callback-probe", Handle: s.probeCallback},
	}
}

// callbackProbeView is the answer of POST …/callback-probe. Members are
// null rather than absent when there is nothing to say, so that the shape
// never changes.
type callbackProbeView struct {
	OK         bool     `json:"ok"`
	StatusCode *int     `json:"status_code"`
	LatencyMS  *float64 `json:"latency_ms"`
	Error      *string  `json:"error"`
	CheckedAt  string   `json:"checked_at"`
}

// probeCallback probes the app's callback URL now, in any status (a draft's
// developer wants to know before going live), and stores the result as its
// callback_health: one GetItem, the probe, one write. The URL probed is the
// one installs use now; a callback URL held in pending changes is probed when
// it is sent to review. Retrying is harmless (it probes again), so the
// request body and Idempotency-Key are ignored.
func (s *Server) probeCallback(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownApp(r)
	if err != nil {
		return err
	}
	health, latency := s.checkCallback(r.Context(), a.CallbackURL)
	if err := r.Context().Err(); err != nil {
		// The caller went away (or our deadline came): a cut-short probe
		// says nothing about the server, so nothing is stored.
		return err
	}
	if _, err := sweep.Record(r.Context(), s.Hub.Apps, a, health); err != nil {
		return err
	}
	v := callbackProbeView{OK: health.OK, CheckedAt: health.CheckedAt.Format(time.RFC3339Nano)}
	if health.StatusCode != 0 {
		code := health.StatusCode
		ms := math.Round(float64(latency.Microseconds())) / 1000
		v.StatusCode, v.LatencyMS = &code, &ms
	}
	if health.Error != "" {
		msg := health.Error
		v.Error = &msg
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, v)
}
