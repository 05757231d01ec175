package locker

import (
	"context"
	"encoding/hex"
	"fmt"
	"github.com/vigil-cctv/vigil/evidence"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

const testOrigin = "vigil.test/evidence"

func openLog(t *testing.T, dir string) *Log {
	t.Helper()
	l := &Log{Dir: dir, Origin: testOrigin, CreateKey: true, CheckpointInterval: -1}
	if err := l.Open(); err != nil {
		t.Fatal(err)
	}
	return l
}

func appendN(t *testing.T, l *Log, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := &evidence.Entry{Action: evidence.ActionPlayback, Actor: evidence.ActorAnonymous, Camera: "cam001",
			From: time.Unix(1000, 0), To: time.Unix(1060, 0), Reason: "incident", Ref: fmt.Sprint("n/", i)}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogAppendReopenAndProofs(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 10)
	c, signed, err := l.Checkpoint(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 10 || l.Size() != 11 { // the checkpoint's own entry follows it
		t.Fatalf("checkpoint size %d, log size %d", c.Size, l.Size())
	}
	pub, _ := PublicKey(KeyDir(dir))
	if !strings.HasPrefix(pub, testOrigin+"+") {
		t.Fatalf("public key %q", pub)
	}
	for seq := int64(0); seq < c.Size; seq++ {
		_, raw, err := l.ReadEntry(seq)
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.InclusionProof(seq, c.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, c.Size, c.Root, seq, evidence.LeafHash(raw)); err != nil {
			t.Fatalf("entry %d: %v", seq, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = openLog(t, dir)
	defer l.Close()
	if l.Size() != 11 {
		t.Fatalf("reopened size %d", l.Size())
	}
	got, note := l.LastCheckpoint()
	if got != c || string(note) != string(signed) {
		t.Fatalf("last checkpoint %+v, want %+v", got, c)
	}
	appendN(t, l, 5)
	c2, _, err := l.Checkpoint(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.ConsistencyProof(c.Size, c2.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, c2.Size, c2.Root, c.Size, c.Root); err != nil {
		t.Fatal(err)
	}
	// The chain: every entry's prev is the leaf hash of the one before.
	var prev tlog.Hash
	l.Scan(0, l.Size(), func(e evidence.Entry, raw []byte) bool {
		if e.Prev != prev {
			t.Fatalf("entry %d: chain broken", e.Seq)
		}
		prev = evidence.LeafHash(raw)
		return true
	})
}

func TestLogConcurrentAppendsShareCommits(t *testing.T) {
	l := openLog(t, t.TempDir())
	defer l.Close()
	l.Metrics = NewMetrics(nil)
	var wg sync.WaitGroup
	seen := make(chan uint64, 400)
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				seq, err := l.Append(context.Background(), &evidence.Entry{Action: evidence.ActionSnapshot, Actor: evidence.ActorAnonymous})
				if err != nil {
					t.Error(err)
					return
				}
				seen <- seq
			}
		}()
	}
	wg.Wait()
	close(seen)
	got := map[uint64]bool{}
	for s := range seen {
		if got[s] {
			t.Fatalf("seq %d given twice", s)
		}
		got[s] = true
	}
	if len(got) != 400 || l.Size() != 400 {
		t.Fatalf("%d seqs, size %d", len(got), l.Size())
	}
}

func TestLogTornTailIsCutAndDamageNamesTheEntry(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 5)
	l.Close()
	path := filepath.Join(dir, logFile)
	good, _ := os.ReadFile(path)

	// A crash mid-append leaves part of a frame: it was never acknowledged.
	torn := append(append([]byte(nil), good...), appendFrame(nil, []byte("VGE\x01 half an entry"))[:9]...)
	os.WriteFile(path, torn, 0o600)
	l = openLog(t, dir)
	if l.Size() != 5 {
		t.Fatalf("size after torn tail %d", l.Size())
	}
	l.Close()
	if b, _ := os.ReadFile(path); len(b) != len(good) {
		t.Fatalf("torn tail not cut: %d bytes, want %d", len(b), len(good))
	}

	// A flipped byte inside an earlier entry is damage, named by entry.
	bad := append([]byte(nil), good...)
	_, raw, _ := func() (evidence.Entry, []byte, error) { l := openLog(t, dir); defer l.Close(); return l.ReadEntry(2) }()
	i := strings.Index(string(bad), string(raw)) + 20
	bad[i] ^= 1
	os.WriteFile(path, bad, 0o600)
	err := (&Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1}).Open()
	if err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Fatalf("damage: %v", err)
	}
}

