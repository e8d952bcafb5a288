package httpapi

import (
	"math"
	"net/http"
	"time"
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

// probeCallback probes the app's callback URL now and stores the result
// (hub.Hub.ProbeCallback). The request body and Idempotency-Key are
// ignored: retrying is harmless, it probes again.
func (s *Server) probeCallback(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Hub.ProbeCallback(r.Context(), identity(r.Context()), r.PathValue("app_id"))
	if err != nil {
		return err
	}
	health := res.Health
	v := callbackProbeView{OK: health.OK, CheckedAt: health.CheckedAt.Format(time.RFC3339Nano)}
	if health.StatusCode != 0 {
		code := health.StatusCode
		ms := math.Round(float64(res.Latency.Microseconds())) / 1000
		v.StatusCode, v.LatencyMS = &code, &ms
	}
	if health.Error != "" {
		msg := health.Error
		v.Error = &msg
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, v)
}
