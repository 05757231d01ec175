package export_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/locker"
)

// copyDir copies a bundle folder so each tamper case starts clean.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func glob1(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
	if len(m) == 0 {
		t.Fatalf("no %s in %s", pattern, dir)
	}
	return m[0]
}

func flip(t *testing.T, path string, at func(n int) int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at(len(b))] ^= 0x01
	os.WriteFile(path, b, 0o644)
}

func middle(n int) int { return n / 2 }

// TestTamperedExportsAreRejected: a real export of camsim footage, and
// every kind of change to it, each rejected with a message naming it.
func TestTamperedExportsAreRejected(t *testing.T) {
	s := recordSite(t, 2)
	ctx := context.Background()
	// A copy of the site taken now gives its log a different history
	// from here: a fork.
	fork := forkSite(t, s)
	x := s.exporter(t, "")
	r := request(sim.CameraName(1))
	r.From, r.To = s.from, s.to
	a, err := x.Export(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	// A second, later export (other camera): a source of swapped files
	// and of a newer checkpoint.
	r2 := request(sim.CameraName(2))
	r2.From, r2.To, r2.CrimeRef = s.from, s.to, "01/999999/26"
	b, err := x.Export(ctx, r2)
	if err != nil {
		t.Fatal(err)
	}
	key := pinned(t, s)
	if rep := verify(t, a.Dir, key, nil); !rep.OK() {
		t.Fatalf("untouched export fails:\n%s", rep.Summary())
	}
	aCheckpoint, _ := os.ReadFile(filepath.Join(a.Dir, "checkpoint"))
	bCheckpoint, _ := os.ReadFile(filepath.Join(b.Dir, "checkpoint"))
	if rep := verify(t, b.Dir, key, aCheckpoint); !rep.OK() {
		t.Fatalf("a later export does not extend an earlier one's checkpoint:\n%s", rep.Summary())
	}

	otherSigner := newKey(t)
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		prior  []byte
		want   string // in the failure report
	}{
		{"flipped byte in a master", func(t *testing.T, d string) { flip(t, glob1(t, d, "media/cam001/*.mp4"), middle) }, nil, "sha256"},
		{"flipped byte in the working copy", func(t *testing.T, d string) { flip(t, glob1(t, d, "working/*.mp4"), middle) }, nil, "working/"},
		{"flipped byte in the manifest", func(t *testing.T, d string) { flip(t, filepath.Join(d, "manifest.json"), middle) }, nil, "manifest"},
		{"flipped byte in manifest.sig", func(t *testing.T, d string) {
			flip(t, filepath.Join(d, "manifest.sig"), func(n int) int { return n - 10 })
		}, nil, "manifest"},
		{"flipped byte in the checkpoint", func(t *testing.T, d string) {
			flip(t, filepath.Join(d, "checkpoint"), func(n int) int { return n - 10 })
		}, nil, "checkpoint"},
		{"flipped byte in custody.log", func(t *testing.T, d string) { flip(t, filepath.Join(d, "custody.log"), middle) }, nil, "custody"},
		{"flipped byte in a proof", func(t *testing.T, d string) { flip(t, glob1(t, d, "proofs/*.proof"), func(n int) int { return n - 5 }) }, nil, "proof"},
		{"flipped byte in SHA256SUMS", func(t *testing.T, d string) { flip(t, filepath.Join(d, "SHA256SUMS"), func(int) int { return 3 }) }, nil, "SHA256SUMS"},
		{"flipped byte in README", func(t *testing.T, d string) { flip(t, filepath.Join(d, "README.txt"), middle) }, nil, "README.txt"},
		{"truncated master", func(t *testing.T, d string) {
			p := glob1(t, d, "media/cam001/*.mp4")
			st, _ := os.Stat(p)
			os.Truncate(p, st.Size()-100)
		}, nil, "media/cam001/"},
		{"appended master", func(t *testing.T, d string) {
			f, _ := os.OpenFile(glob1(t, d, "media/cam001/*.mp4"), os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte("extra footage"))
			f.Close()
		}, nil, "media/cam001/"},
		{"segment swapped in from another export", func(t *testing.T, d string) {
			src, _ := os.ReadFile(glob1(t, b.Dir, "media/cam002/*.mp4"))
			os.WriteFile(glob1(t, d, "media/cam001/*.mp4"), src, 0o644)
		}, nil, "media/cam001/"},
		{"extra file", func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "media", "cam001", "planted.mp4"), []byte("x"), 0o644)
		}, nil, "planted.mp4"},
		{"missing file", func(t *testing.T, d string) { os.Remove(glob1(t, d, "media/cam001/*.mp4")) }, nil, "missing"},
		{"modified manifest field, re-signed with another key", func(t *testing.T, d string) {
			m, _ := os.ReadFile(filepath.Join(d, "manifest.json"))
			m = []byte(strings.Replace(string(m), "PC 123 Jane Smith", "PC 999 Someone Else", 1))
			os.WriteFile(filepath.Join(d, "manifest.json"), m, 0o644)
			sig, _ := note.Sign(&note.Note{Text: string(bundle.ManifestSigText(m))}, otherSigner)
			os.WriteFile(filepath.Join(d, "manifest.sig"), sig, 0o644)
		}, nil, "manifest"},
		{"whole bundle re-signed with another key", func(t *testing.T, d string) {
			cp, _ := os.ReadFile(filepath.Join(d, "checkpoint"))
			c, _ := evidence.OpenCheckpoint(cp, mustVerifier(t, key))
			signed, _ := evidence.SignCheckpoint(c, otherSigner)
			os.WriteFile(filepath.Join(d, "checkpoint"), signed, 0o644)
		}, nil, "checkpoint"},
		{"proof for another tree", func(t *testing.T, d string) {
			// A true proof of the same entry, but in the log's later tree
			// (after export b), not in the tree the bundle's checkpoint signs.
			p := glob1(t, d, "proofs/*.proof")
			seq, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(p), ".proof"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			size := s.log.Size()
			hashes, err := s.log.InclusionProof(seq, size)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(p, bundle.InclusionProof{Index: seq, Size: size, Hashes: hashes}.Format(), 0o644)
		}, nil, "a proof for a tree of size"},
		{"rolled back: prior checkpoint newer than the bundle's", func(*testing.T, string) {}, bCheckpoint, "prior"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := copyDir(t, a.Dir)
			c.tamper(t, d)
			rep := verify(t, d, key, c.prior)
			if rep.OK() {
				t.Fatalf("tampered bundle verified")
			}
			if text := reportText(rep); !strings.Contains(text, c.want) {
				t.Fatalf("report does not name %q:\n%s", c.want, text)
			}
		})
	}

	// Forked: the same data, with a different history since a point, signed
	// with the same key: a checkpoint of the fork is rejected as prior.
	t.Run("forked log", func(t *testing.T) {
		rf := request(sim.CameraName(1))
		rf.From, rf.To, rf.Reason = s.from, s.to, "a different history"
		fx := fork.exporter(t, "")
		fb, err := fx.Export(ctx, rf)
		if err != nil {
			t.Fatal(err)
		}
		forkCP, _ := os.ReadFile(filepath.Join(fb.Dir, "checkpoint"))
		rep := verify(t, b.Dir, key, forkCP)
		if rep.OK() {
			t.Fatal("a bundle verified against a forked prior checkpoint")
		}
		if text := reportText(rep); !strings.Contains(text, "prior") || !strings.Contains(text, "fork") {
			t.Fatalf("report:\n%s", text)
		}
	})
}

