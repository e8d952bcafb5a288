package lambdalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/devhub-oss/devhub/internal/lambdalog"
)

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// TestRequestIDOnEveryLine: inside Wrap, lines get the invocation's id
// whether the code logs with its context, with another context, or through
// a derived logger; after it, and outside Lambda, they get none.
func TestRequestIDOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	logger := lambdalog.New(&buf, slog.LevelInfo).With(slog.String("component", "x"))
	h := lambdalog.Wrap(func(ctx context.Context, n int) (int, error) {
		logger.InfoContext(ctx, "with the context")
		logger.Info("without it")
		logger.WithGroup("g").Info("in a group", slog.Int("n", n))
		return n, nil
	})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "inv-1"})
	if _, err := h(ctx, 1); err != nil {
		t.Fatal(err)
	}
	logger.Info("between invocations")
	got := lines(t, &buf)
	if len(got) != 4 {
		t.Fatalf("got %d lines", len(got))
	}
	for i, l := range got[:2] {
		if l[lambdalog.Key] != "inv-1" || l["component"] != "x" {
			t.Errorf("line %d: %v", i, l)
		}
	}
	if g, _ := got[2]["g"].(map[string]any); g[lambdalog.Key] != "inv-1" && got[2][lambdalog.Key] != "inv-1" {
		t.Errorf("grouped line: %v", got[2])
	}
	if _, ok := got[3][lambdalog.Key]; ok {
		t.Errorf("a line outside any invocation has an id: %v", got[3])
	}
	if id := lambdalog.RequestID(context.Background()); id != "" {
		t.Errorf("RequestID outside an invocation: %q", id)
	}
}
