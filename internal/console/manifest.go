package console

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/manifest"
)

// The App manifest tab: the app as one YAML document in an editor,
// "Preview changes" (the dry run's plan as a list of changes) and "Apply"
// (the PUT of the API, conditioned on the version the page showed).
const tabManifest = "manifest"

func (c *Console) manifestRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/hub/apps/{app_id}/" + tabManifest, Handle: c.manifestTab},
		{Method: http.MethodPost, Pattern: "/hub/apps/{app_id}/" + tabManifest, Handle: c.postManifest},
	}
}

// manifestPage is the tab: the document as typed (or exported), and after a
// preview its plan, after a refusal its problems.
type manifestPage struct {
	*appPage
	Plan     *devhub.ManifestPlan
	Problems []devhub.FieldError
}

func (c *Console) manifestTab(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	a, err := c.hub.GetApp(r.Context(), s.Identity, r.PathValue("app_id"))
	if err != nil {
		return err
	}
	m, version, err := c.hub.ExportManifest(r.Context(), s.Identity, a.ID)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	y, err := manifest.MarshalYAML(doc)
	if err != nil {
		return err
	}
	f := NewForm(nil)
	f.Set("manifest", string(y))
	f.Set("version", strconv.Itoa(version))
	c.renderManifest(w, r, http.StatusOK, a, &manifestPage{appPage: c.manifestAppPage(r, a, f)})
	return nil
}

func (c *Console) manifestAppPage(r *http.Request, a *devhub.App, f *Form) *appPage {
	return &appPage{view: c.view(sessionOf(r)), App: a, Tab: tabManifest, Form: f, Now: c.now()}
}

func (c *Console) renderManifest(w http.ResponseWriter, r *http.Request, status int, a *devhub.App, p *manifestPage) {
	renderPage(w, r, status, &Page{Title: TabManifest + " – " + a.Name, Session: sessionOf(r)}, appShell(p.appPage, manifestTabBody(p)))
}

// postManifest previews (action=preview) or applies the typed document.
// JSON is YAML too, so either may be pasted.
func (c *Console) postManifest(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	f := NewForm(r.PostForm)
	appID := r.PathValue("app_id")
	preview := f.Get("action") != "apply"
	res, err := c.applyManifest(r, s, appID, f, preview)
	if err == nil && !preview {
		notice := "manifest-applied"
		if !res.Plan.Changed() {
			notice = "manifest-unchanged"
		}
		return redirect(w, r, appPath(appID, tabManifest), notice)
	}
	if err != nil && !fieldsOrInvalid(err) {
		return err
	}
	a, gerr := c.hub.GetApp(r.Context(), s.Identity, appID)
	if gerr != nil {
		return gerr
	}
	p := &manifestPage{appPage: c.manifestAppPage(r, a, f)}
	status := http.StatusOK
	if err != nil {
		status = devhub.ErrorStatus(err)
		if devhub.ErrorCode(err) == devhub.EPRECONDITION {
			err = devhub.Errorf(devhub.EPRECONDITION, "The app was changed since you opened this page. Preview the changes again, then apply.")
			f.Set("version", strconv.Itoa(a.Version))
		}
		p.Problems = devhub.ErrorFields(err)
		f.Message = devhub.ErrorMessage(err)
		if len(p.Problems) > 0 {
			f.AddError("manifest", p.Problems[0].Message)
		}
	} else {
		p.Plan = res.Plan
	}
	c.renderManifest(w, r, status, a, p)
	return nil
}

func (c *Console) applyManifest(r *http.Request, s *Session, appID string, f *Form, preview bool) (*hub.ManifestResult, error) {
	root, err := manifest.ParseYAML([]byte(f.Get("manifest")))
	if err != nil {
		return nil, err
	}
	m, err := devhub.DecodeManifest(root)
	if err != nil {
		return nil, err
	}
	in := hub.ApplyManifestInput{DryRun: preview}
	if !preview {
		in.IfMatch = ifMatch(f)
	}
	return c.hub.ApplyManifest(r.Context(), s.Identity, appID, m, in)
}

// planChanges are the entries of a plan that change something, for the
// preview (unchanged ones are counted, not listed).
func planChanges(p *devhub.ManifestPlan) (changes []devhub.PlanEntry, unchanged int) {
	for _, e := range p.Entries {
		if e.Op == devhub.PlanUnchanged {
			unchanged++
			continue
		}
		changes = append(changes, e)
	}
	return changes, unchanged
}

// planValue is a value of a plan as the page shows it: JSON text, "—" for
// none.
func planValue(v any) string {
	if v == nil {
		return "—"
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

var planOpWords = map[devhub.PlanOp]string{
	devhub.PlanCreate: "Add", devhub.PlanUpdate: "Change", devhub.PlanDelete: "Remove",
	devhub.PlanHeld: "Held for review", devhub.PlanUnchanged: "Unchanged",
}

func problemText(fe devhub.FieldError) string {
	t := fe.Field + ": " + fe.Message
	if fe.Field == "" {
		t = fe.Message
	}
	if fe.Line > 0 {
		t = "Line " + strconv.Itoa(fe.Line) + ": " + t
	}
	return t
}
