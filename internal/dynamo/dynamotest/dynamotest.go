// Package dynamotest gives tests a real DynamoDB Local table of their own.
// It never mocks DynamoDB: it uses DYNAMODB_ENDPOINT (set by `make test`), or
// starts one DynamoDB Local for the test binary when that is not set.
package dynamotest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/devhub-oss/devhub/internal/ddblocal"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

var (
	once     sync.Once
	endpoint string
	startErr error
)

// Endpoint returns the DynamoDB Local endpoint for this test binary.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if endpoint = os.Getenv("DYNAMODB_ENDPOINT"); endpoint != "" {
			return
		}
		// The emulator lives until the test binary exits (Pdeathsig).
		var srv *ddblocal.Server
		srv, startErr = ddblocal.Start(context.Background(), ddblocal.Options{})
		if startErr == nil {
			endpoint = srv.Endpoint
		}
	})
	if startErr != nil {
		tb.Fatalf("DynamoDB Local: %v", startErr)
	}
	return endpoint
}

// Client returns a client of the test DynamoDB Local; optFns are applied to it
// (e.g. a round-trip meter).
func Client(tb testing.TB, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	tb.Helper()
	db, err := dynamo.NewClient(Endpoint(tb), optFns...)
	if err != nil {
		tb.Fatalf("DynamoDB client: %v", err)
	}
	return db
}

// MustOpenStore creates a table of the test's own, deleted when the test ends,
// and returns a Store on it.
func MustOpenStore(tb testing.TB, optFns ...func(*dynamodb.Options)) *dynamo.Store {
	tb.Helper()
	db := Client(tb, optFns...)
	name := "test_" + devhub.NewID("")
	ctx := context.Background()
	if err := dynamo.EnsureTable(ctx, db, name); err != nil {
		tb.Fatalf("create table: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamo.New(db, name)
}
