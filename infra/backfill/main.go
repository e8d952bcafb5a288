// Command backfill gives the listed apps of a table written before the
// marketplace index (GSI2) existed their GSI2 keys, so that they show in the
// marketplace list again (internal/dynamo/marketplace.go says why the index
// exists and what the backfill does). Run it once after the stack update
// that adds GSI2 has finished (no function of the old code runs); it is safe
// to run again, and while the API serves:
//
//	eval "$(aws configure export-credentials --format env)"   # or any AWS_* credentials
//	AWS_REGION=eu-west-1 go run ./infra/backfill -table "$(aws cloudformation describe-stacks \
//	  --stack-name devhub --query "Stacks[0].Outputs[?OutputKey=='TableName'].OutputValue" --output text)"
//
// It reads GSI1 STATUS#published and STATUS#review (no Scan) and writes only
// the client copies of listed apps that lack the keys, each on the condition
// that its version did not move. It needs dynamodb:Query on the table's GSI1
// and dynamodb:UpdateItem on the table. It prints what it did as JSON. With
// -endpoint (or DYNAMODB_ENDPOINT) it works on DynamoDB Local; the local
// runner backfills its own table when it adds the index.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/devhub-oss/devhub/internal/dynamo"
)

func main() {
	table := flag.String("table", os.Getenv("TABLE_NAME"), "the devhub table (the stack's TableName output); env TABLE_NAME")
	endpoint := flag.String("endpoint", os.Getenv("DYNAMODB_ENDPOINT"), "DynamoDB endpoint, for DynamoDB Local; env DYNAMODB_ENDPOINT")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after")
	flag.Parse()
	if err := run(*table, *endpoint, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

func run(table, endpoint string, timeout time.Duration) error {
	if table == "" {
		return fmt.Errorf("-table (or TABLE_NAME) is required")
	}
	db, err := dynamo.NewClient(endpoint)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := dynamo.New(db, table).BackfillMarketplace(ctx)
	out, _ := json.Marshal(st)
	fmt.Println(string(out))
	return err
}
