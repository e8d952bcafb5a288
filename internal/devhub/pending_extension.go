package devhub

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"time"
)

// PendingOp is what a held extension write does once approved.
type PendingOp string

const (
	PendingCreate PendingOp = "create"
	PendingUpdate PendingOp = "update"
	PendingDelete PendingOp = "delete"
)

// Bounds on an app's pending extension writes, which live in the app item
// (DynamoDB caps an item at 400 KB; schemas alone may be 32 KiB each).
const (
	MaxPendingExtensionOps   = 26
	MaxPendingExtensionBytes = 192 << 10
)

// ErrHeldForReview tells a store's caller that an extension write was not
// made because the app is an approved public app: the write must be held as
// a pending change instead (App.HoldExtension).
var ErrHeldForReview = errors.New("devhub: extension writes of an approved public app are held for review")

// PendingExtension is one extension write held on an approved public app
// until a reviewer approves the app's pending changes. A second write to the
// same extension folds into the first: create+update is a create of the new
// state, create+delete nothing, update+delete a delete.
type PendingExtension struct {
	Op PendingOp `json:"op"`
	ID string    `json:"id"`
	// Extension is the full next state (create, update); its secrets are
	// hidden from JSON like every Extension's, so stores keep them explicitly.
	Extension *Extension `json:"extension,omitempty"`
	// BaseVersion is the live extension's version the write was made
	// against (update, delete): the merge is conditioned on it.
	BaseVersion int `json:"-"`
	// LiveSlots are the keys of the slots the live extension holds (update,
	// delete): the merge gives back those the next state does not hold.
	LiveSlots []string `json:"-"`
}

// HoldsExtensionWrites reports whether extension writes on a are held as
// pending changes: a is a public app past review.
func (a *App) HoldsExtensionWrites() bool { return a.approved() }

// EffectiveExtensions returns live with a's pending extension writes
// applied, in the order of live then pending creations.
func (a *App) EffectiveExtensions(live []*Extension) []*Extension {
	out := slices.Clone(live)
	if a.PendingChanges == nil {
		return out
	}
	for _, op := range a.PendingChanges.Extensions {
		i := slices.IndexFunc(out, func(e *Extension) bool { return e.ID == op.ID })
		switch {
		case op.Op == PendingDelete && i >= 0:
			out = slices.Delete(out, i, i+1)
		case op.Op != PendingDelete && i >= 0:
			out[i] = op.Extension
		case op.Op != PendingDelete:
			out = append(out, op.Extension)
		}
	}
	return out
}

// HoldExtension returns a copy of a, with Version and UpdatedAt moved on,
// whose pending changes hold the write of extension id: next is its new
// state, nil to delete it. live is the app's live extensions. The write is
// refused with ECONFLICT while pending changes are in review, when the
// pending writes would exceed their bounds, or when the extensions with
// every pending write applied would exceed a per-app limit (such a write
// could never be merged).
func (a *App) HoldExtension(live []*Extension, id string, next *Extension, now time.Time) (*App, *PendingExtension, error) {
	nextApp, ops, err := a.HoldExtensions(live, []HeldWrite{{ID: id, Next: next}}, now)
	if err != nil {
		return nil, nil, err
	}
	return nextApp, &ops[0], nil
}

// HeldWrite is one extension write to hold: Next is the extension's new
// state, nil to delete it.
type HeldWrite struct {
	ID   string
	Next *Extension
}

// HoldExtensions is HoldExtension for several writes at once (a manifest's):
// they are folded in order, and the bounds and limits are checked once, on
// the result, so that a swap (one panel leaves a location that another
// takes) is not refused halfway. It returns the held operation of each write.
func (a *App) HoldExtensions(live []*Extension, writes []HeldWrite, now time.Time) (*App, []PendingExtension, error) {
	if !a.approved() {
		return nil, nil, Errorf(EINVALID, "Only an approved public app holds extension writes for review.")
	}
	if a.PendingChanges != nil && a.PendingChanges.InReview {
		return nil, nil, Errorf(ECONFLICT, "Pending changes are in review: wait for the reviewer's decision before changing extensions again.")
	}
	p := PendingChanges{}
	if a.PendingChanges != nil {
		p = *a.PendingChanges
	}
	p.Extensions = slices.Clone(p.Extensions)
	held := make([]PendingExtension, 0, len(writes))
	for _, w := range writes {
		held = append(held, p.hold(live, w.ID, w.Next))
	}
	if len(p.Extensions) > MaxPendingExtensionOps {
		return nil, nil, Errorf(ECONFLICT, "The app already holds %d pending extension changes, the most it may hold: send them to review first.", MaxPendingExtensionOps)
	}
	size := 0
	for _, o := range p.Extensions {
		size += o.size()
	}
	if size > MaxPendingExtensionBytes {
		return nil, nil, Errorf(ECONFLICT, "The app's pending extension changes would take %d bytes, more than the %d they may take: send them to review first.", size, MaxPendingExtensionBytes)
	}
	nextApp := a.clone()
	nextApp.Version, nextApp.UpdatedAt = a.Version+1, now.UTC()
	nextApp.PendingChanges = &p
	if err := checkSlots(nextApp.EffectiveExtensions(live)); err != nil {
		return nil, nil, err
	}
	p.SlotCounts = map[string]int{}
	for _, e := range live {
		for _, sl := range e.Slots() {
			p.SlotCounts[sl.Key]++
		}
	}
	if p.empty() {
		nextApp.PendingChanges = nil
	}
	return nextApp, held, nil
}

