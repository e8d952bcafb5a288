package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

// TestRun: a published app written the old way (no GSI2 keys) is listed
// after the command ran; without a table it refuses to start.
func TestRun(t *testing.T) {
	if err := run("", "", time.Minute); err == nil {
		t.Error("no table: want an error")
	}
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPublic, Name: "Old", CallbackURL: "https://example.com/cb"},
		devhub.Identity{UserID: "u", CompanyID: "c", Sandbox: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.Status = devhub.StatusPublished
	if _, err := s.CreateApp(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	db := dynamotest.Client(t)
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table()),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "CLIENT#" + a.ClientID},
			"SK": &types.AttributeValueMemberS{Value: "A"}},
		UpdateExpression: aws.String("REMOVE GSI2PK, GSI2SK")}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.ListMarketplace(ctx, "", 10); err != nil || len(p.Items) != 0 {
		t.Fatalf("before: %d listed, %v", len(p.Items), err)
	}
	if err := run(s.Table(), dynamotest.Endpoint(t), time.Minute); err != nil {
		t.Fatal(err)
	}
	if p, err := s.ListMarketplace(ctx, "", 10); err != nil || len(p.Items) != 1 || p.Items[0].ID != a.ID {
		t.Errorf("after: %+v, %v", p.Items, err)
	}
}
