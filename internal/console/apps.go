package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// The app settings tabs, as they appear in paths.
const (
	tabBasic   = "basic-info"
	tabOAuth   = "oauth"
	tabExt     = "extensions"
	tabGeneral = "general-info"
	tabReview  = "review"
)

func (c *Console) hubRoutes() []Route {
	get, post := http.MethodGet, http.MethodPost
	return []Route{
		{Method: get, Pattern: "/hub", Handle: c.dashboard},
		{Method: get, Pattern: "/hub/new", Handle: c.chooseType},
		{Method: get, Pattern: "/hub/new/{type}", Handle: c.newApp},
		{Method: post, Pattern: "/hub/new/{type}", Handle: c.createApp},
		{Method: get, Pattern: "/hub/apps/{app_id}", Handle: c.appHome},
		{Method: get, Pattern: "/hub/apps/{app_id}/" + tabBasic, Handle: c.tab(tabBasic)},
		{Method: post, Pattern: "/hub/apps/{app_id}/" + tabBasic, Handle: c.saveBasic},
		{Method: get, Pattern: "/hub/apps/{app_id}/" + tabOAuth, Handle: c.tab(tabOAuth)},
		{Method: post, Pattern: "/hub/apps/{app_id}/" + tabOAuth, Handle: c.saveOAuth},
		{Method: get, Pattern: "/hub/apps/{app_id}/" + tabGeneral, Handle: c.tab(tabGeneral)},
		{Method: post, Pattern: "/hub/apps/{app_id}/" + tabGeneral, Handle: c.saveGeneral},
		{Method: get, Pattern: "/hub/apps/{app_id}/" + tabReview, Handle: c.tab(tabReview)},
		{Method: post, Pattern: "/hub/apps/{app_id}/review", Handle: c.move(devhub.MoveReview)},
		{Method: post, Pattern: "/hub/apps/{app_id}/live", Handle: c.move(devhub.MoveLive)},
		{Method: post, Pattern: "/hub/apps/{app_id}/publish", Handle: c.move(devhub.MovePublish)},
		{Method: post, Pattern: "/hub/apps/{app_id}/unpublish", Handle: c.move(devhub.MoveUnpublish)},
		{Method: post, Pattern: "/hub/apps/{app_id}/secret", Handle: c.rotateSecret},
		{Method: get, Pattern: "/hub/apps/{app_id}/install-test", Handle: c.installTest},
		{Method: get, Pattern: "/hub/apps/{app_id}/delete", Handle: c.confirmDelete},
		{Method: post, Pattern: "/hub/apps/{app_id}/delete", Handle: c.deleteApp},
		{Method: get, Pattern: "/hub/review", Handle: c.reviewQueue},
		{Method: get, Pattern: "/hub/review/{app_id}", Handle: c.reviewApp},
		{Method: post, Pattern: "/hub/review/{app_id}/approve", Handle: c.decide(devhub.MoveApprove)},
		{Method: post, Pattern: "/hub/review/{app_id}/reject", Handle: c.decide(devhub.MoveReject)},
	}
}

// DashboardLimit is how many apps a dashboard page lists ("More apps"
// pages on): one Query, and a full page within the 40 KB budget of a page
// (TestBudgets: ~830 bytes a row).
const DashboardLimit = 40

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return err
	}
	page, err := c.hub.ListApps(r.Context(), s.Identity, hub.PageRequest{Limit: DashboardLimit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, s, TextDeveloperHub, dashboardPage(c.view(s), page.Items, page.NextCursor))
	return nil
}

func (c *Console) chooseType(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return err
	}
	renderPage(w, r, http.StatusOK, &Page{Title: TextCreateFirst, Session: s, Narrow: true}, chooseTypePage())
	return nil
}

func appType(r *http.Request) (devhub.AppType, error) {
	switch t := devhub.AppType(r.PathValue("type")); t {
	case devhub.AppPrivate, devhub.AppPublic:
		return t, nil
	}
	return "", devhub.Errorf(devhub.ENOTFOUND, "No such app type.")
}

func (c *Console) newApp(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	if err := developer(s); err != nil {
		return err
	}
	t, err := appType(r)
	if err != nil {
		return err
	}
	f := NewForm(url.Values{"idem": {devhub.NewSecret()}})
	c.renderNewApp(w, r, http.StatusOK, s, t, f)
	return nil
}

