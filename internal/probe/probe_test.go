package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// tlsProber returns a Prober that may reach srv (and extra host:ports) on
// loopback, trusting srv's certificate.
func tlsProber(t *testing.T, srv *httptest.Server, opts Options, extra ...string) (*Prober, *loopbackDialer) {
	t.Helper()
	pool := x509.NewCertPool()
	if c := srv.Certificate(); c != nil { // nil for a plain-HTTP server.
		pool.AddCert(c)
	}
	dialer := &loopbackDialer{t: t}
	opts.AllowedHosts = append([]string{srv.Listener.Addr().String()}, extra...)
	opts.Resolver = newFakeResolver(t, nil)
	opts.DialContext = dialer.DialContext
	if opts.RootCAs == nil {
		opts.RootCAs = pool
	}
	opts.Now = func() time.Time { return fixedNow }
	return newTestProber(t, opts), dialer
}

func TestProbe(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var method, ua atomic.Value
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method.Store(r.Method)
			ua.Store(r.Header.Get("User-Agent"))
			w.WriteHeader(http.StatusBadRequest) // No code: a real callback says 400.
			_, _ = w.Write([]byte("missing code"))
		}))
		defer srv.Close()
		p, _ := tlsProber(t, srv, Options{HTTPSOnly: true})

		got := p.Probe(context.Background(), srv.URL+"/oauth/callback")
		if !got.OK || got.StatusCode != http.StatusBadRequest || got.Error != "" {
			t.Errorf("Probe = %+v, want OK with status 400 and no error", got)
		}
		if got.Latency <= 0 {
			t.Errorf("Latency = %v, want > 0", got.Latency)
		}
		if !got.CheckedAt.Equal(fixedNow) {
			t.Errorf("CheckedAt = %v, want %v (from Options.Now)", got.CheckedAt, fixedNow)
		}
		if m, _ := method.Load().(string); m != http.MethodGet {
			t.Errorf("server saw method %q, want GET", m)
		}
		if u, _ := ua.Load().(string); u != UserAgent {
			t.Errorf("server saw User-Agent %q, want %q", u, UserAgent)
		}
	})

	t.Run("OKPlainHTTPWhenAllowed", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
		defer srv.Close()
		p, _ := tlsProber(t, srv, Options{})
		if got := p.Probe(context.Background(), srv.URL); !got.OK || got.StatusCode != http.StatusOK {
			t.Errorf("Probe(%s) = %+v, want OK 200", srv.URL, got)
		}
		p, _ = tlsProber(t, srv, Options{HTTPSOnly: true})
		if got := p.Probe(context.Background(), srv.URL); got.OK || got.Error != ErrNotAllowed.Error() {
			t.Errorf("HTTPSOnly Probe(%s) = %+v, want refused", srv.URL, got)
		}
	})

	t.Run("ErrServerError", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "secret stack trace", http.StatusInternalServerError)
		}))
		defer srv.Close()
		p, _ := tlsProber(t, srv, Options{})
		got := p.Probe(context.Background(), srv.URL)
		want := Result{StatusCode: 500, Latency: got.Latency, Category: Status,
			Error: "status: the server answered 500 Internal Server Error; a callback must answer below 500", CheckedAt: fixedNow}
		if got != want {
			t.Errorf("Probe = %+v, want %+v", got, want)
		}
		if strings.Contains(got.Error, "secret") {
			t.Error("the result quotes the body")
		}
	})

	t.Run("ErrTimeout", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
		defer srv.Close()
		p, _ := tlsProber(t, srv, Options{Timeout: 300 * time.Millisecond})
		start := time.Now()
		got := p.Probe(context.Background(), srv.URL)
		elapsed := time.Since(start)
		if got.OK || got.StatusCode != 0 || got.Category != Timeout || got.Error != ErrTimeout.Error() {
			t.Errorf("Probe = %+v, want not OK with %q", got, ErrTimeout)
		}
		if elapsed > 2*time.Second {
			t.Errorf("Probe took %v, want about the 300ms budget", elapsed)
		}
	})

	t.Run("ErrTLSUntrusted", func(t *testing.T) {
		var hits atomic.Int64
		srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		defer srv.Close()
		untrusted := x509.NewCertPool()
		untrusted.AddCert(otherCA(t))
		p, _ := tlsProber(t, srv, Options{RootCAs: untrusted})
		got := p.Probe(context.Background(), srv.URL)
		want := "tls: the certificate is signed by an unknown authority (self-signed, or a CA this platform does not trust)"
		if got.OK || got.StatusCode != 0 || got.Category != TLS || got.Error != want {
			t.Errorf("Probe = %+v, want not OK with %q", got, want)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("server got %d requests over an unverified connection, want 0", n)
		}
	})

	t.Run("ErrTLSTooOld", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
		srv.StartTLS()
		defer srv.Close()
		p, _ := tlsProber(t, srv, Options{})
		if got := p.Probe(context.Background(), srv.URL); got.OK || got.Category != TLS || !strings.Contains(got.Error, "TLS 1.2") {
			t.Errorf("Probe of a TLS 1.1 server = %+v, want not OK, category tls, naming TLS 1.2", got)
		}
	})

	t.Run("RedirectNotFollowed", func(t *testing.T) {
		c := newCanary(t)
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, c.URL+"/stolen", http.StatusFound)
		}))
		defer srv.Close()
		// The canary is allowed, so only the no-redirect rule keeps it dark.
		p, _ := tlsProber(t, srv, Options{}, c.hostPort())
		got := p.Probe(context.Background(), srv.URL)
		if !got.OK || got.StatusCode != http.StatusFound {
			t.Errorf("Probe = %+v, want OK with 302", got)
		}
		resp, err := p.Client().Get(srv.URL)
		if err != nil {
			t.Fatalf("Client().Get: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Errorf("Client().Get status = %d, want 302", resp.StatusCode)
		}
		c.assertUntouched(t)
	})

	t.Run("HugeBodyNotRead", func(t *testing.T) {
		const total = 10 << 20
		var written atomic.Int64
		done := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			defer close(done)
			chunk := []byte(strings.Repeat("x", 64<<10))
			for written.Load() < total {
				n, err := w.Write(chunk)
				written.Add(int64(n))
				if err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(10 * time.Millisecond) // 10 MB would take 1.6 s.
			}
		}))
		defer srv.Close()
		p, dialer := tlsProber(t, srv, Options{})
		start := time.Now()
		got := p.Probe(context.Background(), srv.URL)
		elapsed := time.Since(start)
		if !got.OK || got.StatusCode != http.StatusOK {
			t.Errorf("Probe = %+v, want OK 200", got)
		}
		if elapsed > time.Second {
			t.Errorf("Probe took %v, want it to stop after 4 KiB", elapsed)
		}
		// Header buffer, chunk framing and one socket read are allowed on top
		// of the 4 KiB; megabytes are not.
		if n := dialer.bytesRead.Load(); n > 128<<10 {
			t.Errorf("client read %d bytes from the socket, want at most 128 KiB", n)
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("server handler still writing 5s after the probe returned")
		}
		if n := written.Load(); n >= total {
			t.Errorf("server wrote all %d bytes, want the probe to hang up early", n)
		}
	})

	t.Run("ErrConnectRefused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		addr := srv.Listener.Addr().String()
		srv.Close() // Nothing listens there now.
		dialer := &loopbackDialer{t: t}
		p := newTestProber(t, Options{
			AllowedHosts: []string{addr},
			Resolver:     newFakeResolver(t, nil),
			DialContext:  dialer.DialContext,
		})
		// Allowed (or public) destinations only get this far.
		if got := p.Probe(context.Background(), "http://"+addr+"/"); got.OK || got.Category != Connect || got.Error != ErrConnect.Error() {
			t.Errorf("Probe of a closed port = %+v, want %q", got, ErrConnect)
		}
	})

	t.Run("AllowedByName", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		defer srv.Close()
		_, port, _ := strings.Cut(srv.Listener.Addr().String(), ":")
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		dialer := &loopbackDialer{t: t}
		p := newTestProber(t, Options{
			AllowedHosts: []string{"example.com:" + port}, // httptest's certificate names example.com.
			Resolver:     newFakeResolver(t, map[string][]string{"example.com": {"127.0.0.1"}}),
			DialContext:  dialer.DialContext,
			RootCAs:      pool,
		})
		if got := p.Probe(context.Background(), "https://example.com:"+port+"/"); !got.OK || got.StatusCode != http.StatusNotFound {
			t.Errorf("Probe = %+v, want OK 404", got)
		}
		// The bypass is for that host:port only, not for the name elsewhere.
		if err := p.CheckURL("https://example.com:8443/"); err == nil {
			t.Error("CheckURL(example.com:8443) = nil, want refused")
		}
		if got := p.Probe(context.Background(), "https://example.com/"); got.Error != ErrNotAllowed.Error() {
			t.Errorf("Probe(example.com:443 → 127.0.0.1) = %+v, want refused", got)
		}
	})
}

