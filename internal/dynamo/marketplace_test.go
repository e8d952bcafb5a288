package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/ddblocal"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/faultproxy"
)

// storedApps writes one app per state, the way the API leaves them: listed
// (published, with or without pending changes, in review or not) and not
// listed (draft, in review, unpublished with changes in review, private
// live). It returns the ids of the listed ones and of the queued ones.
func storedApps(t *testing.T, s *dynamo.Store, base time.Time) (listed, queued []string) {
	t.Helper()
	ctx := context.Background()
	n := 0
	put := func(status devhub.AppStatus, typ devhub.AppType, pending *devhub.PendingChanges) *devhub.App {
		n++
		a := newApp(t, fmt.Sprintf("c%d", n), base.Add(time.Duration(n)*time.Second))
		a.Status, a.Type, a.PendingChanges = status, typ, pending
		if _, err := s.CreateApp(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if a.Listed() {
			listed = append(listed, a.ID)
		}
		if status == devhub.StatusReview || (pending != nil && pending.InReview) {
			queued = append(queued, a.ID)
		}
		return a
	}
	inReview := func() *devhub.PendingChanges {
		return &devhub.PendingChanges{Scopes: []string{"base"}, InReview: true, SubmittedAt: &base}
	}
	put(devhub.StatusPublished, devhub.AppPublic, nil)
	put(devhub.StatusPublished, devhub.AppPublic, inReview())
	put(devhub.StatusPublished, devhub.AppPublic, &devhub.PendingChanges{Scopes: []string{"base"}})
	put(devhub.StatusPublished, devhub.AppPublic, inReview())
	put(devhub.StatusDraft, devhub.AppPublic, nil)
	put(devhub.StatusReview, devhub.AppPublic, nil)
	put(devhub.StatusUnpublished, devhub.AppPublic, inReview())
	put(devhub.StatusUnpublished, devhub.AppPublic, nil)
	put(devhub.StatusLive, devhub.AppPrivate, nil)
	return listed, queued
}

func ids(apps []*devhub.App) []string {
	out := make([]string, len(apps))
	for i, a := range apps {
		out[i] = a.ID
	}
	return out
}

// pages reads every page of list, pageSize at a time, and counts the calls.
func pages(t *testing.T, meter *dynamo.Meter, pageSize int, list func(cursor string, limit int) (dynamo.Page[*devhub.App], error)) (got []*devhub.App, calls int) {
	t.Helper()
	cursor := ""
	for range 20 {
		meter.Reset()
		page, err := list(cursor, pageSize)
		if err != nil {
			t.Fatal(err)
		}
		calls += meter.Total()
		got = append(got, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return got, calls
		}
	}
	t.Fatal("too many pages")
	return nil, 0
}

// TestListMarketplace: the marketplace index holds exactly the listed apps
// (a published app whose changes wait for a reviewer included), one Query a
// page, oldest change first, while the review queue (GSI1 STATUS#review)
// still holds every app waiting for a reviewer.
func TestListMarketplace(t *testing.T) {
	var meter dynamo.Meter
	s := dynamotest.MustOpenStore(t, meter.Option)
	ctx := context.Background()
	listed, queued := storedApps(t, s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

	got, calls := pages(t, &meter, 2, func(c string, l int) (dynamo.Page[*devhub.App], error) { return s.ListMarketplace(ctx, c, l) })
	if !slices.Equal(ids(got), listed) {
		t.Errorf("marketplace: got %v, want %v (oldest change first)", ids(got), listed)
	}
	// 4 listed apps, 2 a page: 2 full pages and the empty one a full page's cursor may lead to.
	if calls > 3 {
		t.Errorf("marketplace: %d calls for %d apps by 2", calls, len(listed))
	}
	for _, a := range got {
		if a.ClientSecret == "" || a.Version == 0 {
			t.Errorf("decoded %+v", a)
		}
	}
	q, _ := pages(t, &meter, 100, func(c string, l int) (dynamo.Page[*devhub.App], error) {
		return s.ListAppsByStatus(ctx, devhub.StatusReview, c, l)
	})
	if g := ids(q); !slices.Equal(sorted(g), sorted(queued)) {
		t.Errorf("review queue: got %v, want %v", g, queued)
	}

	t.Run("Cursor", func(t *testing.T) {
		first, err := s.ListMarketplace(ctx, "", 1)
		if err != nil || len(first.Items) != 1 || first.NextCursor == "" {
			t.Fatalf("first page %+v, %v", first, err)
		}
		// The cursor of another list is refused or stays in the marketplace.
		company, err := s.ListApps(ctx, "c5", "", 1)
		if err != nil || company.NextCursor == "" {
			t.Fatalf("company page %+v, %v", company, err)
		}
		p, err := s.ListMarketplace(ctx, company.NextCursor, 10)
		if err == nil {
			for _, a := range p.Items {
				if !a.Listed() {
					t.Errorf("a foreign cursor reached %s (%s)", a.ID, a.Status)
				}
			}
		} else if devhub.ErrorCode(err) != devhub.EMALFORMED {
			t.Errorf("foreign cursor: %v", err)
		}
		for _, c := range []string{"!!", "e30", "eyJQSyI6IngiLCJTSyI6IkEiLCJHU0kxU0siOiIifQ"} {
			if _, err := s.ListMarketplace(ctx, c, 3); devhub.ErrorCode(err) != devhub.EMALFORMED {
				t.Errorf("cursor %q: got %v, want malformed", c, err)
			}
		}
	})

	t.Run("Writes", func(t *testing.T) {
		// Unpublishing takes it out at once; publishing puts it back; deleting removes it.
		a, err := s.GetApp(ctx, listed[1])
		if err != nil {
			t.Fatal(err)
		}
		next := *a
		next.Status, next.Version, next.UpdatedAt = devhub.StatusUnpublished, a.Version+1, a.UpdatedAt.Add(time.Hour)
		if err := s.UpdateApp(ctx, &next, a.Version); err != nil {
			t.Fatal(err)
		}
		if got, _ := pages(t, &meter, 100, func(c string, l int) (dynamo.Page[*devhub.App], error) { return s.ListMarketplace(ctx, c, l) }); slices.Contains(ids(got), a.ID) {
			t.Errorf("unpublished %s still listed", a.ID)
		}
		back := next
		back.Status, back.Version, back.UpdatedAt = devhub.StatusPublished, next.Version+1, next.UpdatedAt.Add(time.Hour)
		if err := s.UpdateApp(ctx, &back, next.Version); err != nil {
			t.Fatal(err)
		}
		got, _ := pages(t, &meter, 100, func(c string, l int) (dynamo.Page[*devhub.App], error) { return s.ListMarketplace(ctx, c, l) })
		if g := ids(got); len(g) != len(listed) || g[len(g)-1] != a.ID {
			t.Errorf("published again: got %v, want %s last (newest change)", g, a.ID)
		}
		if err := s.DeleteApp(ctx, &back, "gone", "u1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := pages(t, &meter, 100, func(c string, l int) (dynamo.Page[*devhub.App], error) { return s.ListMarketplace(ctx, c, l) }); slices.Contains(ids(got), a.ID) {
			t.Errorf("deleted %s still listed", a.ID)
		}
	})
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// writtenTheOldWay removes the GSI2 keys from every client copy, as the
// code before GSI2 wrote them.
func writtenTheOldWay(t *testing.T, db *dynamodb.Client, table string) {
	t.Helper()
	ctx := context.Background()
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		if _, ok := it["GSI2PK"]; !ok {
			continue
		}
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
			Key:              map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]},
			UpdateExpression: aws.String("REMOVE GSI2PK, GSI2SK")}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBackfillMarketplace: apps written before GSI2 existed are missing from
// the marketplace list until the backfill runs; it indexes the listed ones
// only, changes nothing else, may run again, and leaves alone an app written
// between its read and its update.
func TestBackfillMarketplace(t *testing.T) {
	var meter dynamo.Meter
	db := dynamotest.Client(t, meter.Option)
	s := dynamotest.MustOpenStore(t, meter.Option)
	ctx := context.Background()
	listed, queued := storedApps(t, s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	writtenTheOldWay(t, db, s.Table())
	list := func() []string {
		got, _ := pages(t, &meter, 100, func(c string, l int) (dynamo.Page[*devhub.App], error) { return s.ListMarketplace(ctx, c, l) })
		return ids(got)
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("old items listed before the backfill: %v", got)
	}
	before, err := s.GetApp(ctx, listed[0])
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.BackfillMarketplace(ctx)
	// STATUS#published holds 2 of the listed apps, STATUS#review the other 2 and the 2 unlisted queued ones.
	if err != nil || st.Indexed != len(listed) || st.Changed != 0 || st.Seen != 2+len(queued) {
		t.Fatalf("backfill: %+v, %v; want %d indexed of %d seen", st, err, len(listed), 2+len(queued))
	}
	if got := list(); !slices.Equal(got, listed) {
		t.Errorf("after the backfill: got %v, want %v", got, listed)
	}
	after, err := s.GetApp(ctx, listed[0])
	if err != nil || after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("the backfill changed the app: %+v → %+v (%v)", before, after, err)
	}
	if st, err := s.BackfillMarketplace(ctx); err != nil || st.Indexed != 0 {
		t.Errorf("second run: %+v, %v; want nothing indexed", st, err)
	}

	t.Run("WrittenMeanwhile", func(t *testing.T) {
		writtenTheOldWay(t, db, s.Table())
		a, err := s.GetApp(ctx, listed[0])
		if err != nil {
			t.Fatal(err)
		}
		next := *a
		next.Status, next.Version = devhub.StatusUnpublished, a.Version+1
		if err := s.UpdateApp(ctx, &next, a.Version); err != nil {
			t.Fatal(err)
		}
		// The backfill read a at its old version; the unpublish landed first.
		if err := s.IndexListed(ctx, a, a.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000000000Z")+"#"+a.ID); !errors.Is(err, dynamo.ErrMoved) {
			t.Errorf("stale write: %v, want ErrMoved", err)
		}
		if got := list(); slices.Contains(got, a.ID) {
			t.Errorf("an unpublished app was indexed: %v", got)
		}
	})
}

// TestEnsureTableAddsMarketplaceIndex: a table made before GSI2 (the local
// runner keeps its table) gets the index and its listed apps indexed.
func TestEnsureTableAddsMarketplaceIndex(t *testing.T) {
	db, err := dynamo.NewClient(ownDynamoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	ensureAddsMarketplaceIndex(t, db, nil)
}

// ownDynamoDB starts a DynamoDB Local for this test alone and returns its
// endpoint. Adding an index is the one thing the shared emulator does
// slowly under a full test run: it took 291 s (and timed out at 60 s
// before) while every other package's tests kept it busy, against 1 s
// alone. A private emulator (≈ 1.5 s to start) makes the test's time its
// own.
func ownDynamoDB(t *testing.T) string {
	t.Helper()
	srv, err := ddblocal.Start(context.Background(), ddblocal.Options{})
	if err != nil {
		t.Fatalf("DynamoDB Local: %v", err)
	}
	t.Cleanup(srv.Stop)
	return srv.Endpoint
}

// An UpdateTable whose answer is lost after DynamoDB applied it (the
// client does not retry it: it is not idempotent) and one refused before
// it reached DynamoDB: EnsureTable looks again, finds the index or asks
// once more, and still waits for it and indexes the old apps.
func TestEnsureTableAddsMarketplaceIndexDespiteFaults(t *testing.T) {
	endpoint := ownDynamoDB(t)
	for _, f := range []faultproxy.Options{
		{ResetAfter: 1, Ops: []string{"UpdateTable"}, Max: 1},
		{ResetBefore: 1, Ops: []string{"UpdateTable"}, Max: 5},
	} {
		px := faultproxy.Start(endpoint)
		t.Cleanup(px.Close)
		db, err := dynamo.NewClient(px.URL)
		if err != nil {
			t.Fatal(err)
		}
		ensureAddsMarketplaceIndex(t, db, func() { px.Set(f) })
		if counts, _ := px.Counts(); counts[faultproxy.ResetAfter]+counts[faultproxy.ResetBefore] == 0 {
			t.Errorf("%+v: no fault happened", f)
		}
	}
}

// ensureAddsMarketplaceIndex makes a table the way devhub did before GSI2,
// with apps in it, calls faults (if any), and checks that EnsureTable adds
// the index with the listed apps in it, and that a second call is a no-op.
func ensureAddsMarketplaceIndex(t *testing.T, db *dynamodb.Client, faults func()) {
	t.Helper()
	ctx := context.Background()
	name := "test_" + devhub.NewID("")
	old := dynamo.TableDefinition(name)
	old.GlobalSecondaryIndexes = old.GlobalSecondaryIndexes[:1]
	old.AttributeDefinitions = old.AttributeDefinitions[:4]
	if _, err := db.CreateTable(ctx, old); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	s := dynamo.New(db, name)
	listed, _ := storedApps(t, s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	writtenTheOldWay(t, db, name)
	if _, err := s.ListMarketplace(ctx, "", 10); err == nil {
		t.Fatal("the old table has a GSI2")
	}
	if faults != nil {
		faults()
	}
	if err := dynamo.EnsureTable(ctx, db, name); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListMarketplace(ctx, "", 100)
	if err != nil || !slices.Equal(ids(p.Items), listed) {
		t.Errorf("after EnsureTable: %v, %v; want %v", ids(p.Items), err, listed)
	}
	if err := dynamo.EnsureTable(ctx, db, name); err != nil {
		t.Errorf("again: %v", err)
	}
}