func (c *Console) renderNewApp(w http.ResponseWriter, r *http.Request, status int, s *Session, t devhub.AppType, f *Form) {
	title := TextCreatePrivate
	if t == devhub.AppPublic {
		title = TextCreatePublic
	}
	action := "/hub/new/" + string(t)
	w.Header().Set("Cache-Control", "no-store")
	renderPage(w, r, status, &Page{Title: title, Session: s, Narrow: true}, newAppPage(title, action, c.CSRFToken(s, action), f))
}

// createApp saves a draft. The form carries an idempotency key of its own,
// so that a second click (or a resent POST) answers with the app the first
// one created instead of creating another.
func (c *Console) createApp(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	t, err := appType(r)
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	in := devhub.NewAppInput{Type: t, Name: f.Get("name"), CallbackURL: strings.TrimSpace(f.Get("callback_url"))}
	idem := hub.Idempotency[*devhub.App]{Key: f.Get("idem"), Request: "console POST /hub/new/" + string(t),
		Body: []byte(in.Name + "\n" + in.CallbackURL),
		Answer: func(a *devhub.App) (hub.Answer, error) {
			return hub.Answer{Status: http.StatusSeeOther, Location: appPath(a.ID, tabOAuth)}, nil
		}}
	a, ans, err := c.hub.CreateApp(r.Context(), s.Identity, in, idem)
	if err != nil {
		if fieldsOrInvalid(err) {
			c.renderNewApp(w, r, devhub.ErrorStatus(err), s, t, f.Fail(err))
			return nil
		}
		return err
	}
	if ans != nil {
		return redirect(w, r, ans.Location, "")
	}
	return redirect(w, r, appPath(a.ID, tabOAuth), "created")
}

// fieldsOrInvalid reports whether err belongs on the form (the person can
// fix it there) rather than on an error page.
func fieldsOrInvalid(err error) bool {
	switch devhub.ErrorCode(err) {
	case devhub.EINVALID, devhub.ECONFLICT, devhub.EPRECONDITION, devhub.EMALFORMED:
		return true
	}
	return false
}

func appPath(appID, tab string) string { return "/hub/apps/" + appID + "/" + tab }

func (c *Console) appHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, appPath(r.PathValue("app_id"), tabBasic), http.StatusFound)
	return nil
}

// tab serves one app settings tab: one GetItem (Share app: one more for
// the installation link).
func (c *Console) tab(tab string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s := sessionOf(r)
		a, err := c.hub.GetApp(r.Context(), s.Identity, r.PathValue("app_id"))
		if err != nil {
			return err
		}
		return c.renderTab(w, r, http.StatusOK, s, a, tab, nil)
	}
}

// renderTab renders one tab of a's settings, with f (nil: the app's
// current values) and what the query asks for (confirm, reveal, share).
func (c *Console) renderTab(w http.ResponseWriter, r *http.Request, status int, s *Session, a *devhub.App, tab string, f *Form) error {
	if (tab == tabGeneral || tab == tabReview) && a.Type != devhub.AppPublic {
		return devhub.Errorf(devhub.ENOTFOUND, "Private apps have no %s tab.", tab)
	}
	p := &appPage{view: c.view(s), App: a, Tab: tab, Form: f, Now: c.now()}
	if f == nil {
		p.Form = NewForm(appValues(a, tab))
	}
	p.Form.Where = func(field string) string { return fieldTab(a, field, tab) }
	q := r.URL.Query()
	p.ConfirmLive = q.Get("confirm") == "live" && tab == tabBasic && a.Type == devhub.AppPrivate && a.Status == devhub.StatusDraft
	if tab == tabOAuth {
		// The client secret is on this tab: nothing of it may be kept.
		w.Header().Set("Cache-Control", "no-store")
		p.Reveal = q.Get("reveal") == "1"
		if q.Get("share") == "1" {
			link, err := c.hub.InstallLink(r.Context(), s.Identity, a.ID)
			if err != nil && !fieldsOrInvalid(err) {
				return err
			}
			p.ShareLink, p.ShareError, p.Share = link, errText(err), true
		}
	}
	var body templ.Component
	switch tab {
	case tabBasic:
		body = basicInfoTab(p)
	case tabOAuth:
		body = oauthTab(p)
	case tabGeneral:
		body = generalInfoTab(p)
	case tabReview:
		body = reviewTab(p)
	default:
		return devhub.Errorf(devhub.ENOTFOUND, "No such tab.")
	}
	renderPage(w, r, status, &Page{Title: tabTitle(tab) + " – " + a.Name, Session: s}, appShell(p, body))
	return nil
}

