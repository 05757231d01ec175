package playback

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// Past 4 GiB the MP4 uses co64 chunk offsets and a 64-bit mdat size.
func TestMP4Over4GiBUsesCo64(t *testing.T) {
	stsd := []byte{0, 0, 0, 16, 's', 't', 's', 'd', 0, 0, 0, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		chunk int64
		co64  bool
	}{{chunk: 1 << 20}, {chunk: 1 << 30, co64: true}} {
		var tb tables
		for range 5 {
			tb.add(&chunk{samples: []sample{{duration: 3600, size: uint32(tc.chunk), keyframe: true}}, dataLen: tc.chunk, dts: tb.end})
		}
		head := buildHead(&tb, stsd, 320, 180)
		stbl := findPath(head[32:], "moov", "trak", "mdia", "minf", "stbl")
		co := findBox(stbl[8:], "co64")
		if (co != nil) != tc.co64 || (findBox(stbl[8:], "stco") != nil) == tc.co64 {
			t.Fatalf("%d-byte chunks: co64 %v", tc.chunk, co != nil)
		}
		mdat := int64(len(head))
		if tc.co64 {
			if size := binary.BigEndian.Uint64(head[len(head)-8:]); string(head[len(head)-12:len(head)-8]) != "mdat" ||
				binary.BigEndian.Uint32(head[len(head)-16:]) != 1 || size != uint64(16+5*tc.chunk) {
				t.Fatalf("64-bit mdat header: % x", head[len(head)-16:])
			}
			for i := range 5 {
				if off := binary.BigEndian.Uint64(co[16+8*i:]); off != uint64(mdat+int64(i)*tc.chunk) {
					t.Fatalf("chunk %d at %d", i, off)
				}
			}
		} else if binary.BigEndian.Uint32(head[len(head)-8:]) != uint32(8+5*tc.chunk) {
			t.Fatal("mdat size")
		}
		if tc.co64 && mdat+5*tc.chunk <= math.MaxUint32 {
			t.Fatal("test does not pass 4 GiB")
		}
	}
}

// headerReader gives Scan what the file gives it, torn files included.
func TestHeaderReaderScansLikeTheFile(t *testing.T) {
	st, dir := openStore(t)
	segs := footage(t, st, dir, "cam001", testClip(t, 160, 96, 5, 10), time.Now().UTC(), 6*time.Second, time.Minute)
	data, err := os.ReadFile(filepath.Join(dir, segs[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	for size := int64(0); size <= int64(len(data)); size += 97 {
		want, werr := segment.Scan(bytes.NewReader(data[:size]), size)
		got, gerr := segment.Scan(newHeaderReader(bytes.NewReader(data[:size]), size), size)
		if (werr == nil) != (gerr == nil) || werr == nil && (len(got.Fragments) != len(want.Fragments) || got.Torn != want.Torn) {
			t.Fatalf("size %d: %v %v", size, gerr, werr)
		}
	}
}

// Segments of one stream with consecutive numbers but apart in time (the
// recorder cut for a gap) are put apart on the timeline too.
func TestSameStreamApartInTimeIsAGap(t *testing.T) {
	st, dir := openStore(t)
	c := testClip(t, 160, 96, 5, 10)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := footage(t, st, dir, "cam001", c, start, 4*time.Second, time.Minute)
	b := footage(t, st, dir, "cam001", c, start.Add(10*time.Second), 4*time.Second, time.Minute)
	segs := []store.Segment{a[0], b[0]}
	segs[1].StreamID, segs[1].Sequence = segs[0].StreamID, segs[0].Sequence+1
	r, err := Plan(segs, nil, start, start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteFMP4(context.Background(), &buf, dir, r); err != nil {
		t.Fatal(err)
	}
	out := readFMP4(t, buf.Bytes())
	if s := out.samples[20]; s.PTS() != 10*time.Second || !s.Wall.Equal(start.Add(10*time.Second)) {
		t.Fatalf("first frame after the gap plays at %v", s.PTS())
	}
}

func TestPlanSortsAndRefusesMixedCameras(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seg := func(cam string, s, e int) store.Segment {
		return store.Segment{Camera: cam, Start: t0.Add(time.Duration(s) * time.Second), End: t0.Add(time.Duration(e) * time.Second), StreamID: uuid.New()}
	}
	r, err := Plan([]store.Segment{seg("a", 4, 6), seg("a", 0, 2), seg("a", 2, 4), seg("a", 8, 9)}, nil, t0.Add(time.Second), t0.Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Segments) != 3 || !r.Segments[0].Start.Equal(t0) || !r.Segments[2].Start.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("plan: %+v", r.Segments)
	}
	if _, err := Plan([]store.Segment{seg("a", 0, 2), seg("b", 2, 4)}, nil, t0, t0.Add(time.Minute)); err == nil {
		t.Fatal("two cameras in one plan")
	}
	if err := WriteFMP4(context.Background(), io.Discard, "", nil); err == nil {
		t.Fatal("nil plan")
	}
}

// Playback copies fragment by fragment: what it allocates is a small part
// of the footage it plays.
func TestMemoryBoundedByFragment(t *testing.T) {
	st, dir := openStore(t)
	c := testClip(t, 320, 180, 25, 25)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	segs := footage(t, st, dir, "cam001", c, start, 2*time.Minute, time.Minute)
	var total int64
	for _, s := range segs {
		total += s.Bytes
	}
	r := plan(t, st, "cam001", start, start.Add(time.Hour))
	for name, write := range map[string]func(context.Context, io.Writer, string, *Range) error{"fMP4": WriteFMP4, "MP4": WriteMP4} {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		n := &countWriter{}
		if err := write(context.Background(), n, dir, r); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		alloc := int64(m1.TotalAlloc - m0.TotalAlloc)
		t.Logf("%s: %d bytes out of %d bytes of segments, %d bytes allocated", name, n.n, total, alloc)
		if n.n < total*9/10 || alloc > total/4 {
			t.Fatalf("%s: allocated %d bytes to play %d", name, alloc, total)
		}
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func FuzzParseMoof(f *testing.F) {
	c := &chunk{samples: []sample{{duration: 3600, size: 100, keyframe: true}, {duration: 3600, size: 50, cts: -3600}}, dts: 90000, dataLen: 150}
	head := appendFragmentHeader(nil, 1, c)
	f.Add(head[32 : len(head)-8])
	f.Fuzz(func(t *testing.T, moof []byte) {
		_, samples, err := parseMoof(moof, nil)
		if err == nil && len(samples) == 0 {
			t.Fatal("a moof without samples parsed")
		}
	})
}

// cancelWriter cancels its context at the first write: the client went away.
type cancelWriter struct {
	cancel context.CancelFunc
	writes int
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.writes++
	w.cancel()
	return len(p), nil
}

func TestClientGoneStopsPlayback(t *testing.T) {
	st, dir := openStore(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", testClip(t, 160, 96, 5, 10), start, time.Minute, 20*time.Second)
	r := plan(t, st, "cam001", start, start.Add(time.Minute))
	for name, write := range map[string]func(context.Context, io.Writer, string, *Range) error{"fMP4": WriteFMP4, "MP4": WriteMP4} {
		ctx, cancel := context.WithCancel(context.Background())
		w := &cancelWriter{cancel: cancel}
		if err := write(ctx, w, dir, r); !errors.Is(err, context.Canceled) || w.writes > 3 {
			t.Fatalf("%s: %v after %d writes", name, err, w.writes)
		}
	}
}