// hold folds the write of extension id (next nil: delete) into p's pending
// extension writes and returns the operation it holds.
func (p *PendingChanges) hold(live []*Extension, id string, next *Extension) PendingExtension {
	var liveExt *Extension
	for _, e := range live {
		if e.ID == id {
			liveExt = e
		}
	}
	op := PendingExtension{ID: id, Extension: next}
	switch {
	case liveExt == nil && next == nil:
		op.Op = PendingDelete // folds a pending create away
	case liveExt == nil:
		op.Op = PendingCreate
	default:
		op.Op, op.BaseVersion = PendingUpdate, liveExt.Version
		if next == nil {
			op.Op = PendingDelete
		}
		for _, s := range liveExt.Slots() {
			op.LiveSlots = append(op.LiveSlots, s.Key)
		}
	}
	i := slices.IndexFunc(p.Extensions, func(o PendingExtension) bool { return o.ID == id })
	switch {
	case liveExt == nil && next == nil:
		if i >= 0 {
			p.Extensions = slices.Delete(p.Extensions, i, i+1)
		}
	case i >= 0:
		p.Extensions[i] = op
	default:
		p.Extensions = append(p.Extensions, op)
	}
	return op
}

// checkSlots refuses a set of extensions that exceeds a per-app limit.
func checkSlots(exts []*Extension) error {
	count := map[string]int{}
	for _, e := range exts {
		for _, s := range e.Slots() {
			if count[s.Key]++; count[s.Key] > s.Max {
				return s.Conflict()
			}
		}
	}
	return nil
}

func (p *PendingChanges) empty() bool {
	return p.CallbackURL == nil && p.Scopes == nil && p.InstallationURL == nil && len(p.Extensions) == 0
}

// size is roughly how many bytes op takes in a store: its documents and
// strings, plus a fixed allowance for names and numbers.
func (op PendingExtension) size() int {
	n := 256 + len(op.ID) + 32*len(op.LiveSlots)
	if e := op.Extension; e != nil {
		n += len(e.Key) + len(e.Name) + len(e.Description) + len(e.URL) + len(e.APIEndpoint) + len(e.IframeURL) +
			len(e.JSONSchema) + len(e.DataStructure) + len(e.JWTSecret) + len(e.SettingsKind) + 256
		for _, l := range [][]string{e.Locations, e.EntryPoints, e.Warnings} {
			for _, s := range l {
				n += len(s) + 8
			}
		}
		if e.HTTPAuth != nil {
			n += len(e.HTTPAuth.Username) + len(e.HTTPAuth.Password)
		}
	}
	return n
}

// SlotDelta is how many units of a slot a merge takes (N > 0) or gives back
// (N < 0).
type SlotDelta struct {
	Slot Slot
	N    int
}

// ExtensionSlotDeltas returns the aggregate slot changes of merging the
// pending extension writes: those that take units, then those that give
// units back, each sorted by key, without zero changes.
func (p *PendingChanges) ExtensionSlotDeltas() (acquire, release []SlotDelta) {
	delta, slot := map[string]int{}, map[string]Slot{}
	for _, op := range p.Extensions {
		for _, k := range op.LiveSlots {
			delta[k]--
			if _, ok := slot[k]; !ok {
				slot[k] = Slot{Key: k}
			}
		}
		if op.Op != PendingDelete && op.Extension != nil {
			for _, s := range op.Extension.Slots() {
				delta[s.Key]++
				slot[s.Key] = s
			}
		}
	}
	for k, n := range delta {
		switch {
		case n > 0:
			acquire = append(acquire, SlotDelta{slot[k], n})
		case n < 0:
			release = append(release, SlotDelta{slot[k], -n})
		}
	}
	byKey := func(list []SlotDelta) {
		sort.Slice(list, func(i, j int) bool { return strings.Compare(list[i].Slot.Key, list[j].Slot.Key) < 0 })
	}
	byKey(acquire)
	byKey(release)
	return acquire, release
}
