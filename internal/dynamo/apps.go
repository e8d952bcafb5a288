package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

const (
	typeApp         = "app"
	typeClient      = "client"
	typeAppDeleted  = "app_deleted"
	typeIdempotency = "idempotency"

	skApp     = "A"
	skDeleted = "DELETED"
	skIdem    = "I"

	// DeletedRetention is how long the record of a deleted app is kept: long
	// enough for the uninstall cascade, which reads it, to finish.
	DeletedRetention = 30 * 24 * time.Hour
	// IdempotencyWindow is how long an Idempotency-Key is remembered.
	IdempotencyWindow = 24 * time.Hour

	sortTime = "2006-01-02T15:04:05.000000000Z" // fixed width, so it sorts as text
)

func appPK(id string) string              { return "APP#" + id }
func clientPK(clientID string) string     { return "CLIENT#" + clientID }
func companyPK(company string) string     { return "CO#" + company }
func statusPK(st devhub.AppStatus) string { return "STATUS#" + string(st) }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// appItem is an app as stored. Field names are the attribute names.
type appItem struct {
	PK              string                 `json:"PK"`
	SK              string                 `json:"SK"`
	GSI1PK          string                 `json:"GSI1PK,omitempty"`
	GSI1SK          string                 `json:"GSI1SK,omitempty"`
	GSI2PK          string                 `json:"GSI2PK,omitempty"`
	GSI2SK          string                 `json:"GSI2SK,omitempty"`
	Type            string                 `json:"type"`
	Version         int                    `json:"version"`
	ID              string                 `json:"id"`
	AppType         string                 `json:"app_type"`
	Status          string                 `json:"status"`
	Name            string                 `json:"name"`
	CallbackURL     string                 `json:"callback_url"`
	Scopes          []string               `json:"scopes"`
	InstallationURL *string                `json:"installation_url,omitempty"`
	ClientID        string                 `json:"client_id"`
	ClientSecret    string                 `json:"client_secret"`
	PrevSecret      string                 `json:"previous_client_secret,omitempty"`
	PrevSecretUntil int64                  `json:"previous_secret_until,omitempty"`
	TokenRotation   bool                   `json:"refresh_token_rotation"`
	Listing         *devhub.Listing        `json:"listing,omitempty"`
	PendingChanges  *pendingItem           `json:"pending_changes,omitempty"`
	CallbackHealth  *devhub.CallbackHealth `json:"callback_health,omitempty"`
	ReviewFeedback  *devhub.ReviewFeedback `json:"review_feedback,omitempty"`
	OwnerCompanyID  string                 `json:"owner_company_id"`
	OwnerName       string                 `json:"owner_company_name,omitempty"`
	CreatedBy       string                 `json:"created_by"`
	CreatedAt       time.Time              `json:"created_at"`
	UpdatedAt       time.Time              `json:"updated_at"`
}

// Items are described with json tags, so that the domain types nested in
// them (listing, callback health) keep their snake_case member names.
func encodeOpts(o *attributevalue.EncoderOptions) { o.TagKey = "json" }
func decodeOpts(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

func marshal(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, encodeOpts)
}

func unmarshal(item map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(item, v, decodeOpts)
}

