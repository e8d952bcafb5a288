package httpapi_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

// approvedApp returns a public app past review (unpublished) with the live
// extensions made before it went to review.
func approvedApp(t *testing.T, e *env, base string, live ...devhub.ExtensionType) (devhub.App, []extension) {
	t.Helper()
	a := e.createApp(t, alice, map[string]any{"type": "public", "name": "Held", "callback_url": base + "/ok", "listing": completeListing(base)})
	var xs []extension
	for _, typ := range live {
		xs = append(xs, e.createExtension(t, alice, a.ID, validExtension(typ)))
	}
	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK)
	e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusOK).decode(t, &a)
	if a.Status != devhub.StatusUnpublished {
		t.Fatalf("status %s", a.Status)
	}
	return a, xs
}

// pendingView is the app's pending extension writes as the wire shows them.
type pendingView struct {
	Version        int `json:"version"`
	PendingChanges *struct {
		InReview   bool `json:"in_review"`
		Extensions []struct {
			Op        string     `json:"op"`
			ID        string     `json:"id"`
			Extension *extension `json:"extension"`
		} `json:"extensions"`
	} `json:"pending_changes"`
}

func (e *env) pending(t *testing.T, appID string) pendingView {
	t.Helper()
	var v pendingView
	noSecrets(t, e.do(t, "GET", "/v1/apps/"+appID, &alice, nil)).want(t, http.StatusOK).decode(t, &v)
	return v
}

func liveIDs(l []extension) []string {
	ids := make([]string, len(l))
	for i, x := range l {
		ids[i] = x.ID
	}
	slices.Sort(ids)
	return ids
}

