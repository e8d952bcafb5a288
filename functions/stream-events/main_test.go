package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/lambdalog"
)

// TestEveryLineHasTheLambdaRequestID feeds the sample stream events of
// infra/events through the handler wired as main wires it, and checks that
// each of its log lines names the invocation.
func TestEveryLineHasTheLambdaRequestID(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	t.Setenv("TABLE_NAME", store.Table())
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	t.Setenv("EVENT_BUS_NAME", "")
	t.Setenv("FAILURE_QUEUE_URL", "")
	var buf bytes.Buffer
	h, err := build(lambdalog.New(&buf, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	handle := lambdalog.Wrap(h.Handle)
	for i, name := range []string{"stream-events-installation-removed.json", "stream-events-app-deleted.json"} {
		raw, err := os.ReadFile("../../infra/events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		id := "stream-invocation-" + string(rune('a'+i))
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		before := buf.Len()
		if _, err := handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		cancel()
		out := strings.TrimSpace(buf.String()[before:])
		if out == "" {
			t.Fatalf("%s: logged nothing", name)
		}
		for _, l := range strings.Split(out, "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil || m[lambdalog.Key] != id {
				t.Errorf("%s: line without %s=%s: %s", name, lambdalog.Key, id, l)
			}
		}
	}
}
