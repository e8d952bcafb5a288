// Package hub holds the use cases of the Developer Hub: every action a
// developer, a marketplace reviewer or an installing user can take, with
// the rules around them that are not a single domain method — who may act
// on what (a developer only on its own company's apps, and another
// company's app is "not found"; reviewers across companies), the callback
// probe before a status move, Idempotency-Key records, If-Match, pending
// changes (extension writes held on approved public apps), limits taken as
// slots, install links and the JWT an extension is opened with.
//
// Both adapters call it: internal/httpapi (JSON) and the HTML console.
// They decode a request into a typed input, pass the caller's
// devhub.Identity explicitly, call one method, and render the domain result
// or map the *devhub.Error's code (devhub.E*) to their status. The hub never
// picks a transport status and never renders anything, with one exception
// that keeps retries exact: an idempotent use case asks its caller to
// render the first answer (Idempotency.Answer), and hands back that stored
// Answer, not a fresh result, to a retry.
//
// Every method takes ctx, the caller's identity, the ids it acts on, then a
// typed input. A list takes a PageRequest and returns a devhub.Page; a
// condition on the version read is an IfMatch (the zero value: none); an
// Idempotency-Key is an Idempotency[T]. CheckDeveloper, CheckReviewer,
// CheckMove and CheckExtensionTarget are the gates each use case applies
// first; an adapter may call them too, before it reads a request or to
// choose which page to show.
//
// It imports only internal/devhub and the standard library (and the JWT
// library for launches). It declares the store and prober interfaces it
// consumes (AppStore, ExtensionStore, InstallationStore, ClientStore,
// Prober); *dynamo.Store and *probe.Prober implement them, and the
// composition roots wire them in. Every method documents the round trips it
// makes; each is the same as the JSON API has always made.
//
// # Use cases
//
// Apps (apps.go):
//   - CreateApp: save a draft (1 write; Idempotency-Key honoured).
//   - ListApps: the dashboard, the caller's company's apps newest first (1 Query).
//   - GetApp: one of the caller's company's apps, client secret included (1 GetItem).
//   - PatchApp: a merge patch; critical fields of an approved public app
//     are held as pending changes (1 GetItem + 1 write).
//   - DeleteApp: with a reason; the uninstall cascade follows (1 GetItem + 1 write).
//
// Status moves and secrets (lifecycle.go):
//   - Move: one status move, named by devhub.Move — MoveLive ("Change to
//     live"), MoveReview ("Send to review", also of pending changes),
//     MoveApprove, MoveReject (with a reason), MovePublish, MoveUnpublish.
//     The callback is probed first when the move needs it, and only once
//     every other rule holds; approving merges held extension writes in the
//     same transaction (1 GetItem + [probe] + 1 write).
//   - ReviewQueue: reviewers only, every company's apps waiting in review (1 Query).
//   - ReviewApp (review.go): a reviewer's view of one app waiting for
//     review, any company's, with its extensions and without its client
//     secret (1 GetItem + 1 Query).
//   - RotateSecret: a new client secret, the old one valid for a grace
//     period (1 GetItem + 1 write; Idempotency-Key honoured).
//
// Extensions (extensions.go):
//   - CreateExtension, GetExtension, ListExtensions, PatchExtension,
//     DeleteExtension: limits held as slots in the same transaction; on an
//     approved public app a write is held for review instead (Held).
//
// Settings pages (settings.go):
//   - AppSettings: an app, its live and effective extensions (pending
//     writes applied), the held writes and the slot usage per view and
//     panel location, for a settings page (1 Query); Usage.CanAdd says why
//     an "Add …" button is disabled.
//
// Manifests (manifests.go):
//   - ExportManifest: an app and its extensions as one document (1 Query).
//   - ApplyManifest: make the app match a manifest as one atomic change, or
//     answer the plan (dry run) (1 Query + 1 transaction; nothing written
//     when nothing changes).
//   - CreateManifestApp: an app and its extensions from a manifest (1
//     transaction; Idempotency-Key honoured).
//   - ValidateManifest: every rule of those, nothing written.
//
// Installs (installlinks.go, installs.go):
//   - InstallLink: the shareable link of a shareable app (1 GetItem).
//   - InstallTest: the consent page URL for the owner's own test install of a draft (1 GetItem).
//   - FollowInstallLink: where a public install link leads (1 GetItem at most).
//   - ListInstallations, Uninstall: the caller's own installations (1 Query;
//     a Query and a DeleteItem).
//   - InstalledApps, InstalledAppOf (installed.go): the caller's installations
//     with their apps, for the marketplace's "Installed apps" (1 Query + 1
//     BatchGetItem; a Query + a GetItem).
//   - LaunchExtension (launch.go): the URL and JWT an installed extension
//     opens with (1 Query).
//
// Deliveries (deliveries.go):
//   - ListDeliveries: an app's uninstall notifications, newest first (1 Query).
//   - Redeliver: send one again, whatever its state (2 GetItem + send + 1 put).
//   - AppDeliveries (appdeliveries.go): the app and a page of its deliveries, for
//     the console's Deliveries tab (GetItem and Query together: 1 round trip).
//
// Callback health (callbackprobe.go):
//   - ProbeCallback: probe the callback URL now and store the result (1 GetItem + probe + 1 write).
//   - RecordHealth: store a probe result, retrying once on a lost race
//     (internal/sweep stores its results through it too).
//
// It must not know HTTP, HTML, DynamoDB or Lambda, and must not log: errors
// carry what went wrong, and the adapter logs them with its request id.
package hub

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// Hub is the set of use cases over a store and a prober. Build it once per
// process; it holds no state of its own, so one Hub serves every adapter and
// every request. Fields not needed by the use cases a process calls may be
// left nil (each method names what it uses).
type Hub struct {
	Apps          AppStore
	Extensions    ExtensionStore
	Installations InstallationStore
	Clients       ClientStore          // the public install link's lookup by client_id
	Manifests     ManifestStore        // app manifests (manifests.go)
	Schemas       devhub.SchemaChecker // checks the documents of JSON modals and panels
	Prober        Prober               // the callback probe of moves and ProbeCallback
	Deliveries    DeliveryStore        // uninstall notifications (deliveries.go)
	Notifier      DeliverySender       // sends a redelivery
	// IssuerURL is the public base URL of the API (ISSUER_URL): install links
	// and consent page URLs are built on it.
	IssuerURL string
	Now       func() time.Time
}

