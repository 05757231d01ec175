package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/evidence/export"
)

// TestSmoke runs the whole benchmark on about 20 MB of small-stream
// footage: every phase, the table, and a bundle that verifies.
func TestSmoke(t *testing.T) {
	clips, err := filepath.Abs(filepath.Join("..", "..", "data", "clips"))
	if err != nil {
		t.Fatal(err)
	}
	o := defaultOptions()
	o.gib, o.dir, o.clips, o.clipSeconds = 0.02, t.TempDir(), clips, 4
	o.main = sim.StreamSpec{Width: 320, Height: 180, FPS: 25, GOP: time.Second, Bitrate: 3_000_000}
	o.segment, o.appendFor, o.rounds = 2*time.Second, 200*time.Millisecond, 2
	var log bytes.Buffer
	r, err := bench(context.Background(), o, newProgress(&log))
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !r.ver.ok {
		t.Fatalf("the export does not verify:\n%s", r.ver.sum)
	}
	if r.ex.masterBytes != r.bytes || r.bytes < int64(o.gib*(1<<30)) || r.segments < 2 {
		t.Fatalf("exported %d master bytes of %d (%d segments)", r.ex.masterBytes, r.bytes, r.segments)
	}
	if r.ex.workingBytes < r.bytes/2 || r.ex.folderBytes < r.ex.masterBytes+r.ex.workingBytes {
		t.Fatalf("working copy %d bytes, folder %d: the export is not whole", r.ex.workingBytes, r.ex.folderBytes)
	}
	if r.exCopy.masterBytes != r.bytes || r.exCopy.res.Placed[export.PlacedCopy] != r.exCopy.res.Masters {
		t.Fatalf("the copied export holds %d master bytes of %d, placed %v", r.exCopy.masterBytes, r.bytes, r.exCopy.res.Placed)
	}
	if len(r.rounds) != 2 || r.ex.took.Masters <= 0 || r.ex.took.Masters > r.ex.total || r.ex.took.Working <= 0 || r.seq.n == 0 || r.group.n == 0 || r.fsync.n == 0 {
		t.Fatalf("implausible figures: %+v", r)
	}
	var out bytes.Buffer
	r.print(&out)
	for _, want := range []string{"export, whole bundle", "masters copied", "verification of the export", "64 goroutines", "verdict: "} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("table lacks %q:\n%s", want, out.String())
		}
	}
	if testing.Verbose() {
		t.Log(out.String())
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-gib", "0"}, {"-segment", "1s"}, {"extra"}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
