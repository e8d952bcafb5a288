// Extensions and the slots that enforce their limits.
//
// Items (in the app's partition, next to the app item):
//
//	type       PK            SK                 attributes
//	extension  APP#<app_id>  EXT#<ext_id>       ext_type and the fields of its type, jwt_secret and
//	                                            http_auth.password included (in clear: the platform signs
//	                                            and authenticates with them; responses never show them)
//	slot       APP#<app_id>  SLOT#<slot_key>    count: how many of the app's extensions hold the slot
//	                                            (devhub.Slot: app#actions, view#<view>, panel#<location>,
//	                                            floating_window, settings_page)
//
// Access patterns (the app's ownership is checked in the same round trip):
//
//	create extension    TransactWriteItems: ConditionCheck app (exists, owner_company_id = :company),
//	                    Put extension (attribute_not_exists), Update SLOT#k per slot
//	                    (count = count + 1 if count < max), [Put idempotency]              1 round trip
//	get extension       BatchGetItem APP#id/A and APP#id/EXT#ext (consistent)             1 round trip
//	list extensions     Query PK=APP#id AND SK BETWEEN "A" AND "EXT$" (consistent): the
//	                    app item first, then every extension (≤ 26 by the limits)          1 round trip
//	update extension    the get, then TransactWriteItems: Put extension (version = :read),
//	                    ConditionCheck app, Update SLOT#k +1 (< max) per acquired slot,
//	                    Update SLOT#k -1 (> 0) per released slot                          2 round trips
//	delete extension    the get, then TransactWriteItems: Delete extension (version = :read),
//	                    ConditionCheck app, Update SLOT#k -1 (> 0) per slot               2 round trips
//
// A deleted app leaves its extension and slot items behind until the stream
// cascade removes them; none is reachable meanwhile, since every pattern
// above checks the app item, which is gone.

package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

const (
	typeExtension = "extension"
	typeSlot      = "slot"

	skExtPrefix  = "EXT#"
	skSlotPrefix = "SLOT#"
	// skExtEnd sorts after every EXT# key ('$' follows '#') and before SLOT#.
	skExtEnd = "EXT$"

	// Cancellations caused only by another transaction holding an item are
	// retried this many times in all, and a batch read's unprocessed keys
	// likewise.
	maxTransactAttempts = 8
	maxBatchAttempts    = 5
)

func extSK(id string) string { return skExtPrefix + id }