// AppStore is what the app use cases need of the store.
type AppStore interface {
	// CreateApp writes a new app (and rec, when not nil) atomically. When rec's
	// key was used before it writes nothing and returns the earlier record.
	// Errors: ECONFLICT (an id taken).
	CreateApp(ctx context.Context, a *devhub.App, rec *devhub.Idempotency) (*devhub.Idempotency, error)
	// GetApp errors: ENOTFOUND.
	GetApp(ctx context.Context, id string) (*devhub.App, error)
	// ListApps returns a page of the company's apps, newest first.
	// Errors: EMALFORMED (bad cursor).
	ListApps(ctx context.Context, companyID, cursor string, limit int) (devhub.Page[*devhub.App], error)
	// ListAppsByStatus lists every company's apps in status (review: also
	// approved apps whose pending changes wait for a reviewer). Errors: EMALFORMED.
	ListAppsByStatus(ctx context.Context, status devhub.AppStatus, cursor string, limit int) (devhub.Page[*devhub.App], error)
	// ListMarketplace lists every company's listed apps (devhub.App.Listed),
	// pending changes or not, oldest change first. Errors: EMALFORMED.
	ListMarketplace(ctx context.Context, cursor string, limit int) (devhub.Page[*devhub.App], error)
	// UpdateApp errors: ENOTFOUND, ECONFLICT (version moved since read; it
	// then also matches devhub.ErrStale).
	UpdateApp(ctx context.Context, next *devhub.App, readVersion int) error
	// UpdateAppRemembering is UpdateApp with an Idempotency-Key's record
	// written atomically; when the key was used before it writes nothing and
	// returns the earlier record. Errors: as UpdateApp.
	UpdateAppRemembering(ctx context.Context, next *devhub.App, readVersion int, rec *devhub.Idempotency) (*devhub.Idempotency, error)
	// DeleteApp errors: ENOTFOUND, ECONFLICT (devhub.ErrStale).
	DeleteApp(ctx context.Context, a *devhub.App, reason, by string) error
}

// Prober checks that a callback URL reaches a working public server
// (internal/probe). It never fails: every outcome is a health, which is not
// OK when the server did not answer well (its Error says why, in words
// that may be shown to the developer). The duration is the time until the
// answer's headers, 0 when there was none.
type Prober interface {
	CheckCallback(ctx context.Context, rawURL string) (devhub.CallbackHealth, time.Duration)
}

// PageRequest asks for one page of a list: Limit items (1–100; adapters
// check the range, 0 means 20) after Cursor ("" for the first page).
type PageRequest struct {
	Limit  int
	Cursor string
}

