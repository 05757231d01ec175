package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/recorder/s3store/s3test"
)

// s3Config is a recorder.s3 section for the test's config.
func s3Config(endpoint, bucket, access, secret string) string {
	return fmt.Sprintf(`recorder:
  segment_duration: 2s
  s3: {endpoint: %q, bucket: %q, access_key: %q, secret_key: %q, tls: false, create_bucket: true, upload_interval: 1s}
`, endpoint, bucket, access, secret)
}

// A node starts when the object store does not answer (it records, its
// footage waiting on its disk), and refuses to start when the store
// refuses its keys: that is a configuration to mend, said at once.
func TestStartWithTheObjectStoreDownOrRefusing(t *testing.T) {
	a, _ := startApp(t, s3Config("127.0.0.1:1", "recordings", "vigil", "secret"))
	if a.objects == nil || a.uploader == nil {
		t.Fatal("no uploader with the object store down")
	}
	waitUntil(t, 30*time.Second, "footage sealed on this disk", func() bool {
		segs, _ := a.store.Segments(t.Context(), "cam001", time.Time{}, time.Time{})
		return len(segs) > 0 && segs[0].Object == ""
	})

	s3 := s3test.Start(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.yaml")
	body := fmt.Sprintf("data_dir: %s\ntls: {mode: \"off\"}\n%s", dir, s3Config(s3.Endpoint, "recordings", s3.AccessKey, "wrong"))
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &App{Config: cfg, LogOutput: io.Discard, Banner: &lockedBuffer{}}
	err = b.Initialize()
	if err == nil {
		b.Close()
		t.Fatal("a node started with keys the object store refuses")
	}
	if !strings.Contains(err.Error(), "recorder.s3") || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("the refusal does not say what is wrong: %v", err)
	}
}
