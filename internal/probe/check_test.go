package probe

import (
	"context"
	"net"
	"testing"
)

func TestCheckURLAccepts(t *testing.T) {
	p := newTestProber(t, Options{Resolver: newFakeResolver(t, nil), DialContext: (&recordingDialer{t: t}).DialContext})
	for _, u := range []string{
		"https://example.com/oauth/callback?x=1",
		"https://example.com:443/cb",
		"http://example.com:80/cb",
		"HTTPS://App.Example.COM/cb",
		"https://example.com./cb",
		"https://93.184.216.34/cb",
		"https://[2606:4700:4700::1111]/cb",
		"https://[::ffff:93.184.216.34]/cb",
		"https://deadbeef.cafe/",    // hex-looking labels, but a name
		"https://1password.com/",    // leading digit label
		"https://123.example.org/",  // numeric first label, name last
		"https://xn--bcher-kva.de/", // punycode
		"https://a-b.c-d.co.uk/cb#frag",
	} {
		if err := p.CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", u, err)
		}
	}
}

func staticHostileURLs(t testing.TB) []string {
	var out []string
	for _, h := range hostileURLs("127.0.0.1:1") {
		if h.static && !h.httpsOnly {
			out = append(out, h.url)
		}
	}
	if len(out) == 0 {
		t.Fatal("no static hostile URLs")
	}
	return out
}

func benchProber(tb testing.TB) *Prober {
	return New(Options{
		Resolver: &fakeResolver{answers: map[string][]string{}, seq: map[string][][]string{}, calls: map[string]int{}},
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			tb.Error("a static refusal reached the dialer")
			return nil, errNotConnecting
		},
	})
}

// A static refusal never reaches the resolver or the dialer (benchProber
// fails the test on any dial). What it costs is what an attacker can make us
// spend for free: BenchmarkRefuseHostile measures it (well under 1 µs), not a
// timed test.
func TestStaticRefusalNeverDials(t *testing.T) {
	p := benchProber(t)
	ctx := context.Background()
	for _, u := range staticHostileURLs(t) {
		if r := p.Probe(ctx, u); r.Error != ErrNotAllowed.Error() {
			t.Fatalf("Probe(%q) = %+v, want refused", u, r)
		}
	}
}

func BenchmarkRefuseHostile(b *testing.B) {
	p := benchProber(b)
	urls := staticHostileURLs(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if r := p.Probe(ctx, urls[i%len(urls)]); r.OK {
			b.Fatalf("Probe(%q) OK, want refused", urls[i%len(urls)])
		}
	}
}
