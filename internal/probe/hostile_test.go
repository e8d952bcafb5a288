package probe

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// hostileURL is one URL that must be refused. static says whether CheckURL
// alone refuses it (no I/O); the others are refused by the guarded dialer
// after the fake resolver answers.
type hostileURL struct {
	name      string
	url       string
	static    bool
	httpsOnly bool
}

// hostileResolverAnswers are what the fake resolver says for the names of
// the non-static rows.
var hostileResolverAnswers = map[string][]string{
	"private.example.com":  {"10.0.0.5"},
	"loopback.example.com": {"127.0.0.1"},
	"metadata.example.com": {"169.254.169.254"},
	"alibaba.example.com":  {"100.100.100.200"},
	"mixed.example.com":    {"93.184.216.34", "10.0.0.1"},
	"mixed6.example.com":   {"2606:2800:220:1:248:1893:25c8:1946", "fd00:ec2::254"},
	"ula.example.com":      {"fd00:ec2::254"},
	"mapped.example.com":   {"::ffff:127.0.0.1"},
	"nat64.example.com":    {"64:ff9b::a9fe:a9fe"},
	"zoned.example.com":    {"fe80::1%eth0"},
	"bench.example.com":    {"198.18.0.1"},
	"127.0.0.1.nip.io":     {"127.0.0.1"},
	"empty.example.com":    {},
	// nxdomain.example.com is deliberately absent.
}

