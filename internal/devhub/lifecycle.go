package devhub

import (
	"slices"
	"strings"
	"time"
)

// Move is a change of an app's status (or of its pending changes' review),
// named as the API names it: POST /v1/apps/{id}/<move>.
type Move string

const (
	MoveLive      Move = "live"      // private: draft → live (final)
	MoveReview    Move = "review"    // public: draft → review; or pending changes → in review
	MoveApprove   Move = "approve"   // reviewer: review → unpublished; or merge pending changes
	MoveReject    Move = "reject"    // reviewer: review → draft; or discard pending changes
	MovePublish   Move = "publish"   // owner: unpublished → published
	MoveUnpublish Move = "unpublish" // owner: published → unpublished
)

// Moves returns the moves the app allows now, in a stable order.
func (a *App) Moves() []Move {
	var out []Move
	switch {
	case a.Type == AppPrivate && a.Status == StatusDraft:
		out = append(out, MoveLive)
	case a.Type == AppPublic && a.Status == StatusDraft:
		out = append(out, MoveReview)
	case a.Status == StatusReview:
		out = append(out, MoveApprove, MoveReject)
	case a.Status == StatusUnpublished:
		out = append(out, MovePublish)
	case a.Status == StatusPublished:
		out = append(out, MoveUnpublish)
	}
	if p := a.PendingChanges; p != nil && a.approved() {
		if p.InReview {
			out = append(out, MoveApprove, MoveReject)
		} else {
			out = append(out, MoveReview)
		}
	}
	return out
}

// approved reports whether the app is a public app past review.
func (a *App) approved() bool {
	return a.Type == AppPublic && (a.Status == StatusUnpublished || a.Status == StatusPublished)
}

// NeedsProbe reports whether move m must find the callback URL working
// first: going live, and sending the app (or a new callback URL) to review.
func (a *App) NeedsProbe(m Move) (url string, ok bool) {
	switch {
	case m == MoveLive, m == MoveReview && a.Status == StatusDraft:
		return a.CallbackURL, true
	case m == MoveReview && a.PendingChanges != nil && a.PendingChanges.CallbackURL != nil:
		return *a.PendingChanges.CallbackURL, true
	}
	return "", false
}

// MoveInput is what a move needs besides the app.
type MoveInput struct {
	By     Identity
	Reason string          // reject
	Health *CallbackHealth // the probe's result, when NeedsProbe said one is due
	Now    time.Time
}

// Apply returns a copy of a after move m, with Version and UpdatedAt moved
// on, or an error: EFORBIDDEN for a move the caller's role may not make,
// EINVALID when the status does not allow it (the message lists the moves
// it does allow) or when the app is not ready (every missing field at once,
// and the probe result as the "callback_health" extension).
func (a *App) Apply(m Move, in MoveInput) (*App, error) {
	reviewerMove := m == MoveApprove || m == MoveReject
	if reviewerMove != in.By.HasRole(RoleReviewer) || (!reviewerMove && !a.OwnedBy(in.By.CompanyID)) {
		if reviewerMove {
			return nil, Errorf(EFORBIDDEN, "Only marketplace reviewers may %s apps.", m)
		}
		return nil, Errorf(EFORBIDDEN, "Only the owner company may %s its app.", m)
	}
	allowed := a.Moves()
	if !slices.Contains(allowed, m) {
		return nil, a.moveRefused(m, allowed)
	}
	next := a.clone()
	next.Version, next.UpdatedAt = a.Version+1, in.Now.UTC()
	pending := a.PendingChanges != nil && a.approved()
	switch {
	case m == MoveLive || (m == MoveReview && !pending):
		if err := a.readyFor(m, in.Health); err != nil {
			return nil, err
		}
		next.CallbackHealth = in.Health
		next.Status = map[Move]AppStatus{MoveLive: StatusLive, MoveReview: StatusReview}[m]
		next.ReviewFeedback = nil
	case m == MoveReview: // pending changes to review
		if err := checkHealth(in.Health, a.PendingChanges.CallbackURL != nil); err != nil {
			return nil, err
		}
		p := *a.PendingChanges
		p.InReview, p.SubmittedAt, p.Feedback = true, &next.UpdatedAt, nil
		next.PendingChanges = &p
	case m == MoveApprove && pending:
		next.mergePending()
	case m == MoveApprove:
		next.Status = StatusUnpublished
	case m == MoveReject:
		if err := CheckReason(in.Reason); err != nil {
			return nil, err
		}
		fb := &ReviewFeedback{Reason: strings.TrimSpace(in.Reason), RejectedAt: next.UpdatedAt, RejectedBy: in.By.UserID}
		// Rejected pending changes are discarded; a rejected app goes back
		// to draft. Either way the owner sees why.
		next.ReviewFeedback = fb
		if pending {
			next.PendingChanges = nil
		} else {
			next.Status = StatusDraft
		}
	case m == MovePublish:
		next.Status = StatusPublished
	case m == MoveUnpublish:
		next.Status = StatusUnpublished
	}
	return next, nil
}

func (a *App) moveRefused(m Move, allowed []Move) error {
	names := make([]string, len(allowed))
	for i, mv := range allowed {
		names[i] = string(mv)
	}
	now := "none: this status is final"
	if len(names) > 0 {
		now = strings.Join(names, ", ")
	}
	return Errorf(EINVALID, "A %s app in status %s cannot %s; the moves it allows now: %s.", a.Type, a.Status, m, now)
}