// RenderAppTab renders body as the App extensions tab of a (the
// extensions handlers call it): the app's header, tabs and notices
// around it, like every tab.
func (c *Console) RenderAppTab(w http.ResponseWriter, r *http.Request, status int, a *devhub.App, f *Form, body templ.Component) {
	s := sessionOf(r)
	if f == nil {
		f = NewForm(nil)
	}
	p := &appPage{view: c.view(s), App: a, Tab: tabExt, Form: f, Now: c.now()}
	renderPage(w, r, status, &Page{Title: TabExtensions + " – " + a.Name, Session: s}, appShell(p, body))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return devhub.ErrorMessage(err)
}

func tabTitle(tab string) string {
	return map[string]string{tabBasic: TabBasicInfo, tabOAuth: TabOAuth, tabExt: TabExtensions,
		tabGeneral: TabGeneralInfo, tabReview: TabReview, tabManifest: TabManifest, tabDeliveries: TabDeliveries}[tab]
}

// fieldTab is where field is edited: the error summary links there when it
// is another tab than the one shown.
func fieldTab(a *devhub.App, field, current string) string {
	tab := current
	switch {
	case field == "name" || field == "callback_url":
		tab = tabBasic
	case field == "scopes" || field == "installation_url":
		tab = tabOAuth
	case strings.HasPrefix(field, "listing"):
		tab = tabGeneral
	}
	if tab == current {
		return ""
	}
	return appPath(a.ID, tab)
}

// appValues are a's current values as a tab's form shows them.
func appValues(a *devhub.App, tab string) url.Values {
	v := url.Values{"version": {strconv.Itoa(a.Version)}}
	switch tab {
	case tabBasic:
		v.Set("name", a.Name)
		v.Set("callback_url", a.CallbackURL)
	case tabOAuth:
		v["scopes"] = a.Scopes
		if a.InstallationURL != nil {
			v.Set("installation_url", *a.InstallationURL)
		}
		v.Set("idem", devhub.NewSecret())
	case tabGeneral:
		l := a.Listing
		v.Set("listing.summary", l.Summary)
		v.Set("listing.description", l.Description)
		v.Set("listing.icon_url", l.IconURL)
		v.Set("listing.image_urls", strings.Join(l.ImageURLs, "\n"))
		v.Set("listing.video_url", l.VideoURL)
		v.Set("listing.support_url", l.SupportURL)
		v.Set("listing.privacy_policy_url", l.PrivacyPolicyURL)
	}
	return v
}

// ifMatch is the version the form was rendered with: a save over a change
// made meanwhile (another tab, a colleague) is refused, not merged blindly.
func ifMatch(f *Form) hub.IfMatch {
	v, err := strconv.Atoi(f.Get("version"))
	if err != nil || v <= 0 {
		return hub.IfMatch{}
	}
	return hub.AtVersion(v)
}

// save applies patch from a tab's form and answers with the tab again.
func (c *Console) save(w http.ResponseWriter, r *http.Request, tab string, patch devhub.AppPatch) error {
	s := sessionOf(r)
	f := NewForm(r.PostForm)
	appID := r.PathValue("app_id")
	next, err := c.hub.PatchApp(r.Context(), s.Identity, appID, patch, ifMatch(f))
	if err != nil {
		if !fieldsOrInvalid(err) {
			return err
		}
		a, gerr := c.hub.GetApp(r.Context(), s.Identity, appID)
		if gerr != nil {
			return gerr
		}
		if devhub.ErrorCode(err) == devhub.EPRECONDITION {
			err = devhub.Errorf(devhub.EPRECONDITION, "The app was changed since you opened this page (in another tab or by a colleague). Check the values below, then save again.")
			f.Set("version", strconv.Itoa(a.Version))
		}
		return c.renderTab(w, r, devhub.ErrorStatus(err), s, a, tab, f.Fail(err))
	}
	notice := "saved"
	if p := next.PendingChanges; p != nil && !p.InReview && (patch.CallbackURL.Set || patch.Scopes.Set || patch.InstallationURL.Set) &&
		(next.Status == devhub.StatusUnpublished || next.Status == devhub.StatusPublished) {
		notice = "held"
	}
	return redirect(w, r, appPath(next.ID, tab), notice)
}