func TestLogRefusesRollbackAndAlteration(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 8)
	if _, _, err := l.Checkpoint(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	path := filepath.Join(dir, logFile)
	full, _ := os.ReadFile(path)

	// Rolled back: the log lost entries the checkpoint signed.
	l = openLog(t, dir)
	_, last, _ := l.ReadEntry(7)
	l.Close()
	cut := strings.Index(string(full), string(last)) - 4
	os.WriteFile(path, full[:cut], 0o600)
	err := (&Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1}).Open()
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("rollback: %v", err)
	}

	// Rewritten: a whole new history of the same length, validly framed
	// and chained, does not match the signed root.
	other := t.TempDir()
	l2 := openLog(t, other)
	for i := 0; i < 9; i++ {
		l2.Append(context.Background(), &evidence.Entry{Action: evidence.ActionPlayback, Actor: evidence.ActorAnonymous, Reason: "forged"})
	}
	l2.Close()
	forged, _ := os.ReadFile(filepath.Join(other, logFile))
	os.WriteFile(path, forged, 0o600)
	err = (&Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1}).Open()
	if err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("altered: %v", err)
	}
}

func TestLogNeverSignsAnInconsistentTree(t *testing.T) {
	l := openLog(t, t.TempDir())
	defer l.Close()
	appendN(t, l, 3)
	if _, _, err := l.Checkpoint(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	// Pretend an earlier signature covered a different tree.
	l.mu.Lock()
	l.signed.Root[0] ^= 1
	l.mu.Unlock()
	if _, _, err := l.Checkpoint(context.Background(), "test"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("signed an inconsistent tree: %v", err)
	}
}

func TestLogRotateKey(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 2)
	oldPub, _ := PublicKey(KeyDir(dir))
	oldV, _ := LoadVerifier(filepath.Join(KeyDir(dir), publicKeyFile))
	newPub, err := l.RotateKey(context.Background(), evidence.ActorLog)
	if err != nil {
		t.Fatal(err)
	}
	if newPub == oldPub {
		t.Fatal("key not rotated")
	}
	// The rotation checkpoint is signed by both keys.
	_, note := l.LastCheckpoint()
	newV, _ := LoadVerifier(filepath.Join(KeyDir(dir), publicKeyFile))
	if _, err := evidence.OpenCheckpoint(note, oldV); err != nil {
		t.Fatalf("old key: %v", err)
	}
	if _, err := evidence.OpenCheckpoint(note, newV); err != nil {
		t.Fatalf("new key: %v", err)
	}
	appendN(t, l, 1)
	if _, _, err := l.Checkpoint(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = openLog(t, dir) // verifies the last checkpoint with the new key
	defer l.Close()
	if st, _ := os.Stat(filepath.Join(KeyDir(dir), privateKeyFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v", st.Mode().Perm())
	}
	b, _ := os.ReadFile(filepath.Join(dir, logFile))
	if strings.Contains(string(b), "PRIVATE") {
		t.Fatal("the private key reached the log")
	}
}

func TestLoadSignerRefusesLooseKeyFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := GenerateKey(dir, testOrigin); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, privateKeyFile), 0o644)
	if _, err := LoadSigner(dir); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("loose key accepted: %v", err)
	}
	if _, err := GenerateKey(dir, testOrigin); err == nil {
		t.Fatal("overwrote a key")
	}
}

func TestLogIsExclusive(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)
	defer l.Close()
	err := (&Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1}).Open()
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second writer: %v", err)
	}
}

// The RFC 6962 reference vectors (certificate-transparency's test data),
// computed through the same hash cache the log uses.
func TestMerkleKnownAnswers(t *testing.T) {
	leaves := []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	roots := []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	h, err := createHashFile(filepath.Join(t.TempDir(), "h"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	if got := hex.EncodeToString(must(tlog.TreeHash(0, h))); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty tree %s", got)
	}
	for i, leaf := range leaves {
		data, _ := hex.DecodeString(leaf)
		hs, err := tlog.StoredHashes(int64(i), data, h)
		if err != nil {
			t.Fatal(err)
		}
		h.append(hs)
		if got := hex.EncodeToString(must(tlog.TreeHash(int64(i+1), h))); got != roots[i] {
			t.Fatalf("root of %d leaves %s, want %s", i+1, got, roots[i])
		}
	}
}

func must(h tlog.Hash, err error) []byte {
	if err != nil {
		panic(err)
	}
	return h[:]
}

// FuzzOpenLog: whatever bytes the log file holds, Open either accepts a
// valid prefix or names the damage; it never panics.
func FuzzOpenLog(f *testing.F) {
	dir := f.TempDir()
	l := &Log{Dir: dir, Origin: testOrigin, CreateKey: true, CheckpointInterval: -1}
	if err := l.Open(); err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		l.Append(context.Background(), &evidence.Entry{Action: evidence.ActionSnapshot, Actor: evidence.ActorAnonymous, Camera: "c"})
	}
	l.Close()
	valid, _ := os.ReadFile(filepath.Join(dir, logFile))
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Fuzz(func(t *testing.T, b []byte) {
		d := t.TempDir()
		os.CopyFS(d, os.DirFS(dir))
		os.Remove(filepath.Join(d, lockFile))
		os.WriteFile(filepath.Join(d, logFile), b, 0o600)
		l := &Log{Dir: d, Origin: testOrigin, CheckpointInterval: -1}
		if err := l.Open(); err != nil {
			return
		}
		defer l.Close()
		if _, err := l.Append(context.Background(), &evidence.Entry{Action: evidence.ActionSnapshot, Actor: evidence.ActorAnonymous}); err != nil {
			t.Fatal(err)
		}
	})
}
