package export_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/playback"
	"github.com/vigil-cctv/vigil/recorder/s3store/s3test"
)

// An export gathers footage from the shared object store (a real S3
// server): the masters are the sealed bytes and the bundle verifies. An
// object altered in the store is refused with an error that says so, and
// no bundle is made.
func TestExportReadsTheObjectStore(t *testing.T) {
	s := recordSite(t, 1)
	ctx := context.Background()
	cam := sim.CameraName(1)
	segs, err := s.store.Segments(ctx, cam, s.from, s.to)
	if err != nil || len(segs) < 3 {
		t.Fatalf("segments %d: %v", len(segs), err)
	}
	objects := s3test.Start(t).Bucket(t, "evidence-export")
	dir := filepath.Join(s.root, "recordings")
	sealed := map[string][]byte{}
	for _, seg := range segs[:2] {
		file := filepath.Join(dir, filepath.FromSlash(seg.Path))
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sealed[seg.Path] = b
		obj := objects.Object(seg.Path)
		if err := objects.Put(ctx, obj, file, seg.Bytes, seg.SHA256); err != nil {
			t.Fatal(err)
		}
		if err := s.store.SetSegmentObject(ctx, seg.ID, obj); err != nil {
			t.Fatal(err)
		}
		os.Remove(file)
	}
	x := s.exporter(t, "")
	x.Open = func(seg *store.Segment) (playback.File, error) {
		if seg.Object != "" {
			return objects.Open(seg.Object, seg.Bytes)
		}
		return playback.OpenFile(filepath.Join(dir, filepath.FromSlash(seg.Path)))
	}
	r := request(cam)
	r.From, r.To = s.from, s.to
	res, err := x.Export(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, res.Dir, pinned(t, s), nil); !rep.OK() {
		t.Fatalf("an export from the object store does not verify:\n%s", rep.Summary())
	}
	for p, want := range sealed {
		got, err := os.ReadFile(filepath.Join(res.Dir, "media", cam, filepath.Base(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("master %s from the object store differs from the sealed segment: %v", p, err)
		}
	}

	// Someone with write access to the bucket alters a segment.
	altered := bytes.Clone(sealed[segs[0].Path])
	altered[len(altered)/2] ^= 0x01
	if err := objects.PutBytes(ctx, objects.Object(segs[0].Path), altered); err != nil {
		t.Fatal(err)
	}
	r.CrimeRef = "01/222/26"
	if _, err := x.Export(ctx, r); err == nil || !strings.Contains(err.Error(), "does not match what was sealed") {
		t.Fatalf("an export of an altered object: %v", err)
	}
}