// hostileURLs lists the URLs; canaryHP is the canary's host:port, which must
// be refused like any other loopback address.
func hostileURLs(canaryHP string) []hostileURL {
	_, canaryPort, _ := strings.Cut(canaryHP, ":")
	return []hostileURL{
		// Numeric spellings of 127.0.0.1.
		{"loopback dotted quad", "http://127.0.0.1/", true, false},
		{"loopback decimal", "http://2130706433/", true, false},
		{"loopback octal", "http://0177.0.0.1/", true, false},
		{"loopback octal whole", "http://017700000001/", true, false},
		{"loopback hex dotted", "http://0x7f.0.0.1/", true, false},
		{"loopback hex dotted all", "http://0x7F.0x00.0x00.0x01/", true, false},
		{"loopback hex whole", "http://0x7f000001/", true, false},
		{"loopback short 127.1", "http://127.1/", true, false},
		{"loopback short 127.0.1", "http://127.0.1/", true, false},
		{"loopback short octal", "http://0177.1/", true, false},
		{"loopback short hex", "http://0x7f.1/", true, false},
		{"loopback padded", "http://127.000.000.001/", true, false},
		{"loopback trailing dot", "http://127.0.0.1./", true, false},
		{"loopback other", "http://127.53.1.2/", true, false},
		{"loopback percent-encoded", "http://%31%32%37.0.0.1/", true, false},
		{"loopback fullwidth digits", "http://１２７.０.０.１/", true, false},
		{"zero", "http://0/", true, false},
		{"unspecified", "http://0.0.0.0/", true, false},
		// Numeric spellings of 169.254.169.254 and other private space.
		{"metadata dotted quad", "http://169.254.169.254/latest/meta-data/", true, false},
		{"metadata decimal", "http://2852039166/", true, false},
		{"metadata hex whole", "http://0xa9fea9fe/", true, false},
		{"metadata octal", "http://0251.0376.0251.0376/", true, false},
		{"metadata hex dotted", "http://0xa9.0xfe.0xa9.0xfe/", true, false},
		{"metadata short", "http://169.254.43518/", true, false},
		{"metadata mixed", "http://0xa9.254.0251.0xfe/", true, false},
		{"private short 10.1", "http://10.1/", true, false},
		{"private 10/8", "https://10.0.0.1/", true, false},
		{"private 172.16/12", "https://172.16.0.1/", true, false},
		{"private 192.168/16", "https://192.168.1.1/", true, false},
		{"cgnat", "https://100.64.0.1/", true, false},
		{"ietf protocol assignments", "https://192.0.0.1/", true, false},
		{"test-net-1", "https://192.0.2.1/", true, false},
		{"benchmarking", "https://198.18.0.1/", true, false},
		{"test-net-2", "https://198.51.100.1/", true, false},
		{"test-net-3", "https://203.0.113.1/", true, false},
		{"reserved 240/4", "https://240.0.0.1/", true, false},
		{"broadcast", "https://255.255.255.255/", true, false},
		{"multicast", "https://224.0.0.1/", true, false},
		{"numeric last label", "https://example.0x7f/", true, false},
		// IPv6 literals.
		{"ipv6 loopback", "http://[::1]/", true, false},
		{"ipv6 unspecified", "http://[::]/", true, false},
		{"ipv4-mapped dotted", "http://[::ffff:127.0.0.1]/", true, false},
		{"ipv4-mapped hex", "http://[::ffff:7f00:1]/", true, false},
		{"ipv4-mapped metadata", "http://[::ffff:169.254.169.254]/", true, false},
		{"ipv4-compatible", "http://[::127.0.0.1]/", true, false},
		{"ipv4-translated", "http://[::ffff:0:7f00:1]/", true, false},
		{"nat64 metadata", "http://[64:ff9b::a9fe:a9fe]/", true, false},
		{"nat64 loopback", "http://[64:ff9b::127.0.0.1]/", true, false},
		{"nat64 local-use", "http://[64:ff9b:1::a9fe:a9fe]/", true, false},
		{"6to4 loopback", "http://[2002:7f00:1::]/", true, false},
		{"6to4 metadata", "http://[2002:a9fe:a9fe::1]/", true, false},
		{"teredo", "http://[2001::1]/", true, false},
		{"ipv6 documentation", "http://[2001:db8::1]/", true, false},
		{"ipv6 documentation 3fff", "http://[3fff::1]/", true, false},
		{"discard-only", "http://[100::1]/", true, false},
		{"aws ipv6 metadata", "http://[fd00:ec2::254]/", true, false},
		{"ula", "http://[fc00::1]/", true, false},
		{"link-local", "http://[fe80::1]/", true, false},
		{"link-local with zone", "http://[fe80::1%25eth0]/", true, false},
		{"public with zone", "http://[2606:4700:4700::1111%25eth0]/", true, false},
		{"site-local", "http://[fec0::1]/", true, false},
		{"ipv6 multicast", "http://[ff02::1]/", true, false},
		{"ipv6 unbracketed", "http://::1/", true, false},
		{"bracketed name", "http://[example.com]/", true, false},
		// Schemes and shapes.
		{"ftp", "ftp://example.com/", true, false},
		{"file", "file:///etc/passwd", true, false},
		{"gopher", "gopher://example.com:70/_GET", true, false},
		{"javascript", "javascript:alert(1)", true, false},
		{"data", "data:text/html,hello", true, false},
		{"websocket", "ws://example.com/", true, false},
		{"no scheme", "//example.com/", true, false},
		{"opaque", "http:example.com", true, false},
		{"empty", "", true, false},
		{"empty host", "http:///callback", true, false},
		{"empty host with port", "https://:443/", true, false},
		{"http when https only", "http://example.com/", true, true},
		{"user and password", "http://user:pass@example.com/", true, false},
		{"user only", "https://user@example.com/", true, false},
		{"userinfo pointing home", "http://example.com@127.0.0.1/", true, false},
		{"backslash trick", `http://example.com\@127.0.0.1/`, true, false},
		{"too long", "https://example.com/" + strings.Repeat("a", maxURLLen), true, false},
		// Ports.
		{"port 22", "https://example.com:22/", true, false},
		{"port 8080", "http://example.com:8080/", true, false},
		{"port 443 with leading zero", "https://example.com:0443/", true, false},
		{"canary itself", "http://" + canaryHP + "/", true, false},
		{"canary by name", "http://localhost:" + canaryPort + "/", true, false},
		// Names.
		{"localhost", "http://localhost/", true, false},
		{"localhost upper with dot", "http://LOCALHOST./", true, false},
		{"sub.localhost", "http://foo.localhost/", true, false},
		{"gcp metadata", "http://metadata.google.internal/computeMetadata/v1/", true, false},
		{"aws internal", "https://ip-10-0-0-1.ec2.internal/", true, false},
		{"mdns", "https://printer.local/", true, false},
		{"single label", "http://metadata/", true, false},
		{"home.arpa", "https://router.home.arpa/", true, false},
		{"reverse dns", "https://1.0.0.127.in-addr.arpa/", true, false},
		{"underscore", "https://my_host.example.com/", true, false},
		{"empty label", "https://example..com/", true, false},
		// Names whose addresses are not public: refused at dial time.
		{"resolves to 10/8", "https://private.example.com/", false, false},
		{"resolves to loopback", "https://loopback.example.com/", false, false},
		{"resolves to metadata", "http://metadata.example.com/latest/meta-data/", false, false},
		{"resolves to cgnat metadata", "http://alibaba.example.com/", false, false},
		{"resolves to public and private", "https://mixed.example.com/", false, false},
		{"resolves to public and ula ipv6", "https://mixed6.example.com/", false, false},
		{"resolves to aws ipv6 metadata", "https://ula.example.com/", false, false},
		{"resolves to ipv4-mapped loopback", "https://mapped.example.com/", false, false},
		{"resolves to nat64 metadata", "https://nat64.example.com/", false, false},
		{"resolves to zoned link-local", "https://zoned.example.com/", false, false},
		{"resolves to benchmarking", "https://bench.example.com/", false, false},
		{"nip.io style", "https://127.0.0.1.nip.io/", false, false},
	}
}

