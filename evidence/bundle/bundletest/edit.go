package bundletest

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"golang.org/x/mod/sumdb/note"
)

// Path is the OS path of a bundle file.
func (b *Bundle) Path(rel string) string { return filepath.Join(b.Dir, filepath.FromSlash(rel)) }

// Read returns a bundle file's bytes.
func (b *Bundle) Read(tb testing.TB, rel string) []byte {
	tb.Helper()
	data, err := os.ReadFile(b.Path(rel))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Write replaces (or adds) a bundle file.
func (b *Bundle) Write(tb testing.TB, rel string, data []byte) {
	tb.Helper()
	p := b.Path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// ResealSums rewrites SHA256SUMS to match the files as they are now, as a
// forger would after changing one: the other checks must still catch it.
func (b *Bundle) ResealSums(tb testing.TB) {
	tb.Helper()
	if err := b.resealSums(); err != nil {
		tb.Fatal(err)
	}
}

func (b *Bundle) resealSums() error {
	sums := map[string][32]byte{}
	err := filepath.WalkDir(b.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(b.Dir, p)
		if err != nil || rel == bundle.SumsPath {
			return err
		}
		data, err := os.ReadFile(p)
		sums[filepath.ToSlash(rel)] = sha256.Sum256(data)
		return err
	})
	if err != nil {
		return err
	}
	return os.WriteFile(b.Path(bundle.SumsPath), bundle.FormatSHA256SUMS(sums), 0o644)
}

// SignManifest rewrites manifest.json and manifest.sig, signed by s.
func (b *Bundle) SignManifest(tb testing.TB, manifest []byte, s note.Signer) {
	tb.Helper()
	sig, err := note.Sign(&note.Note{Text: string(bundle.ManifestSigText(manifest))}, s)
	if err != nil {
		tb.Fatal(err)
	}
	b.Write(tb, bundle.ManifestPath, manifest)
	b.Write(tb, bundle.ManifestSigPath, sig)
}
