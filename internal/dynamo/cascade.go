// The uninstall cascade of a deleted app and the contact data an uninstall
// notification needs. The stream handler (internal/events) drives both; the
// notifications themselves are deliveries (deliveries.go).
//
// Items:
//
//	type          PK                   SK        attributes
//	app_deleted   APP#<app_id>         DELETED   (apps.go) plus, written here: cascade_round (N),
//	                                             cascade_deleted (N), cascade_done_at (S)
//
// Access patterns:
//
//	cascade page        Query PK=APP#id (consistent), pages of CascadePageSize, from the start of
//	                    the partition every round: deleted items are gone, so a round continues
//	                    where the last one stopped, and nothing can hide behind a stale cursor
//	cascade delete      BatchWriteItem DeleteRequest, ≤ 25 keys each; UnprocessedItems retried with
//	                    exponential back-off and full jitter
//	cascade re-arm      UpdateItem APP#id/DELETED SET cascade_round = :next
//	                    IF cascade_round = :round (or absent and :round = 0): the MODIFY record
//	                    starts the next invocation; a redelivered old record loses the condition
//	cascade done        UpdateItem APP#id/DELETED SET cascade_done_at IF attribute_not_exists
//	app contact         BatchGetItem APP#id/A and APP#id/DELETED (consistent)         1 round trip

package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

const (
	// CascadePageSize is how many items one Query of the cascade reads.
	CascadePageSize = 100
	// batchWriteMax is DynamoDB's limit of requests in one BatchWriteItem.
	batchWriteMax = 25
	// maxUnprocessedAttempts bounds the retries of one BatchWriteItem's
	// unprocessed items; past it the round fails and the stream retries it.
	maxUnprocessedAttempts = 8
)

// Key is an item's primary key.
type Key struct{ PK, SK string }

// CascadeOptions bounds one round of a cascade.
type CascadeOptions struct {
	// Round is the tombstone's cascade_round that started this round (0 for
	// the tombstone's INSERT); the re-arm is conditional on it.
	Round int
	// Deadline: no new page is started after it. Zero: none.
	Deadline time.Time
	// MaxItems: the round stops (and re-arms) once it deleted at least this
	// many items. 0: no limit.
	MaxItems int
	// OwnedKeys returns the keys of items outside the app's partition that
	// an item of the partition owns (an installation's tokens and codes).
	// They are deleted in the same batches as their owner. Nil: none.
	OwnedKeys func(item map[string]types.AttributeValue) []Key
}

// CascadeResult is what one round did.
type CascadeResult struct {
	// Deleted counts the delete requests that DynamoDB processed (an item
	// that was already gone counts too: deletes are idempotent).
	Deleted int
	// Done: the partition holds nothing but the tombstone any more.
	Done bool
	// Rearmed: the round stopped early and moved the tombstone to the next
	// round, whose MODIFY record continues the work. False with Done false
	// means another delivery of the same round had re-armed it already.
	Rearmed bool
	// WriteUnits is the write capacity the round consumed, as DynamoDB
	// reported it.
	WriteUnits float64
}