// readyFor checks what entering live or review requires, reporting every
// missing field at once.
func (a *App) readyFor(m Move, health *CallbackHealth) error {
	var p Problems
	CheckURL(&p, "callback_url", a.CallbackURL, true)
	if a.InstallationURL != nil {
		CheckURL(&p, "installation_url", *a.InstallationURL, true)
	}
	if m == MoveReview {
		l := a.Listing
		for field, v := range map[string]string{
			"listing.summary": l.Summary, "listing.description": l.Description, "listing.icon_url": l.IconURL,
			"listing.support_url": l.SupportURL, "listing.privacy_policy_url": l.PrivacyPolicyURL,
		} {
			if strings.TrimSpace(v) == "" {
				p.Add(field, "is required for review")
			}
		}
		if len(l.ImageURLs) == 0 {
			p.Add("listing.image_urls", "needs 1 to %d images for review", MaxImageURLs)
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	return checkHealth(health, true)
}

// checkHealth refuses a move whose probe did not find the callback working.
func checkHealth(h *CallbackHealth, due bool) error {
	if !due || (h != nil && h.OK) {
		return nil
	}
	e := &Error{Code: EINVALID, Message: "The callback URL does not answer: it must reach a public HTTPS server that answers below 500.",
		Fields: []FieldError{{Field: "callback_url", Message: "did not pass the probe"}}}
	if h != nil {
		e.Extensions = map[string]any{"callback_health": h}
		if h.Error != "" {
			e.Fields[0].Message = "did not pass the probe: " + h.Error
		}
	}
	return e
}

// mergePending applies approved pending changes to the app.
func (a *App) mergePending() {
	p := a.PendingChanges
	if p.CallbackURL != nil {
		a.CallbackURL = *p.CallbackURL
	}
	if p.Scopes != nil {
		a.Scopes = p.Scopes
	}
	if p.InstallationURL != nil {
		a.InstallationURL = nil
		if *p.InstallationURL != "" {
			u := *p.InstallationURL
			a.InstallationURL = &u
		}
	}
	a.PendingChanges = nil
}

func (a *App) clone() *App {
	next := *a
	next.Scopes = slices.Clone(a.Scopes)
	next.Listing.ImageURLs = slices.Clone(a.Listing.ImageURLs)
	return &next
}

// RotateSecret returns a copy of a with a new client secret; the current one
// keeps authenticating for grace.
func (a *App) RotateSecret(grace time.Duration, now time.Time) *App {
	next := a.clone()
	next.PreviousClientSecret, next.PreviousSecretUntil = a.ClientSecret, now.Add(grace).UTC().Truncate(time.Second)
	next.ClientSecret = NewSecret()
	next.Version, next.UpdatedAt = a.Version+1, now.UTC()
	return next
}

// Secret rotation grace periods.
const (
	DefaultSecretGrace = 24 * time.Hour
	MaxSecretGrace     = 7 * 24 * time.Hour
)

// holdCritical keeps changes of critical fields (callback URL, scopes,
// installation URL) out of an approved public app: they become pending
// changes, merged when a reviewer approves them. While the app itself is in
// review they cannot change at all. next is a's patched copy; set says which
// critical fields the patch named.
func (next *App) holdCritical(a *App, set criticalSet) error {
	if !set.callback && !set.scopes && !set.installation {
		return nil
	}
	switch {
	case a.Status == StatusReview && !next.sameCritical(a):
		return Errorf(ECONFLICT, "The app is in review: its callback URL, scopes and installation URL cannot change until a reviewer decides.")
	case !a.approved():
		return nil
	case a.PendingChanges != nil && a.PendingChanges.InReview:
		return Errorf(ECONFLICT, "Pending changes are in review: wait for the reviewer's decision before changing critical fields again.")
	}
	p := PendingChanges{}
	if a.PendingChanges != nil {
		p = *a.PendingChanges
	}
	if set.callback {
		u := next.CallbackURL
		p.CallbackURL, next.CallbackURL = &u, a.CallbackURL
	}
	if set.scopes {
		p.Scopes, next.Scopes = next.Scopes, slices.Clone(a.Scopes)
	}
	if set.installation {
		u := ptrString(next.InstallationURL)
		p.InstallationURL, next.InstallationURL = &u, a.InstallationURL
	}
	// A pending value equal to the live one is no change at all.
	if p.CallbackURL != nil && *p.CallbackURL == a.CallbackURL {
		p.CallbackURL = nil
	}
	if p.Scopes != nil && slices.Equal(p.Scopes, a.Scopes) {
		p.Scopes = nil
	}
	if p.InstallationURL != nil && *p.InstallationURL == ptrString(a.InstallationURL) {
		p.InstallationURL = nil
	}
	next.PendingChanges = &p
	if p.empty() {
		next.PendingChanges = nil
	}
	return nil
}

// criticalSet says which critical fields a patch named.
type criticalSet struct{ callback, scopes, installation bool }

func (next *App) sameCritical(a *App) bool {
	return next.CallbackURL == a.CallbackURL && slices.Equal(next.Scopes, a.Scopes) &&
		ptrString(next.InstallationURL) == ptrString(a.InstallationURL)
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
