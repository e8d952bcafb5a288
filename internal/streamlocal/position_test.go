package streamlocal_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/streamlocal"
)

// TestPositionKeptAcrossRestarts: a poller started again with the same
// PositionFile hands over only what was written since; without the file
// (the control) it hands everything over again; a file of another stream is
// ignored.
func TestPositionKeptAcrossRestarts(t *testing.T) {
	s := dynamotest.MustOpenStore(t)
	db := dynamotest.Client(t)
	put := func(pk string) {
		t.Helper()
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "x"},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// run polls until want keys were handed over (then a little longer, to
	// catch extra ones), stops, and returns every key handed over.
	run := func(file string, want int) []string {
		t.Helper()
		var mu sync.Mutex
		var got []string
		h := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range ev.Records {
				got = append(got, r.Change.Keys["PK"].String())
			}
			return events.DynamoDBEventResponse{}, nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := &streamlocal.Poller{Client: streamlocal.NewClient(dynamotest.Endpoint(t)), Table: s.Table(), Handler: h,
			Logger: quiet, PollInterval: 20 * time.Millisecond, PositionFile: file}
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		eventstest.WaitFor(t, 10*time.Second, "records", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) >= want
		})
		time.Sleep(200 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
	file := filepath.Join(t.TempDir(), "stream.json")
	put("A1")
	put("A2")
	if got := run(file, 2); !slices.Equal(got, []string{"A1", "A2"}) {
		t.Fatalf("first run: %v", got)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "last_sequence_number") {
		t.Fatalf("position file: %s, %v", b, err)
	}
	put("B1")
	if got := run(file, 1); !slices.Equal(got, []string{"B1"}) {
		t.Errorf("after a restart: got %v, want only [B1]", got)
	}
	if got := run("", 3); !slices.Equal(got, []string{"A1", "A2", "B1"}) {
		t.Errorf("without a position file: got %v, want everything again", got)
	}
	other := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(other, []byte(`{"stream_arn":"arn:other","shards":[{"id":"x","done":true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := run(other, 3); len(got) != 3 {
		t.Errorf("with another stream's file: got %v, want everything", got)
	}
	if err := os.WriteFile(other, []byte(`not json`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := run(other, 3); len(got) != 3 {
		t.Errorf("with a broken file: got %v, want everything", got)
	}
}
