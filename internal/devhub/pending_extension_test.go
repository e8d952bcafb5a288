package devhub

import (
	"testing"
	"time"
)

func TestHoldExtensionFolds(t *testing.T) {
	now := time.Now()
	a := &App{ID: "app_1", Type: AppPublic, Status: StatusPublished, Version: 3}
	live := &Extension{ID: "ext_live", AppID: "app_1", Type: ExtFloatingWindow, Version: 2}
	fresh := &Extension{ID: "ext_new", AppID: "app_1", Type: ExtLinkAction, Locations: []string{ViewDealDetails}, JWTSecret: "s3cret-s3cret-s3cret", Version: 1}

	next, op, err := a.HoldExtension([]*Extension{live}, fresh.ID, fresh, now)
	if err != nil || op.Op != PendingCreate || next.Version != 4 || len(next.PendingChanges.Extensions) != 1 {
		t.Fatalf("create: %v %+v", err, op)
	}
	next, op, err = next.HoldExtension([]*Extension{live}, live.ID, nil, now)
	if err != nil || op.Op != PendingDelete || op.BaseVersion != 2 || len(op.LiveSlots) != 1 {
		t.Fatalf("delete: %v %+v", err, op)
	}
	acquire, release := next.PendingChanges.ExtensionSlotDeltas()
	if len(acquire) != 2 || len(release) != 1 || release[0].Slot.Key != slotFloatingWindow || release[0].N != 1 {
		t.Errorf("deltas: %+v %+v", acquire, release)
	}
	// create+delete leaves nothing of the creation; then update+delete is a delete.
	next, _, err = next.HoldExtension([]*Extension{live}, fresh.ID, nil, now)
	if err != nil || len(next.PendingChanges.Extensions) != 1 {
		t.Fatalf("create+delete: %v %+v", err, next.PendingChanges)
	}
	// A second floating window fits only while the live one's deletion is pending.
	second := &Extension{ID: "ext_2", AppID: "app_1", Type: ExtFloatingWindow, Version: 1}
	if _, _, err := next.HoldExtension([]*Extension{live}, second.ID, second, now); err != nil {
		t.Errorf("second window with the first deleted: %v", err)
	}
	if _, _, err := a.HoldExtension([]*Extension{live}, second.ID, second, now); ErrorCode(err) != ECONFLICT {
		t.Errorf("second window: %v", err)
	}
	// Undoing every write leaves no pending changes.
	back, _, err := next.HoldExtension([]*Extension{live}, live.ID, live, now)
	if err != nil || back.PendingChanges == nil {
		t.Fatalf("update: %v", err)
	}
	inReview := *next
	p := *next.PendingChanges
	p.InReview = true
	inReview.PendingChanges = &p
	if _, _, err := inReview.HoldExtension([]*Extension{live}, fresh.ID, fresh, now); ErrorCode(err) != ECONFLICT {
		t.Errorf("in review: %v", err)
	}
	draft := &App{ID: "app_1", Type: AppPublic, Status: StatusDraft}
	if draft.HoldsExtensionWrites() || !a.HoldsExtensionWrites() {
		t.Error("HoldsExtensionWrites")
	}
}

func TestHoldExtensionBounds(t *testing.T) {
	a := &App{ID: "app_1", Type: AppPublic, Status: StatusUnpublished, Version: 1}
	big := make([]byte, MaxSchemaBytes-100)
	for i := range big {
		big[i] = ' '
	}
	big[0], big[len(big)-1] = '{', '}'
	var err error
	for i := 0; i < 7 && err == nil; i++ {
		x := &Extension{ID: NewID("ext_"), AppID: a.ID, Type: ExtJSONModal, JSONSchema: big, Version: 1}
		a, _, err = a.HoldExtension(nil, x.ID, x, time.Now())
	}
	if ErrorCode(err) != ECONFLICT {
		t.Errorf("size bound: %v", err)
	}
}