func TestPendingExtensions(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	a, live := approvedApp(t, e, base, devhub.ExtLinkAction, devhub.ExtFloatingWindow)
	link, floating := live[0], live[1]
	wantLive := liveIDs(live)

	type held struct {
		Op         string     `json:"op"`
		ID         string     `json:"id"`
		Extension  *extension `json:"extension"`
		AppVersion int        `json:"app_version"`
	}
	hold := func(t *testing.T, method, path, body string, hdr ...string) held {
		t.Helper()
		var h held
		var b any
		if body != "" {
			b = body
		}
		noSecrets(t, e.do(t, method, path, &alice, b, hdr...)).want(t, http.StatusAccepted).decode(t, &h)
		return h
	}

	// Held writes: one of each kind, a create folded away, and a floating
	// window that fits only because the live one's deletion is pending.
	var created held
	t.Run("Hold", func(t *testing.T) {
		e.meter.Reset()
		created = hold(t, "POST", extPath(a.ID), `{"type":"link_action","name":"Send invoice","url":"https://example.com/i",`+
			`"locations":["deal_details"],"jwt_secret":"`+extJWTSecret2+`"}`)
		if created.Op != "create" || created.Extension == nil || !created.Extension.JWTSecretSet {
			t.Errorf("create: %+v", created)
		}
		if got := e.meter.Calls(); !maps.Equal(got, map[string]int{"TransactWriteItems": 2, "Query": 1}) {
			t.Errorf("create round trips: %v", got)
		}
		e.meter.Reset()
		h := hold(t, "PATCH", extPath(a.ID, link.ID), `{"name":"Send quote now"}`, "If-Match", `"1"`)
		if h.Op != "update" || h.Extension.Name != "Send quote now" || !h.Extension.JWTSecretSet {
			t.Errorf("update: %+v", h)
		}
		if got := e.meter.Calls(); !maps.Equal(got, map[string]int{"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}) {
			t.Errorf("update round trips: %v", got)
		}
		// A second write of the same extension folds into the first.
		h = hold(t, "PATCH", extPath(a.ID, created.ID), `{"name":"Send invoices"}`)
		if h.Op != "create" || h.Extension.Name != "Send invoices" {
			t.Errorf("create+update: %+v", h)
		}
		if h := hold(t, "DELETE", extPath(a.ID, floating.ID), ""); h.Op != "delete" {
			t.Errorf("delete: %+v", h)
		}
		modal := hold(t, "POST", extPath(a.ID), `{"type":"custom_modal","name":"Call","iframe_url":"https://example.com/c"}`)
		hold(t, "DELETE", extPath(a.ID, modal.ID), "")
		hold(t, "POST", extPath(a.ID), `{"type":"floating_window","name":"Phone","description":"Calls","iframe_url":"https://example.com/p"}`)
	})
	t.Run("ErrWouldExceedLimit", func(t *testing.T) {
		res := e.do(t, "POST", extPath(a.ID), &alice, `{"type":"floating_window","name":"Phone 2","description":"Calls","iframe_url":"https://example.com/p"}`)
		res.want(t, http.StatusConflict)
		e.do(t, "PATCH", extPath(a.ID, floating.ID), &alice, `{"name":"Gone"}`).want(t, http.StatusNotFound)
		e.do(t, "PATCH", extPath(a.ID, link.ID), &alice, `{"name":"x"}`, "If-Match", `"1"`).want(t, http.StatusPreconditionFailed)
	})
	t.Run("LiveStateServes", func(t *testing.T) {
		if got := liveIDs(e.listExtensions(t, alice, a.ID)); !slices.Equal(got, wantLive) {
			t.Errorf("live: got %v, want %v", got, wantLive)
		}
		var x extension
		e.do(t, "GET", extPath(a.ID, link.ID), &alice, nil).want(t, http.StatusOK).decode(t, &x)
		if x.Name != "Send quote" || x.Version != 1 {
			t.Errorf("live link action: %+v", x)
		}
		e.do(t, "GET", extPath(a.ID, created.ID), &alice, nil).want(t, http.StatusNotFound)
	})
	v := e.pending(t, a.ID)
	if v.PendingChanges == nil || len(v.PendingChanges.Extensions) != 4 {
		t.Fatalf("pending: %+v", v.PendingChanges)
	}
	ops := map[string]string{}
	for _, op := range v.PendingChanges.Extensions {
		ops[op.ID] = op.Op
		if op.ID == created.ID && (op.Extension == nil || !op.Extension.JWTSecretSet) {
			t.Errorf("pending create shows no jwt_secret_set: %+v", op.Extension)
		}
	}
	if ops[created.ID] != "create" || ops[link.ID] != "update" || ops[floating.ID] != "delete" {
		t.Errorf("ops: %v", ops)
	}

	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK)
	t.Run("ErrInReview", func(t *testing.T) {
		e.do(t, "POST", extPath(a.ID), &alice, validExtension(devhub.ExtCustomModal)).want(t, http.StatusConflict)
		e.do(t, "DELETE", extPath(a.ID, link.ID), &alice, nil).want(t, http.StatusConflict)
	})
	e.meter.Reset()
	var got devhub.App
	e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusOK).decode(t, &got)
	if calls := e.meter.Calls(); !maps.Equal(calls, map[string]int{"GetItem": 1, "TransactWriteItems": 1}) {
		t.Errorf("approve round trips: %v", calls)
	}
	if got.PendingChanges != nil {
		t.Errorf("pending after approval: %+v", got.PendingChanges)
	}
	l := e.listExtensions(t, alice, a.ID)
	byType := map[string]extension{}
	for _, x := range l {
		byType[x.Type+"/"+x.Name] = x
	}
	if len(l) != 3 || byType["link_action/Send quote now"].ID != link.ID || byType["link_action/Send invoices"].ID != created.ID ||
		byType["floating_window/Phone"].ID == "" || !byType["link_action/Send invoices"].JWTSecretSet {
		t.Errorf("merged: %+v", l)
	}
	// The slot counters moved with the merge: the app is full of floating
	// windows, and a held write on the full slot is refused.
	e.do(t, "POST", extPath(a.ID), &alice, `{"type":"floating_window","name":"Phone 3","description":"Calls","iframe_url":"https://example.com/p"}`).
		want(t, http.StatusConflict)
}

