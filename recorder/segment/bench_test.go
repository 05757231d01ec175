package segment

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

// benchAUs are 2 s of 1080p-sized access units at 25 fps: a 150 KB IDR
// (with SPS and PPS) then 49 P-frames of about 20 KB.
func benchAUs(c *testClip) []*ingest.AccessUnit {
	rng := rand.New(rand.NewPCG(1, 2))
	payload := func(typ byte, n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		b[0] = typ
		return b
	}
	sess := &ingest.Session{Camera: "bench", SPS: c.sps, PPS: c.pps, Width: 1920, Height: 1080}
	aus := make([]*ingest.AccessUnit, 50)
	for i := range aus {
		au := &ingest.AccessUnit{Session: sess, Keyframe: i == 0}
		if i == 0 {
			au.NALUs = [][]byte{c.sps, c.pps, payload(0x65, 150_000)}
		} else {
			au.NALUs = [][]byte{payload(0x41, 18_000+rng.IntN(4_000))}
		}
		aus[i] = au
	}
	return aus
}

const benchSegmentFrames = 500 // 20 s segments

// BenchmarkWriter writes 1080p-sized access units through Writer, one
// access unit per op, a new segment every 20 s of media; then it writes the
// same bytes (AVCC payloads) with a plain bufio.Writer to files of the same
// size, flushed at the same points, and reports the ratio of the times
// (ns-ratio: 1.0 means no overhead over the baseline).
func BenchmarkWriter(b *testing.B) {
	c := loadClip(b)
	aus := benchAUs(c)
	var avg int64
	for _, au := range aus {
		avg += int64(4*len(au.NALUs) + au.Size())
	}
	avg /= int64(len(aus))
	dir := b.TempDir()
	h := testHeader(c, 0)
	h.Width, h.Height = 1920, 1080
	wall := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)

	b.SetBytes(avg)
	b.ReportAllocs()
	b.ResetTimer()
	var w *Writer
	for i := 0; i < b.N; i++ {
		if i%benchSegmentFrames == 0 {
			if w != nil {
				if _, err := w.Close(); err != nil {
					b.Fatal(err)
				}
				os.Remove(w.Path())
			}
			h.Sequence++
			var err error
			w, err = Create(filepath.Join(dir, "s"+strconv.FormatUint(h.Sequence, 10)+".mp4"), h)
			if err != nil {
				b.Fatal(err)
			}
		}
		au := aus[i%len(aus)]
		au.PTS = time.Duration(i) * 40 * time.Millisecond
		au.WallTime = wall.Add(au.PTS)
		if err := w.WriteAccessUnit(au); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
	os.Remove(w.Path())
	b.StopTimer()
	ours := b.Elapsed()

	// Baseline: the same payload bytes, the same files and flush points.
	start := time.Now()
	var f *os.File
	var bw *bufio.Writer
	var lenbuf [4]byte
	closeBase := func() {
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	for i := 0; i < b.N; i++ {
		if i%benchSegmentFrames == 0 {
			if f != nil {
				closeBase()
			}
			var err error
			f, err = os.OpenFile(filepath.Join(dir, "b"+strconv.Itoa(i)+".mp4"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			if bw == nil {
				bw = bufio.NewWriterSize(f, 64<<10)
			} else {
				bw.Reset(f)
			}
		}
		for _, n := range aus[i%len(aus)].NALUs {
			binary.BigEndian.PutUint32(lenbuf[:], uint32(len(n)))
			bw.Write(lenbuf[:])
			bw.Write(n)
		}
		if i%25 == 24 {
			if err := bw.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	closeBase()
	base := time.Since(start)
	b.ReportMetric(float64(avg)*float64(b.N)/base.Seconds()/1e6, "baseline-MB/s")
	b.ReportMetric(float64(ours)/float64(base), "time-ratio")
}
