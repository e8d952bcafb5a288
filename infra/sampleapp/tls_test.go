package sampleapp

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestEnsureCertificates: made once, kept across starts, the leaf renewed
// near its expiry under the same CA, the keys 0600; the leaf verifies for
// 127.0.0.1 against the CA alone.
func TestEnsureCertificates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sample-app")
	now := time.Now()
	c1, err := EnsureCertificates(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c1.CA)
	if _, err := c1.Server.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1", CurrentTime: now}); err != nil {
		t.Errorf("leaf does not verify for 127.0.0.1: %v", err)
	}
	for _, k := range []string{caKeyFile, certKeyFile} {
		if fi, err := os.Stat(filepath.Join(dir, k)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", k, fi, err)
		}
	}
	c2, err := EnsureCertificates(dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c1.CA.Raw, c2.CA.Raw) || !bytes.Equal(c1.Server.Leaf.Raw, c2.Server.Leaf.Raw) {
		t.Error("a second start made new certificates")
	}
	c3, err := EnsureCertificates(dir, now.AddDate(1, 0, -1)) // the leaf expires in a day
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c1.CA.Raw, c3.CA.Raw) || bytes.Equal(c1.Server.Leaf.Raw, c3.Server.Leaf.Raw) {
		t.Error("want the same CA and a renewed leaf")
	}
	if c1.CAPath != filepath.Join(dir, CAFile) || c1.Pool() == nil {
		t.Errorf("CAPath %q", c1.CAPath)
	}
}

// BenchmarkEnsureCertificates: what the sample app adds to a first start
// (a CA and a leaf made and written) and to every later one (both read).
func BenchmarkEnsureCertificates(b *testing.B) {
	b.Run("FirstStart", func(b *testing.B) {
		root := b.TempDir()
		for i := 0; b.Loop(); i++ {
			if _, err := EnsureCertificates(filepath.Join(root, strconv.Itoa(i)), time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LaterStart", func(b *testing.B) {
		dir := b.TempDir()
		if _, err := EnsureCertificates(dir, time.Now()); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := EnsureCertificates(dir, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
