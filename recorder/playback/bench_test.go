package playback

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/recorder/segment"
)

// errFirstByte stops a playback at its first write.
var errFirstByte = errors.New("first byte")

type firstByte struct{}

func (firstByte) Write(p []byte) (int, error) { return 0, errFirstByte }

// BenchmarkPlaybackFirstByte measures the time from asking for a range in
// the middle of 10 minutes of footage (5-minute segments of 320x180 at 25
// fps, 1 s fragments) to the first byte of the fMP4 stream, against a
// baseline in the same run: opening the segment file and reading the bytes
// of the fragment holding the start with one ReadAt.
func BenchmarkPlaybackFirstByte(b *testing.B) {
	st, dir := openStore(b)
	c := testClip(b, 320, 180, 25, 25)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	segs := footage(b, st, dir, "cam001", c, start, 10*time.Minute, 5*time.Minute)
	from := start.Add(7*time.Minute + 30*time.Second + 500*time.Millisecond)
	r := plan(b, st, "cam001", from, from.Add(time.Minute))

	// The fragment holding from, for the baseline.
	path := filepath.Join(dir, segs[1].Path)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := f.Stat()
	idx, err := segment.Scan(f, fi.Size())
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	var frag segment.Fragment
	for _, fr := range idx.Fragments {
		if fr.Wall.After(from) {
			break
		}
		frag = fr
	}
	buf := make([]byte, frag.Size)

	ctx := context.Background()
	p := &Player{Dir: dir}
	var play, base time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := p.WriteFMP4(ctx, firstByte{}, r); !errors.Is(err, errFirstByte) {
			b.Fatal(err)
		}
		t1 := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.ReadAt(buf, frag.Offset); err != nil {
			b.Fatal(err)
		}
		f.Close()
		t2 := time.Now()
		play += t1.Sub(t0)
		base += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(play.Nanoseconds())/n, "ns/first-byte")
	b.ReportMetric(float64(base.Nanoseconds())/n, "ns/readat")
	b.ReportMetric(float64(play)/float64(base), "x-readat")
}