// CascadeApp removes, in bounded batches, every item of a deleted app's
// partition (extensions, slots, installations, and whatever else lives
// there) and the items they own, except the tombstone, which stays until
// its TTL. It stops at o.Deadline or after o.MaxItems and re-arms the
// tombstone so that the next invocation continues. It is idempotent: a
// redelivered record finds fewer items, or none, and a stale round cannot
// re-arm. Errors: ENOTFOUND (no tombstone: the app was not deleted), and
// EUNAVAILABLE/internal errors after the retries, which the caller reports
// as a failed record.
func (s *Store) CascadeApp(ctx context.Context, appID string, o CascadeOptions) (CascadeResult, error) {
	var res CascadeResult
	pk := appPK(appID)
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
		},
		ConsistentRead: aws.Bool(true),
		Limit:          aws.Int32(CascadePageSize),
	}
	sawTombstone := false
	pending := make([]types.WriteRequest, 0, 2*batchWriteMax)
	flush := func(all bool) error {
		for len(pending) >= batchWriteMax || (all && len(pending) > 0) {
			n := min(len(pending), batchWriteMax)
			wcu, err := s.batchDelete(ctx, pending[:n])
			res.WriteUnits += wcu
			if err != nil {
				return fmt.Errorf("cascade of app %s: %w", appID, err)
			}
			res.Deleted += n
			pending = append(pending[:0], pending[n:]...)
		}
		return nil
	}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return res, wrap("cascade of app "+appID+": query", err)
		}
		for _, item := range out.Items {
			sk := attrs(item).str(attrSK)
			switch sk {
			case skDeleted:
				sawTombstone = true
				continue
			case skApp:
				// The app item goes with its tombstone in one transaction; if
				// it is here the tombstone is not this app's to act on.
				return res, devhub.Errorf(devhub.ECONFLICT, "App %q still exists; its deletion record is not acted on.", appID)
			}
			pending = append(pending, deleteRequest(pk, sk))
			if o.OwnedKeys != nil {
				for _, k := range o.OwnedKeys(item) {
					pending = append(pending, deleteRequest(k.PK, k.SK))
				}
			}
			if err := flush(false); err != nil {
				return res, err
			}
		}
		if err := flush(true); err != nil {
			return res, err
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if (o.MaxItems > 0 && res.Deleted >= o.MaxItems) || (!o.Deadline.IsZero() && time.Now().After(o.Deadline)) {
			rearmed, wcu, err := s.rearm(ctx, appID, o.Round, res.Deleted)
			res.Rearmed, res.WriteUnits = rearmed, res.WriteUnits+wcu
			return res, err
		}
	}
	// The tombstone sorts before every item that is deleted, so the first
	// page saw it if it exists.
	if !sawTombstone {
		return res, devhub.Errorf(devhub.ENOTFOUND, "App %q has no deletion record.", appID)
	}
	res.Done = true
	wcu, err := s.markCascadeDone(ctx, appID, res.Deleted)
	res.WriteUnits += wcu
	return res, err
}

func deleteRequest(pk, sk string) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, sk)}}
}

// batchDelete sends one BatchWriteItem and retries its unprocessed items
// with exponential back-off and full jitter, a bounded number of times.
func (s *Store) batchDelete(ctx context.Context, reqs []types.WriteRequest) (float64, error) {
	var wcu float64
	items := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 1; ; attempt++ {
		// Deletes are idempotent: retrying a lost answer is safe.
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems:           items,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		}, retrySafe)
		if err != nil {
			return wcu, wrap("batch delete", err)
		}
		for _, c := range out.ConsumedCapacity {
			wcu += aws.ToFloat64(c.CapacityUnits)
		}
		left := out.UnprocessedItems[s.table]
		if len(left) == 0 {
			return wcu, nil
		}
		if attempt >= maxUnprocessedAttempts {
			return wcu, fmt.Errorf("batch delete: %d items unprocessed after %d attempts: %w", len(left), attempt,
				devhub.Errorf(devhub.EUNAVAILABLE, "The service is busy; retry shortly."))
		}
		items = map[string][]types.WriteRequest{s.table: left}
		if err := unprocessedBackoff(ctx, attempt); err != nil {
			return wcu, err
		}
	}
}

// unprocessedBackoff sleeps before retry attempt+1: full jitter over a window
// that doubles from 50 ms up to 3.2 s (DynamoDB's advice for throttled
// batches; longer than the transaction back-off, since a throttled partition
// needs time, not luck).
func unprocessedBackoff(ctx context.Context, attempt int) error {
	window := 50 * time.Millisecond << min(attempt-1, 6)
	t := time.NewTimer(rand.N(window) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// rearm moves the tombstone to round+1, which puts a MODIFY record on the
// stream that starts the next round. It reports false when another delivery
// of the same round got there first (or the tombstone has expired).
func (s *Store) rearm(ctx context.Context, appID string, round, deleted int) (bool, float64, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(appPK(appID), skDeleted),
		UpdateExpression: aws.String("SET cascade_round = :next, cascade_deleted = if_not_exists(cascade_deleted, :zero) + :n"),
		ConditionExpression: aws.String("attribute_exists(PK) AND (cascade_round = :round OR " +
			"(attribute_not_exists(cascade_round) AND :round = :zero))"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": num(int64(round + 1)), ":round": num(int64(round)), ":zero": num(0), ":n": num(int64(deleted)),
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		// Retry-safe: a retry whose first try landed fails the condition and
		// reads as "re-armed by another delivery"; either way the MODIFY
		// record is there and starts the next round.
	}, retrySafe)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, 1, nil
	}
	if err != nil {
		return false, 0, wrap("re-arm cascade of app "+appID, err)
	}
	return true, capacity(out.ConsumedCapacity), nil
}