// forkSite copies the site as it was (store, log, keys, recordings) and
// gives the copy its own log history from there.
func forkSite(t *testing.T, s *site) *site {
	t.Helper()
	dst := t.TempDir()
	// The log is locked by the original; copy its files, not the lock.
	for _, sub := range []string{"recordings", "evidence"} {
		if err := os.CopyFS(filepath.Join(dst, sub), os.DirFS(filepath.Join(s.root, sub))); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dst, "evidence", "lock"))
	os.Chmod(filepath.Join(dst, "evidence", "keys", "signing.key"), 0o600)
	db, _ := os.ReadFile(filepath.Join(s.root, "vigil.db"))
	os.WriteFile(filepath.Join(dst, "vigil.db"), db, 0o600)
	for _, sfx := range []string{"-wal", "-shm"} {
		if b, err := os.ReadFile(filepath.Join(s.root, "vigil.db"+sfx)); err == nil {
			os.WriteFile(filepath.Join(dst, "vigil.db"+sfx), b, 0o600)
		}
	}
	f := reopenSite(t, dst)
	f.from, f.to = s.from, s.to
	return f
}

func newKey(t *testing.T) note.Signer {
	t.Helper()
	dir := t.TempDir()
	_, err := locker.GenerateKey(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := locker.LoadSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustVerifier(t *testing.T, key []byte) note.Verifier {
	v, err := evidenceVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func reportText(rep *bundle.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString(c.String() + "\n")
	}
	return b.String() + rep.Summary()
}
