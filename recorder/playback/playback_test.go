package playback

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// The clocks change in London at 2026-10-25 01:00 UTC (02:00 BST becomes
// 01:00 GMT). Footage from 00:55Z to 01:05Z at 5 fps, 2 s GOP, 1 s fragments
// (so every other fragment starts on a P frame), 60 s segments.
func TestRangeAcrossBSTToGMT(t *testing.T) {
	st, dir := openStore(t)
	c := testClip(t, 160, 96, 5, 10)
	start := time.Date(2026, 10, 25, 0, 55, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", c, start, 10*time.Minute, time.Minute)

	// The operator asks for 01:58 BST to 01:02 GMT, Europe/London.
	from := time.Date(2026, 10, 25, 1, 58, 0, 0, time.FixedZone("BST", 3600))
	to := time.Date(2026, 10, 25, 1, 2, 0, 0, time.FixedZone("GMT", 0))
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	if got := from.In(london).Format("15:04 MST") + " " + to.In(london).Format("15:04 MST"); got != "01:58 BST 01:02 GMT" {
		t.Fatalf("London shows %s", got)
	}
	r := plan(t, st, "cam001", from, to)
	if r.Duration() != 4*time.Minute || len(r.Segments) != 4 {
		t.Fatalf("plan of %v over %d segments", r.Duration(), len(r.Segments))
	}
	p := &Player{Dir: dir}

	var mp4 bytes.Buffer
	if err := p.WriteMP4(context.Background(), &mp4, r); err != nil {
		t.Fatal(err)
	}
	frames, dur := probe(t, mp4.Bytes())
	if frames != 4*60*5 || dur < 4*time.Minute-time.Second || dur > 4*time.Minute+time.Second {
		t.Fatalf("MP4: %d frames in %v, want 1200 in 4m0s", frames, dur)
	}

	var fm bytes.Buffer
	if err := p.WriteFMP4(context.Background(), &fm, r); err != nil {
		t.Fatal(err)
	}
	out := readFMP4(t, fm.Bytes())
	out.checkTimeline(t)
	if len(out.samples) != 1200 {
		t.Fatalf("fMP4: %d frames", len(out.samples))
	}
	first, last := out.samples[0], out.samples[len(out.samples)-1]
	if !first.Wall.Equal(r.From) || !out.idx.Start.Equal(r.From) {
		t.Fatalf("first sample at %v, stream start %v, want %v", first.Wall, out.idx.Start, r.From)
	}
	if got := last.Wall.Sub(first.Wall) + 200*time.Millisecond; got != 4*time.Minute {
		t.Fatalf("fMP4 spans %v of wall time", got)
	}
	if got := last.PTS() + 200*time.Millisecond; got != 4*time.Minute {
		t.Fatalf("fMP4 timeline %v", got)
	}
	if _, dur := probe(t, fm.Bytes()); dur < 4*time.Minute-time.Second || dur > 4*time.Minute+time.Second {
		t.Fatalf("ffprobe: fMP4 lasts %v", dur)
	}
}

// A range starting mid-GOP, on a fragment that does not start with a
// keyframe, starts on the keyframe before it.
func TestStartsOnKeyframeAtOrBeforeFrom(t *testing.T) {
	st, dir := openStore(t)
	c := testClip(t, 160, 96, 5, 10)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", c, start, 30*time.Second, 10*time.Second)
	for _, tc := range []struct {
		from, to  time.Duration
		first     time.Duration
		frames    int
		ctxCancel bool
	}{
		{from: 11300 * time.Millisecond, to: 15 * time.Second, first: 10 * time.Second, frames: 25},
		{from: 13 * time.Second, to: 13200 * time.Millisecond, first: 12 * time.Second, frames: 6},
		{from: 12 * time.Second, to: 23 * time.Second, first: 12 * time.Second, frames: 55}, // across a segment boundary
		{from: -time.Minute, to: time.Second, first: 0, frames: 5},                          // before the footage
		{from: 29 * time.Second, to: time.Hour, first: 28 * time.Second, frames: 10},        // past its end
	} {
		r := plan(t, st, "cam001", start.Add(tc.from), start.Add(tc.to))
		var b bytes.Buffer
		if err := WriteFMP4(context.Background(), &b, dir, r); err != nil {
			t.Fatal(err)
		}
		out := readFMP4(t, b.Bytes())
		out.checkTimeline(t)
		if w := out.samples[0].Wall; !w.Equal(start.Add(tc.first)) || len(out.samples) != tc.frames {
			t.Errorf("%v-%v: %d frames from %v, want %d from %v", tc.from, tc.to, len(out.samples),
				w.Sub(start), tc.frames, tc.first)
		}
		var m bytes.Buffer
		if err := WriteMP4(context.Background(), &m, dir, r); err != nil {
			t.Fatal(err)
		}
		if frames, _ := probe(t, m.Bytes()); frames != tc.frames {
			t.Errorf("%v-%v: MP4 of %d frames, want %d", tc.from, tc.to, frames, tc.frames)
		}
	}
}

// Two sessions with the same SPS around a gap play as one stream, the gap
// kept in the timeline; a missing file becomes a gap too and is reported.
func TestGapsAndSessionsOnWallTimeline(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	c := testClip(t, 160, 96, 5, 10)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", c, start, 20*time.Second, 4*time.Second)
	gap := store.Gap{Camera: "cam001", Start: start.Add(20 * time.Second), End: start.Add(27 * time.Second), Reason: "camera offline: connection refused"}
	if err := st.AddGap(ctx, &gap); err != nil {
		t.Fatal(err)
	}
	second := footage(t, st, dir, "cam001", c, start.Add(27*time.Second), 20*time.Second, 4*time.Second)

	r := plan(t, st, "cam001", start.Add(10*time.Second), start.Add(40*time.Second))
	if len(r.Gaps) != 1 {
		t.Fatalf("plan gaps %+v", r.Gaps)
	}
	var b bytes.Buffer
	if err := WriteFMP4(ctx, &b, dir, r); err != nil {
		t.Fatal(err)
	}
	out := readFMP4(t, b.Bytes())
	out.checkTimeline(t)
	if len(out.samples) != 23*5 {
		t.Fatalf("%d frames, want %d", len(out.samples), 23*5)
	}
	for _, s := range out.samples {
		// media time = wall time - wall time of the first sample
		if d := s.PTS() - s.Wall.Sub(out.samples[0].Wall); d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("sample at %v plays at %v", s.Wall.Sub(start), s.PTS())
		}
	}
	var m bytes.Buffer
	if err := WriteMP4(ctx, &m, dir, r); err != nil {
		t.Fatal(err)
	}
	frames, dur := probe(t, m.Bytes())
	if frames != 23*5 || dur < 30*time.Second-300*time.Millisecond || dur > 30*time.Second+300*time.Millisecond {
		t.Fatalf("MP4 of %d frames in %v, want 115 in 30s", frames, dur)
	}

	// A file lost from disk: the rest still plays, and the caller is told.
	lost := second[1]
	if err := os.Remove(filepath.Join(dir, lost.Path)); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(context.Context, io.Writer, string, *Range) error{"fMP4": WriteFMP4, "MP4": WriteMP4} {
		b.Reset()
		err := write(ctx, &b, dir, r)
		var inc *IncompleteError
		if !errors.As(err, &inc) || !errors.Is(err, ErrIncomplete) || !errors.Is(err, os.ErrNotExist) || len(inc.Skipped) != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "cam001") || !strings.Contains(msg, lost.Path) ||
			!strings.Contains(msg, lost.Start.Format(timeFormat)) {
			t.Fatalf("%s: error does not say which footage: %v", name, err)
		}
	}
	b.Reset()
	if err := WriteFMP4(ctx, &b, dir, r); !errors.Is(err, ErrIncomplete) {
		t.Fatal(err)
	}
	out = readFMP4(t, b.Bytes())
	out.checkTimeline(t)
	if want := 23*5 - lost.Frames; len(out.samples) != want {
		t.Fatalf("%d frames without the lost file, want %d", len(out.samples), want)
	}
	for _, s := range out.samples {
		if d := s.PTS() - s.Wall.Sub(out.samples[0].Wall); d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("after a lost file: sample at %v plays at %v", s.Wall.Sub(start), s.PTS())
		}
	}
}

