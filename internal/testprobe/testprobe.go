// Package testprobe gives tests callback servers on loopback and a prober
// (internal/probe) that may reach those servers and nothing else.
//
// The network of the machines that run the tests is closed and watched: the
// prober's resolver fails the test on any lookup, and its dialer fails the
// test on any address that is not loopback, so that even a broken guard in
// the code under test cannot send a packet off the machine. It is for tests
// only; nothing else may import it.
package testprobe

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/probe"
)

// Server is a TLS server on 127.0.0.1 that answers every request with a
// fixed status after a delay, and counts requests and their concurrency.
type Server struct {
	*httptest.Server
	// Host is its "127.0.0.1:port".
	Host string

	hits, inFlight, maxInFlight atomic.Int64
}

// NewServer starts a Server answering status after delay; it stops when the
// test ends.
func NewServer(tb testing.TB, status int, delay time.Duration) *Server {
	tb.Helper()
	return start(tb, func(w http.ResponseWriter, _ *http.Request) {
		if delay > 0 {
			time.Sleep(delay)
		}
		w.WriteHeader(status)
	})
}

// NewCanary starts a Server that fails the test when it is reached at all.
func NewCanary(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, func(w http.ResponseWriter, r *http.Request) {
		tb.Errorf("canary reached: %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusOK)
	})
}

func start(tb testing.TB, h http.HandlerFunc) *Server {
	s := &Server{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for {
			m := s.maxInFlight.Load()
			if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		h(w, r)
	}))
	s.Host = strings.TrimPrefix(s.URL, "https://")
	tb.Cleanup(s.Close)
	return s
}

// Hits is the number of requests served.
func (s *Server) Hits() int64 { return s.hits.Load() }

// MaxInFlight is the largest number of requests served at once.
func (s *Server) MaxInFlight() int64 { return s.maxInFlight.Load() }

// Reset zeroes the counters.
func (s *Server) Reset() { s.hits.Store(0); s.maxInFlight.Store(0) }

// New returns a prober that may reach allowed (their host:port is allowed
// although loopback, and their certificates are trusted), and refuses
// everything else as production does. Servers that must stay unreachable
// simply are not passed.
func New(tb testing.TB, allowed ...*Server) *probe.Prober {
	tb.Helper()
	pool := x509.NewCertPool()
	hosts := make([]string, 0, len(allowed))
	for _, s := range allowed {
		pool.AddCert(s.Certificate())
		hosts = append(hosts, s.Host)
	}
	return probe.New(probe.Options{
		AllowedHosts: hosts,
		RootCAs:      pool,
		Resolver:     noDNS{tb},
		DialContext:  LoopbackDialer(tb),
	})
}

// noDNS fails the test on any lookup: the servers are IP literals.
type noDNS struct{ tb testing.TB }

func (r noDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.tb.Errorf("DNS lookup of %q in a test", host)
	return nil, fmt.Errorf("testprobe: no DNS in tests (%s)", host)
}

// LoopbackDialer connects to loopback IP literals only; anything else fails
// the test and is not dialed.
func LoopbackDialer(tb testing.TB) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			tb.Errorf("dial to %q, which is not a loopback address", addr)
			return nil, fmt.Errorf("testprobe: refusing to dial %q", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}