// appItems returns the app item and its client copy.
func appItems(a *devhub.App) (app, client map[string]types.AttributeValue, err error) {
	it := appItem{
		PK: appPK(a.ID), SK: skApp,
		GSI1PK: companyPK(a.OwnerCompanyID), GSI1SK: "APP#" + a.CreatedAt.UTC().Format(sortTime) + "#" + a.ID,
		Type: typeApp, Version: a.Version, ID: a.ID, AppType: string(a.Type), Status: string(a.Status),
		Name: a.Name, CallbackURL: a.CallbackURL, Scopes: a.Scopes, InstallationURL: a.InstallationURL,
		ClientID: a.ClientID, ClientSecret: a.ClientSecret, PendingChanges: pendingItemOf(a.PendingChanges),
		CallbackHealth: a.CallbackHealth, ReviewFeedback: a.ReviewFeedback, OwnerCompanyID: a.OwnerCompanyID,
		OwnerName: a.OwnerCompanyName, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(), TokenRotation: a.RefreshTokenRotation,
	}
	if a.PreviousClientSecret != "" {
		it.PrevSecret, it.PrevSecretUntil = a.PreviousClientSecret, a.PreviousSecretUntil.Unix()
	}
	if !isZeroListing(a.Listing) {
		it.Listing = &a.Listing
	}
	if app, err = marshal(it); err != nil {
		return nil, nil, fmt.Errorf("marshal app %s: %w", a.ID, err)
	}
	// The client copy indexes the app by status, for the reviewers' queue and
	// the callback sweep.
	it.PK, it.Type = clientPK(a.ClientID), typeClient
	// An approved app whose pending changes wait for a reviewer is queued
	// with the apps in review.
	st := a.Status
	if a.PendingChanges != nil && a.PendingChanges.InReview {
		st = devhub.StatusReview
	}
	it.GSI1PK, it.GSI1SK = statusPK(st), a.UpdatedAt.UTC().Format(sortTime)+"#"+a.ID
	// The marketplace index (GSI2) holds listed apps only, pending changes or
	// not: a published app waiting for a reviewer is in both (marketplace.go).
	if a.Listed() {
		it.GSI2PK, it.GSI2SK = marketPK, it.GSI1SK
	}
	if client, err = marshal(it); err != nil {
		return nil, nil, fmt.Errorf("marshal client %s: %w", a.ID, err)
	}
	return app, client, nil
}

func isZeroListing(l devhub.Listing) bool {
	return l.Summary == "" && l.Description == "" && l.IconURL == "" && len(l.ImageURLs) == 0 &&
		l.VideoURL == "" && l.SupportURL == "" && l.PrivacyPolicyURL == ""
}

// decodeApp reads an app item field by field: it is on every request's
// path, and reflection-based unmarshalling cost more than the rest of a GET.
func decodeApp(item map[string]types.AttributeValue) (*devhub.App, error) {
	m := attrs(item)
	a := &devhub.App{
		ID: m.str("id"), Type: devhub.AppType(m.str("app_type")), Status: devhub.AppStatus(m.str("status")),
		Name: m.str("name"), CallbackURL: m.str("callback_url"), Scopes: m.strs("scopes"),
		InstallationURL: m.strp("installation_url"), ClientID: m.str("client_id"), ClientSecret: m.str("client_secret"),
		OwnerCompanyID: m.str("owner_company_id"), OwnerCompanyName: m.str("owner_company_name"), CreatedBy: m.str("created_by"),
		CreatedAt: m.time("created_at"), UpdatedAt: m.time("updated_at"), Version: m.int("version"),
		RefreshTokenRotation: m.bool("refresh_token_rotation"),
	}
	if prev := m.str("previous_client_secret"); prev != "" {
		a.PreviousClientSecret, a.PreviousSecretUntil = prev, time.Unix(int64(m.int("previous_secret_until")), 0).UTC()
	}
	if l := m.attrs("listing"); l != nil {
		a.Listing = devhub.Listing{
			Summary: l.str("summary"), Description: l.str("description"), IconURL: l.str("icon_url"),
			ImageURLs: l.strs("image_urls"), VideoURL: l.str("video_url"), SupportURL: l.str("support_url"),
			PrivacyPolicyURL: l.str("privacy_policy_url"),
		}
	} else {
		a.Listing.ImageURLs = []string{}
	}
	// Rare members go through the reflective decoder.
	var pending *pendingItem
	for name, dst := range map[string]any{
		"pending_changes": &pending, "callback_health": &a.CallbackHealth, "review_feedback": &a.ReviewFeedback,
	} {
		if v, ok := item[name]; ok {
			if _, null := v.(*types.AttributeValueMemberNULL); !null {
				if err := attributevalue.UnmarshalWithOptions(v, dst, decodeOpts); err != nil {
					return nil, fmt.Errorf("unmarshal app %s %s: %w", a.ID, name, err)
				}
			}
		}
	}
	var err error
	if a.PendingChanges, err = pending.changes(); err != nil {
		return nil, fmt.Errorf("unmarshal app %s pending_changes: %w", a.ID, err)
	}
	if a.ID == "" || a.Version == 0 {
		return nil, fmt.Errorf("unmarshal app: item %v has no id or version", m.str("PK"))
	}
	return a, nil
}

