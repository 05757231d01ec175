package segment

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzScan feeds Scan (and ReadSamples on what it finds) arbitrary files.
// The seeds in testdata/fuzz/FuzzScan are small segments written by Writer
// (regenerate them with VIGIL_WRITE_FUZZ_SEEDS=1 go test -run TestWriteFuzzSeeds).
func FuzzScan(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x00\x00\x08ftyp"))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := Scan(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		if idx.Complete < idx.InitSize || idx.Complete > int64(len(b)) || idx.Torn != (idx.Complete != int64(len(b))) {
			t.Fatalf("complete %d init %d torn %v of %d", idx.Complete, idx.InitSize, idx.Torn, len(b))
		}
		end := idx.InitSize
		for i, fr := range idx.Fragments {
			if fr.Offset != end || fr.Samples < 1 {
				t.Fatalf("fragment %d at %d, previous ends at %d", i, fr.Offset, end)
			}
			end = fr.End()
			samples, err := ReadSamples(bytes.NewReader(b), idx, i)
			if err != nil {
				continue // sample payloads that are not AVCC
			}
			if len(samples) != fr.Samples {
				t.Fatalf("fragment %d: %d samples, indexed %d", i, len(samples), fr.Samples)
			}
		}
		if end != idx.Complete {
			t.Fatalf("fragments end at %d, complete %d", end, idx.Complete)
		}
	})
}

// TestWriteFuzzSeeds writes the FuzzScan seed corpus from the test clip.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz/FuzzScan")
	}
	c := loadClip(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzScan")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, frames := range []int{1, 3, 6} {
		p := filepath.Join(t.TempDir(), "s.mp4")
		w, err := Create(p, testHeader(c, uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		w.FragmentDuration = 80 * time.Millisecond
		for _, au := range c.accessUnits(frames) {
			// Keep the seeds small: the first 300 bytes of each NALU.
			nalus := make([][]byte, len(au.NALUs))
			for k, n := range au.NALUs {
				nalus[k] = n[:min(len(n), 300)]
			}
			au.NALUs = nalus
			if err := w.WriteAccessUnit(au); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if idx, err := Scan(bytes.NewReader(b), int64(len(b))); err != nil || idx.Frames() != frames {
			t.Fatalf("seed of %d frames: %v", frames, err)
		}
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("segment-%d-frames", frames)), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
		// And a torn copy.
		seed = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b[:len(b)-len(b)/5])
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("segment-%d-frames-torn", frames)), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