func TestPendingExtensionsRejected(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	a, live := approvedApp(t, e, base, devhub.ExtJSONPanel)
	e.do(t, "PATCH", extPath(a.ID, live[0].ID), &alice, map[string]any{"http_auth": map[string]string{"password": panelPassword2}}).
		want(t, http.StatusAccepted)
	e.do(t, "POST", extPath(a.ID), &alice, validExtension(devhub.ExtSettingsPage)).want(t, http.StatusAccepted)
	if v := e.pending(t, a.ID); v.PendingChanges == nil || len(v.PendingChanges.Extensions) != 2 {
		t.Fatalf("pending: %+v", v.PendingChanges)
	}
	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK)
	e.move(t, reviewer, a.ID, "reject", `{"reason":"Panel breaks the deal page"}`).want(t, http.StatusOK)
	if v := e.pending(t, a.ID); v.PendingChanges != nil {
		t.Errorf("rejected changes kept: %+v", v.PendingChanges)
	}
	if got := liveIDs(e.listExtensions(t, alice, a.ID)); !slices.Equal(got, liveIDs(live)) {
		t.Errorf("live after rejection: %v", got)
	}
	// Published, the app still holds writes; a private live app does not.
	e.move(t, alice, a.ID, "publish", nil).want(t, http.StatusOK)
	e.do(t, "DELETE", extPath(a.ID, live[0].ID), &alice, nil).want(t, http.StatusAccepted)
	p := e.createApp(t, alice, map[string]any{"type": "private", "name": "Private", "callback_url": base + "/ok"})
	e.move(t, alice, p.ID, "live", nil).want(t, http.StatusOK)
	x := e.createExtension(t, alice, p.ID, validExtension(devhub.ExtCustomModal))
	e.do(t, "DELETE", extPath(p.ID, x.ID), &alice, nil).want(t, http.StatusNoContent)
	if strings.Contains(a.ClientSecret, panelPassword2) {
		t.Fail()
	}
}

// TestHeldCreateIdempotent: a retried POST of a held create replays the
// first answer instead of holding a second create.
func TestHeldCreateIdempotent(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	a, _ := approvedApp(t, e, base)
	body := `{"type":"link_action","name":"Send quote","url":"https://example.com/q","locations":["deal_details"]}`
	first := e.do(t, "POST", extPath(a.ID), &alice, body, "Idempotency-Key", "held-1").want(t, http.StatusAccepted)
	again := e.do(t, "POST", extPath(a.ID), &alice, body, "Idempotency-Key", "held-1").want(t, http.StatusAccepted)
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %s vs %s", again.Body, first.Body)
	}
	if p := e.pending(t, a.ID); p.PendingChanges == nil || len(p.PendingChanges.Extensions) != 1 {
		t.Errorf("pending: %+v", p.PendingChanges)
	}
	e.do(t, "POST", extPath(a.ID), &alice, strings.Replace(body, "Send", "Make", 1), "Idempotency-Key", "held-1").
		want(t, http.StatusUnprocessableEntity)
}

// TestMergeRefusedWhenSlotMoved: if a slot's count changed after the write
// was held (here forced directly in the table, as a concurrent write would),
// approval is refused and nothing of the merge is written.
func TestMergeRefusedWhenSlotMoved(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	a, _ := approvedApp(t, e, base)
	e.do(t, "POST", extPath(a.ID), &alice, validExtension(devhub.ExtFloatingWindow)).want(t, http.StatusAccepted)
	e.move(t, alice, a.ID, "review", nil).want(t, http.StatusOK)
	db := dynamotest.Client(t)
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.store.Table()),
		Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "APP#" + a.ID}, "SK": &types.AttributeValueMemberS{Value: "SLOT#floating_window"},
			"type": &types.AttributeValueMemberS{Value: "slot"}, "version": &types.AttributeValueMemberN{Value: "1"},
			"count": &types.AttributeValueMemberN{Value: "1"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.move(t, reviewer, a.ID, "approve", nil).want(t, http.StatusConflict)
	var live struct{ Data []extension }
	e.do(t, "GET", extPath(a.ID), &alice, nil).want(t, http.StatusOK).decode(t, &live)
	if p := e.pending(t, a.ID); len(live.Data) != 0 || p.PendingChanges == nil || !p.PendingChanges.InReview {
		t.Errorf("a refused merge changed something: live %d, pending %+v", len(live.Data), p.PendingChanges)
	}
}
