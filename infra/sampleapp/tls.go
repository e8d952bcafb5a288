package sampleapp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files under the directory given to EnsureCertificates. The keys are
// written 0600 and are never read from anywhere else.
const (
	CAFile      = "ca.pem"     // the local CA's certificate: trust this one
	caKeyFile   = "ca-key.pem" // its key
	CertFile    = "cert.pem"   // the sample app's certificate for 127.0.0.1
	certKeyFile = "cert-key.pem"
)

// Certificates are the sample app's TLS material.
type Certificates struct {
	// Server is the leaf for 127.0.0.1 and localhost, signed by the CA.
	Server tls.Certificate
	// CA is the local CA's certificate.
	CA *x509.Certificate
	// CAPath is where its PEM is, for curl --cacert and SSL_CERT_FILE.
	CAPath string
}

// Pool returns the system roots plus the local CA: what the runner's prober
// and notifier trust, so that public HTTPS callbacks keep working too.
func (c *Certificates) Pool() *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pool.AddCert(c.CA)
	return pool
}

// EnsureCertificates loads the local CA and the sample app's certificate
// from dir, creating what is missing (the first start) and renewing the
// leaf when it is about to expire. The CA is valid for ten years, the leaf
// for one.
func EnsureCertificates(dir string, now time.Time) (*Certificates, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caCert, caKey, err := loadPair(filepath.Join(dir, CAFile), filepath.Join(dir, caKeyFile))
	if err != nil {
		caCert, caKey, err = newCert(dir, CAFile, caKeyFile, now, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("sample app CA: %w", err)
		}
	}
	leaf, leafKey, err := loadPair(filepath.Join(dir, CertFile), filepath.Join(dir, certKeyFile))
	if err == nil {
		if leaf.CheckSignatureFrom(caCert) != nil || now.Add(7*24*time.Hour).After(leaf.NotAfter) {
			err = errors.New("renew")
		}
	}
	if err != nil {
		leaf, leafKey, err = newCert(dir, CertFile, certKeyFile, now, caCert, caKey)
		if err != nil {
			return nil, fmt.Errorf("sample app certificate: %w", err)
		}
	}
	return &Certificates{
		Server: tls.Certificate{Certificate: [][]byte{leaf.Raw, caCert.Raw}, PrivateKey: leafKey, Leaf: leaf},
		CA:     caCert, CAPath: filepath.Join(dir, CAFile),
	}, nil
}

func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cp, _ := pem.Decode(cb)
	kp, _ := pem.Decode(kb)
	if cp == nil || kp == nil {
		return nil, nil, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(kp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// newCert makes a CA (parent nil) or a leaf for 127.0.0.1 signed by parent,
// and writes both files.
func newCert(dir, certName, keyName string, now time.Time, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		Subject:      pkix.Name{CommonName: "devhub sample app", Organization: []string{"devhub local runner"}},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.Subject = pkix.Name{CommonName: "devhub local CA (make run)", Organization: []string{"devhub local runner"}}
		tmpl.NotAfter = now.AddDate(10, 0, 0)
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.MaxPathLenZero = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.ExtKeyUsage, tmpl.DNSNames, tmpl.IPAddresses = nil, nil, nil
	} else {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, keyName), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, certName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}