// extensionItem is an extension as stored. Field names are the attribute names.
type extensionItem struct {
	PK            string        `json:"PK"`
	SK            string        `json:"SK"`
	Type          string        `json:"type"`
	Version       int           `json:"version"`
	ID            string        `json:"id"`
	AppID         string        `json:"app_id"`
	ExtType       string        `json:"ext_type"`
	Key           string        `json:"key,omitempty"`
	Name          string        `json:"name,omitempty"`
	Description   string        `json:"description,omitempty"`
	URL           string        `json:"url,omitempty"`
	APIEndpoint   string        `json:"api_endpoint,omitempty"`
	IframeURL     string        `json:"iframe_url,omitempty"`
	Locations     []string      `json:"locations,omitempty"`
	EntryPoints   []string      `json:"entry_points,omitempty"`
	JSONSchema    string        `json:"json_schema,omitempty"`    // the document as JSON text
	DataStructure string        `json:"data_structure,omitempty"` // the document as JSON text
	HTTPAuth      *httpAuthItem `json:"http_auth,omitempty"`
	SettingsKind  string        `json:"settings_kind,omitempty"`
	JWTSecret     string        `json:"jwt_secret,omitempty"`
	Warnings      []string      `json:"warnings,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

// httpAuthItem keeps the password, which devhub.HTTPAuth hides from JSON.
type httpAuthItem struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func extensionItemOf(e *devhub.Extension) (map[string]types.AttributeValue, error) {
	item, err := marshal(extensionRecord(e))
	if err != nil {
		return nil, fmt.Errorf("marshal extension %s: %w", e.ID, err)
	}
	return item, nil
}

// extensionRecord is e as stored, secrets included.
func extensionRecord(e *devhub.Extension) extensionItem {
	it := extensionItem{
		PK: appPK(e.AppID), SK: extSK(e.ID), Type: typeExtension, Version: e.Version,
		ID: e.ID, AppID: e.AppID, ExtType: string(e.Type), Key: e.Key, Name: e.Name, Description: e.Description,
		URL: e.URL, APIEndpoint: e.APIEndpoint, IframeURL: e.IframeURL,
		Locations: e.Locations, EntryPoints: e.EntryPoints,
		JSONSchema: string(e.JSONSchema), DataStructure: string(e.DataStructure),
		SettingsKind: string(e.SettingsKind), JWTSecret: e.JWTSecret, Warnings: e.Warnings,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(),
	}
	if e.HTTPAuth != nil {
		it.HTTPAuth = &httpAuthItem{Username: e.HTTPAuth.Username, Password: e.HTTPAuth.Password}
	}
	return it
}

func decodeExtension(item map[string]types.AttributeValue) (*devhub.Extension, error) {
	var it extensionItem
	if err := unmarshal(item, &it); err != nil {
		return nil, fmt.Errorf("unmarshal extension: %w", err)
	}
	return extensionFromRecord(it)
}

func extensionFromRecord(it extensionItem) (*devhub.Extension, error) {
	if it.ID == "" || it.Version == 0 {
		return nil, fmt.Errorf("unmarshal extension: item %s %s has no id or version", it.PK, it.SK)
	}
	e := &devhub.Extension{
		ID: it.ID, AppID: it.AppID, Type: devhub.ExtensionType(it.ExtType), Key: it.Key, Name: it.Name,
		Description: it.Description, URL: it.URL, APIEndpoint: it.APIEndpoint, IframeURL: it.IframeURL,
		Locations: it.Locations, EntryPoints: it.EntryPoints, SettingsKind: devhub.SettingsKind(it.SettingsKind),
		JWTSecret: it.JWTSecret, Warnings: it.Warnings, Version: it.Version,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
	}
	if it.JSONSchema != "" {
		e.JSONSchema = json.RawMessage(it.JSONSchema)
	}
	if it.DataStructure != "" {
		e.DataStructure = json.RawMessage(it.DataStructure)
	}
	if it.HTTPAuth != nil {
		e.HTTPAuth = &devhub.HTTPAuth{Username: it.HTTPAuth.Username, Password: it.HTTPAuth.Password}
	}
	return e, nil
}

func errExtensionNotFound(id string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "Extension %q was not found.", id)
}

func errExtensionChanged(id string) error { return errChanged("Extension", id) }

// appOwnedBy is the ConditionCheck that every extension write carries: the
// app exists and belongs to company. On failure it reports the app's item, so
// that nothing more is needed to answer "not found".
func (s *Store) appOwnedBy(appID, company string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(appPK(appID), skApp),
		// An approved public app's extension writes are held for review
		// instead (devhub.ErrHeldForReview).
		ConditionExpression: aws.String("attribute_exists(PK) AND owner_company_id = :company AND " +
			"NOT (app_type = :public AND (#st = :unpublished OR #st = :published))"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":company":     &types.AttributeValueMemberS{Value: company},
			":public":      &types.AttributeValueMemberS{Value: string(devhub.AppPublic)},
			":unpublished": &types.AttributeValueMemberS{Value: string(devhub.StatusUnpublished)},
			":published":   &types.AttributeValueMemberS{Value: string(devhub.StatusPublished)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// acquireSlot takes one unit of slot: the counter item goes up by one,
// provided it stays within the slot's maximum (a missing counter is 0).
func (s *Store) acquireSlot(appID string, slot devhub.Slot) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(appPK(appID), skSlotPrefix+slot.Key),
		UpdateExpression:         aws.String("SET #n = if_not_exists(#n, :zero) + :one, #t = :type, #v = if_not_exists(#v, :zero) + :one"),
		ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :max"),
		ExpressionAttributeNames: map[string]string{"#n": "count", "#t": "type", "#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero": num(0), ":one": num(1), ":max": num(int64(slot.Max)),
			":type": &types.AttributeValueMemberS{Value: typeSlot},
		},
	}}
}

// releaseSlot gives one unit of slot back. The condition keeps a counter
// from going below zero, which would let the app exceed the limit later.
func (s *Store) releaseSlot(appID string, slot devhub.Slot) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(appPK(appID), skSlotPrefix+slot.Key),
		UpdateExpression:          aws.String("SET #n = #n - :one, #v = if_not_exists(#v, :zero) + :one"),
		ConditionExpression:       aws.String("#n > :zero"),
		ExpressionAttributeNames:  map[string]string{"#n": "count", "#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":one": num(1)},
	}}
}

// slotOutcome maps the failed conditions of the slot updates that start at
// index first of a cancelled transaction: an acquired slot that was full is
// its Conflict error; a released one that was already at zero is a fault.
func slotOutcome(reasons []types.CancellationReason, first int, acquire, release []devhub.Slot, appID string) error {
	for i, sl := range acquire {
		if failed(reasons, first+i) {
			return sl.Conflict()
		}
	}
	for i, sl := range release {
		if failed(reasons, first+len(acquire)+i) {
			return fmt.Errorf("release slot %s of app %s: its counter is already zero", sl.Key, appID)
		}
	}
	return nil
}

// CreateExtension writes e and takes every slot it occupies, and remembers
// rec when it is not nil, in one transaction that also checks that e's app
// exists and belongs to company. When rec's key was used before, nothing is
// written and the earlier record is returned instead. Errors: ENOTFOUND (no
// such app, or another company's), ECONFLICT (a limit is reached, see
// devhub.Slot.Conflict).
func (s *Store) CreateExtension(ctx context.Context, company string, e *devhub.Extension, rec *Idempotency) (*Idempotency, error) {
	item, err := extensionItemOf(e)
	if err != nil {
		return nil, err
	}
	acquire, _ := devhub.SlotDiff(nil, e.Slots())
	items := make([]types.TransactWriteItem, 0, 3+len(acquire))
	items = append(items,
		s.appOwnedBy(e.AppID, company),
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	for _, sl := range acquire {
		items = append(items, s.acquireSlot(e.AppID, sl))
	}
	idem := -1
	if rec != nil {
		put, err := s.idempotencyPut(rec, s.Now())
		if err != nil {
			return nil, err
		}
		idem = len(items)
		items = append(items, types.TransactWriteItem{Put: put})
	}
	err = s.transact(ctx, items)
	if reasons := cancellationReasons(err); reasons != nil {
		// A retry of a request that succeeded finds its own slots taken:
		// the remembered answer comes first.
		if idem >= 0 && failed(reasons, idem) && reasons[idem].Item != nil {
			return decodeIdempotency(reasons[idem].Item, rec)
		}
		if failed(reasons, 0) {
			return nil, appCheckOutcome(reasons[0], e.AppID, company)
		}
		if err := slotOutcome(reasons, 2, acquire, nil, e.AppID); err != nil {
			return nil, err
		}
		if failed(reasons, 1) {
			// Identifiers carry 128 random bits: a collision means a fault.
			return nil, fmt.Errorf("create extension %s: identifier collision: %w", e.ID, err)
		}
		return nil, errBusy(err)
	}
	if err != nil {
		return nil, wrap("create extension "+e.ID, err)
	}
	return nil, nil
}

// GetExtension returns the extension extID of app appID, and the app, in one
// round trip. Errors: ENOTFOUND (no such app, another company's app, or no
// such extension of it).
func (s *Store) GetExtension(ctx context.Context, company, appID, extID string) (*devhub.App, *devhub.Extension, error) {
	items, err := s.batchGet(ctx, "get extension "+extID, key(appPK(appID), skApp), key(appPK(appID), extSK(extID)))
	if err != nil {
		return nil, nil, err
	}
	var appItem, extItem map[string]types.AttributeValue
	for _, it := range items {
		switch attrs(it).str(attrSK) {
		case skApp:
			appItem = it
		case extSK(extID):
			extItem = it
		}
	}
	if appItem == nil {
		return nil, nil, errAppNotFound(appID)
	}
	a, err := decodeApp(appItem)
	if err != nil {
		return nil, nil, err
	}
	if !a.OwnedBy(company) {
		return nil, nil, errAppNotFound(appID)
	}
	if extItem == nil {
		// The app comes along: an approved app's extension may be pending.
		return a, nil, errExtensionNotFound(extID)
	}
	e, err := decodeExtension(extItem)
	if err != nil {
		return nil, nil, err
	}
	return a, e, nil
}

// batchGet reads keys with consistent reads, retrying what DynamoDB leaves
// unprocessed (it may, under load) with jittered backoff, a bounded number of
// times. Errors: EUNAVAILABLE when keys stay unprocessed.
func (s *Store) batchGet(ctx context.Context, op string, keys ...map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	var out []map[string]types.AttributeValue
	for attempt := 1; ; attempt++ {
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, res.Responses[s.table]...)
		left, ok := res.UnprocessedKeys[s.table]
		if !ok || len(left.Keys) == 0 {
			return out, nil
		}
		if attempt == maxBatchAttempts {
			return nil, fmt.Errorf("%s: %w", op, &wrapped{code: devhub.EUNAVAILABLE,
				err: fmt.Errorf("%d keys unprocessed after %d attempts", len(left.Keys), attempt)})
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, wrap(op, err)
		}
		req = map[string]types.KeysAndAttributes{s.table: left}
	}
}

// ListExtensions returns every extension of app appID, oldest first, in one
// Query that reads the app item too. Errors: ENOTFOUND (no such app, or
// another company's).
func (s *Store) ListExtensions(ctx context.Context, company, appID string) ([]*devhub.Extension, error) {
	_, exts, err := s.AppExtensions(ctx, company, appID)
	return exts, err
}

// AppExtensions returns the app appID and every live extension of it, oldest
// first, in the one Query of ListExtensions. Errors: ENOTFOUND.
func (s *Store) AppExtensions(ctx context.Context, company, appID string) (*devhub.App, []*devhub.Extension, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :first AND :last"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: appPK(appID)},
			":first": &types.AttributeValueMemberS{Value: skApp},
			":last":  &types.AttributeValueMemberS{Value: skExtEnd},
		},
		ConsistentRead: aws.Bool(true),
	}
	var (
		app  *devhub.App
		exts = []*devhub.Extension{}
	)
	// The limits keep an app's extensions far below a page (1 MB), so this
	// loops only if they ever stop doing so.
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, nil, wrap("list extensions of "+appID, err)
		}
		for _, it := range out.Items {
			// The range also holds the app's deletion record (SK DELETED).
			switch attrs(it).str("type") {
			case typeApp:
				a, err := decodeApp(it)
				if err != nil {
					return nil, nil, err
				}
				if a.OwnedBy(company) {
					app = a
				}
			case typeExtension:
				e, err := decodeExtension(it)
				if err != nil {
					return nil, nil, err
				}
				exts = append(exts, e)
			}
		}
		if app == nil {
			// The app item sorts first: without it nothing else is the caller's.
			return nil, nil, errAppNotFound(appID)
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	// Identifiers are random; creation order is what a developer expects.
	slices.SortStableFunc(exts, func(a, b *devhub.Extension) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return app, exts, nil
}

// UpdateExtension replaces prev by next, provided the stored version is
// still prev.Version, and moves its slots: those next occupies and prev did
// not are taken (within their limits), those prev occupied and next does not
// are given back, all in one transaction that also checks the app. Errors:
// ENOTFOUND (the app or the extension is gone), ECONFLICT (a limit is
// reached, or the extension changed since it was read).
func (s *Store) UpdateExtension(ctx context.Context, company string, prev, next *devhub.Extension) error {
	if prev.ID != next.ID || prev.AppID != next.AppID {
		return fmt.Errorf("update extension %s: next is extension %s of app %s", prev.ID, next.ID, next.AppID)
	}
	item, err := extensionItemOf(next)
	if err != nil {
		return err
	}
	acquire, release := devhub.SlotDiff(prev.Slots(), next.Slots())
	items := make([]types.TransactWriteItem, 0, 2+len(acquire)+len(release))
	items = append(items,
		s.appOwnedBy(next.AppID, company),
		types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item,
			ConditionExpression:                 aws.String("version = :v"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":v": num(int64(prev.Version))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	for _, sl := range acquire {
		items = append(items, s.acquireSlot(next.AppID, sl))
	}
	for _, sl := range release {
		items = append(items, s.releaseSlot(next.AppID, sl))
	}
	err = s.transact(ctx, items)
	if reasons := cancellationReasons(err); reasons != nil {
		return writeOutcome(err, reasons, next, company, acquire, release)
	}
	if err != nil {
		return wrap("update extension "+next.ID, err)
	}
	return nil
}

// DeleteExtension removes e, provided its stored version is still e.Version,
// and gives back every slot it held, in one transaction that also checks the
// app. Errors: ENOTFOUND, ECONFLICT (changed since read).
func (s *Store) DeleteExtension(ctx context.Context, company string, e *devhub.Extension) error {
	_, release := devhub.SlotDiff(e.Slots(), nil)
	items := make([]types.TransactWriteItem, 0, 2+len(release))
	items = append(items,
		s.appOwnedBy(e.AppID, company),
		types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: key(appPK(e.AppID), extSK(e.ID)),
			ConditionExpression:                 aws.String("version = :v"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":v": num(int64(e.Version))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	for _, sl := range release {
		items = append(items, s.releaseSlot(e.AppID, sl))
	}
	err := s.transact(ctx, items)
	if reasons := cancellationReasons(err); reasons != nil {
		return writeOutcome(err, reasons, e, company, nil, release)
	}
	if err != nil {
		return wrap("delete extension "+e.ID, err)
	}
	return nil
}

// writeOutcome explains a cancelled update or delete, whose items are the
// app check, the extension's write, then the slots: the app first (gone
// means everything under it is), then the extension, then its slots.
func writeOutcome(err error, reasons []types.CancellationReason, e *devhub.Extension, company string, acquire, release []devhub.Slot) error {
	switch {
	case failed(reasons, 0):
		return appCheckOutcome(reasons[0], e.AppID, company)
	case failed(reasons, 1) && reasons[1].Item == nil:
		return errExtensionNotFound(e.ID)
	case failed(reasons, 1):
		return errExtensionChanged(e.ID)
	}
	if err := slotOutcome(reasons, 2, acquire, release, e.AppID); err != nil {
		return err
	}
	return errBusy(err)
}

// transact runs one TransactWriteItems. DynamoDB cancels a transaction whose
// items another transaction holds at that moment (reason TransactionConflict)
// without evaluating its conditions; such a cancellation says nothing about
// the limits, so it is retried with jittered backoff rather than answered as
// a lost race: two requests for two free slots both succeed. Cancellations
// with a failed condition are returned at once.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: items}
	for attempt := 1; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, in)
		if attempt == maxTransactAttempts || !onlyConflicts(cancellationReasons(err)) {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// onlyConflicts reports whether a cancellation is due to concurrent
// transactions alone, with no condition failed.
func onlyConflicts(reasons []types.CancellationReason) bool {
	conflict := false
	for _, r := range reasons {
		switch aws.ToString(r.Code) {
		case "ConditionalCheckFailed":
			return false
		case "TransactionConflict":
			conflict = true
		}
	}
	return conflict
}

// errBusy answers a cancellation without a failed condition: the retries
// ran out while other transactions kept holding the app's items.
func errBusy(err error) error {
	if onlyConflicts(cancellationReasons(err)) {
		return fmt.Errorf("transaction: %w: %w",
			devhub.Errorf(devhub.ECONFLICT, "Other requests are changing the app's extensions at this moment; retry shortly."), err)
	}
	return fmt.Errorf("transaction cancelled: %w", err)
}

// backoff sleeps before retry attempt+1: full jitter over an exponential
// window from 10 ms, capped at 320 ms.
func backoff(ctx context.Context, attempt int) error {
	window := 10 * time.Millisecond << min(attempt-1, 5)
	t := time.NewTimer(window/2 + rand.N(window/2))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
