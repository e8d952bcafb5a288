package dynamo_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

func newDelivery(appID string, at time.Time, source string) *devhub.Delivery {
	return &devhub.Delivery{ID: devhub.NewDeliveryID(at, source), AppID: appID, OwnerCompanyID: "acme", InstallationID: "inst_1",
		ClientID: "cid", CompanyID: "co1", UserID: "u1", Event: devhub.DeliveryEventUninstall, EndedAt: at,
		SourceID: source, State: devhub.DeliveryPending, CreatedAt: at}
}

func TestDeliveries(t *testing.T) {
	m := &dynamo.Meter{}
	s := dynamotest.MustOpenStore(t, m.Option)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

	t.Run("CreateOnceThenConflictReturnsStored", func(t *testing.T) {
		d := newDelivery("app1", t0, "ev1")
		m.Reset()
		got, err := s.PutDelivery(ctx, d, 0)
		if err != nil || got.Version != 1 || got.WriteID == "" || m.Total() != 1 {
			t.Fatalf("got %+v, %v, %d round trips", got, err, m.Total())
		}
		again, err := s.PutDelivery(ctx, newDelivery("app1", t0, "ev1"), 0)
		if devhub.ErrorCode(err) != devhub.ECONFLICT || again == nil || again.WriteID != got.WriteID || again.State != devhub.DeliveryPending {
			t.Fatalf("second create: got %+v, %v", again, err)
		}
	})

	t.Run("AttemptsWithOptimisticConcurrency", func(t *testing.T) {
		cur, err := s.GetDelivery(ctx, "acme", "app1", devhub.NewDeliveryID(t0, "ev1"))
		if err != nil {
			t.Fatal(err)
		}
		next := t0.Add(time.Second)
		retrying, err := s.PutDelivery(ctx, cur.WithAttempt(devhub.AttemptResult{Status: 503, At: t0}, next), cur.Version)
		if err != nil || retrying.State != devhub.DeliveryRetrying || retrying.Attempts != 1 || retrying.Version != 2 {
			t.Fatalf("got %+v, %v", retrying, err)
		}
		// A write based on the old version loses and gets what is stored.
		stale, err := s.PutDelivery(ctx, cur.WithAttempt(devhub.AttemptResult{Status: 200, At: t0}, time.Time{}), cur.Version)
		if devhub.ErrorCode(err) != devhub.ECONFLICT || stale.Version != 2 || stale.State != devhub.DeliveryRetrying {
			t.Fatalf("stale write: got %+v, %v", stale, err)
		}
		done, err := s.PutDelivery(ctx, retrying.WithAttempt(devhub.AttemptResult{Status: 204, At: next}, time.Time{}), retrying.Version)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetDelivery(ctx, "acme", "app1", done.ID)
		if err != nil || got.State != devhub.DeliveryDelivered || got.Attempts != 2 || got.LastStatusCode != 204 ||
			!got.DeliveredAt.Equal(next) || got.LastError != "" || !got.NextAttemptAt.IsZero() || !got.EndedAt.Equal(t0) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})

	t.Run("ExpiresAfter30Days", func(t *testing.T) {
		out, err := dynamotest.Client(t).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table()),
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "DLV#acme#app1"},
				"SK": &types.AttributeValueMemberS{Value: devhub.NewDeliveryID(t0, "ev1")}}})
		if err != nil {
			t.Fatal(err)
		}
		want := strconv.FormatInt(t0.Add(30*24*time.Hour).Unix(), 10)
		if v, _ := out.Item["expires_at"].(*types.AttributeValueMemberN); v == nil || v.Value != want {
			t.Errorf("expires_at: got %v, want %s", out.Item["expires_at"], want)
		}
	})

	t.Run("ListNewestFirstPaged", func(t *testing.T) {
		for i := range 5 {
			if _, err := s.PutDelivery(ctx, newDelivery("app2", t0.Add(time.Duration(i)*time.Minute), "e"+strconv.Itoa(i)), 0); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			m.Reset()
			p, err := s.ListDeliveries(ctx, "acme", "app2", cursor, 2)
			if err != nil || m.Total() != 1 {
				t.Fatalf("page %d: %v, %d round trips", pages, err, m.Total())
			}
			for _, d := range p.Items {
				got = append(got, d.SourceID)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if want := "e4 e3 e2 e1 e0"; join(got) != want {
			t.Errorf("got %v, want %s", got, want)
		}
		if p, err := s.ListDeliveries(ctx, "acme", "app1", "", 10); err != nil || len(p.Items) != 1 {
			t.Errorf("other app's partition: got %d, %v", len(p.Items), err)
		}
		if p, err := s.ListDeliveries(ctx, "globex", "app2", "", 10); err != nil || len(p.Items) != 0 {
			t.Errorf("another company's view: got %d, %v", len(p.Items), err)
		}
	})

	t.Run("ErrBadCursor", func(t *testing.T) {
		for _, c := range []string{"!!", "QVBQ", "eHh4"} {
			if _, err := s.ListDeliveries(ctx, "acme", "app2", c, 2); devhub.ErrorCode(err) != devhub.EMALFORMED {
				t.Errorf("cursor %q: got %v", c, err)
			}
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{devhub.NewDeliveryID(t0, "nope"), "app_x", devhub.NewDeliveryID(t0, "ev1")} {
			if _, err := s.GetDelivery(ctx, "acme", "app2", id); devhub.ErrorCode(err) != devhub.ENOTFOUND {
				t.Errorf("%s: got %v", id, err)
			}
		}
	})
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