func TestTransportSettings(t *testing.T) {
	p := New(Options{Timeout: time.Minute, Resolver: newFakeResolver(t, nil), DialContext: (&recordingDialer{t: t}).DialContext})
	if p.timeout != MaxTimeout {
		t.Errorf("timeout = %v, want it capped at %v", p.timeout, MaxTimeout)
	}
	c := p.Client()
	if c.Timeout != MaxTimeout || c.Jar != nil || c.CheckRedirect == nil {
		t.Errorf("client = %+v, want capped Timeout, no Jar, a CheckRedirect", c)
	}
	gt, ok := c.Transport.(*guardedTransport)
	if !ok {
		t.Fatalf("client transport is %T, want *guardedTransport", c.Transport)
	}
	tr, ok := gt.next.(*http.Transport)
	if !ok {
		t.Fatalf("inner transport is %T, want *http.Transport", gt.next)
	}
	if tr.Proxy != nil {
		t.Error("Transport.Proxy is set, want nil (never from the environment)")
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("TLS config = %+v, want TLS 1.2+ with verification", tr.TLSClientConfig)
	}
	if tr.MaxResponseHeaderBytes != maxHeaderBytes || tr.ResponseHeaderTimeout == 0 || tr.MaxIdleConnsPerHost == 0 || tr.DisableKeepAlives {
		t.Errorf("transport limits = header bytes %d, header timeout %v, idle per host %d, keep-alives disabled %v",
			tr.MaxResponseHeaderBytes, tr.ResponseHeaderTimeout, tr.MaxIdleConnsPerHost, tr.DisableKeepAlives)
	}
}
