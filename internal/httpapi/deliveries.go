package httpapi

import (
	"net/http"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// deliveryRoutes belong to the apps function (api.md "Deliveries").
func (s *Server) deliveryRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/v1/apps/{app_id}/deliveries", Handle: s.listDeliveries},
		{Method: http.MethodPost, Pattern: "/v1/apps/{app_id}/deliveries/{delivery_id}/redeliver", Handle: s.redeliver},
	}
}

// deliveryView is a delivery as the API shows it (api.md).
type deliveryView struct {
	ID             string  `json:"id"`
	InstallationID string  `json:"installation_id"`
	CompanyID      string  `json:"company_id"`
	Event          string  `json:"event"`
	State          string  `json:"state"`
	Attempts       int     `json:"attempts"`
	LastStatusCode *int    `json:"last_status_code"`
	LastError      *string `json:"last_error"`
	NextAttemptAt  *string `json:"next_attempt_at"`
	CreatedAt      string  `json:"created_at"`
	DeliveredAt    *string `json:"delivered_at"`
}

func viewDelivery(d *devhub.Delivery) deliveryView {
	at := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format(time.RFC3339)
		return &s
	}
	v := deliveryView{ID: d.ID, InstallationID: d.InstallationID, CompanyID: d.CompanyID, Event: d.Event,
		State: string(d.State), Attempts: d.Attempts, NextAttemptAt: at(d.NextAttemptAt),
		CreatedAt: d.CreatedAt.UTC().Format(time.RFC3339), DeliveredAt: at(d.DeliveredAt)}
	if d.LastStatusCode != 0 {
		v.LastStatusCode = &d.LastStatusCode
	}
	if d.LastError != "" {
		v.LastError = &d.LastError
	}
	return v
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	page, err := pageParams(r)
	if err != nil {
		return err
	}
	p, err := s.Hub.ListDeliveries(r.Context(), id, r.PathValue("app_id"), page)
	if err != nil {
		return err
	}
	views := make([]deliveryView, len(p.Items))
	for i, d := range p.Items {
		views[i] = viewDelivery(d)
	}
	return writeJSON(w, http.StatusOK, newList(views, p.NextCursor))
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	var none struct{}
	if _, err := readJSON(w, r, &none, true); err != nil {
		return err
	}
	d, err := s.Hub.Redeliver(r.Context(), id, r.PathValue("app_id"), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewDelivery(d))
}
