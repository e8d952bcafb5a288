package devhub_test

import (
	"slices"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

func TestMoves(t *testing.T) {
	pending := &devhub.PendingChanges{Scopes: []string{"base", "deals:read"}}
	inReview := &devhub.PendingChanges{Scopes: []string{"base"}, InReview: true}
	for _, c := range []struct {
		typ     devhub.AppType
		status  devhub.AppStatus
		pending *devhub.PendingChanges
		want    []devhub.Move
	}{
		{devhub.AppPrivate, devhub.StatusDraft, nil, []devhub.Move{devhub.MoveLive}},
		{devhub.AppPrivate, devhub.StatusLive, nil, nil},
		{devhub.AppPublic, devhub.StatusDraft, nil, []devhub.Move{devhub.MoveReview}},
		{devhub.AppPublic, devhub.StatusReview, nil, []devhub.Move{devhub.MoveApprove, devhub.MoveReject}},
		{devhub.AppPublic, devhub.StatusUnpublished, nil, []devhub.Move{devhub.MovePublish}},
		{devhub.AppPublic, devhub.StatusPublished, nil, []devhub.Move{devhub.MoveUnpublish}},
		{devhub.AppPublic, devhub.StatusPublished, pending, []devhub.Move{devhub.MoveUnpublish, devhub.MoveReview}},
		{devhub.AppPublic, devhub.StatusUnpublished, inReview, []devhub.Move{devhub.MovePublish, devhub.MoveApprove, devhub.MoveReject}},
	} {
		a := &devhub.App{Type: c.typ, Status: c.status, PendingChanges: c.pending}
		if got := a.Moves(); !slices.Equal(got, c.want) {
			t.Errorf("%s %s (pending %v): got %v, want %v", c.typ, c.status, c.pending != nil, got, c.want)
		}
	}
}

func TestApplyMove(t *testing.T) {
	owner := devhub.Identity{UserID: "u", CompanyID: "c", Sandbox: true}
	rev := devhub.Identity{UserID: "r", CompanyID: "p", Roles: []string{devhub.RoleReviewer}}
	now := time.Now()
	ok := &devhub.CallbackHealth{OK: true}
	a := &devhub.App{ID: "app_x", Type: devhub.AppPrivate, Status: devhub.StatusDraft, OwnerCompanyID: "c",
		CallbackURL: "https://example.com/cb", Scopes: []string{"base"}, Version: 3}
	for _, c := range []struct {
		name string
		m    devhub.Move
		in   devhub.MoveInput
		code string
	}{
		{"ErrReviewerMove", devhub.MoveApprove, devhub.MoveInput{By: owner, Now: now}, devhub.EFORBIDDEN},
		{"ErrOtherCompany", devhub.MoveLive, devhub.MoveInput{By: devhub.Identity{CompanyID: "x", Sandbox: true}, Health: ok, Now: now}, devhub.EFORBIDDEN},
		{"ErrReviewerOwnsNothing", devhub.MoveLive, devhub.MoveInput{By: rev, Health: ok, Now: now}, devhub.EFORBIDDEN},
		{"ErrNoProbe", devhub.MoveLive, devhub.MoveInput{By: owner, Now: now}, devhub.EINVALID},
		{"ErrProbeFailed", devhub.MoveLive, devhub.MoveInput{By: owner, Health: &devhub.CallbackHealth{StatusCode: 503}, Now: now}, devhub.EINVALID},
		{"ErrNotAllowed", devhub.MovePublish, devhub.MoveInput{By: owner, Now: now}, devhub.EINVALID},
		{"OK", devhub.MoveLive, devhub.MoveInput{By: owner, Health: ok, Now: now}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			next, err := a.Apply(c.m, c.in)
			if got := devhub.ErrorCode(err); got != c.code {
				t.Fatalf("got %q (%v), want %q", got, err, c.code)
			}
			if err == nil && (next.Status != devhub.StatusLive || next.Version != 4 || a.Status != devhub.StatusDraft) {
				t.Errorf("next %+v, original %+v", next, a)
			}
		})
	}
}

func TestHoldCritical(t *testing.T) {
	now := time.Now()
	a := &devhub.App{ID: "app_x", Type: devhub.AppPublic, Status: devhub.StatusPublished, Name: "N", OwnerCompanyID: "c",
		CallbackURL: "https://example.com/cb", Scopes: []string{"base"}, Version: 1}
	var patch devhub.AppPatch
	patch.CallbackURL = devhub.Optional[string]{Set: true, Value: "https://example.com/cb"}
	patch.Name = devhub.Optional[string]{Set: true, Value: "M"}
	next, err := patch.Apply(a, now)
	if err != nil || next.PendingChanges != nil || next.Name != "M" {
		t.Errorf("an unchanged critical field made pending changes: %+v %v", next, err)
	}
	patch.CallbackURL.Value = "https://example.com/new"
	next, err = patch.Apply(a, now)
	if err != nil || next.PendingChanges == nil || *next.PendingChanges.CallbackURL != "https://example.com/new" || next.CallbackURL != a.CallbackURL {
		t.Errorf("got %+v %v", next, err)
	}
	// Changing it back drops the pending change.
	patch.CallbackURL.Value = a.CallbackURL
	next, err = patch.Apply(next, now)
	if err != nil || next.PendingChanges != nil {
		t.Errorf("got %+v %v", next.PendingChanges, err)
	}
}

func TestHTTPSPastDraft(t *testing.T) {
	a := &devhub.App{ID: "app_x", Type: devhub.AppPrivate, Status: devhub.StatusLive, Name: "N", OwnerCompanyID: "c",
		CallbackURL: "https://example.com/cb", Scopes: []string{"base"}, Version: 1}
	var patch devhub.AppPatch
	patch.CallbackURL = devhub.Optional[string]{Set: true, Value: "http://example.com/cb"}
	if _, err := patch.Apply(a, time.Now()); devhub.ErrorCode(err) != devhub.EINVALID {
		t.Errorf("http callback on a live app: got %v", err)
	}
	a.Status = devhub.StatusDraft
	if _, err := patch.Apply(a, time.Now()); err != nil {
		t.Errorf("http callback on a draft: %v", err)
	}
}
