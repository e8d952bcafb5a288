package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunner holds the local runner to its contract: it serves on
// 127.0.0.1:$PORT, creates its table, answers /healthz, prints a working dev
// token, and stops cleanly when its context ends.
func TestRunner(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	t.Setenv("PORT", port)
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	t.Setenv("TABLE_NAME", "runner_"+devhub.NewID(""))
	t.Setenv("AUTH_JWT_SECRET", "")
	t.Setenv("ISSUER_URL", "")
	t.Setenv("LOCAL_DATA_DIR", t.TempDir())
	t.Setenv("SAMPLE_APP_PORT", "0")
	t.Setenv("LOGIN_URL", "")

	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, out) }()

	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("healthz: %d", res.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runner did not come up: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The welcome follows the sample app's registration.
	for !strings.Contains(out.String(), "Press Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	tok := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(out.String())
	if tok == nil || !strings.Contains(out.String(), "curl") {
		t.Fatalf("no token or curl printed:\n%s", out.String())
	}
	req, _ := http.NewRequest("POST", base+"/v1/apps", strings.NewReader(`{"type":"private","name":"Local","callback_url":"https://example.com/cb"}`))
	req.Header.Set("Authorization", "Bearer "+tok[1])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Errorf("create with the printed token: %d", res.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("runner did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after stop")
	}
}
