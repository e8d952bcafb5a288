package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every test Prober is built by newTestProber, which refuses to build one
// without a fake resolver and a loopback-only dialer: even a broken guard
// must not make these tests send a packet off this machine.

// fakeResolver answers from a map and never touches DNS.
type fakeResolver struct {
	t *testing.T

	mu      sync.Mutex
	answers map[string][]string   // name → addresses, every call
	seq     map[string][][]string // name → one answer per call, the last repeating
	calls   map[string]int
}

func newFakeResolver(t *testing.T, answers map[string][]string) *fakeResolver {
	return &fakeResolver{t: t, answers: answers, seq: map[string][][]string{}, calls: map[string]int{}}
}

func (r *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if !strings.HasSuffix(host, ".") {
		// Relative names would go through the resolver's search list.
		r.t.Errorf("resolver got relative name %q, want a trailing dot", host)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	r.mu.Lock()
	n := r.calls[name]
	r.calls[name]++
	addrs, ok := r.answers[name]
	if s, isSeq := r.seq[name]; isSeq {
		ok = true
		addrs = s[min(n, len(s)-1)]
	}
	r.mu.Unlock()
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, 0, len(addrs))
	for _, s := range addrs {
		a := netip.MustParseAddr(s)
		out = append(out, net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()})
	}
	return out, nil
}

func (r *fakeResolver) callCount(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[name]
}

// loopbackDialer is the raw dialer underneath the guard in tests. Anything
// that is not an IP literal on loopback fails the test and is not dialed.
type loopbackDialer struct {
	t *testing.T
	// redirect, if set, receives every connection instead of the address
	// asked for, so that a guard that let something through hits a canary.
	redirect string

	dials     atomic.Int64
	bytesRead atomic.Int64
	mu        sync.Mutex
	addrs     []string
}

func (d *loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		d.t.Errorf("inner dialer got %q, want a checked IP literal", addr)
		return nil, fmt.Errorf("test dialer: %q is not an IP literal", addr)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		d.t.Errorf("inner dialer asked to connect to %s, a non-loopback address", addr)
		return nil, fmt.Errorf("test dialer: refusing non-loopback %s", addr)
	}
	d.dials.Add(1)
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	if d.redirect != "" {
		addr = d.redirect
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &d.bytesRead}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// recordingDialer never connects: it records the address and fails. It is
// for tests where the guard legitimately passes a public address on.
type recordingDialer struct {
	t     *testing.T
	mu    sync.Mutex
	addrs []string
}

var errNotConnecting = errors.New("test dialer: not connecting anywhere")

func (d *recordingDialer) DialContext(_ context.Context, _, addr string) (net.Conn, error) {
	if _, err := netip.ParseAddrPort(addr); err != nil {
		d.t.Errorf("inner dialer got %q, want a checked IP literal", addr)
	}
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	return nil, errNotConnecting
}

func (d *recordingDialer) got() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func newTestProber(t *testing.T, opts Options) *Prober {
	t.Helper()
	if opts.Resolver == nil || opts.DialContext == nil {
		t.Fatal("test Prober needs a fake Resolver and a loopback-only DialContext")
	}
	return New(opts)
}

// canary is a loopback server that counts every connection and request.
type canary struct {
	*httptest.Server
	conns atomic.Int64
	hits  atomic.Int64
}

func newCanary(t *testing.T) *canary {
	c := &canary{}
	c.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c.hits.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	c.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.conns.Add(1)
		}
	}
	c.Start()
	t.Cleanup(c.Close)
	return c
}

func (c *canary) hostPort() string { return c.Listener.Addr().String() }

func (c *canary) assertUntouched(t *testing.T) {
	t.Helper()
	if n, h := c.conns.Load(), c.hits.Load(); n != 0 || h != 0 {
		t.Errorf("canary got %d connections and %d requests, want 0 and 0", n, h)
	}
}

// otherCA returns a freshly made self-signed certificate for 127.0.0.1. All
// httptest servers share one certificate, so "a different CA" has to be made.
func otherCA(t testing.TB) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "not the test server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
