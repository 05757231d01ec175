package segment

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// tornSegment writes a 4 s segment and returns its bytes and index.
func tornSegment(t *testing.T) ([]byte, *Index, string) {
	c := loadClip(t)
	p, _ := writeSegment(t, t.TempDir(), testHeader(c, 7), c.accessUnits(4*25))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := Scan(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Fragments) != 4 {
		t.Fatalf("%d fragments", len(idx.Fragments))
	}
	return b, idx, p
}

// checkCut scans b cut at n and checks the torn end is found at the last
// fragment boundary at or before n.
func checkCut(t *testing.T, b []byte, full *Index, n int64) {
	idx, err := Scan(bytes.NewReader(b[:n]), n)
	if err != nil {
		t.Fatalf("cut at %d: %v", n, err)
	}
	want, frags := full.InitSize, 0
	for _, f := range full.Fragments {
		if f.End() <= n {
			want, frags = f.End(), frags+1
		}
	}
	if idx.Complete != want || len(idx.Fragments) != frags || idx.Torn != (n != want) {
		t.Fatalf("cut at %d: complete %d torn %v with %d fragments, want complete %d with %d",
			n, idx.Complete, idx.Torn, len(idx.Fragments), want, frags)
	}
}

func TestTornEveryOffset(t *testing.T) {
	b, full, _ := tornSegment(t)
	// Every byte of the last two fragments.
	for n := full.Fragments[2].Offset; n <= int64(len(b)); n++ {
		checkCut(t, b, full, n)
	}
	// A sample of the rest after the init.
	for n := full.InitSize; n < full.Fragments[2].Offset; n += 97 {
		checkCut(t, b, full, n)
	}
	// Inside the init: a clear error.
	for n := int64(0); n < full.InitSize; n++ {
		_, err := Scan(bytes.NewReader(b[:n]), n)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("init cut at %d: %v", n, err)
		}
	}
}

func TestTornZeroTail(t *testing.T) {
	b, full, _ := tornSegment(t)
	// A crash can leave the file longer than what was written, as zeros.
	z := append(bytes.Clone(b), make([]byte, 5000)...)
	idx, err := Scan(bytes.NewReader(z), int64(len(z)))
	if err != nil || !idx.Torn || idx.Complete != int64(len(b)) {
		t.Fatalf("zero tail: %v %+v", err, idx)
	}
	// Zeros followed by data are not a torn end: nothing may be cut off.
	z = append(bytes.Clone(b[:full.Fragments[3].Offset]), make([]byte, 64)...)
	z = append(z, b[full.Fragments[3].Offset:]...)
	if _, err := Scan(bytes.NewReader(z), int64(len(z))); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("zeros inside: %v", err)
	}
}

func TestScanCorrupt(t *testing.T) {
	b, full, _ := tornSegment(t)
	f := full.Fragments[1]
	for name, mutate := range map[string]func([]byte){
		"not an mp4":     func(b []byte) { copy(b[4:], "junk") },
		"moof type":      func(b []byte) { copy(b[f.MoofOffset+4:], "mooo") },
		"prft type":      func(b []byte) { copy(b[f.Offset+4:], "free") },
		"mdat shorter":   func(b []byte) { b[f.DataOffset-6]-- },
		"trun count":     func(b []byte) { b[f.MoofOffset+8+16+8+16+20+8+7]++ },
		"stream box":     func(b []byte) { b[full.InitSize-44] = 9 }, // version
		"mdat huge size": func(b []byte) { copy(b[f.DataOffset-8:], []byte{0xff, 0xff, 0xff, 0x00}) },
	} {
		c := bytes.Clone(b)
		mutate(c)
		// An mdat running past the end would look torn, but complete
		// fragments follow: cutting it off would lose them.
		if _, err := Scan(bytes.NewReader(c), int64(len(c))); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRepair(t *testing.T) {
	b, full, _ := tornSegment(t)
	last := full.Fragments[3]
	for name, n := range map[string]int64{
		"inside prft": last.Offset + 5,
		"inside moof": last.MoofOffset + 40,
		"inside mdat": last.DataOffset + (last.DataSize / 2),
		"one short":   int64(len(b)) - 1,
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "torn.mp4")
			if err := os.WriteFile(p, b[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			info, err := Repair(p)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(p)
			if st.Size() != last.Offset || info.Bytes != last.Offset || info.SHA256 != fileSHA(t, p) {
				t.Errorf("repaired to %d bytes, info %d", st.Size(), info.Bytes)
			}
			if info.Frames != 75 || info.Fragments != 3 || info.Sequence != 7 {
				t.Errorf("info %+v", info)
			}
			if !info.End.Equal(wallStart.Add(3e9)) || !info.Start.Equal(wallStart) {
				t.Errorf("wall %v to %v", info.Start, info.End)
			}
			if _, frames := probe(t, p); frames != 75 {
				t.Errorf("ffprobe counts %d frames", frames)
			}
			if out := decodeErrors(t, p); out != "" {
				t.Errorf("ffmpeg: %s", out)
			}
		})
	}

	t.Run("whole file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "whole.mp4")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := Repair(p)
		if err != nil || info.Bytes != int64(len(b)) || info.Frames != 100 {
			t.Fatalf("%v %+v", err, info)
		}
	})
	t.Run("first fragment torn", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "empty.mp4")
		if err := os.WriteFile(p, b[:full.Fragments[0].Offset+100], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Repair(p); !errors.Is(err, ErrEmpty) {
			t.Fatalf("%v", err)
		}
		if st, _ := os.Stat(p); st.Size() != full.Fragments[0].Offset+100 {
			t.Error("a file without complete fragments was changed")
		}
	})
	t.Run("init cut", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "init.mp4")
		if err := os.WriteFile(p, b[:full.InitSize-3], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Repair(p); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%v", err)
		}
	})
}
