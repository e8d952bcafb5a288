// Deliveries: every uninstall notification, its state and its attempts, kept
// for devhub.DeliveryRetention. The stream handler writes them (and relies on
// them to send each notification once per stream record); the API lists them
// and redelivers one.
//
// Items:
//
//	type      PK              SK              attributes
//	delivery  DLV#<owner_company_id>#<app_id>
//	                          <delivery_id>   owner_company_id, installation_id, client_id, company_id, user_id, event,
//	                                          ended_at, source_id, state, attempts, last_status_code,
//	                                          last_error, next_attempt_at, created_at, delivered_at,
//	                                          write_id, version, expires_at (created_at + 30 days)
//
// They live in a partition of their own, not in APP#<app_id>, so that the
// cascade of a deleted app (which deletes that partition) leaves the
// notifications it causes alone; its key names the app's owner company, so
// a caller reads only its own company's deliveries, by construction, in one
// round trip. Delivery ids sort by time.
//
// Access patterns, each one round trip:
//
//	list an app's deliveries  Query PK=DLV#company#app, newest first (ScanIndexForward false), paged
//	get a delivery            GetItem PK=DLV#company#app, SK=id (consistent)
//	create / save a delivery  PutItem, IF attribute_not_exists(PK) (create) or version = :read,
//	                          ReturnValuesOnConditionCheckFailure ALL_OLD
package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

const typeDelivery = "delivery"

func deliveryPK(companyID, appID string) string { return "DLV#" + companyID + "#" + appID }

func errDeliveryNotFound(id string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "Delivery %q not found.", id)
}

// GetDelivery returns one of the deliveries of companyID's app. Errors:
// ENOTFOUND.
func (s *Store) GetDelivery(ctx context.Context, companyID, appID, id string) (*devhub.Delivery, error) {
	if !strings.HasPrefix(id, "dlv_") || len(id) > 64 {
		return nil, errDeliveryNotFound(id)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(deliveryPK(companyID, appID), id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, wrap("get delivery "+id, err)
	}
	if out.Item == nil {
		return nil, errDeliveryNotFound(id)
	}
	return decodeDelivery(out.Item), nil
}

// ListDeliveries returns a page of the deliveries of companyID's app, newest
// first. cursor is what a previous page returned, or "". Errors: EMALFORMED
// (bad cursor).
func (s *Store) ListDeliveries(ctx context.Context, companyID, appID, cursor string, limit int) (Page[*devhub.Delivery], error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: deliveryPK(companyID, appID)},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	}
	if cursor != "" {
		// The cursor is the last id of the previous page: the partition is
		// the caller's app, so a forged one reaches nothing else.
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(cursor) > 128 || !strings.HasPrefix(string(b), "dlv_") {
			return Page[*devhub.Delivery]{}, devhub.Errorf(devhub.EMALFORMED, "The cursor is not valid; use next_cursor from a previous page.")
		}
		in.ExclusiveStartKey = key(deliveryPK(companyID, appID), string(b))
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return Page[*devhub.Delivery]{}, wrap("list deliveries of app "+appID, err)
	}
	page := Page[*devhub.Delivery]{Items: make([]*devhub.Delivery, 0, len(out.Items))}
	for _, item := range out.Items {
		page.Items = append(page.Items, decodeDelivery(item))
	}
	if out.LastEvaluatedKey != nil {
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(attrs(out.LastEvaluatedKey).str(attrSK)))
	}
	return page, nil
}

// PutDelivery stores d as the version after readVersion (0: d is new) and
// returns what it stored (Version and WriteID set). When the condition fails
// it returns the stored delivery and ECONFLICT: it exists already (create),
// or another write moved it since it was read; apply the change to the
// returned one and put again.
//
// Retrying the write is safe, so the client retries it on a lost answer
// (retrySafe): each write carries a fresh write_id, and a retry whose first
// try did land fails its condition against an item carrying its own write_id,
// which PutDelivery reports as the success it was.
func (s *Store) PutDelivery(ctx context.Context, d *devhub.Delivery, readVersion int) (*devhub.Delivery, error) {
	next := *d
	next.Version, next.WriteID = readVersion+1, devhub.NewID("w_")
	in := &dynamodb.PutItemInput{
		TableName: &s.table, Item: deliveryItem(&next),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if readVersion == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		in.ConditionExpression = aws.String("version = :read")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":read": num(int64(readVersion))}
	}
	_, err := s.db.PutItem(ctx, in, retrySafe)
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		if ccf.Item == nil {
			return nil, errDeliveryNotFound(d.ID) // expired since it was read
		}
		cur := decodeDelivery(ccf.Item)
		if cur.WriteID == next.WriteID {
			return cur, nil // our own retried write
		}
		return cur, devhub.Errorf(devhub.ECONFLICT, "Delivery %q changed since it was read.", d.ID)
	case err != nil:
		return nil, wrap("put delivery "+d.ID, err)
	}
	return &next, nil
}

func deliveryItem(d *devhub.Delivery) map[string]types.AttributeValue {
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	at := func(t time.Time) types.AttributeValue { return str(t.UTC().Format(time.RFC3339Nano)) }
	item := map[string]types.AttributeValue{
		attrPK: str(deliveryPK(d.OwnerCompanyID, d.AppID)), attrSK: str(d.ID), "type": str(typeDelivery),
		"owner_company_id": str(d.OwnerCompanyID),
		"version":          num(int64(d.Version)), "write_id": str(d.WriteID),
		"id": str(d.ID), "app_id": str(d.AppID), "installation_id": str(d.InstallationID),
		"client_id": str(d.ClientID), "company_id": str(d.CompanyID), "user_id": str(d.UserID),
		"event": str(d.Event), "ended_at": at(d.EndedAt), "source_id": str(d.SourceID),
		"state": str(string(d.State)), "attempts": num(int64(d.Attempts)), "created_at": at(d.CreatedAt),
		TTLAttribute: &types.AttributeValueMemberN{Value: strconv.FormatInt(d.CreatedAt.Add(devhub.DeliveryRetention).Unix(), 10)},
	}
	if d.LastStatusCode != 0 {
		item["last_status_code"] = num(int64(d.LastStatusCode))
	}
	if d.LastError != "" {
		item["last_error"] = str(d.LastError)
	}
	if !d.NextAttemptAt.IsZero() {
		item["next_attempt_at"] = at(d.NextAttemptAt)
	}
	if !d.DeliveredAt.IsZero() {
		item["delivered_at"] = at(d.DeliveredAt)
	}
	return item
}

func decodeDelivery(item map[string]types.AttributeValue) *devhub.Delivery {
	m := attrs(item)
	return &devhub.Delivery{
		ID: m.str("id"), AppID: m.str("app_id"), OwnerCompanyID: m.str("owner_company_id"), InstallationID: m.str("installation_id"),
		ClientID: m.str("client_id"), CompanyID: m.str("company_id"), UserID: m.str("user_id"),
		Event: m.str("event"), EndedAt: m.time("ended_at"), SourceID: m.str("source_id"),
		State: devhub.DeliveryState(m.str("state")), Attempts: m.int("attempts"),
		LastStatusCode: m.int("last_status_code"), LastError: m.str("last_error"),
		NextAttemptAt: m.time("next_attempt_at"), CreatedAt: m.time("created_at"),
		DeliveredAt: m.time("delivered_at"), Version: m.int("version"), WriteID: m.str("write_id"),
	}
}
