package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// The marketplace's "Installed apps" page reads the user's installations
// (ListInstallations, one Query) and then their apps:
//
//	apps of a page of installations  BatchGetItem CLIENT#client_id/A per app (consistent)  1 round trip per 100 apps
//	one installation of a user        Query GSI1 USER#company#user, GSI1SK = INST#id          1 round trip

// maxBatchGetKeys is DynamoDB's limit of keys in one BatchGetItem.
const maxBatchGetKeys = 100

// GetAppsByClientID returns the apps of those client ids that exist, in any
// order: one BatchGetItem of their client copies per 100 ids (none for no
// ids). Duplicate ids are read once. Errors: EUNAVAILABLE (keys left
// unprocessed after retries).
func (s *Store) GetAppsByClientID(ctx context.Context, clientIDs []string) ([]*devhub.App, error) {
	seen := make(map[string]bool, len(clientIDs))
	keys := make([]map[string]types.AttributeValue, 0, len(clientIDs))
	for _, id := range clientIDs {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(clientPK(id), skApp))
		}
	}
	apps := make([]*devhub.App, 0, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), maxBatchGetKeys)
		items, err := s.batchGet(ctx, "get apps by client id", keys[:n]...)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			a, err := decodeApp(it)
			if err != nil {
				return nil, err
			}
			apps = append(apps, a)
		}
		keys = keys[n:]
	}
	return apps, nil
}

// FindInstallation returns (company, user)'s installation id, through the
// user's index (which may lag a just-made install by a moment). Errors:
// ENOTFOUND (no such installation of theirs).
func (s *Store) FindInstallation(ctx context.Context, company, user, id string) (*devhub.Installation, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(indexGSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND GSI1SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(userPK(company, user)), ":sk": str(skInstPrefix + id)},
	})
	if err != nil {
		return nil, wrap("find installation "+id, err)
	}
	if len(out.Items) == 0 {
		return nil, errInstallationNotFound(id)
	}
	return decodeInstallation(out.Items[0]), nil
}
