package s3store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/recorder/s3store"
	"github.com/vigil-cctv/vigil/recorder/s3store/s3test"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// One SeaweedFS server for the package's tests: it takes seconds to start.
var server *s3test.Server

func TestMain(m *testing.M) {
	s, err := s3test.New()
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	server = s
	code := m.Run()
	s.Close()
	os.Exit(code)
}

// segmentFile writes n random bytes to a file, returning its path and hash.
func segmentFile(t *testing.T, n int) (string, []byte, [32]byte) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), "seg.mp4")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b, sha256.Sum256(b)
}

// A segment goes up whole and is read back by range, byte for byte,
// across block boundaries; deleting it twice is fine; a missing object
// says so.
func TestPutOpenDelete(t *testing.T) {
	st := server.Bucket(t, "put-open-delete")
	ctx := context.Background()
	// Bigger than the multipart part size would be slow here; 3.5 blocks
	// of the reader cover the block arithmetic.
	file, want, sum := segmentFile(t, 3<<20+512<<10)
	obj := st.Object("cam001/2026/12/07/20261207T180000.000Z_0.mp4")
	if obj != "put-open-delete/recordings/cam001/2026/12/07/20261207T180000.000Z_0.mp4" {
		t.Fatalf("object name %q", obj)
	}
	if err := st.Put(ctx, obj, file, int64(len(want)), sum); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Stat(ctx, obj); err != nil || n != int64(len(want)) {
		t.Fatalf("stat: %d %v", n, err)
	}
	st.Metrics = s3store.NewMetrics(nil)
	f, err := st.Open(obj, int64(len(want)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	if n := testutil.ToFloat64(st.Metrics.ReadBytes); n != float64(len(want)) {
		t.Fatalf("%v bytes read counted, %d read", n, len(want))
	}
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back %d of %d bytes, equal %v: %v", len(got), len(want), bytes.Equal(got, want), err)
	}
	// A read across a block boundary, and one at the end.
	p := make([]byte, 100)
	if _, err := f.ReadAt(p, 1<<20-50); err != nil || !bytes.Equal(p, want[1<<20-50:1<<20+50]) {
		t.Fatalf("read across blocks: %v", err)
	}
	if n, err := f.ReadAt(p, int64(len(want))-10); n != 10 || err != io.EOF {
		t.Fatalf("read at the end: %d %v", n, err)
	}
	if err := st.Delete(ctx, obj); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, obj); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := st.Stat(ctx, obj); !errors.Is(err, s3store.ErrNotFound) {
		t.Fatalf("stat after delete: %v", err)
	}
	f, _ = st.Open(obj, int64(len(want)))
	if _, err := f.ReadAt(p, 0); !errors.Is(err, s3store.ErrNotFound) {
		t.Fatalf("read after delete: %v", err)
	}
	if n := testutil.ToFloat64(st.Metrics.ReadErrors); n != 1 {
		t.Fatalf("%v failed reads counted, want 1", n)
	}
}

// A file that no longer matches the hash it was sealed with is not
// uploaded.
func TestPutRefusesAnAlteredFile(t *testing.T) {
	st := server.Bucket(t, "altered")
	file, b, sum := segmentFile(t, 4096)
	b[100] ^= 1
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	obj := st.Object("cam001/x.mp4")
	if err := st.Put(context.Background(), obj, file, int64(len(b)), sum); !errors.Is(err, segment.ErrAltered) {
		t.Fatalf("altered file: %v", err)
	}
	if _, err := st.Stat(context.Background(), obj); !errors.Is(err, s3store.ErrNotFound) {
		t.Fatalf("the altered file reached the store: %v", err)
	}
}

// Wrong credentials, a missing bucket and an endpoint that does not answer
// each get an error that says so.
func TestErrorsSayWhatIsWrong(t *testing.T) {
	ctx := context.Background()
	cfg := server.Config("no-such-bucket")
	st, err := s3store.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx, false); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing bucket: %v", err)
	}
	cfg.SecretKey = "wrong"
	st, _ = s3store.New(cfg)
	if err := st.Check(ctx, true); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("wrong secret: %v", err)
	}
	cfg = server.Config("b")
	cfg.Endpoint = "127.0.0.1:1"
	st, _ = s3store.New(cfg)
	if err := st.Check(ctx, false); !errors.Is(err, s3store.ErrUnreachable) {
		t.Fatalf("an endpoint that does not answer: %v", err)
	}
	if _, err := s3store.New(s3store.Config{Endpoint: "x:1"}); err == nil {
		t.Fatal("a config without a bucket was accepted")
	}
	if _, err := st.Open("no-slash", 1); err == nil {
		t.Fatal("an object name without a bucket was accepted")
	}
}