func (c *Console) saveBasic(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	return c.save(w, r, tabBasic, devhub.AppPatch{
		Name:        devhub.Optional[string]{Set: true, Value: f.Get("name")},
		CallbackURL: devhub.Optional[string]{Set: true, Value: strings.TrimSpace(f.Get("callback_url"))},
	})
}

func (c *Console) saveOAuth(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	inst := strings.TrimSpace(f.Get("installation_url"))
	return c.save(w, r, tabOAuth, devhub.AppPatch{
		Scopes:          devhub.Optional[[]string]{Set: true, Value: append([]string{devhub.ScopeBase}, f["scopes"]...)},
		InstallationURL: devhub.Optional[string]{Set: true, Null: inst == "", Value: inst},
	})
}

func (c *Console) saveGeneral(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	str := func(name string) devhub.Optional[string] {
		return devhub.Optional[string]{Set: true, Value: strings.TrimSpace(f.Get(name))}
	}
	var images []string
	for _, line := range strings.Split(f.Get("listing.image_urls"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			images = append(images, line)
		}
	}
	if images == nil {
		images = []string{}
	}
	return c.save(w, r, tabGeneral, devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: devhub.ListingPatch{
		Summary: str("listing.summary"), Description: str("listing.description"), IconURL: str("listing.icon_url"),
		ImageURLs: devhub.Optional[[]string]{Set: true, Value: images}, VideoURL: str("listing.video_url"),
		SupportURL: str("listing.support_url"), PrivacyPolicyURL: str("listing.privacy_policy_url"),
	}}})
}

// moveTab is the tab a refused move is shown on: where the person can fix
// what it names.
func moveTab(a *devhub.App, m devhub.Move, err error) string {
	for _, fe := range devhub.ErrorFields(err) {
		if strings.HasPrefix(fe.Field, "listing") {
			return tabGeneral
		}
	}
	switch {
	case m == devhub.MoveLive || a.Type == devhub.AppPrivate:
		return tabBasic
	case m == devhub.MoveReview && len(devhub.ErrorFields(err)) > 0:
		return tabGeneral
	}
	return tabReview
}

var moveNotices = map[devhub.Move]string{devhub.MoveLive: "live", devhub.MoveReview: "review",
	devhub.MovePublish: "published", devhub.MoveUnpublish: "unpublished", devhub.MoveApprove: "approved", devhub.MoveReject: "rejected"}

// move makes an owner's status move: live, review (the app, or its
// pending changes), publish, unpublish.
func (c *Console) move(m devhub.Move) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s := sessionOf(r)
		appID := r.PathValue("app_id")
		f := NewForm(r.PostForm)
		before, err := c.hub.GetApp(r.Context(), s.Identity, appID)
		if err != nil {
			return err
		}
		changes := before.PendingChanges != nil && m == devhub.MoveReview && before.Status != devhub.StatusDraft
		next, err := c.hub.Move(r.Context(), s.Identity, appID, m, hub.MoveInput{IfMatch: ifMatch(f)})
		if err != nil {
			if !fieldsOrInvalid(err) {
				return err
			}
			tab := moveTab(before, m, err)
			if health, ok := devhub.ErrorExtensions(err)["callback_health"]; ok && len(devhub.ErrorFields(err)) == 0 {
				_ = health // the message says what the probe found
			}
			return c.renderTab(w, r, devhub.ErrorStatus(err), s, before, tab, NewForm(appValues(before, tab)).Fail(err))
		}
		notice, tab := moveNotices[m], tabBasic
		if next.Type == devhub.AppPublic {
			tab = tabReview
		}
		if changes {
			notice = "changes"
		}
		if m == devhub.MoveLive {
			tab = tabOAuth
		}
		target := appPath(next.ID, tab)
		if f.Get("from") == "dashboard" {
			target = "/hub"
		}
		return redirect(w, r, target, notice)
	}
}

// graceChoices are the grace periods "Rotate secret" offers, in seconds.
var graceChoices = []struct {
	Seconds int64
	Label   string
}{{0, "None: the old secret stops at once"}, {3600, "1 hour"}, {86400, "24 hours"}, {604800, "7 days"}}