func errAppNotFound(id string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "App %q was not found.", id)
}

// GetApp returns the app with id. Errors: ENOTFOUND.
func (s *Store) GetApp(ctx context.Context, id string) (*devhub.App, error) {
	return s.getApp(ctx, appPK(id), id)
}

// GetAppByClientID returns the app whose client_id is clientID. Errors: ENOTFOUND.
func (s *Store) GetAppByClientID(ctx context.Context, clientID string) (*devhub.App, error) {
	return s.getApp(ctx, clientPK(clientID), clientID)
}

func (s *Store) getApp(ctx context.Context, pk, id string) (*devhub.App, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(pk, skApp), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, wrap("get app "+id, err)
	}
	if out.Item == nil {
		return nil, errAppNotFound(id)
	}
	return decodeApp(out.Item)
}

// Idempotency is a remembered POST: the hash of the request that first used
// Key, and the response it got.
type Idempotency = devhub.Idempotency

func idemPK(scope, key string) string {
	h := sha256.Sum256([]byte(key))
	return "IDEM#" + scope + "#" + hex.EncodeToString(h[:])
}

type idemItem struct {
	PK          string `json:"PK"`
	SK          string `json:"SK"`
	Type        string `json:"type"`
	Version     int    `json:"version"`
	RequestHash string `json:"request_hash"`
	Status      int    `json:"status"`
	Location    string `json:"location,omitempty"`
	Body        []byte `json:"body"`
	ExpiresAt   int64  `json:"expires_at"`
}

