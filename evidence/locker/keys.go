package locker

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Key files live in DIR/keys: signing.key (the private key, 0600, never
// logged) and signing.pub (the verifier key the council publishes).
// Retired public keys stay in keys/retired so old checkpoints still verify.
const (
	privateKeyFile = "signing.key"
	publicKeyFile  = "signing.pub"
)

// ErrNoKey is returned when the log has no signing key yet.
var ErrNoKey = errors.New("no evidence signing key (run: vigil evidence keygen)")

// KeyDir is where a log directory keeps its keys.
func KeyDir(logDir string) string { return filepath.Join(logDir, "keys") }

// GenerateKey creates a new signing key named origin in dir, refusing to
// overwrite one. It returns the public (verifier) key.
func GenerateKey(dir, origin string) (string, error) {
	if err := checkOrigin(origin); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, privateKeyFile)); err == nil {
		return "", fmt.Errorf("evidence key: %s already exists (use rotate-key to replace it)", filepath.Join(dir, privateKeyFile))
	}
	return writeNewKey(dir, origin)
}

func writeNewKey(dir, origin string) (string, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", fmt.Errorf("evidence key: %w", err)
	}
	if err := writeKeyPair(dir, skey, vkey); err != nil {
		return "", fmt.Errorf("evidence key: %w", err)
	}
	return vkey, nil
}

func writeKeyPair(dir, skey, vkey string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, privateKeyFile), []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, publicKeyFile), []byte(vkey+"\n"), 0o644)
}

// LoadSigner reads the private key from dir. A key file readable by others
// is refused: whoever reads it can sign checkpoints.
func LoadSigner(dir string) (note.Signer, error) {
	path := filepath.Join(dir, privateKeyFile)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, fmt.Errorf("evidence key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("evidence key: %s has mode %v; it must be 0600 (chmod 600 %s)", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("evidence key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		// The error text could quote the key: do not pass it on.
		return nil, fmt.Errorf("evidence key: %s is not a signing key", path)
	}
	return s, nil
}

// LoadVerifier reads a verifier key file (one line, as GenerateKey prints).
func LoadVerifier(path string) (note.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return v, nil
}

// PublicKey returns the verifier key text of dir's current key.
func PublicKey(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, publicKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNoKey
	}
	return strings.TrimSpace(string(b)), err
}

// retireKey moves the current key pair aside: the public key to
// keys/retired (kept for good), the private key is deleted.
func retireKey(dir string, at time.Time) (string, error) {
	pub, err := PublicKey(dir)
	if err != nil {
		return "", err
	}
	retired := filepath.Join(dir, "retired")
	if err := os.MkdirAll(retired, 0o700); err != nil {
		return "", err
	}
	name := at.UTC().Format("20060102T150405Z") + ".pub"
	if err := writeFileSync(filepath.Join(retired, name), []byte(pub+"\n"), 0o644); err != nil {
		return "", err
	}
	return pub, nil
}

func checkOrigin(origin string) error {
	if origin == "" || strings.ContainsAny(origin, " \t\n+") {
		return fmt.Errorf("evidence origin %q: must be non-empty, without spaces or '+' (e.g. vigil.example-council.gov.uk/evidence)", origin)
	}
	return nil
}

// writeFileSync writes a file atomically and durably: temp file, fsync,
// rename, fsync of the directory.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err = f.Chmod(mode); err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