func (s *Store) markCascadeDone(ctx context.Context, appID string, deleted int) (float64, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(appPK(appID), skDeleted),
		UpdateExpression:    aws.String("SET cascade_done_at = :now, cascade_deleted = if_not_exists(cascade_deleted, :zero) + :n"),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(cascade_done_at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":  &types.AttributeValueMemberS{Value: s.Now().UTC().Format(time.RFC3339Nano)},
			":zero": num(0), ":n": num(int64(deleted)),
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}, retrySafe) // a retry whose first try landed reads as "done before": the same outcome
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return 1, nil // done before: a redelivery
	}
	if err != nil {
		return 0, wrap("finish cascade of app "+appID, err)
	}
	return capacity(out.ConsumedCapacity), nil
}

func capacity(c *types.ConsumedCapacity) float64 {
	if c == nil {
		return 0
	}
	return aws.ToFloat64(c.CapacityUnits)
}

// CascadeState is the progress recorded on a tombstone.
type CascadeState struct {
	Round   int
	Deleted int
	Done    bool
}

// GetCascadeState reads the progress of an app's cascade. Errors: ENOTFOUND.
func (s *Store) GetCascadeState(ctx context.Context, appID string) (CascadeState, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(appPK(appID), skDeleted), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return CascadeState{}, wrap("get deletion of app "+appID, err)
	}
	if out.Item == nil {
		return CascadeState{}, devhub.Errorf(devhub.ENOTFOUND, "App %q has no deletion record.", appID)
	}
	m := attrs(out.Item)
	return CascadeState{Round: m.int("cascade_round"), Deleted: m.int("cascade_deleted"), Done: m.str("cascade_done_at") != ""}, nil
}

// AppContact is what an uninstall notification needs to know of an app.
type AppContact struct {
	AppID        string
	ClientID     string
	ClientSecret string
	CallbackURL  string
	// OwnerCompanyID is the app's owner company.
	OwnerCompanyID string
	// Deleted: read from the app's tombstone; the app itself is gone.
	Deleted bool
}

// GetAppContact returns the app's callback URL and credentials, from the app
// item or, once the app is deleted, from its tombstone (kept 30 days, long
// enough for the cascade's notifications). Errors: ENOTFOUND.
func (s *Store) GetAppContact(ctx context.Context, appID string) (*AppContact, error) {
	req := map[string]types.KeysAndAttributes{s.table: {
		Keys:                 []map[string]types.AttributeValue{key(appPK(appID), skApp), key(appPK(appID), skDeleted)},
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("SK, client_id, client_secret, callback_url, owner_company_id"),
	}}
	var found []map[string]types.AttributeValue
	for attempt := 1; len(req) > 0; attempt++ {
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, wrap("get contact of app "+appID, err)
		}
		found = append(found, out.Responses[s.table]...)
		req = out.UnprocessedKeys
		if len(req) > 0 {
			if attempt >= maxUnprocessedAttempts {
				return nil, fmt.Errorf("get contact of app %s: keys unprocessed: %w", appID,
					devhub.Errorf(devhub.EUNAVAILABLE, "The service is busy; retry shortly."))
			}
			if err := unprocessedBackoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
	}
	var c *AppContact
	for _, item := range found {
		m := attrs(item)
		deleted := m.str(attrSK) == skDeleted
		if c != nil && deleted {
			continue // the app item wins
		}
		c = &AppContact{AppID: appID, ClientID: m.str("client_id"), ClientSecret: m.str("client_secret"),
			CallbackURL: m.str("callback_url"), OwnerCompanyID: m.str("owner_company_id"), Deleted: deleted}
	}
	if c == nil {
		return nil, errAppNotFound(appID)
	}
	return c, nil
}