// idempotencyPut returns the Put that remembers rec, allowed only when no
// live record holds the key. On a lost condition the old record comes back.
func (s *Store) idempotencyPut(rec *Idempotency, now time.Time) (*types.Put, error) {
	item, err := marshal(idemItem{
		PK: idemPK(rec.Scope, rec.Key), SK: skIdem, Type: typeIdempotency, Version: 1,
		RequestHash: rec.RequestHash, Status: rec.Status, Location: rec.Location, Body: rec.Body,
		ExpiresAt: now.Add(IdempotencyWindow).Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("marshal idempotency record: %w", err)
	}
	return &types.Put{
		TableName: &s.table, Item: item,
		// TTL deletes lazily, so an expired record may still be there.
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR expires_at < :now"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": num(now.Unix())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

func decodeIdempotency(item map[string]types.AttributeValue, rec *Idempotency) (*Idempotency, error) {
	var it idemItem
	if err := unmarshal(item, &it); err != nil {
		return nil, fmt.Errorf("unmarshal idempotency record: %w", err)
	}
	return &Idempotency{Scope: rec.Scope, Key: rec.Key, RequestHash: it.RequestHash,
		Status: it.Status, Location: it.Location, Body: it.Body}, nil
}

// CreateApp writes a new app with its client copy, and rec if not nil, in one
// transaction. When rec's key was used before, nothing is written and the
// earlier record is returned instead (the caller replays it or refuses a
// different request under the same key).
func (s *Store) CreateApp(ctx context.Context, a *devhub.App, rec *Idempotency) (*Idempotency, error) {
	app, client, err := appItems(a)
	if err != nil {
		return nil, err
	}
	notExists := aws.String("attribute_not_exists(PK)")
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: app, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: &s.table, Item: client, ConditionExpression: notExists}},
	}
	if rec != nil {
		put, err := s.idempotencyPut(rec, s.Now())
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancellationReasons(err); reasons != nil {
		if rec != nil && failed(reasons, 2) && reasons[2].Item != nil {
			return decodeIdempotency(reasons[2].Item, rec)
		}
		// Identifiers carry 128 random bits: a collision means a fault.
		return nil, fmt.Errorf("create app %s: identifier collision: %w", a.ID, err)
	}
	if err != nil {
		return nil, wrap("create app "+a.ID, err)
	}
	return nil, nil
}

// UpdateApp replaces the app, provided its stored version is still
// readVersion (what the caller read before computing next). Errors:
// ENOTFOUND (deleted meanwhile), ECONFLICT (changed meanwhile).
func (s *Store) UpdateApp(ctx context.Context, next *devhub.App, readVersion int) error {
	_, err := s.UpdateAppRemembering(ctx, next, readVersion, nil)
	return err
}

// UpdateAppRemembering is UpdateApp for a POST that carries an
// Idempotency-Key: rec is written in the same transaction, and when its key
// was used before nothing is written and the earlier record comes back.
func (s *Store) UpdateAppRemembering(ctx context.Context, next *devhub.App, readVersion int, rec *Idempotency) (*Idempotency, error) {
	app, client, err := appItems(next)
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: &s.table, Item: app,
			ConditionExpression:                 aws.String("version = :v"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":v": num(int64(readVersion))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Put: &types.Put{TableName: &s.table, Item: client}},
	}
	if rec != nil {
		put, err := s.idempotencyPut(rec, s.Now())
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancellationReasons(err); rec != nil && failed(reasons, 2) && reasons[2].Item != nil {
		return decodeIdempotency(reasons[2].Item, rec)
	}
	return nil, appWriteOutcome(err, "update app", next.ID)
}

// appWriteOutcome maps the result of a transaction whose first item is the
// app's write under a version condition (with ALL_OLD): the app gone is
// ENOTFOUND, another version ECONFLICT (ErrStale).
func appWriteOutcome(err error, op, id string) error {
	if reasons := cancellationReasons(err); reasons != nil && failed(reasons, 0) {
		if reasons[0].Item == nil {
			return errAppNotFound(id)
		}
		return errAppChanged(id)
	}
	if err != nil {
		return wrap(op+" "+id, err)
	}
	return nil
}

func errAppChanged(id string) error { return errChanged("App", id) }

// ErrStale marks an ECONFLICT that means "changed since it was read"
// (devhub.ErrStale, where the use cases that test it can see it).
var ErrStale = devhub.ErrStale

func errChanged(kind, id string) error {
	return errors.Join(
		devhub.Errorf(devhub.ECONFLICT, "%s %q was changed by another request; read it again and retry.", kind, id),
		ErrStale)
}

// DeleteApp removes the app and its client copy, provided its version is
// still a.Version, and records the deletion (with its reason) in an
// app_deleted item that starts the uninstall cascade. Errors: ENOTFOUND,
// ECONFLICT.
func (s *Store) DeleteApp(ctx context.Context, a *devhub.App, reason, by string) error {
	now := s.Now().UTC()
	tomb, err := marshal(struct {
		PK             string    `json:"PK"`
		SK             string    `json:"SK"`
		Type           string    `json:"type"`
		Version        int       `json:"version"`
		AppID          string    `json:"app_id"`
		ClientID       string    `json:"client_id"`
		ClientSecret   string    `json:"client_secret"`
		CallbackURL    string    `json:"callback_url"`
		OwnerCompanyID string    `json:"owner_company_id"`
		Reason         string    `json:"reason"`
		DeletedBy      string    `json:"deleted_by"`
		DeletedAt      time.Time `json:"deleted_at"`
		ExpiresAt      int64     `json:"expires_at"`
	}{appPK(a.ID), skDeleted, typeAppDeleted, 1, a.ID, a.ClientID, a.ClientSecret, a.CallbackURL,
		a.OwnerCompanyID, reason, by, now, now.Add(DeletedRetention).Unix()})
	if err != nil {
		return fmt.Errorf("marshal deletion of %s: %w", a.ID, err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.table, Key: key(appPK(a.ID), skApp),
			ConditionExpression:                 aws.String("version = :v"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":v": num(int64(a.Version))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(clientPK(a.ClientID), skApp)}},
		{Put: &types.Put{TableName: &s.table, Item: tomb}},
	}})
	return appWriteOutcome(err, "delete app", a.ID)
}

// Page is one page of a list and the cursor of the next ("" at the end):
// devhub.Page, so that the use cases' store interfaces name no store type.
type Page[T any] = devhub.Page[T]