func (p PageRequest) limit() int {
	if p.Limit <= 0 {
		return 20
	}
	return p.Limit
}

// IfMatch is the caller's condition on the version of what it changes
// (HTTP If-Match; a console form's hidden version). The zero value sets no
// condition. When Given, the current version must be one of Versions (or
// Any), else EPRECONDITION; and a write that then loses a race to another
// is EPRECONDITION too, rather than ECONFLICT: the version the caller named
// is no longer current.
type IfMatch struct {
	Given    bool
	Any      bool
	Versions []int
}

// AtVersion is the condition "the current version is v".
func AtVersion(v int) IfMatch { return IfMatch{Given: true, Versions: []int{v}} }

// check enforces m against the current version. It reports whether a
// condition was given.
func (m IfMatch) check(version int) (bool, error) {
	if !m.Given {
		return false, nil
	}
	if m.Any {
		return true, nil
	}
	for _, v := range m.Versions {
		if v == version {
			return true, nil
		}
	}
	return true, devhub.Errorf(devhub.EPRECONDITION, "If-Match does not match the current version (ETag %s).", `"`+strconv.Itoa(version)+`"`)
}

// preconditionIfConditional reports a write that lost to a concurrent
// change as EPRECONDITION to a caller that gave a condition: the version it
// named is no longer current. A lost limit (a full slot) stays ECONFLICT.
func preconditionIfConditional(err error, conditional bool) error {
	if conditional && errors.Is(err, devhub.ErrStale) {
		return devhub.Errorf(devhub.EPRECONDITION, "If-Match no longer matches: the resource changed meanwhile.")
	}
	return err
}

// Identifier shapes: anything else cannot exist, so it is "not found"
// without a round trip.
var (
	appIDPattern = regexp.MustCompile(`^app_[0-9a-v]{26}$`)
)

// CheckDeveloper is the gate of every developer use case: only users of
// sandbox companies may use the Developer Hub. Errors: EFORBIDDEN. Each use
// case checks it itself; an adapter may call it first too, to refuse such a
// caller before it reads the request (and to pick a page).
func CheckDeveloper(id devhub.Identity) error { return id.CanDevelop() }

// CheckReviewer is the gate of the reviewer use cases (the review queue,
// approve, reject). Errors: EFORBIDDEN.
func CheckReviewer(id devhub.Identity) error {
	if !id.HasRole(devhub.RoleReviewer) {
		return devhub.Errorf(devhub.EFORBIDDEN, "Only marketplace reviewers see the review queue.")
	}
	return nil
}

// CheckMove is the gate of a status move: reviewers approve and reject,
// developers make the other moves. Errors: EFORBIDDEN.
func CheckMove(id devhub.Identity, m devhub.Move) error {
	if reviewerMove(m) {
		if !id.HasRole(devhub.RoleReviewer) {
			return devhub.Errorf(devhub.EFORBIDDEN, "Only marketplace reviewers may %s apps.", m)
		}
		return nil
	}
	return id.CanDevelop()
}

func reviewerMove(m devhub.Move) bool { return m == devhub.MoveApprove || m == devhub.MoveReject }

// ownApp returns app appID, provided the caller may develop and the app is
// its company's: one GetItem. Another company's app is "not found": its
// existence is not revealed.
func (h *Hub) ownApp(ctx context.Context, id devhub.Identity, appID string) (*devhub.App, error) {
	if err := id.CanDevelop(); err != nil {
		return nil, err
	}
	if !appIDPattern.MatchString(appID) {
		return nil, errNoApp(appID)
	}
	a, err := h.Apps.GetApp(ctx, appID)
	if err != nil {
		return nil, err
	}
	if !a.OwnedBy(id.CompanyID) {
		return nil, errNoApp(appID)
	}
	return a, nil
}

// errNoApp is the answer for an app that is missing or not the caller's:
// the two must not be told apart.
func errNoApp(appID string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "App %q was not found.", truncate(appID, 64))
}

// forCaller returns a as the caller may see it: the client secrets only for
// the owner company (a reviewer sees other companies' apps).
func forCaller(a *devhub.App, id devhub.Identity) *devhub.App {
	if a.OwnedBy(id.CompanyID) {
		return a
	}
	c := *a
	c.ClientSecret, c.PreviousClientSecret = "", ""
	return &c
}

func pageForCaller(p devhub.Page[*devhub.App], id devhub.Identity) devhub.Page[*devhub.App] {
	for i, a := range p.Items {
		p.Items[i] = forCaller(a, id)
	}
	return p
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
