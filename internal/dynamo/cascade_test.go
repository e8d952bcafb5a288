package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
)

func TestCascadeApp(t *testing.T) {
	var meter dynamo.Meter
	s := dynamotest.MustOpenStore(t, meter.Option)
	db := dynamotest.Client(t)
	ctx := context.Background()
	a := eventstest.NewApp(t, s, "https://example.com/cb")
	const installs = 300
	eventstest.BulkInstall(t, db, s.Table(), a, installs)
	eventstest.PutExtensionItems(t, db, s.Table(), a, 3)
	tok := eventstest.Install(t, s, a, "cx", "ux") // one through the OAuth store, with tokens
	total := installs + 1 + 3*2

	t.Run("ErrAppExists", func(t *testing.T) {
		_, err := s.CascadeApp(ctx, a.ID, dynamo.CascadeOptions{})
		if got := devhub.ErrorCode(err); got != devhub.ECONFLICT {
			t.Fatalf("got %v, want ECONFLICT", err)
		}
		if n := eventstest.PartitionSize(t, db, s.Table(), a.ID); n != total+1 {
			t.Fatalf("partition: got %d items, want %d", n, total+1)
		}
	})
	if err := s.DeleteApp(ctx, a, "test", "dev1"); err != nil {
		t.Fatal(err)
	}

	t.Run("ContactFromTombstone", func(t *testing.T) {
		c, err := s.GetAppContact(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Deleted || c.ClientSecret != a.ClientSecret || c.CallbackURL != a.CallbackURL || c.ClientID != a.ClientID {
			t.Errorf("got %+v", c)
		}
	})

	owned := 0
	ownedKeys := func(item map[string]types.AttributeValue) []dynamo.Key {
		if s, ok := item["user_id"].(*types.AttributeValueMemberS); ok && s.Value == "ux" {
			owned++
			return []dynamo.Key{{PK: "TOKEN#" + tok.Access, SK: "T"}, {PK: "TOKEN#" + tok.Refresh, SK: "T"}}
		}
		return nil
	}

	t.Run("RoundStopsAndRearms", func(t *testing.T) {
		meter.Reset()
		res, err := s.CascadeApp(ctx, a.ID, dynamo.CascadeOptions{MaxItems: 100, OwnedKeys: ownedKeys})
		if err != nil {
			t.Fatal(err)
		}
		if res.Done || !res.Rearmed || res.Deleted < 100 || res.Deleted > 100+dynamo.CascadePageSize {
			t.Fatalf("got %+v", res)
		}
		calls := meter.Calls()
		// Every BatchWriteItem carries at most 25 deletes.
		if min := (res.Deleted + 24) / 25; calls["BatchWriteItem"] < min {
			t.Errorf("BatchWriteItem: got %d calls for %d deletes", calls["BatchWriteItem"], res.Deleted)
		}
		if res.WriteUnits < float64(res.Deleted) {
			t.Errorf("write units: got %v for %d deletes", res.WriteUnits, res.Deleted)
		}
		st, err := s.GetCascadeState(ctx, a.ID)
		if err != nil || st.Round != 1 || st.Done || st.Deleted != res.Deleted {
			t.Fatalf("state: got %+v, %v", st, err)
		}
	})
	t.Run("StaleRoundDoesNotRearm", func(t *testing.T) {
		// A redelivered INSERT (round 0) after the re-arm: it may delete, but
		// must not start a second chain of rounds.
		res, err := s.CascadeApp(ctx, a.ID, dynamo.CascadeOptions{MaxItems: 25, OwnedKeys: ownedKeys})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rearmed || res.Done {
			t.Fatalf("got %+v", res)
		}
		if st, _ := s.GetCascadeState(ctx, a.ID); st.Round != 1 {
			t.Errorf("round moved to %d", st.Round)
		}
	})
	t.Run("NextRoundFinishes", func(t *testing.T) {
		res, err := s.CascadeApp(ctx, a.ID, dynamo.CascadeOptions{Round: 1, OwnedKeys: ownedKeys})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Done {
			t.Fatalf("got %+v", res)
		}
		if n := eventstest.PartitionSize(t, db, s.Table(), a.ID); n != 1 {
			t.Errorf("partition: got %d items, want the tombstone only", n)
		}
		if owned != 1 {
			t.Errorf("owned keys asked %d times, want 1", owned)
		}
		lk, err := s.LookupToken(ctx, tok.Refresh, a.ClientID)
		if err != nil || lk.Token != nil {
			t.Errorf("refresh token item: got %+v, %v", lk.Token, err)
		}
		st, err := s.GetCascadeState(ctx, a.ID)
		if err != nil || !st.Done {
			t.Errorf("state: got %+v, %v", st, err)
		}
	})
	t.Run("RedeliveryDoesNothing", func(t *testing.T) {
		meter.Reset()
		res, err := s.CascadeApp(ctx, a.ID, dynamo.CascadeOptions{Round: 1})
		if err != nil || !res.Done || res.Deleted != 0 {
			t.Fatalf("got %+v, %v", res, err)
		}
		if meter.Calls()["BatchWriteItem"] != 0 {
			t.Errorf("wrote again: %v", meter.Calls())
		}
	})
	t.Run("ErrNoTombstone", func(t *testing.T) {
		_, err := s.CascadeApp(ctx, "app_nope", dynamo.CascadeOptions{})
		if devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Fatalf("got %v", err)
		}
		if _, err := s.GetAppContact(ctx, "app_nope"); devhub.ErrorCode(err) != devhub.ENOTFOUND {
			t.Fatalf("contact: got %v", err)
		}
	})
}

func TestAppContact(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	ctx := context.Background()
	a := eventstest.NewApp(t, s, "https://example.com/cb")
	c, err := s.GetAppContact(ctx, a.ID)
	if err != nil || c.Deleted || c.ClientSecret != a.ClientSecret || c.CallbackURL != a.CallbackURL {
		t.Fatalf("got %+v, %v", c, err)
	}
}
