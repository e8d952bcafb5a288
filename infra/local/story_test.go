package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
)

// runner is a local runner started by a test.
type runner struct {
	base, sample, caPath, token string
	out                         *syncBuffer
	stop                        func()
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// storyEnv sets what startRunner needs: a table of its own, a data dir,
// the dev secret, a free sample app port.
func storyEnv(t *testing.T) {
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	t.Setenv("TABLE_NAME", "story_"+devhub.NewID(""))
	t.Setenv("LOCAL_DATA_DIR", t.TempDir())
	t.Setenv("AUTH_JWT_SECRET", "")
	t.Setenv("ISSUER_URL", "")
	t.Setenv("LOGIN_URL", "")
	t.Setenv("SAMPLE_APP_PORT", "0")
	t.Setenv("SAMPLE_APP", "")
	t.Setenv("PROBE_SWEEP_INTERVAL", "0")
	t.Setenv("PROBE_ALLOWED_HOSTS", "")
	t.Setenv("RUNNER_BASE_PATH", "")
}

// startRunner runs run() on a free port until stop (or the test's end), and
// waits until it printed its welcome (the sample app registered).
func startRunner(t *testing.T) *runner {
	t.Helper()
	port := freePort(t)
	t.Setenv("PORT", port)
	t.Setenv("ISSUER_URL", "") // run() defaults it in the environment, from the last port
	t.Setenv("AUTH_JWT_SECRET", "")
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{base: "http://127.0.0.1:" + port + basepath.Clean(os.Getenv("RUNNER_BASE_PATH")), out: &syncBuffer{}}
	done := make(chan error, 1)
	go func() { done <- run(ctx, r.out) }()
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("runner did not stop")
		}
	}
	t.Cleanup(r.stop)
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(r.out.String(), "Press Ctrl-C"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("runner did not come up:\n%s", r.out.String())
		}
		select {
		case err := <-done:
			t.Fatalf("runner ended: %v\n%s", err, r.out.String())
		default:
		}
	}
	if m := regexp.MustCompile(`Sample app:  (https://\S+) \(CA: (\S+)\)`).FindStringSubmatch(r.out.String()); m != nil {
		r.sample, r.caPath = m[1], m[2]
	}
	r.token = regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(r.out.String())[1]
	return r
}

// sampleClient trusts the runner's CA only.
func (r *runner) sampleClient(t *testing.T) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(r.caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA in " + r.caPath)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// readmeBlocks returns the README's "Try it locally" commands: the fenced
// blocks whose info string is "sh try-locally", in order.
func readmeBlocks(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && line == "```sh try-locally":
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if cur != nil {
		t.Fatal("README: unterminated try-locally block")
	}
	return blocks
}

// TestReadmeTryItLocally runs the README's "Try it locally" blocks, as
// written, against a runner started here, and checks what they printed.
func TestReadmeTryItLocally(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed", "grep", "cut", "paste", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	blocks := readmeBlocks(t)
	if len(blocks) != 3 {
		t.Fatalf("README has %d try-locally blocks, want 3 (set-up, private story, public story)", len(blocks))
	}
	storyEnv(t)
	r := startRunner(t)
	cmd := exec.Command("bash", "-eu", "-c", strings.Join(blocks, "\n"))
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "DEVHUB_URL="+r.base, "SAMPLE_APP_URL="+r.sample, "SAMPLE_APP_CA="+r.caPath,
		"AUTH_JWT_SECRET=", "MAKEFLAGS=")
	out, err := cmd.CombinedOutput()
	transcript := string(out)
	if err != nil {
		t.Fatalf("README commands failed: %v\n%s", err, transcript)
	}
	// What the comments promise, in order.
	at := 0
	for _, want := range []string{
		"app app_", "extension ext_", "Cake panel", "/callback?code=", "Callback received for another app",
		`"scope":"base,deals:read"`, "Extension launched", "live", "Callback received for another app",
		"installation inst_", "204", "Uninstall notification received",
		"draft", "review", "Cake shop", "draft", "review", "unpublished", "published",
	} {
		i := strings.Index(transcript[at:], want)
		if i < 0 {
			t.Fatalf("README transcript lacks %q after offset %d:\n%s", want, at, transcript)
		}
		at += i + len(want)
	}
}
