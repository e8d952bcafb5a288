package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

func newExtension(t *testing.T, app *devhub.App, in devhub.NewExtensionInput) *devhub.Extension {
	t.Helper()
	e, err := devhub.NewExtension(in, app, jsonschema.New(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func linkAction(views ...string) devhub.NewExtensionInput {
	return devhub.NewExtensionInput{Type: devhub.ExtLinkAction, Name: "Send quote", URL: "https://example.com/q", Locations: views}
}

// slotCount reads a slot counter item directly: the store has no method
// for it, since only its conditions ever need it.
func slotCount(t *testing.T, s *dynamo.Store, appID, slot string) int {
	t.Helper()
	out, err := dynamotest.Client(t).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(s.Table()), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "APP#" + appID},
			"SK": &types.AttributeValueMemberS{Value: "SLOT#" + slot},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return 0
	}
	if typ := out.Item["type"].(*types.AttributeValueMemberS).Value; typ != "slot" {
		t.Errorf("slot item type %q", typ)
	}
	n, _ := strconv.Atoi(out.Item["count"].(*types.AttributeValueMemberN).Value)
	return n
}

func TestExtensions(t *testing.T) {
	var meter dynamo.Meter
	s := dynamotest.MustOpenStore(t, meter.Option)
	ctx := context.Background()
	app := newApp(t, "c1", time.Now())
	if _, err := s.CreateApp(ctx, app, nil); err != nil {
		t.Fatal(err)
	}
	panel := newExtension(t, app, devhub.NewExtensionInput{
		Type: devhub.ExtJSONPanel, Name: "Deliveries", APIEndpoint: "https://example.com/panel",
		DataStructure: json.RawMessage(`{"type":"object","required":["id"],"properties":{"id":{"$ref":"#/definitions/numerical"}}}`),
		Locations:     []string{devhub.ViewDealDetails}, JWTSecret: "a-jwt-secret-of-32-characters!!!",
		HTTPAuth: &devhub.HTTPAuthInput{Username: "platform", Password: "s3cret-password"},
	})

	t.Run("CreateGet", func(t *testing.T) {
		meter.Reset()
		if prev, err := s.CreateExtension(ctx, "c1", panel, nil); err != nil || prev != nil {
			t.Fatalf("got %v, %v", prev, err)
		}
		if got := meter.Total(); got != 1 {
			t.Errorf("create: got %d round trips, want 1", got)
		}
		meter.Reset()
		gotApp, got, err := s.GetExtension(ctx, "c1", app.ID, panel.ID)
		if err != nil {
			t.Fatal(err)
		}
		if calls := meter.Calls(); meter.Total() != 1 || calls["BatchGetItem"] != 1 {
			t.Errorf("get: got %v, want one BatchGetItem", calls)
		}
		// The secrets the JSON encoding hides are stored all the same.
		if got.JWTSecret != panel.JWTSecret || got.HTTPAuth == nil || got.HTTPAuth.Password != "s3cret-password" ||
			got.HTTPAuth.Username != "platform" || string(got.DataStructure) != string(panel.DataStructure) ||
			!slices.Equal(got.Locations, panel.Locations) || !got.CreatedAt.Equal(panel.CreatedAt) || got.Version != 1 ||
			got.Type != devhub.ExtJSONPanel || got.AppID != app.ID {
			t.Errorf("got %+v, want %+v", got, panel)
		}
		if gotApp.ID != app.ID || devhub.SigningSecret(got, gotApp) != panel.JWTSecret {
			t.Errorf("app: got %+v", gotApp)
		}
		if n := slotCount(t, s, app.ID, "panel#deal_details"); n != 1 {
			t.Errorf("panel slot: got %d, want 1", n)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for name, c := range map[string]struct{ company, app, ext string }{
			"OtherCompany": {"c2", app.ID, panel.ID},
			"NoApp":        {"c1", "app_00000000000000000000000000", panel.ID},
			"NoExtension":  {"c1", app.ID, "ext_00000000000000000000000000"},
		} {
			if _, _, err := s.GetExtension(ctx, c.company, c.app, c.ext); devhub.ErrorCode(err) != devhub.ENOTFOUND {
				t.Errorf("%s: got %v, want not found", name, err)
			}
		}
		if _, err := s.ListExtensions(ctx, "c2", app.ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("list of another company: got %v", err)
		}
		other := newExtension(t, app, linkAction(devhub.ViewDealsList))
		if _, err := s.CreateExtension(ctx, "c2", other, nil); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("create in another company's app: got %v", err)
		}
		if n := slotCount(t, s, app.ID, "view#deals_list"); n != 0 {
			t.Errorf("a refused create took a slot: %d", n)
		}
	})
	t.Run("ErrSlotFull", func(t *testing.T) {
		second := newExtension(t, app, devhub.NewExtensionInput{Type: devhub.ExtCustomPanel, Name: "Board",
			IframeURL: "https://example.com/b", Locations: []string{devhub.ViewPersonDetails, devhub.ViewDealDetails}})
		if _, err := s.CreateExtension(ctx, "c1", second, nil); devhub.ErrorCode(err) != devhub.ECONFLICT {
			t.Fatalf("got %v, want conflict", err)
		}
		if n := slotCount(t, s, app.ID, "panel#person_details"); n != 0 {
			t.Errorf("the cancelled transaction took person_details: %d", n)
		}
	})
	t.Run("UpdateMovesSlots", func(t *testing.T) {
		_, cur, err := s.GetExtension(ctx, "c1", app.ID, panel.ID)
		if err != nil {
			t.Fatal(err)
		}
		next, err := devhub.ExtensionPatch{Locations: devhub.Optional[[]string]{Set: true, Value: []string{devhub.ViewOrganizationDetails}}}.
			Apply(cur, jsonschema.New(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		meter.Reset()
		if err := s.UpdateExtension(ctx, "c1", cur, next); err != nil {
			t.Fatal(err)
		}
		if meter.Total() != 1 {
			t.Errorf("update: got %d round trips, want 1", meter.Total())
		}
		if a, b := slotCount(t, s, app.ID, "panel#deal_details"), slotCount(t, s, app.ID, "panel#organization_details"); a != 0 || b != 1 {
			t.Errorf("slots after move: deal_details %d, organization_details %d; want 0, 1", a, b)
		}
		err = s.UpdateExtension(ctx, "c1", cur, next) // cur is stale now
		if devhub.ErrorCode(err) != devhub.ECONFLICT || !errors.Is(err, dynamo.ErrStale) {
			t.Errorf("stale update: got %v, want a stale conflict", err)
		}
		if err := s.UpdateExtension(ctx, "c2", next, next); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("update in another company's app: got %v", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		_, cur, _ := s.GetExtension(ctx, "c1", app.ID, panel.ID)
		stale := *cur
		stale.Version--
		if err := s.DeleteExtension(ctx, "c1", &stale); !errors.Is(err, dynamo.ErrStale) {
			t.Errorf("stale delete: got %v", err)
		}
		meter.Reset()
		if err := s.DeleteExtension(ctx, "c1", cur); err != nil {
			t.Fatal(err)
		}
		if meter.Total() != 1 {
			t.Errorf("delete: got %d round trips, want 1", meter.Total())
		}
		if n := slotCount(t, s, app.ID, "panel#organization_details"); n != 0 {
			t.Errorf("delete kept its slot: %d", n)
		}
		if err := s.DeleteExtension(ctx, "c1", cur); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("second delete: got %v, want not found", err)
		}
	})
}

func TestListExtensions(t *testing.T) {
	var meter dynamo.Meter
	s := dynamotest.MustOpenStore(t, meter.Option)
	ctx := context.Background()
	app := newApp(t, "c1", time.Now())
	neighbour := newApp(t, "c1", time.Now())
	for _, a := range []*devhub.App{app, neighbour} {
		if _, err := s.CreateApp(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now()
	var want []string
	for i, v := range devhub.Views() {
		e := newExtension(t, app, linkAction(v))
		e.CreatedAt = base.Add(time.Duration(i) * time.Second)
		want = append(want, e.ID)
		if _, err := s.CreateExtension(ctx, "c1", e, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateExtension(ctx, "c1", newExtension(t, neighbour, linkAction(devhub.ViewDealsList)), nil); err != nil {
		t.Fatal(err)
	}
	meter.Reset()
	got, err := s.ListExtensions(ctx, "c1", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if calls := meter.Calls(); meter.Total() != 1 || calls["Query"] != 1 {
		t.Errorf("list: got %v, want one Query", calls)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("got %v, want %v (oldest first, no neighbour's)", ids, want)
	}
	if n := slotCount(t, s, app.ID, "app#actions"); n != 7 {
		t.Errorf("app#actions: got %d, want 7", n)
	}

	t.Run("Empty", func(t *testing.T) {
		empty := newApp(t, "c1", time.Now())
		if _, err := s.CreateApp(ctx, empty, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListExtensions(ctx, "c1", empty.ID)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty list", got, err)
		}
	})
	t.Run("ErrAppDeleted", func(t *testing.T) {
		// The deletion record sits in the queried range; the extensions
		// are still there until the cascade runs. Neither is reachable.
		cur, _ := s.GetApp(ctx, app.ID)
		if err := s.DeleteApp(ctx, cur, "gone", "u1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ListExtensions(ctx, "c1", app.ID); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("list: got %v, want not found", err)
		}
		if _, _, err := s.GetExtension(ctx, "c1", app.ID, want[0]); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("get: got %v, want not found", err)
		}
		if _, err := s.CreateExtension(ctx, "c1", newExtension(t, app, linkAction(devhub.ViewDealsList)), nil); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Errorf("create: got %v, want not found", err)
		}
	})
}

// TestSlotRace: ten creates race for a view with three free slots; exactly
// three win, the others get the view's conflict, and the counters agree.
func TestSlotRace(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	app := newApp(t, "c1", time.Now())
	if _, err := s.CreateApp(ctx, app, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateExtension(ctx, "c1", newExtension(t, app, linkAction(devhub.ViewDealDetails)), nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	won, lost := 0, 0
	for err := range errs {
		switch devhub.ErrorCode(err) {
		case "":
			won++
		case devhub.ECONFLICT:
			lost++
			if want := (devhub.Slot{Key: "view#deal_details", Max: 3}).Conflict(); devhub.ErrorMessage(err) != devhub.ErrorMessage(want) {
				t.Errorf("got %q, want the view's conflict", devhub.ErrorMessage(err))
			}
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if won != 3 || lost != 7 {
		t.Errorf("got %d won, %d lost; want 3, 7", won, lost)
	}
	for slot, want := range map[string]int{"view#deal_details": 3, "app#actions": 3} {
		if n := slotCount(t, s, app.ID, slot); n != want {
			t.Errorf("%s: got %d, want %d", slot, n, want)
		}
	}
}

func TestExtensionIdempotency(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	app := newApp(t, "c1", time.Now())
	if _, err := s.CreateApp(ctx, app, nil); err != nil {
		t.Fatal(err)
	}
	settings := devhub.NewExtensionInput{Type: devhub.ExtSettingsPage, SettingsKind: devhub.SettingsExternalLink, URL: "https://example.com/s"}
	rec := &devhub.Idempotency{Scope: "c1", Key: "k1", RequestHash: "h1", Status: 201, Body: []byte(`{"a":1}`)}
	if prev, err := s.CreateExtension(ctx, "c1", newExtension(t, app, settings), rec); err != nil || prev != nil {
		t.Fatalf("first: got %v, %v", prev, err)
	}
	// The retry's slot is taken (by the first request): the record wins.
	prev, err := s.CreateExtension(ctx, "c1", newExtension(t, app, settings), &devhub.Idempotency{Scope: "c1", Key: "k1", RequestHash: "h1"})
	if err != nil || prev == nil || string(prev.Body) != `{"a":1}` || prev.Status != 201 {
		t.Errorf("replay: got %+v, %v", prev, err)
	}
	if n := slotCount(t, s, app.ID, "settings_page"); n != 1 {
		t.Errorf("settings_page: got %d, want 1", n)
	}
	exts, _ := s.ListExtensions(ctx, "c1", app.ID)
	if len(exts) != 1 {
		t.Errorf("got %d extensions, want 1", len(exts))
	}
}

// injectConflicts makes the next n TransactWriteItems calls of a client fail
// as real DynamoDB fails a transaction whose items another transaction holds
// (TransactionConflict, conditions not evaluated). DynamoDB Local serializes
// transactions and never does, so without this the retry would go untested.
// Every other call, and every call after the n-th, reaches DynamoDB Local.
func injectConflicts(n *atomic.Int32) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("injectTransactionConflict",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
					if !ok || n.Add(-1) < 0 {
						return next.HandleInitialize(ctx, in)
					}
					reasons := make([]types.CancellationReason, len(tx.TransactItems))
					for i := range reasons {
						reasons[i].Code = aws.String("None")
					}
					reasons[len(reasons)-1].Code = aws.String("TransactionConflict")
					return middleware.InitializeOutput{}, middleware.Metadata{}, &types.TransactionCanceledException{
						Message: aws.String("Transaction cancelled (injected)"), CancellationReasons: reasons}
				}), middleware.Before)
		})
	}
}

func TestTransactionConflictRetried(t *testing.T) {
	var conflicts atomic.Int32
	s := dynamotest.MustOpenStore(t, injectConflicts(&conflicts))
	ctx := context.Background()
	app := newApp(t, "c1", time.Now())
	if _, err := s.CreateApp(ctx, app, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		conflicts.Store(3)
		if _, err := s.CreateExtension(ctx, "c1", newExtension(t, app, linkAction(devhub.ViewDealsList)), nil); err != nil {
			t.Fatalf("got %v, want success after the conflicts", err)
		}
		if n := slotCount(t, s, app.ID, "view#deals_list"); n != 1 {
			t.Errorf("view#deals_list: got %d, want 1", n)
		}
	})
	t.Run("ErrStillBusy", func(t *testing.T) {
		conflicts.Store(1000)
		defer conflicts.Store(0)
		_, err := s.CreateExtension(ctx, "c1", newExtension(t, app, linkAction(devhub.ViewPeopleList)), nil)
		if devhub.ErrorCode(err) != devhub.ECONFLICT || errors.Is(err, dynamo.ErrStale) {
			t.Errorf("got %v, want a (non-stale) conflict", err)
		}
		if used := 1000 - conflicts.Load(); used != 8 {
			t.Errorf("got %d attempts, want 8", used)
		}
	})
}
