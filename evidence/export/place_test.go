package export_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/evidence/export"
)

// On the recordings' filesystem the masters share the sealed segments'
// blocks (reflink or hard link), survive the recordings' deletion, and
// the bundle verifies; with CopyMasters they are copies.
func TestMastersSharedWithRecordingsOrCopied(t *testing.T) {
	s := recordSite(t, 1)
	ctx := context.Background()
	key := pinned(t, s)
	r := request(sim.CameraName(1))
	r.From, r.To = s.from, s.to
	segs, err := s.store.Segments(ctx, sim.CameraName(1), r.From, r.To)
	if err != nil {
		t.Fatal(err)
	}
	master := func(dir string, i int) string {
		return filepath.Join(dir, "media", sim.CameraName(1), filepath.Base(segs[i].Path))
	}
	recording := func(i int) string { return filepath.Join(s.root, "recordings", filepath.FromSlash(segs[i].Path)) }

	x := s.exporter(t, "")
	x.CopyMasters = true
	copied, err := x.Export(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if copied.Placed[export.PlacedCopy] != copied.Masters {
		t.Fatalf("CopyMasters placed %v of %d masters", copied.Placed, copied.Masters)
	}
	x.CopyMasters = false
	shared, err := x.Export(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if n := shared.Placed[export.PlacedLink] + shared.Placed[export.PlacedClone]; n != shared.Masters {
		t.Fatalf("same filesystem: %v of %d masters shared", shared.Placed, shared.Masters)
	}
	for i := range segs {
		a, _ := os.Stat(recording(i))
		b, _ := os.Stat(master(shared.Dir, i))
		c, _ := os.Stat(master(copied.Dir, i))
		if shared.Placed[export.PlacedLink] > 0 && !os.SameFile(a, b) {
			t.Errorf("master %d was counted as linked but is another file", i)
		}
		if os.SameFile(a, c) {
			t.Errorf("master %d of the copied export is the recording itself", i)
		}
	}
	// Retention deletes the recordings: both bundles keep their masters.
	for i := range segs {
		if err := os.Remove(recording(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, res := range []export.Result{copied, shared} {
		if rep := verify(t, res.Dir, key, nil); !rep.OK() {
			t.Fatalf("after the recordings were deleted, %s does not verify:\n%s", res.Dir, rep.Summary())
		}
	}
}
