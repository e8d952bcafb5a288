package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/lambdalog"
	"github.com/devhub-oss/devhub/internal/service"
)

// TestLambdaLogLinesCarryBothIDs: through the real HTTP handler, every log
// line of an invocation carries the Lambda request id and API Gateway's,
// on success and on refusals.
func TestLambdaLogLinesCarryBothIDs(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	t.Setenv("TABLE_NAME", store.Table())
	t.Setenv("AUTH_JWT_SECRET", service.DevJWTSecret)
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	srv, _, err := service.NewServer(context.Background(), cfg, lambdalog.New(&buf, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	h := service.LambdaHandler(srv.Handler(srv.FunctionRoutes()["apps"]), "")
	for i, mutate := range []func(ev *map[string]string){
		func(*map[string]string) {},
		func(hd *map[string]string) { (*hd)["authorization"] = "Bearer not-a-token" },
	} {
		ev := loadEvent(t, "apps-list.json", placeholderApp)
		mutate(&ev.Headers)
		id := "lambda-" + string(rune('a'+i))
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
		before := buf.Len()
		if _, err := h(ctx, ev); err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSpace(buf.String()[before:])
		if out == "" {
			t.Fatal("nothing logged")
		}
		for _, l := range strings.Split(out, "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if m[lambdalog.Key] != id || m["request_id"] != ev.RequestContext.RequestID {
				t.Errorf("line without both ids (%s, %s): %s", id, ev.RequestContext.RequestID, l)
			}
		}
	}
}
