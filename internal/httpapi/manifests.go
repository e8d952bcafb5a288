package httpapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/manifest"
)

// manifestRoutes are the manifest routes of the apps function.
func (s *Server) manifestRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/v1/apps/{app_id}/manifest", Handle: s.getManifest},
		{Method: http.MethodPut, Pattern: "/v1/apps/{app_id}/manifest", Handle: s.putManifest},
		{Method: http.MethodPost, Pattern: "/v1/manifests", Handle: s.createManifestApp},
		{Method: http.MethodPost, Pattern: "/v1/manifests/validate", Handle: s.validateManifest},
	}
}

// Manifest media types: JSON, and YAML under its registered name (RFC 9512)
// and the older names editors still send.
const mediaYAML = "application/yaml"

var yamlTypes = []string{mediaYAML, "application/x-yaml", "text/yaml"}

// readManifest reads a manifest body, JSON or YAML by its Content-Type, and
// decodes it. It returns the raw body, which an idempotent POST hashes.
func readManifest(w http.ResponseWriter, r *http.Request) (*devhub.Manifest, []byte, error) {
	body, err := readBody(w, r, append([]string{"application/json"}, yamlTypes...)...)
	if err != nil {
		return nil, nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil, devhub.Errorf(devhub.EMALFORMED, "The request body must be a manifest (JSON or YAML).")
	}
	parse := devhub.ParseManifestJSON
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); isYAML(mt) {
		parse = manifest.ParseYAML
	}
	root, err := parse(body)
	if err != nil {
		return nil, nil, err
	}
	m, err := devhub.DecodeManifest(root)
	return m, body, err
}

func isYAML(mt string) bool {
	for _, t := range yamlTypes {
		if strings.EqualFold(mt, t) {
			return true
		}
	}
	return false
}

// wantsYAML reports whether Accept prefers YAML to JSON (the default).
func wantsYAML(r *http.Request) bool {
	best, yaml := 0.0, false
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		isJSON := strings.EqualFold(mt, "application/json")
		if (isJSON || isYAML(mt)) && q > best {
			best, yaml = q, !isJSON
		}
	}
	return yaml
}

// writeManifestDoc answers v (a manifest, or any JSON value) as JSON, or as
// YAML when the client asks for it.
func writeManifestDoc(w http.ResponseWriter, r *http.Request, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ct := "application/json"
	if wantsYAML(r) {
		if b, err = manifest.MarshalYAML(b); err != nil {
			return err
		}
		ct = mediaYAML
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Add("Vary", "Accept")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request) error {
	m, version, err := s.Hub.ExportManifest(r.Context(), identity(r.Context()), r.PathValue("app_id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(version))
	return writeManifestDoc(w, r, http.StatusOK, m)
}

// planView is a plan as the API shows it.
type planView struct {
	Plan     []devhub.PlanEntry  `json:"plan"`
	Warnings []devhub.FieldError `json:"warnings"`
}

func viewPlan(p *devhub.ManifestPlan) planView {
	v := planView{Plan: p.Entries, Warnings: p.Warnings}
	if v.Plan == nil {
		v.Plan = []devhub.PlanEntry{}
	}
	if v.Warnings == nil {
		v.Warnings = []devhub.FieldError{}
	}
	return v
}

// applyView is the answer to a PUT of a manifest.
type applyView struct {
	AppID   string `json:"app_id"`
	Version int    `json:"version"`
	DryRun  bool   `json:"dry_run"`
	Changed bool   `json:"changed"`
	planView
}

// dryRun reads ?dry_run= (true or false; absent is false).
func dryRun(r *http.Request) (bool, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return false, devhub.Errorf(devhub.EMALFORMED, "The query string is malformed.")
	}
	switch v := q.Get("dry_run"); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, &devhub.Error{Code: devhub.EMALFORMED, Message: "dry_run must be true or false.",
		Fields: []devhub.FieldError{{Field: "dry_run", Message: "must be true or false"}}}
}

func (s *Server) putManifest(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	dry, err := dryRun(r)
	if err != nil {
		return err
	}
	m, _, err := readManifest(w, r)
	if err != nil {
		return err
	}
	res, err := s.Hub.ApplyManifest(r.Context(), id, r.PathValue("app_id"), m, hub.ApplyManifestInput{DryRun: dry, IfMatch: ifMatch(r)})
	if err != nil {
		return err
	}
	if !dry {
		w.Header().Set("ETag", etag(res.App.Version))
	}
	return writeManifestDoc(w, r, http.StatusOK, applyView{AppID: res.App.ID, Version: res.App.Version, DryRun: dry,
		Changed: res.Plan.Changed(), planView: viewPlan(res.Plan)})
}

// manifestAppView is the answer to POST /v1/manifests: the app (client
// secret included, as on any create) and its extensions.
type manifestAppView struct {
	App        appView             `json:"app"`
	Extensions []*devhub.Extension `json:"extensions"`
	planView
}

func viewManifestApp(c *hub.ManifestApp) manifestAppView {
	exts := c.Extensions
	if exts == nil {
		exts = []*devhub.Extension{}
	}
	return manifestAppView{App: viewApp(c.App), Extensions: exts, planView: viewPlan(c.Plan)}
}

func (s *Server) createManifestApp(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	m, body, err := readManifest(w, r)
	if err != nil {
		return err
	}
	// A retry gets the first answer as JSON whatever it accepts: the answer
	// is stored as rendered.
	c, prev, err := s.Hub.CreateManifestApp(r.Context(), id, m, idempotency(r, body, func(c *hub.ManifestApp) (hub.Answer, error) {
		b, err := json.Marshal(viewManifestApp(c))
		return hub.Answer{Status: http.StatusCreated, Location: appLocation(c.App), Body: b}, err
	}))
	if err != nil || prev != nil {
		return replay(w, prev, err)
	}
	w.Header().Set("Location", appLocation(c.App))
	w.Header().Set("ETag", etag(c.App.Version))
	return writeJSON(w, http.StatusCreated, viewManifestApp(c))
}

// validateView is the answer of a manifest that passes every rule.
type validateView struct {
	Valid bool `json:"valid"`
	planView
}

func (s *Server) validateManifest(w http.ResponseWriter, r *http.Request) error {
	id, err := developer(r)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return devhub.Errorf(devhub.EMALFORMED, "The query string is malformed.")
	}
	m, _, err := readManifest(w, r)
	if err != nil {
		return err
	}
	plan, err := s.Hub.ValidateManifest(r.Context(), id, q.Get("app_id"), m)
	if err != nil {
		return err
	}
	return writeManifestDoc(w, r, http.StatusOK, validateView{Valid: true, planView: viewPlan(plan)})
}