func (c *Console) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	appID := r.PathValue("app_id")
	f := NewForm(r.PostForm)
	grace, err := strconv.ParseInt(f.Get("grace_period_seconds"), 10, 64)
	if err != nil {
		grace = -1 // refused by the use case, with its field message
	}
	idem := hub.Idempotency[*hub.RotatedSecret]{Key: f.Get("idem"), Request: "console POST /hub/apps/" + appID + "/secret",
		Body:   []byte(f.Get("grace_period_seconds")),
		Answer: func(*hub.RotatedSecret) (hub.Answer, error) { return hub.Answer{Status: http.StatusSeeOther}, nil }}
	_, _, err = c.hub.RotateSecret(r.Context(), s.Identity, appID, hub.RotateInput{GracePeriodSeconds: &grace, IfMatch: ifMatch(f)}, idem)
	if err != nil {
		if !fieldsOrInvalid(err) {
			return err
		}
		a, gerr := c.hub.GetApp(r.Context(), s.Identity, appID)
		if gerr != nil {
			return gerr
		}
		return c.renderTab(w, r, devhub.ErrorStatus(err), s, a, tabOAuth, NewForm(appValues(a, tabOAuth)).Fail(err))
	}
	return redirect(w, r, appPath(appID, tabOAuth)+"?reveal=1#client-secret", "rotated")
}

// installTest sends the owner to the consent page of its own draft. It
// changes nothing (the consent page asks), so it is a link.
func (c *Console) installTest(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	u, err := c.hub.InstallTest(r.Context(), s.Identity, r.PathValue("app_id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

func (c *Console) confirmDelete(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	a, err := c.hub.GetApp(r.Context(), s.Identity, r.PathValue("app_id"))
	if err != nil {
		return err
	}
	c.renderDelete(w, r, http.StatusOK, s, a, NewForm(url.Values{"version": {strconv.Itoa(a.Version)}}))
	return nil
}

func (c *Console) renderDelete(w http.ResponseWriter, r *http.Request, status int, s *Session, a *devhub.App, f *Form) {
	action := "/hub/apps/" + a.ID + "/delete"
	renderPage(w, r, status, &Page{Title: TextDeleteApp + " – " + a.Name, Session: s, Narrow: true},
		deletePage(a, action, c.CSRFToken(s, action), f))
}

func (c *Console) deleteApp(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r)
	appID := r.PathValue("app_id")
	f := NewForm(r.PostForm)
	err := c.hub.DeleteApp(r.Context(), s.Identity, appID, hub.DeleteAppInput{Reason: f.Get("reason"), IfMatch: ifMatch(f)})
	if err != nil {
		if !fieldsOrInvalid(err) {
			return err
		}
		a, gerr := c.hub.GetApp(r.Context(), s.Identity, appID)
		if gerr != nil {
			return gerr
		}
		c.renderDelete(w, r, devhub.ErrorStatus(err), s, a, f.Fail(err))
		return nil
	}
	return redirect(w, r, "/hub", "deleted")
}

// view is what every page of a session needs to build its forms.
type view struct {
	c   *Console
	s   *Session
	mac *csrfSigner // one keyed HMAC for every form of the page
}

func (c *Console) view(s *Session) view { return view{c: c, s: s, mac: &csrfSigner{}} }

// Token is the CSRF token of a form posting to action.
func (v view) Token(action string) string {
	if v.mac == nil {
		return v.c.CSRFToken(v.s, action)
	}
	return v.mac.sign(v.c, v.s, action)
}

// appPage is one app settings tab.
type appPage struct {
	view
	App         *devhub.App
	Tab         string
	Form        *Form
	Now         time.Time
	ConfirmLive bool
	Reveal      bool
	Share       bool
	ShareLink   string
	ShareError  string
}

// Path is the app's page (or action) at suffix.
func (p *appPage) Path(suffix string) string { return "/hub/apps/" + p.App.ID + "/" + suffix }

// Tabs are the app's tabs, in order.
func (p *appPage) Tabs() []string {
	if p.App.Type == devhub.AppPublic {
		return []string{tabBasic, tabOAuth, tabExt, tabGeneral, tabReview, tabManifest, tabDeliveries}
	}
	return []string{tabBasic, tabOAuth, tabExt, tabManifest, tabDeliveries}
}

// FormTab reports whether the tab has one form the header's Save submits.
func (p *appPage) FormTab() bool {
	return p.Tab == tabBasic || p.Tab == tabOAuth || p.Tab == tabGeneral
}
