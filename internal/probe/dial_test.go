package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"
)

// DNS rebinding: the name answers with a public address first and with
// loopback afterwards. The guard resolves once per connection and hands the
// inner dialer only the address it checked.
func TestDialRebinding(t *testing.T) {
	res := newFakeResolver(t, nil)
	res.seq["rebind.example.com"] = [][]string{{"93.184.216.34"}, {"127.0.0.1"}}
	dialer := &recordingDialer{t: t} // Never connects, not even to the public address.
	p := newTestProber(t, Options{Resolver: res, DialContext: dialer.DialContext})

	t.Run("FirstAnswerPublic", func(t *testing.T) {
		got := p.Probe(context.Background(), "https://rebind.example.com/cb")
		if got.OK || got.Error != ErrConnect.Error() { // the recording dialer connects nowhere
			t.Errorf("Probe = %+v, want not OK with %q", got, ErrConnect)
		}
		if d, want := dialer.got(), []string{"93.184.216.34:443"}; !slices.Equal(d, want) {
			t.Errorf("inner dialer got %q, want only the checked %q", d, want)
		}
		if n := res.callCount("rebind.example.com"); n != 1 {
			t.Errorf("resolver called %d times for one connection, want 1", n)
		}
	})

	t.Run("SecondAnswerLoopback", func(t *testing.T) {
		got := p.Probe(context.Background(), "https://rebind.example.com/cb")
		if got.OK || got.Error != ErrNotAllowed.Error() {
			t.Errorf("Probe = %+v, want not OK with %q", got, ErrNotAllowed)
		}
		if d, want := dialer.got(), []string{"93.184.216.34:443"}; !slices.Equal(d, want) {
			t.Errorf("inner dialer got %q, want nothing new after the loopback answer", d)
		}
	})
}

// The guard itself, called as the transport calls it.
func TestDialContext(t *testing.T) {
	res := newFakeResolver(t, map[string][]string{
		"public.example.com": {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
		"mapped.example.com": {"::ffff:93.184.216.34"},
	})
	dialer := &recordingDialer{t: t}
	p := newTestProber(t, Options{Resolver: res, DialContext: dialer.DialContext})

	t.Run("ChecksEveryAnswerDialsLiterals", func(t *testing.T) {
		_, err := p.dialContext(context.Background(), "tcp", "public.example.com:443")
		if !errors.Is(err, ErrConnect) {
			t.Errorf("dialContext error = %v, want ErrConnect (the inner dialer fails)", err)
		}
		want := []string{"93.184.216.34:443", "[2606:2800:220:1:248:1893:25c8:1946]:443"}
		if d := dialer.got(); !slices.Equal(d, want) {
			t.Errorf("inner dialer got %q, want %q", d, want)
		}
	})

	t.Run("UnmapsBeforeDialing", func(t *testing.T) {
		before := len(dialer.got())
		_, _ = p.dialContext(context.Background(), "tcp", "mapped.example.com:80")
		if d := dialer.got()[before:]; !slices.Equal(d, []string{"93.184.216.34:80"}) {
			t.Errorf("inner dialer got %q, want the unmapped IPv4 literal", d)
		}
	})

	t.Run("ErrNotAllowed", func(t *testing.T) {
		before := len(dialer.got())
		for _, addr := range []string{
			"127.0.0.1:443", "[::1]:443", "localhost:443", "0x7f.1:80", "public.example.com:22",
			"public.example.com", "[fe80::1%eth0]:443", ":443",
		} {
			if _, err := p.dialContext(context.Background(), "tcp", addr); !errors.Is(err, ErrNotAllowed) {
				t.Errorf("dialContext(%q) error = %v, want ErrNotAllowed", addr, err)
			}
		}
		if d := dialer.got()[before:]; len(d) != 0 {
			t.Errorf("inner dialer got %q, want nothing", d)
		}
	})
}

// The default dialer's socket hook insists on the address dialContext
// checked, whatever else might try to use it.
func TestControlContext(t *testing.T) {
	checked := netip.MustParseAddrPort("93.184.216.34:443")
	ctx := context.WithValue(context.Background(), dialTargetKey{}, checked)
	tests := []struct {
		name    string
		ctx     context.Context
		address string
		wantErr bool
	}{
		{"OK", ctx, "93.184.216.34:443", false},
		{"OKMapped", ctx, "[::ffff:93.184.216.34]:443", false},
		{"ErrRebound", ctx, "127.0.0.1:443", true},
		{"ErrOtherPort", ctx, "93.184.216.34:22", true},
		{"ErrOtherPublic", ctx, "1.1.1.1:443", true},
		{"ErrUnchecked", context.Background(), "93.184.216.34:443", true},
		{"ErrGarbage", ctx, "nonsense", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := controlContext(tt.ctx, "tcp4", tt.address, nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("controlContext(%q) = %v, want error %v", tt.address, err, tt.wantErr)
			}
		})
	}
}

// An inner dialer whose connection ends up somewhere other than the checked
// address (a misbehaving custom dialer) is caught by the remote-address check.
func TestDialRemoteMismatch(t *testing.T) {
	res := newFakeResolver(t, map[string][]string{"public.example.com": {"93.184.216.34"}})
	var closed bool
	p := newTestProber(t, Options{
		Resolver: res,
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			a, b := net.Pipe()
			b.Close()
			return &fakeRemoteConn{Conn: a, remote: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 443}, closed: &closed}, nil
		},
	})
	if _, err := p.dialContext(context.Background(), "tcp", "public.example.com:443"); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("dialContext error = %v, want ErrNotAllowed", err)
	}
	if !closed {
		t.Error("mismatched connection not closed")
	}
}

type fakeRemoteConn struct {
	net.Conn
	remote net.Addr
	closed *bool
}

func (c *fakeRemoteConn) RemoteAddr() net.Addr { return c.remote }
func (c *fakeRemoteConn) Close() error         { *c.closed = true; return c.Conn.Close() }

// The production dialer (net.Dialer with the ControlContext hook) against a
// loopback server listed in AllowedHosts. The URL is an IP literal and the
// resolver is fake, so nothing but 127.0.0.1 can be dialed here.
func TestDefaultDialerLoopbackAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	p := New(Options{AllowedHosts: []string{srv.Listener.Addr().String()}, Resolver: newFakeResolver(t, nil)})
	if got := p.Probe(context.Background(), srv.URL); !got.OK || got.StatusCode != http.StatusNoContent {
		t.Errorf("Probe = %+v, want OK 204", got)
	}
}
