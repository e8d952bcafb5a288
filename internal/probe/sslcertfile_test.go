package probe

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// With RootCAs nil the system pool is used, and on Linux that honours
// SSL_CERT_FILE. crypto/x509 loads the system pool once per process, so the
// check runs in a child process with the variable set from the start.
func TestSSLCertFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child test process")
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	dir := t.TempDir()
	writePEM := func(name string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	trusted := writePEM("trusted.pem", srv.Certificate().Raw)
	wrong := writePEM("wrong.pem", otherCA(t).Raw)
	emptyDir := t.TempDir()

	for _, tt := range []struct {
		name, certFile, want string
	}{
		{"OK", trusted, "ok"},
		{"ErrTLS", wrong, "tls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSSLCertFile$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(),
				"SSL_CERT_FILE="+tt.certFile,
				"SSL_CERT_DIR="+emptyDir, // Only the file decides.
				"PROBE_HELPER_URL="+srv.URL,
				"PROBE_HELPER_WANT="+tt.want,
			)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestHelperSSLCertFile") {
				t.Errorf("helper process: %v\n%s", err, out)
			}
		})
	}
}

// TestHelperSSLCertFile runs only as TestSSLCertFile's child process.
func TestHelperSSLCertFile(t *testing.T) {
	rawURL := os.Getenv("PROBE_HELPER_URL")
	if rawURL == "" {
		t.Skip("helper process for TestSSLCertFile")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	dialer := &loopbackDialer{t: t}
	p := newTestProber(t, Options{
		AllowedHosts: []string{u.Host},
		Resolver:     newFakeResolver(t, nil),
		DialContext:  dialer.DialContext,
		// RootCAs nil: the system pool, from SSL_CERT_FILE.
	})
	got := p.Probe(context.Background(), rawURL)
	switch os.Getenv("PROBE_HELPER_WANT") {
	case "ok":
		if !got.OK || got.StatusCode != http.StatusNoContent {
			t.Errorf("Probe with SSL_CERT_FILE trusting the server = %+v, want OK 204", got)
		}
	case "tls":
		if got.OK || !strings.Contains(got.Error, "unknown authority") {
			t.Errorf("Probe with SSL_CERT_FILE not trusting the server = %+v, want %q", got, ErrTLS)
		}
	default:
		t.Fatalf("PROBE_HELPER_WANT = %q", os.Getenv("PROBE_HELPER_WANT"))
	}
}
