package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// The marketplace index.
//
// The client copy's GSI1 key is the app's place in the reviewers' queue and
// the callback sweep: STATUS#<status>, except that an approved app whose
// pending changes wait for a reviewer is queued under STATUS#review (one
// Query lists the whole queue). So STATUS#published is not "every listed
// app": a published app that sends changes to review leaves it, while
// domain.md keeps it published (the listing shows the approved version).
//
// The marketplace therefore has an index of its own, GSI2, and only listed
// apps (devhub.App.Listed: public and published, pending changes or not)
// are in it: their client copy carries GSI2PK = MARKET and GSI2SK =
// <updated_at>#<app_id> (its GSI1SK). Every other item leaves both unset, so
// the index is sparse, a list page is one Query with no filter (a page is
// never short for apps filtered out), and the attributes are written by the
// same Put as the rest of the client copy (appItems), inside each app
// write's transaction: no write gained an item, so none lost atomicity or
// room (manifests' 100-item limit). Unpublishing, deleting or a rejected app
// drop the attributes with the Put (or the Delete) that changes the app.
//
// A second index rather than a queue-marker item or a change of GSI1: GSI1
// keeps its meaning, so the review queue, the sweep and every item already
// stored need nothing; a marker would add an item to every app write.
//
// Stacks that wrote apps before GSI2 existed: CloudFormation adds the index
// to the table, but the client copies already stored have no GSI2 keys, so
// their listed apps are missing from the marketplace list (not from
// GET /v1/marketplace/apps/{id}, which reads the app) until they are
// written again or BackfillMarketplace runs (go run ./infra/backfill; the
// local runner does it itself when it adds the index to its table).
const marketPK = "MARKET"

// ListMarketplace returns a page of every company's listed apps, oldest
// change first: one Query of GSI2. Errors: EMALFORMED (bad cursor).
func (s *Store) ListMarketplace(ctx context.Context, cursor string, limit int) (Page[*devhub.App], error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(indexGSI2),
		KeyConditionExpression: aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: marketPK},
		},
		Limit: aws.Int32(int32(limit)),
	}
	return s.queryApps(ctx, in, cursor, gsi2, marketPK, "", "list the marketplace")
}

// BackfillStats is what BackfillMarketplace did.
type BackfillStats struct {
	Seen    int `json:"seen"`    // client copies read from STATUS#published and STATUS#review
	Indexed int `json:"indexed"` // listed apps given their GSI2 keys
	Changed int `json:"changed"` // written meanwhile (by code that sets the keys itself): left alone
}

// BackfillMarketplace gives the listed apps written before GSI2 existed
// their GSI2 keys. Under the old writes a listed app's client copy is under
// GSI1 STATUS#published, or STATUS#review while its pending changes wait,
// so it pages through those two (no Scan) and, for each listed client copy
// without GSI2PK, sets the keys appItems would have set, on the condition
// that the item's version is still the one read: a write in between came
// from code that sets them itself and wins. It may run any number of times,
// while the API serves; run it after the stack update that adds GSI2, once
// no function of the old code runs.
func (s *Store) BackfillMarketplace(ctx context.Context) (BackfillStats, error) {
	var st BackfillStats
	for _, status := range []devhub.AppStatus{devhub.StatusPublished, devhub.StatusReview} {
		in := &dynamodb.QueryInput{
			TableName:              &s.table,
			IndexName:              aws.String(indexGSI1),
			KeyConditionExpression: aws.String("GSI1PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: statusPK(status)},
			},
		}
		for {
			out, err := s.db.Query(ctx, in)
			if err != nil {
				return st, wrap("backfill: list apps in "+string(status), err)
			}
			for _, item := range out.Items {
				st.Seen++
				if _, ok := item[attrGSI2PK]; ok {
					continue
				}
				a, err := decodeApp(item)
				if err != nil {
					return st, err
				}
				if !a.Listed() {
					continue
				}
				switch err := s.indexListed(ctx, a, item[attrGSI1SK]); {
				case err == nil:
					st.Indexed++
				case errors.Is(err, errMoved):
					st.Changed++
				default:
					return st, err
				}
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return st, nil
}

var errMoved = errors.New("written since it was read")

// indexListed sets a's client copy's GSI2 keys, provided it is still at
// a.Version.
func (s *Store) indexListed(ctx context.Context, a *devhub.App, sortKey types.AttributeValue) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(clientPK(a.ClientID), skApp),
		UpdateExpression:    aws.String("SET GSI2PK = :pk, GSI2SK = :sk"),
		ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: marketPK}, ":sk": sortKey, ":v": num(int64(a.Version)),
		},
		// A retry of a first try that landed sets the same two attributes on
		// the same version again: the same outcome.
	}, retrySafe)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errMoved
	}
	if err != nil {
		return wrap(fmt.Sprintf("backfill: index app %s", a.ID), err)
	}
	return nil
}