// A camera reconfigured (new SPS) mid-range: the output ends at the change.
func TestSPSChangeEndsOutput(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", testClip(t, 160, 96, 5, 10), start, 10*time.Second, 4*time.Second)
	footage(t, st, dir, "cam001", testClip(t, 320, 180, 5, 10), start.Add(12*time.Second), 10*time.Second, 4*time.Second)
	r := plan(t, st, "cam001", start, start.Add(20*time.Second))
	for name, write := range map[string]func(context.Context, io.Writer, string, *Range) error{"fMP4": WriteFMP4, "MP4": WriteMP4} {
		var b bytes.Buffer
		err := write(ctx, &b, dir, r)
		var inc *IncompleteError
		if !errors.As(err, &inc) || !inc.ChangedAt.Equal(start.Add(12*time.Second)) || len(inc.Skipped) != 0 {
			t.Fatalf("%s: %v", name, err)
		}
		if frames, _ := probe(t, b.Bytes()); frames != 50 {
			t.Fatalf("%s: %d frames, want the 50 before the change", name, frames)
		}
	}
}

func TestBadRequests(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	c := testClip(t, 160, 96, 5, 10)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	segs := footage(t, st, dir, "cam001", c, start, 10*time.Second, 4*time.Second)
	gap := store.Gap{Camera: "cam001", Start: start.Add(10 * time.Second), End: start.Add(time.Hour), Reason: "camera offline: no route to host"}

	if _, err := Plan(segs, nil, start, start); !errors.Is(err, ErrBadRange) {
		t.Fatalf("from == to: %v", err)
	}
	if _, err := Plan(segs, nil, start.Add(time.Second), start); !errors.Is(err, ErrBadRange) {
		t.Fatalf("from > to: %v", err)
	}
	_, err := Plan(segs, []store.Gap{gap}, start.Add(time.Minute), start.Add(2*time.Minute))
	var nf *NoFootageError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNoFootage) || len(nf.Gaps) != 1 ||
		!strings.Contains(err.Error(), "no route to host") {
		t.Fatalf("no footage: %v", err)
	}

	r, err := Plan(segs, nil, start, start.Add(7*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMP4(ctx, &b, dir, r); !errors.Is(err, ErrRangeTooLong) || b.Len() != 0 {
		t.Fatalf("7 h MP4: %v", err)
	}
	p := &Player{Dir: dir, MaxStream: time.Hour}
	if err := p.WriteFMP4(ctx, &b, r); !errors.Is(err, ErrRangeTooLong) || b.Len() != 0 {
		t.Fatalf("7 h stream with a 1 h bound: %v", err)
	}
	if err := WriteFMP4(ctx, &b, dir, r); err != nil {
		t.Fatalf("7 h stream: %v", err)
	}

	// Client gone.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	b.Reset()
	if err := WriteFMP4(cctx, &b, dir, r); !errors.Is(err, context.Canceled) || b.Len() != 0 {
		t.Fatalf("cancelled: %v, %d bytes", err, b.Len())
	}

	// Every file corrupt: nothing written, each named.
	for _, s := range segs {
		if err := os.WriteFile(filepath.Join(dir, s.Path), []byte("not a segment"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.Reset()
	r.To = start.Add(time.Hour)
	err = WriteMP4(ctx, &b, dir, r)
	if !errors.As(err, &nf) || len(nf.Unreadable) != len(segs) || b.Len() != 0 ||
		!strings.Contains(err.Error(), segs[0].Path) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt files: %v", err)
	}
}

// Playback from the middle of a long segment indexes only a window of it
// first, then the rest: the output is the same as from a whole index.
func TestStartMidSegmentScansWindowThenRest(t *testing.T) {
	st, dir := openStore(t)
	c := testClip(t, 320, 180, 25, 25)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	segs := footage(t, st, dir, "cam001", c, start, 2*time.Minute, time.Minute)
	if segs[0].Bytes < 4*windowMargin {
		t.Fatalf("segment of %d bytes: too small to test a prefix scan", segs[0].Bytes)
	}
	r := plan(t, st, "cam001", start.Add(20500*time.Millisecond), start.Add(90*time.Second))

	w := newWalker((&Player{Dir: dir}).opener(), r, false)
	o, err := w.open(0, r.From)
	if err != nil {
		t.Fatal(err)
	}
	defer o.f.Close()
	if !o.partial || o.idx.Fragments[0].Offset <= int64(len(o.init)) || len(o.idx.Fragments) >= 40 {
		t.Fatalf("window scan: partial %v, %d fragments from offset %d", o.partial, len(o.idx.Fragments), o.idx.Fragments[0].Offset)
	}
	if w := o.idx.Fragments[o.frag]; w.Wall.After(r.From) || !w.Wall.Add(2*time.Second).After(r.From) {
		t.Fatalf("start fragment at %v for %v", w.Wall.Sub(start), r.From.Sub(start))
	}

	var b bytes.Buffer
	if err := WriteFMP4(context.Background(), &b, dir, r); err != nil {
		t.Fatal(err)
	}
	out := readFMP4(t, b.Bytes())
	out.checkTimeline(t)
	if len(out.samples) != 70*25 || !out.samples[0].Wall.Equal(start.Add(20*time.Second)) {
		t.Fatalf("%d frames from %v", len(out.samples), out.samples[0].Wall.Sub(start))
	}
	for i, s := range out.samples {
		if want := start.Add(20*time.Second + time.Duration(i)*40*time.Millisecond); !s.Wall.Equal(want) {
			t.Fatalf("frame %d at %v, want %v", i, s.Wall.Sub(start), want.Sub(start))
		}
	}
}

// A GOP longer than the window before from: the segment is indexed from its
// start to find the keyframe.
func TestLongGOPFallsBackToWholeIndex(t *testing.T) {
	st, dir := openStore(t)
	c := testClip(t, 160, 96, 5, 75) // 15 s GOP
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", c, start, 2*time.Minute, time.Minute)
	for _, tc := range []struct{ from, first time.Duration }{
		{44 * time.Second, 30 * time.Second},
		{46 * time.Second, 45 * time.Second},
		{74 * time.Second, 60 * time.Second},
	} {
		r := plan(t, st, "cam001", start.Add(tc.from), start.Add(tc.from+5*time.Second))
		var b bytes.Buffer
		if err := WriteFMP4(context.Background(), &b, dir, r); err != nil {
			t.Fatal(err)
		}
		out := readFMP4(t, b.Bytes())
		out.checkTimeline(t)
		if got := out.samples[0].Wall.Sub(start); got != tc.first {
			t.Errorf("from %v: starts at %v, want %v", tc.from, got, tc.first)
		}
		if want := int((tc.from + 5*time.Second - tc.first) / (200 * time.Millisecond)); len(out.samples) != want {
			t.Errorf("from %v: %d frames, want %d", tc.from, len(out.samples), want)
		}
	}
}
