package ui

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateCertificateSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	hosts := []string{"vigil.example", "192.0.2.7", " [2001:db8::1] ", ""}
	cert, selfSigned, err := LoadOrCreateCertificate("", "", dir, hosts)
	if err != nil {
		t.Fatal(err)
	}
	if !selfSigned {
		t.Error("selfSigned = false for a generated certificate")
	}
	leaf := cert.Leaf
	if leaf == nil {
		t.Fatal("no Leaf")
	}
	for _, n := range []string{"localhost", "vigil.example"} {
		if !slices.Contains(leaf.DNSNames, n) {
			t.Errorf("DNS SANs %v lack %s", leaf.DNSNames, n)
		}
	}
	for _, ip := range []string{"127.0.0.1", "::1", "192.0.2.7", "2001:db8::1"} {
		if !slices.ContainsFunc(leaf.IPAddresses, func(a net.IP) bool { return a.Equal(net.ParseIP(ip)) }) {
			t.Errorf("IP SANs %v lack %s", leaf.IPAddresses, ip)
		}
	}
	if slices.Contains(leaf.DNSNames, "") {
		t.Errorf("empty DNS SAN in %q", leaf.DNSNames)
	}
	if leaf.Subject.CommonName != "Vigil self-signed" {
		t.Errorf("CommonName %q", leaf.Subject.CommonName)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("ExtKeyUsage %v", leaf.ExtKeyUsage)
	}
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if d := leaf.NotAfter.Sub(leaf.NotBefore); d != 397*24*time.Hour {
		t.Errorf("validity %v", d)
	}
	if leaf.SerialNumber.Sign() <= 0 || leaf.SerialNumber.BitLen() > 128 {
		t.Errorf("serial %v", leaf.SerialNumber)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "key.pem"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}

	// The second call, with the hosts in another order, reuses the files.
	again, selfSigned, err := LoadOrCreateCertificate("", "", dir, []string{"192.0.2.7", "VIGIL.example", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if !selfSigned || again.Leaf.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("second call made a new certificate (serial %v, was %v)", again.Leaf.SerialNumber, leaf.SerialNumber)
	}

	// A host the certificate does not cover renews it.
	renewed, _, err := LoadOrCreateCertificate("", "", dir, []string{"vigil.example", "nvr.example"})
	if err != nil {
		t.Fatal(err)
	}
	if renewed.Leaf.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("a missing host did not renew the certificate")
	}
	if err := renewed.Leaf.VerifyHostname("nvr.example"); err != nil {
		t.Error(err)
	}
}

func TestLoadOrCreateCertificateRenewsBeforeExpiry(t *testing.T) {
	dir := t.TempDir()
	// Made 380 days ago: 17 days left, under the 30 day margin.
	old, err := createSelfSigned(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"),
		certHosts(nil), time.Now().Add(-380*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := LoadOrCreateCertificate("", "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Leaf.SerialNumber.Cmp(old.Leaf.SerialNumber) == 0 {
		t.Error("certificate expiring in 17 days was not renewed")
	}
	if time.Until(cert.Leaf.NotAfter) < 390*24*time.Hour {
		t.Errorf("renewed certificate expires %v", cert.Leaf.NotAfter)
	}
}

func TestLoadOrCreateCertificateReplacesCorruptSelfSigned(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateCertificate("", "", dir, nil); err != nil {
		t.Fatalf("corrupt self-signed files not replaced: %v", err)
	}
}

func TestLoadOrCreateCertificateConfigured(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	made, err := createSelfSigned(certFile, keyFile, certHosts([]string{"cam.example"}), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	selfDir := filepath.Join(dir, "unused")
	cert, selfSigned, err := LoadOrCreateCertificate(certFile, keyFile, selfDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if selfSigned {
		t.Error("selfSigned = true for configured files")
	}
	if cert.Leaf.SerialNumber.Cmp(made.Leaf.SerialNumber) != 0 {
		t.Error("configured certificate not the one loaded")
	}
	if _, err := os.Stat(selfDir); !os.IsNotExist(err) {
		t.Errorf("self-signed directory touched: %v", err)
	}

	if _, _, err := LoadOrCreateCertificate(certFile, "", selfDir, nil); err == nil {
		t.Error("certificate without key: no error")
	}
	if _, _, err := LoadOrCreateCertificate("", keyFile, selfDir, nil); err == nil {
		t.Error("key without certificate: no error")
	}

	corrupt := filepath.Join(dir, "corrupt.pem")
	if err := os.WriteFile(corrupt, []byte("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateCertificate(corrupt, keyFile, selfDir, nil); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("corrupt certificate: error %v does not name %s", err, corrupt)
	}
	if _, _, err := LoadOrCreateCertificate(certFile, corrupt, selfDir, nil); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("corrupt key: error %v does not name %s", err, corrupt)
	}
	missing := filepath.Join(dir, "missing.pem")
	if _, _, err := LoadOrCreateCertificate(missing, keyFile, selfDir, nil); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing certificate: error %v does not name %s", err, missing)
	}

	// A key that is valid but not the certificate's.
	other := t.TempDir()
	if _, err := createSelfSigned(filepath.Join(other, "c.pem"), filepath.Join(other, "k.pem"), certHosts(nil), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateCertificate(certFile, filepath.Join(other, "k.pem"), selfDir, nil); err == nil {
		t.Error("mismatched key: no error")
	}
}