func TestProbeRefusesHostile(t *testing.T) {
	c := newCanary(t)
	urls := hostileURLs(c.hostPort())
	if len(urls) < 45 {
		t.Fatalf("got %d hostile URLs, want at least 45", len(urls))
	}
	for _, h := range urls {
		t.Run(h.name, func(t *testing.T) {
			dialer := &loopbackDialer{t: t, redirect: c.hostPort()}
			p := newTestProber(t, Options{
				HTTPSOnly:   h.httpsOnly,
				Resolver:    newFakeResolver(t, hostileResolverAnswers),
				DialContext: dialer.DialContext,
			})

			err := p.CheckURL(h.url)
			if h.static && !errors.Is(err, ErrNotAllowed) {
				t.Errorf("CheckURL(%q) = %v, want ErrNotAllowed before any I/O", h.url, err)
			}
			if !h.static && err != nil {
				t.Errorf("CheckURL(%q) = %v, want nil (refusal belongs to the dialer)", h.url, err)
			}

			got := p.Probe(context.Background(), h.url)
			want := Result{Category: NotAllowed, Error: ErrNotAllowed.Error(), CheckedAt: got.CheckedAt}
			if got != want {
				t.Errorf("Probe(%q) = %+v, want %+v", h.url, got, want)
			}
			if n := dialer.dials.Load(); n != 0 {
				t.Errorf("inner dialer called %d times, want 0 (refuse before connecting)", n)
			}
		})
	}
	c.assertUntouched(t)
}

func TestClientRefusesHostile(t *testing.T) {
	c := newCanary(t)
	dialer := &loopbackDialer{t: t, redirect: c.hostPort()}
	p := newTestProber(t, Options{
		Resolver:    newFakeResolver(t, hostileResolverAnswers),
		DialContext: dialer.DialContext,
	})
	for _, h := range hostileURLs(c.hostPort()) {
		if h.httpsOnly || !strings.HasPrefix(h.url, "http") || len(h.url) > maxURLLen {
			continue // Client's own parser rejects these before the guard.
		}
		t.Run(h.name, func(t *testing.T) {
			resp, err := p.Client().Get(h.url)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("Client().Get(%q) succeeded with %d, want an error", h.url, resp.StatusCode)
			}
			if isURLParseable(h.url) && !errors.Is(err, ErrNotAllowed) {
				t.Errorf("Client().Get(%q) error = %v, want it to wrap ErrNotAllowed", h.url, err)
			}
		})
	}
	if n := dialer.dials.Load(); n != 0 {
		t.Errorf("inner dialer called %d times, want 0", n)
	}
	c.assertUntouched(t)
}

func TestProbeRefusesLambdaRuntimeAPI(t *testing.T) {
	c := newCanary(t)
	t.Setenv("AWS_LAMBDA_RUNTIME_API", c.hostPort())
	_, port, _ := strings.Cut(c.hostPort(), ":")
	dialer := &loopbackDialer{t: t}
	p := newTestProber(t, Options{
		// Listed on purpose: the runtime API must stay refused anyway.
		AllowedHosts: []string{c.hostPort(), "localhost:" + port},
		Resolver:     newFakeResolver(t, map[string][]string{"localhost": {"127.0.0.1"}}),
		DialContext:  dialer.DialContext,
	})
	for _, u := range []string{c.URL + "/2018-06-01/runtime/invocation/next", "http://localhost:" + port + "/"} {
		got := p.Probe(context.Background(), u)
		if got.OK || got.Error != ErrNotAllowed.Error() {
			t.Errorf("Probe(%q) = %+v, want refused with %q", u, got, ErrNotAllowed)
		}
	}
	if n := dialer.dials.Load(); n != 0 {
		t.Errorf("inner dialer called %d times, want 0", n)
	}
	c.assertUntouched(t)
}

func isURLParseable(s string) bool {
	_, err := url.Parse(s)
	return err == nil
}
