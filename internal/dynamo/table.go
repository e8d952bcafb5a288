package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key attribute names and the index, as template.yaml declares them.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	indexGSI1  = "GSI1"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	indexGSI2  = "GSI2"
	// TTLAttribute holds an item's expiry in epoch seconds.
	TTLAttribute = "expires_at"
)

// TableDefinition is the table as template.yaml declares it. The local runner
// and the tests create their tables from it; a test proves that template.yaml
// says the same.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	str := types.ScalarAttributeTypeS
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: str},
			{AttributeName: aws.String(attrSK), AttributeType: str},
			{AttributeName: aws.String(attrGSI1PK), AttributeType: str},
			{AttributeName: aws.String(attrGSI1SK), AttributeType: str},
			{AttributeName: aws.String(attrGSI2PK), AttributeType: str},
			{AttributeName: aws.String(attrGSI2SK), AttributeType: str},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{gsi(indexGSI1, attrGSI1PK, attrGSI1SK), gsi(indexGSI2, attrGSI2PK, attrGSI2SK)},
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
}

func gsi(name, pk, sk string) types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName: aws.String(name),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}
}

// EnsureTable creates the table from TableDefinition unless it exists, waits
// until it is active and turns on TTL. A table made before GSI2 existed (the
// local runner keeps its data in .local/) gets it added, and its listed
// apps indexed (BackfillMarketplace), as an upgraded stack does. Point-in-time recovery is a setting of
// the deployed table only (template.yaml); DynamoDB Local has none.
func EnsureTable(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.CreateTable(ctx, TableDefinition(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if err := ensureIndexes(ctx, db, name); err != nil {
		return err
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	// A second enable on a table that has TTL already is refused; that is fine.
	if err != nil && !isTTLAlreadyEnabled(err) {
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}

// ensureIndexes adds the indexes of TableDefinition that table name lacks,
// one at a time (as DynamoDB allows), waits until they are active, and
// indexes the apps written before GSI2 existed.
func ensureIndexes(ctx context.Context, db *dynamodb.Client, name string) error {
	def := TableDefinition(name)
	for _, want := range def.GlobalSecondaryIndexes {
		index := aws.ToString(want.IndexName)
		added, err := addIndex(ctx, db, def, want)
		if err != nil {
			return err
		}
		if !added {
			continue
		}
		if err := waitIndex(ctx, db, name, index); err != nil {
			return err
		}
		if index == indexGSI2 {
			if _, err := New(db, name).BackfillMarketplace(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// addIndex asks for index want unless the table has it, and reports
// whether it asked. UpdateTable is not retried by the client (it is not
// idempotent); here it is, because each try first looks whether the index
// exists: a busy DynamoDB Local answers 500s or ResourceInUse for a while
// (an index another table builds), and an answer lost after the index was
// created finds it there on the next try.
func addIndex(ctx context.Context, db *dynamodb.Client, def *dynamodb.CreateTableInput, want types.GlobalSecondaryIndex) (bool, error) {
	name, index := aws.ToString(def.TableName), aws.ToString(want.IndexName)
	asked := false
	for try := 1; ; try++ {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: def.TableName})
		if err != nil {
			return false, fmt.Errorf("describe table %s: %w", name, err)
		}
		if slices.ContainsFunc(out.Table.GlobalSecondaryIndexes, func(g types.GlobalSecondaryIndexDescription) bool {
			return aws.ToString(g.IndexName) == index
		}) {
			return asked, nil
		}
		_, err = db.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName: def.TableName, AttributeDefinitions: def.AttributeDefinitions,
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: want.IndexName, KeySchema: want.KeySchema, Projection: want.Projection,
			}}},
		})
		if err == nil {
			return true, nil
		}
		asked = true
		if try == addIndexTries || !busy(err) {
			return false, fmt.Errorf("add index %s to %s (try %d): %w", index, name, try, err)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(time.Duration(try) * 250 * time.Millisecond):
		}
	}
}

// addIndexTries bounds addIndex: its back-off adds up to about 11 s.
const addIndexTries = 10

// busy tells an UpdateTable that may pass later (the table or the service
// is busy, the answer was lost) from one that never will (validation).
func busy(err error) bool {
	var inUse *types.ResourceInUseException
	var limit *types.LimitExceededException
	return Unavailable(err) || errors.As(err, &inUse) || errors.As(err, &limit) || faultKind(err) != faultNone
}

func waitIndex(ctx context.Context, db *dynamodb.Client, table, index string) error {
	// DynamoDB Local builds an index in the background; under a loaded
	// machine (a full test run) that took over a minute once.
	for deadline := time.Now().Add(5 * time.Minute); ; {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", table, err)
		}
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if aws.ToString(g.IndexName) == index && g.IndexStatus == types.IndexStatusActive {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("index %s of %s is not active after 5 minutes", index, table)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isTTLAlreadyEnabled(err error) bool {
	var ve interface{ ErrorMessage() string }
	return errors.As(err, &ve) && strings.Contains(strings.ToLower(ve.ErrorMessage()), "already enabled")
}

// EnsureTable creates the store's table if it is missing (local runs only).
func (s *Store) EnsureTable(ctx context.Context) error { return EnsureTable(ctx, s.db, s.table) }
