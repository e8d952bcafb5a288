package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// selfSigned returns a TLS certificate for ips/names valid from notBefore to
// notAfter, and a pool trusting it.
func selfSigned(t *testing.T, names []string, ips []net.IP, notBefore, notAfter time.Time) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "probe test"},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    names, IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestCategories: every outcome names its category first and says why in
// words, and none of them quotes the address or the body.
func TestCategories(t *testing.T) {
	loop := []net.IP{net.IPv4(127, 0, 0, 1)}
	now := time.Now()
	tlsServer := func(t *testing.T, cert tls.Certificate, h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Config.ErrorLog = nil
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv
	}
	prober := func(t *testing.T, srv *httptest.Server, pool *x509.CertPool, answers map[string][]string) *Prober {
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		return newTestProber(t, Options{
			AllowedHosts: []string{srv.Listener.Addr().String(), "wrong.example.com:" + port, "gone.example.com:" + port},
			Resolver:     newFakeResolver(t, answers), DialContext: (&loopbackDialer{t: t}).DialContext, RootCAs: pool,
		})
	}
	okHandler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	t.Run("TLSExpired", func(t *testing.T) {
		cert, pool := selfSigned(t, nil, loop, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
		srv := tlsServer(t, cert, okHandler)
		got := prober(t, srv, pool, nil).Probe(context.Background(), srv.URL+"/cb")
		if got.OK || got.Category != TLS || !strings.Contains(got.Error, "expired") {
			t.Errorf("Probe = %+v, want tls, expired", got)
		}
	})
	t.Run("TLSWrongName", func(t *testing.T) {
		cert, pool := selfSigned(t, []string{"right.example.com"}, nil, now.Add(-time.Hour), now.Add(time.Hour))
		srv := tlsServer(t, cert, okHandler)
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		p := prober(t, srv, pool, map[string][]string{"wrong.example.com": {"127.0.0.1"}})
		got := p.Probe(context.Background(), "https://wrong.example.com:"+port+"/cb")
		if got.OK || got.Category != TLS || !strings.Contains(got.Error, "not valid for the URL's host name") {
			t.Errorf("Probe = %+v, want tls, wrong name", got)
		}
		if !errors.Is(&Error{TLS, "x"}, ErrTLS) || errors.Is(&Error{TLS, "x"}, ErrTimeout) {
			t.Error("errors.Is does not match by category")
		}
	})
	t.Run("TLSPlainHTTPServer", func(t *testing.T) {
		srv := httptest.NewServer(okHandler)
		defer srv.Close()
		p := prober(t, srv, nil, nil)
		got := p.Probe(context.Background(), "https://"+srv.Listener.Addr().String()+"/")
		if got.OK || got.Category != TLS {
			t.Errorf("Probe of plain HTTP over https = %+v, want tls", got)
		}
	})
	t.Run("DNS", func(t *testing.T) {
		p := newTestProber(t, Options{Resolver: newFakeResolver(t, map[string][]string{"empty.example.com": {}}),
			DialContext: (&recordingDialer{t: t}).DialContext})
		for _, u := range []string{"https://nxdomain.example.com/", "https://empty.example.com/"} {
			got := p.Probe(context.Background(), u)
			if got.OK || got.Category != DNS || got.Error != ErrDNS.Error() {
				t.Errorf("Probe(%s) = %+v, want dns", u, got)
			}
		}
	})
	t.Run("Status", func(t *testing.T) {
		cert, pool := selfSigned(t, nil, loop, now.Add(-time.Hour), now.Add(time.Hour))
		srv := tlsServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "stack trace", http.StatusServiceUnavailable)
		}))
		got := prober(t, srv, pool, nil).Probe(context.Background(), srv.URL)
		if got.OK || got.Category != Status || !strings.Contains(got.Error, "503 Service Unavailable") || !errors.Is(&Error{Status, ""}, ErrServerError) {
			t.Errorf("Probe = %+v, want status naming 503", got)
		}
	})
	t.Run("Redirect", func(t *testing.T) {
		cert, pool := selfSigned(t, nil, loop, now.Add(-time.Hour), now.Add(time.Hour))
		srv := tlsServer(t, cert, http.RedirectHandler("https://login.example.com/", http.StatusFound))
		got := prober(t, srv, pool, nil).Probe(context.Background(), srv.URL)
		if !got.OK || got.Category != Redirect || got.Error != "" || !strings.HasPrefix(got.Note, "redirect: ") ||
			!strings.Contains(got.Note, "302 Found") || !strings.Contains(got.Note, "never followed") {
			t.Errorf("Probe = %+v, want OK, category redirect with a note", got)
		}
	})
	t.Run("PlainAnswerHasNoCategory", func(t *testing.T) {
		cert, pool := selfSigned(t, nil, loop, now.Add(-time.Hour), now.Add(time.Hour))
		srv := tlsServer(t, cert, okHandler)
		if got := prober(t, srv, pool, nil).Probe(context.Background(), srv.URL); !got.OK || got.Category != "" || got.Note != "" {
			t.Errorf("Probe = %+v, want OK without category", got)
		}
	})
	t.Run("NotAllowedNeverNamesTheAddress", func(t *testing.T) {
		p := newTestProber(t, Options{Resolver: newFakeResolver(t, hostileResolverAnswers),
			DialContext: (&recordingDialer{t: t}).DialContext, HTTPSOnly: true})
		for _, u := range []string{"https://10.1.2.3/", "https://private.example.com/", "https://[fd00:ec2::254]/",
			"https://169.254.169.254/latest", "http://example.com/", "https://example.com:8443/"} {
			got := p.Probe(context.Background(), u)
			if got.Category != NotAllowed || !strings.HasPrefix(got.Error, "not_allowed: ") ||
				!strings.Contains(got.Error, "private, loopback, link-local or reserved") {
				t.Errorf("Probe(%s) = %+v, want not_allowed", u, got)
			}
			for _, leak := range []string{"10.", "169.254", "fd00", "private.example", "8443"} {
				if strings.Contains(got.Error, leak) {
					t.Errorf("Probe(%s).Error = %q names %q", u, got.Error, leak)
				}
			}
		}
	})
}
