package export_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/playback"
)

// A cluster's export gathers footage from every node: here the camera's
// first segments are on node b's disk (another directory, read through
// Open as the service reads them from node b over the network), the rest
// on this node's. The masters are the sealed bytes, the working copy spans
// both, and the bundle verifies.
func TestExportGathersSegmentsFromOtherNodes(t *testing.T) {
	s := recordSite(t, 1)
	ctx := context.Background()
	cam := sim.CameraName(1)
	segs, err := s.store.Segments(ctx, cam, s.from, s.to)
	if err != nil || len(segs) < 3 {
		t.Fatalf("segments %d: %v", len(segs), err)
	}
	other := filepath.Join(t.TempDir(), "node-b-recordings")
	s.store.SetNode("b")
	moved := map[string]bool{}
	for _, seg := range segs[:2] {
		src := filepath.Join(s.root, "recordings", filepath.FromSlash(seg.Path))
		dst := filepath.Join(other, filepath.FromSlash(seg.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(src, dst); err != nil {
			t.Fatal(err)
		}
		if err := s.store.AdoptSegment(ctx, seg.ID); err != nil {
			t.Fatal(err)
		}
		moved[seg.Path] = true
	}
	s.store.SetNode("")

	x := s.exporter(t, "")
	x.Node = "a"
	var mu sync.Mutex // masters and the working copy are made side by side
	var opened []string
	x.Open = func(seg *store.Segment) (playback.File, error) {
		dir := filepath.Join(s.root, "recordings")
		if seg.Node == "b" {
			dir = other
			mu.Lock()
			opened = append(opened, seg.Path)
			mu.Unlock()
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
		t.Fatalf("an export gathered from two nodes does not verify:\n%s", rep.Summary())
	}
	if len(opened) < 2 {
		t.Fatalf("node b's segments were read %d times through Open, want each master and the working copy", len(opened))
	}
	for p := range moved {
		a, _ := os.ReadFile(filepath.Join(other, filepath.FromSlash(p)))
		b, err := os.ReadFile(filepath.Join(res.Dir, "media", cam, filepath.Base(p)))
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("master %s from node b differs from the sealed segment: %v", p, err)
		}
	}
}
