package devhub

import (
	"cmp"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AppType is chosen at creation and never changes.
type AppType string

const (
	AppPublic  AppType = "public"
	AppPrivate AppType = "private"
)

// AppStatus is where an app stands in its lifecycle.
type AppStatus string

const (
	StatusDraft       AppStatus = "draft"
	StatusLive        AppStatus = "live"
	StatusReview      AppStatus = "review"
	StatusUnpublished AppStatus = "unpublished"
	StatusPublished   AppStatus = "published"
)

// Limits on app fields.
const (
	MaxAppNameLen     = 100
	MaxURLLen         = 2048
	MaxSummaryLen     = 150
	MaxDescriptionLen = 1500
	MaxImageURLs      = 5
	MaxReasonLen      = 1000
)

// App is a third-party developer's registered app: an OAuth client of the
// platform plus what the Developer Hub knows about it.
type App struct {
	ID              string    `json:"id"`
	Type            AppType   `json:"type"`
	Status          AppStatus `json:"status"`
	Name            string    `json:"name"`
	CallbackURL     string    `json:"callback_url"`
	Scopes          []string  `json:"scopes"`
	InstallationURL *string   `json:"installation_url"`
	ClientID        string    `json:"client_id"`
	ClientSecret    string    `json:"client_secret,omitempty"`
	// PreviousClientSecret keeps authenticating until PreviousSecretUntil
	// after a rotation, so that the app's servers can roll over.
	PreviousClientSecret string    `json:"-"`
	PreviousSecretUntil  time.Time `json:"-"`
	// RefreshTokenRotation turns on refresh-token rotation with reuse
	// detection; off, a refresh returns the same refresh token (the
	// platform's documented behaviour).
	RefreshTokenRotation bool            `json:"refresh_token_rotation"`
	Listing              Listing         `json:"listing"`
	PendingChanges       *PendingChanges `json:"pending_changes"`
	// ReviewFeedback is the latest rejection of the app itself (review → draft).
	ReviewFeedback *ReviewFeedback `json:"review_feedback"`
	CallbackHealth *CallbackHealth `json:"callback_health"`
	OwnerCompanyID string          `json:"owner_company_id"`
	CreatedBy      string          `json:"created_by"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	Version        int             `json:"version"`

	// OwnerCompanyName is the owner company's display name as last seen on
	// a write by one of its users (NoteOwner); "" when none carried one.
	OwnerCompanyName string `json:"owner_company_name"`
}

// Listing is a public app's marketplace listing. Every member is optional
// while the app is a draft; review requires them.
type Listing struct {
	Summary          string   `json:"summary"`
	Description      string   `json:"description"`
	IconURL          string   `json:"icon_url"`
	ImageURLs        []string `json:"image_urls"`
	VideoURL         string   `json:"video_url"`
	SupportURL       string   `json:"support_url"`
	PrivacyPolicyURL string   `json:"privacy_policy_url"`
}

// PendingChanges holds critical changes to an approved public app (callback
// URL, scopes, installation URL) until a reviewer approves them; the live
// version keeps serving installs meanwhile. InstallationURL "" removes it.
type PendingChanges struct {
	CallbackURL     *string         `json:"callback_url,omitempty"`
	Scopes          []string        `json:"scopes,omitempty"`
	InstallationURL *string         `json:"installation_url,omitempty"`
	InReview        bool            `json:"in_review"`
	SubmittedAt     *time.Time      `json:"submitted_at,omitempty"`
	Feedback        *ReviewFeedback `json:"feedback,omitempty"`
	// Extensions are held extension writes, merged in one transaction on
	// approval (see PendingExtension).
	Extensions []PendingExtension `json:"extensions,omitempty"`
	// SlotCounts is how many live extensions hold each slot the writes
	// touch, as of the last write: live extensions of an approved app change
	// only by the merge, which expects exactly these counts.
	SlotCounts map[string]int `json:"-"`
}

// ReviewFeedback is a reviewer's rejection, kept and shown to the owner.
type ReviewFeedback struct {
	Reason     string    `json:"reason"`
	RejectedAt time.Time `json:"rejected_at"`
	RejectedBy string    `json:"rejected_by"`
}

// CallbackHealth is the outcome of the latest probe of the callback URL.
type CallbackHealth struct {
	OK         bool      `json:"ok"`
	StatusCode int       `json:"status_code,omitempty"`
	CheckedAt  time.Time `json:"checked_at"`
	Error      string    `json:"error,omitempty"`
}

// OwnedBy reports whether the app belongs to company.
func (a *App) OwnedBy(companyID string) bool { return a.OwnerCompanyID == companyID }

// Listed reports whether the app is in the marketplace: a public app that is
// published, whatever its pending changes (they are held: the listing shows
// the approved version while they wait for a reviewer). The store indexes
// exactly these apps for the marketplace list.
func (a *App) Listed() bool { return a.Type == AppPublic && a.Status == StatusPublished }

// NoteOwner keeps the owner company's display name as by's token carries
// it, when by is one of the owner's users and the token has one: a write
// by another company (a reviewer) or a token without names changes nothing.
func (a *App) NoteOwner(by Identity) {
	if a.OwnedBy(by.CompanyID) && by.CompanyName != "" {
		a.OwnerCompanyName = by.CompanyName
	}
}

// OwnerDisplayName is the owner company's name, or its id when no name was
// ever seen.
func (a *App) OwnerDisplayName() string { return cmp.Or(a.OwnerCompanyName, a.OwnerCompanyID) }

// NewAppInput is what a developer sends to save a draft.
type NewAppInput struct {
	Type            AppType  `json:"type"`
	Name            string   `json:"name"`
	CallbackURL     string   `json:"callback_url"`
	Scopes          []string `json:"scopes"`
	InstallationURL *string  `json:"installation_url"`
	Listing         *Listing `json:"listing"`
}

// NewApp validates in and returns a draft app owned by the caller's company,
// with fresh identifiers and client credentials. Only what saving a draft
// needs is required; the rest is checked for shape only.
func NewApp(in NewAppInput, by Identity, now time.Time) (*App, error) {
	var p Problems
	switch in.Type {
	case AppPublic, AppPrivate:
	case "":
		p.Add("type", "is required (public or private)")
	default:
		p.Add("type", "must be public or private")
	}
	a := &App{
		ID:             NewID("app_"),
		Type:           in.Type,
		Status:         StatusDraft,
		Name:           strings.TrimSpace(in.Name),
		CallbackURL:    in.CallbackURL,
		ClientID:       NewID(""),
		ClientSecret:   NewSecret(),
		OwnerCompanyID: by.CompanyID,
		CreatedBy:      by.UserID,
		CreatedAt:      now.UTC(),
		UpdatedAt:      now.UTC(),
		Version:        1,
	}
	a.OwnerCompanyName = by.CompanyName
	a.Scopes = NormalizeScopes("scopes", in.Scopes, &p)
	if in.InstallationURL != nil && *in.InstallationURL != "" {
		a.InstallationURL = in.InstallationURL
	}
	if in.Listing != nil {
		a.Listing = *in.Listing
	}
	if a.Listing.ImageURLs == nil {
		a.Listing.ImageURLs = []string{}
	}
	if in.Type == AppPrivate && in.Listing != nil && !isZeroListing(*in.Listing) {
		p.Add("listing", "only public apps have a listing")
	}
	a.validateShape(&p)
	return a, p.Err()
}

func isZeroListing(l Listing) bool {
	return l.Summary == "" && l.Description == "" && l.IconURL == "" && len(l.ImageURLs) == 0 &&
		l.VideoURL == "" && l.SupportURL == "" && l.PrivacyPolicyURL == ""
}

// validateShape checks the rules that hold in every status.
func (a *App) validateShape(p *Problems) {
	switch n := utf8.RuneCountInString(a.Name); {
	case n == 0:
		p.Add("name", "is required")
	case n > MaxAppNameLen:
		p.Add("name", "must be at most %d characters", MaxAppNameLen)
	case !isPrintable(a.Name):
		p.Add("name", "must not contain control characters")
	}
	if a.CallbackURL == "" {
		p.Add("callback_url", "is required")
	} else {
		CheckURL(p, "callback_url", a.CallbackURL, false)
	}
	if a.InstallationURL != nil {
		CheckURL(p, "installation_url", *a.InstallationURL, false)
	}
	l := a.Listing
	checkLen(p, "listing.summary", l.Summary, MaxSummaryLen)
	checkLen(p, "listing.description", l.Description, MaxDescriptionLen)
	for field, u := range map[string]string{
		"listing.icon_url": l.IconURL, "listing.video_url": l.VideoURL,
		"listing.support_url": l.SupportURL, "listing.privacy_policy_url": l.PrivacyPolicyURL,
	} {
		if u != "" {
			CheckURL(p, field, u, false)
		}
	}
	if len(l.ImageURLs) > MaxImageURLs {
		p.Add("listing.image_urls", "must have at most %d images", MaxImageURLs)
	}
	for i, u := range l.ImageURLs {
		CheckURL(p, fieldIndex("listing.image_urls", i), u, false)
	}
}

func checkLen(p *Problems, field, s string, max int) {
	if utf8.RuneCountInString(s) > max {
		p.Add(field, "must be at most %d characters", max)
	} else if !isPrintable(strings.NewReplacer("\n", "", "\r", "", "\t", "").Replace(s)) {
		p.Add(field, "must not contain control characters")
	}
}

// CheckURL adds a problem unless raw is an absolute http(s) URL (https only
// when httpsOnly) with a host, no userinfo and no fragment.
func CheckURL(p *Problems, field, raw string, httpsOnly bool) {
	if len(raw) > MaxURLLen {
		p.Add(field, "must be at most %d characters", MaxURLLen)
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		p.Add(field, "must be an absolute URL")
	case httpsOnly && u.Scheme != "https":
		p.Add(field, "must use https")
	case u.Scheme != "https" && u.Scheme != "http":
		p.Add(field, "must use http or https")
	case u.Hostname() == "":
		p.Add(field, "must have a host")
	case u.User != nil:
		p.Add(field, "must not contain user information")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		p.Add(field, "must not contain a fragment")
	case !isPrintable(raw) || strings.ContainsAny(raw, " \\"):
		p.Add(field, "must not contain spaces, backslashes or control characters")
	}
}

// AppPatch is a JSON merge patch (RFC 7396) of an app. Members that are
// read-only are accepted by the decoder only to be refused with a clear
// message instead of "unknown field".
type AppPatch struct {
	Type            Optional[AppType]      `json:"type"`
	Name            Optional[string]       `json:"name"`
	CallbackURL     Optional[string]       `json:"callback_url"`
	Scopes          Optional[[]string]     `json:"scopes"`
	InstallationURL Optional[string]       `json:"installation_url"`
	Listing         Optional[ListingPatch] `json:"listing"`
	// RefreshTokenRotation null resets it to off, the default.
	RefreshTokenRotation Optional[bool] `json:"refresh_token_rotation"`

	ReadOnly
}

// ListingPatch is the merge patch of a listing: each member on its own.
type ListingPatch struct {
	Summary          Optional[string]   `json:"summary"`
	Description      Optional[string]   `json:"description"`
	IconURL          Optional[string]   `json:"icon_url"`
	ImageURLs        Optional[[]string] `json:"image_urls"`
	VideoURL         Optional[string]   `json:"video_url"`
	SupportURL       Optional[string]   `json:"support_url"`
	PrivacyPolicyURL Optional[string]   `json:"privacy_policy_url"`
}

// ReadOnly names the server-owned members of a resource, so that a client
// that sends one back learns that it cannot change it.
type ReadOnly struct {
	ID             Optional[any] `json:"id"`
	Status         Optional[any] `json:"status"`
	ClientID       Optional[any] `json:"client_id"`
	ClientSecret   Optional[any] `json:"client_secret"`
	PendingChanges Optional[any] `json:"pending_changes"`
	ReviewFeedback Optional[any] `json:"review_feedback"`
	CallbackHealth Optional[any] `json:"callback_health"`
	OwnerCompanyID Optional[any] `json:"owner_company_id"`
	CreatedBy      Optional[any] `json:"created_by"`
	CreatedAt      Optional[any] `json:"created_at"`
	UpdatedAt      Optional[any] `json:"updated_at"`
	Version        Optional[any] `json:"version"`
}

func (r ReadOnly) check(p *Problems) {
	for field, o := range map[string]bool{
		"id": r.ID.Set, "status": r.Status.Set, "client_id": r.ClientID.Set,
		"client_secret": r.ClientSecret.Set, "pending_changes": r.PendingChanges.Set,
		"callback_health": r.CallbackHealth.Set, "review_feedback": r.ReviewFeedback.Set, "owner_company_id": r.OwnerCompanyID.Set,
		"created_by": r.CreatedBy.Set, "created_at": r.CreatedAt.Set,
		"updated_at": r.UpdatedAt.Set, "version": r.Version.Set,
	} {
		if o {
			p.Add(field, "is read-only")
		}
	}
}

// Apply returns a copy of a with the patch merged in and validated, with
// Version and UpdatedAt moved on. a itself is not changed.
func (patch AppPatch) Apply(a *App, now time.Time) (*App, error) {
	var p Problems
	patch.ReadOnly.check(&p)
	next := *a
	next.Scopes = append([]string(nil), a.Scopes...)
	next.Listing.ImageURLs = append([]string(nil), a.Listing.ImageURLs...)
	if t := patch.Type; t.Set && (t.Null || t.Value != a.Type) {
		p.Add("type", "cannot be changed after creation")
	}
	// A null name or callback_url empties it, which validateShape refuses.
	if n := patch.Name; n.Set {
		next.Name = strings.TrimSpace(n.Value)
	}
	if c := patch.CallbackURL; c.Set {
		next.CallbackURL = c.Value
	}
	if s := patch.Scopes; s.Set {
		next.Scopes = NormalizeScopes("scopes", s.Value, &p) // null resets to [base]
	}
	if i := patch.InstallationURL; i.Set {
		next.InstallationURL = nil
		if !i.Null && i.Value != "" {
			v := i.Value
			next.InstallationURL = &v
		}
	}
	if r := patch.RefreshTokenRotation; r.Set {
		next.RefreshTokenRotation = r.Value // null: off, the default
	}
	if l := patch.Listing; l.Set {
		if a.Type == AppPrivate && !l.Null {
			p.Add("listing", "only public apps have a listing")
		}
		if l.Null {
			next.Listing = Listing{}
		} else {
			l.Value.apply(&next.Listing)
		}
	}
	next.validateShape(&p)
	if a.Status != StatusDraft {
		// Past draft, the callback was probed over https; it stays https.
		if patch.CallbackURL.Set && !patch.CallbackURL.Null {
			CheckURL(&p, "callback_url", next.CallbackURL, true)
		}
		if next.InstallationURL != nil && patch.InstallationURL.Set {
			CheckURL(&p, "installation_url", *next.InstallationURL, true)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	set := criticalSet{callback: patch.CallbackURL.Set, scopes: patch.Scopes.Set, installation: patch.InstallationURL.Set}
	if err := next.holdCritical(a, set); err != nil {
		return nil, err
	}
	next.Version = a.Version + 1
	next.UpdatedAt = now.UTC()
	return &next, nil
}

func (lp ListingPatch) apply(l *Listing) {
	set := func(dst *string, o Optional[string]) {
		if o.Set {
			*dst = o.Value // null clears: Value is ""
		}
	}
	set(&l.Summary, lp.Summary)
	set(&l.Description, lp.Description)
	set(&l.IconURL, lp.IconURL)
	set(&l.VideoURL, lp.VideoURL)
	set(&l.SupportURL, lp.SupportURL)
	set(&l.PrivacyPolicyURL, lp.PrivacyPolicyURL)
	if lp.ImageURLs.Set {
		l.ImageURLs = lp.ImageURLs.Value
		if l.ImageURLs == nil {
			l.ImageURLs = []string{}
		}
	}
}

// CheckReason validates the reason a deletion or rejection must give.
func CheckReason(reason string) error {
	var p Problems
	switch n := utf8.RuneCountInString(strings.TrimSpace(reason)); {
	case n == 0:
		p.Add("reason", "is required")
	case n > MaxReasonLen:
		p.Add("reason", "must be at most %d characters", MaxReasonLen)
	}
	return p.Err()
}

func fieldIndex(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