// ListApps returns a page of the company's apps, newest first. cursor is
// what a previous page returned, or "". Errors: EMALFORMED (bad cursor).
func (s *Store) ListApps(ctx context.Context, companyID, cursor string, limit int) (Page[*devhub.App], error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(indexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: companyPK(companyID)}, ":prefix": &types.AttributeValueMemberS{Value: "APP#"},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	}
	return s.queryApps(ctx, in, cursor, gsi1, companyPK(companyID), "APP#", "list apps of "+companyID)
}

// index names a secondary index's key attributes.
type index struct{ pk, sk string }

var (
	gsi1 = index{attrGSI1PK, attrGSI1SK}
	gsi2 = index{attrGSI2PK, attrGSI2SK}
)

// queryApps runs a query of index ix over app items (or client copies) from
// cursor, which must stay in partition pk under prefix.
func (s *Store) queryApps(ctx context.Context, in *dynamodb.QueryInput, cursor string, ix index, pk, prefix, op string) (Page[*devhub.App], error) {
	if cursor != "" {
		start, err := decodeCursor(cursor, ix, pk, prefix)
		if err != nil {
			return Page[*devhub.App]{}, err
		}
		in.ExclusiveStartKey = start
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return Page[*devhub.App]{}, wrap(op, err)
	}
	page := Page[*devhub.App]{Items: make([]*devhub.App, 0, len(out.Items))}
	for _, item := range out.Items {
		a, err := decodeApp(item)
		if err != nil {
			return Page[*devhub.App]{}, err
		}
		page.Items = append(page.Items, a)
	}
	if out.LastEvaluatedKey != nil {
		page.NextCursor = encodeCursor(out.LastEvaluatedKey, ix)
	}
	return page, nil
}

// ListAppsByStatus returns a page of the apps of every company that are in
// status, oldest change first, through the client copies' status index.
// StatusReview also lists approved apps whose pending changes are in review.
// Errors: EMALFORMED (bad cursor).
func (s *Store) ListAppsByStatus(ctx context.Context, status devhub.AppStatus, cursor string, limit int) (Page[*devhub.App], error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(indexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: statusPK(status)},
		},
		Limit: aws.Int32(int32(limit)),
	}
	return s.queryApps(ctx, in, cursor, gsi1, statusPK(status), "", "list apps in "+string(status))
}

// A cursor is the last evaluated key of an index query, base64url-encoded
// JSON. It is opaque to clients but not secret: decodeCursor checks that it
// stays inside the caller's own partition, so a forged one can reach nothing
// else. The index's sort key is always under "GSI1SK", so that a marketplace
// cursor handed out while the list read GSI1 (same sort key) still continues.
type cursorKey struct {
	PK, SK string
	Sort   string `json:"GSI1SK"`
}

func encodeCursor(k map[string]types.AttributeValue, ix index) string {
	str := func(name string) string {
		if v, ok := k[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	b, _ := json.Marshal(cursorKey{PK: str(attrPK), SK: str(attrSK), Sort: str(ix.sk)})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(cursor string, ix index, pk, prefix string) (map[string]types.AttributeValue, error) {
	bad := devhub.Errorf(devhub.EMALFORMED, "The cursor is not valid; use next_cursor from a previous page.")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(cursor) > 1024 {
		return nil, bad
	}
	var c cursorKey
	if err := json.Unmarshal(b, &c); err != nil || c.PK == "" || c.SK == "" || c.Sort == "" || !strings.HasPrefix(c.Sort, prefix) {
		return nil, bad
	}
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: c.PK}, attrSK: &types.AttributeValueMemberS{Value: c.SK},
		ix.pk: &types.AttributeValueMemberS{Value: pk}, ix.sk: &types.AttributeValueMemberS{Value: c.Sort},
	}, nil
}

func num(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// cancellationReasons returns the reasons of a cancelled transaction, or nil
// when err is not a cancellation.
func cancellationReasons(err error) []types.CancellationReason {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		return tc.CancellationReasons
	}
	return nil
}

// failed reports whether item i of a cancelled transaction failed its condition.
func failed(reasons []types.CancellationReason, i int) bool {
	return i < len(reasons) && aws.ToString(reasons[i].Code) == "ConditionalCheckFailed"
}
