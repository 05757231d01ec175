package playback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// leftThird masks the left third of the frame.
var leftThird = []zones.Polygon{{{X: 0, Y: 0}, {X: 1.0 / 3, Y: 0}, {X: 1.0 / 3, Y: 1}, {X: 0, Y: 1}}}

// rawFrames decodes an MP4 with ffmpeg to 8-bit 4:2:0 limited-range
// pictures (a full-range stream is converted), one []byte per picture.
func rawFrames(t testing.TB, data []byte, w, h int) [][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.mp4")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, stderr.Bytes())
	}
	size := w * h * 3 / 2
	if len(out)%size != 0 {
		t.Fatalf("%d bytes of raw video is not whole %dx%d pictures", len(out), w, h)
	}
	var frames [][]byte
	for len(out) > 0 {
		frames = append(frames, out[:size])
		out = out[size:]
	}
	return frames
}

// packets lists an MP4's packets as "pts_time,flags" (K for keyframes).
func packets(t testing.TB, data []byte) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.mp4")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
		"packet=pts_time,flags", "-of", "csv=p=0", path)
	cmd.Stderr = &stderr // complaints about damaged source samples
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe: %v %s", err, stderr.Bytes())
	}
	var pk []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		time, flags, _ := strings.Cut(l, ",")
		pk = append(pk, time+","+strings.Trim(flags, "_"))
	}
	return pk
}

// regionStats compares plane p of pictures a and b (4:2:0, w×h) over
// columns [x0, x1) of the plane: the mean absolute difference from b, and
// the mean and largest distance of a from level.
type regionStats struct{ meanDiff, meanDev, maxDev float64 }

func compareRegion(a, b []byte, w, h, plane, x0, x1 int, level float64) regionStats {
	off, pw, ph := 0, w, h
	if plane > 0 {
		off, pw, ph = w*h+(plane-1)*(w/2)*(h/2), w/2, h/2
	}
	var s regionStats
	n := 0.0
	for y := range ph {
		for x := x0; x < x1 && x < pw; x++ {
			va := float64(a[off+y*pw+x])
			s.meanDiff += math.Abs(va - float64(b[off+y*pw+x]))
			dev := math.Abs(va - level)
			s.meanDev += dev
			s.maxDev = max(s.maxDev, dev)
			n++
		}
	}
	s.meanDiff /= n
	s.meanDev /= n
	return s
}

// Two segments of one session, a gap, a third segment after a restart:
// the masked copy has the frames, times and keyframes of WriteMP4's copy,
// its left third is black and the rest is still the picture.
func TestMaskedMP4BurnsMaskIn(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	const w, h = 320, 180
	c := testClip(t, w, h, 10, 10)
	start := time.Date(2026, 10, 25, 0, 59, 57, 0, time.UTC) // across the BST→GMT change
	segs := footage(t, st, dir, "cam007", c, start, 6*time.Second, 3*time.Second)
	gap := store.Gap{Camera: "cam007", Start: start.Add(6 * time.Second), End: start.Add(8 * time.Second), Reason: "camera offline"}
	if err := st.AddGap(ctx, &gap); err != nil {
		t.Fatal(err)
	}
	segs = append(segs, footage(t, st, dir, "cam007", c, start.Add(8*time.Second), 2*time.Second, 3*time.Second)...)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	r := plan(t, st, "cam007", start, start.Add(10*time.Second))
	p := &Player{Dir: dir}

	var plain, masked bytes.Buffer
	if err := p.WriteMP4(ctx, &plain, r); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := p.WriteMaskedMP4(ctx, &masked, r, leftThird, tmp); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("spool left behind: %v", left)
	}

	frames, dur := probe(t, masked.Bytes())
	pFrames, pDur := probe(t, plain.Bytes())
	if frames != 80 || frames != pFrames {
		t.Fatalf("masked copy: %d frames, WriteMP4 %d, want 80", frames, pFrames)
	}
	if d := dur - pDur; d < -time.Millisecond || d > time.Millisecond || dur < 10*time.Second-200*time.Millisecond {
		t.Fatalf("masked copy lasts %v, WriteMP4's %v (10 s asked)", dur, pDur)
	}
	mp, pp := packets(t, masked.Bytes()), packets(t, plain.Bytes())
	if strings.Join(mp, " ") != strings.Join(pp, " ") {
		t.Fatalf("packet times and keyframes differ:\nmasked %v\nsource %v", mp, pp)
	}

	mf, pf := rawFrames(t, masked.Bytes(), w, h), rawFrames(t, plain.Bytes(), w, h)
	if len(mf) != 80 || len(pf) != 80 {
		t.Fatalf("decoded %d and %d pictures", len(mf), len(pf))
	}
	// Rasterized, the mask is columns 0-106 (centres left of 1/3). The
	// macroblock of columns 96-111 straddles its edge, where the encoder's
	// transform rings a little either way: compare the blocks either side.
	const maskEnd, clearFrom = 96, 112
	for i := range mf {
		src := compareRegion(pf[i], pf[i], w, h, 0, 0, maskEnd, 16)
		if src.meanDev < 20 {
			t.Fatalf("picture %d: the source's left third is already dark (mean %.1f from black): the test proves nothing", i, src.meanDev)
		}
		y := compareRegion(mf[i], pf[i], w, h, 0, 0, maskEnd, 16)
		cb := compareRegion(mf[i], pf[i], w, h, 1, 0, maskEnd/2, 128)
		cr := compareRegion(mf[i], pf[i], w, h, 2, 0, maskEnd/2, 128)
		if y.maxDev > 3 || cb.maxDev > 3 || cr.maxDev > 3 {
			t.Fatalf("picture %d: masked area not black: Y %.0f, Cb %.0f, Cr %.0f from (16, 128, 128) at most",
				i, y.maxDev, cb.maxDev, cr.maxDev)
		}
		rest := compareRegion(mf[i], pf[i], w, h, 0, clearFrom, w, 16)
		restC := compareRegion(mf[i], pf[i], w, h, 1, clearFrom/2, w/2, 128)
		if rest.meanDiff > 4 || restC.meanDiff > 4 {
			t.Fatalf("picture %d: unmasked area differs from the source by %.1f (Y), %.1f (Cb) on average", i, rest.meanDiff, restC.meanDiff)
		}
	}
}

// ctxAfter is a context whose Err becomes context.Canceled after n calls:
// a cancellation in the middle of a transcode, at a known point.
type ctxAfter struct {
	context.Context
	n atomic.Int64
}

func (c *ctxAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestMaskedMP4Cancelled(t *testing.T) {
	st, dir := openStore(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", testClip(t, 160, 96, 10, 10), start, 6*time.Second, 3*time.Second)
	r := plan(t, st, "cam001", start, start.Add(6*time.Second))
	p := &Player{Dir: dir}
	tmp := t.TempDir()
	ctx := &ctxAfter{Context: context.Background()}
	ctx.n.Store(40) // the walker checks once a fragment, the transcode once a picture: mid-way
	var b bytes.Buffer
	err := p.WriteMaskedMP4(ctx, &b, r, leftThird, tmp)
	if !errors.Is(err, context.Canceled) || b.Len() != 0 {
		t.Fatalf("cancelled: %v, %d bytes written", err, b.Len())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("spool left behind: %v", left)
	}
	if after := -ctx.n.Load(); after > 1 {
		t.Errorf("went on for %d more checks after the cancellation", after-1)
	}
}

func TestMaskedMP4RefusesNoMasks(t *testing.T) {
	st, dir := openStore(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", testClip(t, 160, 96, 5, 10), start, 4*time.Second, 4*time.Second)
	r := plan(t, st, "cam001", start, start.Add(4*time.Second))
	p := &Player{Dir: dir}
	ctx := context.Background()
	var b bytes.Buffer
	if err := p.WriteMaskedMP4(ctx, &b, r, nil, t.TempDir()); !errors.Is(err, ErrNoMasks) || !strings.Contains(err.Error(), "WriteMP4") || b.Len() != 0 {
		t.Fatalf("no masks: %v", err)
	}
	bad := []zones.Polygon{leftThird[0], {{X: 0.1, Y: 0.1}, {X: 1.5, Y: 0.1}, {X: 0.5, Y: 0.5}}}
	if err := p.WriteMaskedMP4(ctx, &b, r, bad, t.TempDir()); err == nil || !strings.Contains(err.Error(), "mask 1") || b.Len() != 0 {
		t.Fatalf("mask outside the frame: %v", err)
	}
	r7 := *r
	r7.To = start.Add(7 * time.Hour)
	if err := p.WriteMaskedMP4(ctx, &b, &r7, leftThird, t.TempDir()); !errors.Is(err, ErrRangeTooLong) || b.Len() != 0 {
		t.Fatalf("7 h: %v", err)
	}
	if err := p.WriteMaskedMP4(ctx, &b, r, leftThird, filepath.Join(t.TempDir(), "missing")); err == nil || b.Len() != 0 {
		t.Fatalf("spool directory missing: %v", err)
	}
}

// A corrupt segment is left out as WriteMP4 leaves it out; all corrupt is
// no footage, nothing written, and no spool left.
func TestMaskedMP4CorruptSegment(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	segs := footage(t, st, dir, "cam001", testClip(t, 160, 96, 5, 10), start, 12*time.Second, 4*time.Second)
	if len(segs) != 3 {
		t.Fatalf("%d segments", len(segs))
	}
	r := plan(t, st, "cam001", start, start.Add(12*time.Second))
	p := &Player{Dir: dir}
	if err := os.WriteFile(filepath.Join(dir, segs[1].Path), []byte("not a segment"), 0o644); err != nil {
		t.Fatal(err)
	}
	var plain, masked bytes.Buffer
	perr := p.WriteMP4(ctx, &plain, r)
	tmp := t.TempDir()
	merr := p.WriteMaskedMP4(ctx, &masked, r, leftThird, tmp)
	var pinc, minc *IncompleteError
	if !errors.As(perr, &pinc) || !errors.As(merr, &minc) || len(minc.Skipped) != 1 || minc.Skipped[0].Path != pinc.Skipped[0].Path {
		t.Fatalf("WriteMP4: %v\nWriteMaskedMP4: %v", perr, merr)
	}
	if !strings.Contains(merr.Error(), segs[1].Path) || !strings.Contains(merr.Error(), "cam001") {
		t.Fatalf("error does not name the segment: %v", merr)
	}
	if mf, _ := probe(t, masked.Bytes()); mf != 40 {
		t.Fatalf("masked copy of %d frames, want the 40 of the two good segments", mf)
	}
	if strings.Join(packets(t, masked.Bytes()), " ") != strings.Join(packets(t, plain.Bytes()), " ") {
		t.Fatal("packet times differ from WriteMP4's")
	}

	for _, s := range segs {
		if err := os.WriteFile(filepath.Join(dir, s.Path), []byte("not a segment"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	masked.Reset()
	var nf *NoFootageError
	if err := p.WriteMaskedMP4(ctx, &masked, r, leftThird, tmp); !errors.As(err, &nf) || len(nf.Unreadable) != 3 || masked.Len() != 0 {
		t.Fatalf("all corrupt: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("spool left behind: %v", left)
	}
}

// A new picture size mid-range ends the copy where WriteMP4 ends, with the
// time to ask again from.
func TestMaskedMP4SizeChange(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	footage(t, st, dir, "cam001", testClip(t, 160, 96, 5, 10), start, 4*time.Second, 4*time.Second)
	footage(t, st, dir, "cam001", testClip(t, 320, 180, 5, 10), start.Add(4*time.Second), 4*time.Second, 4*time.Second)
	r := plan(t, st, "cam001", start, start.Add(8*time.Second))
	var b bytes.Buffer
	err := (&Player{Dir: dir}).WriteMaskedMP4(ctx, &b, r, leftThird, t.TempDir())
	var inc *IncompleteError
	if !errors.As(err, &inc) || !inc.ChangedAt.Equal(start.Add(4*time.Second)) {
		t.Fatalf("size change: %v", err)
	}
	if frames, _ := probe(t, b.Bytes()); frames != 20 {
		t.Fatalf("%d frames, want the 20 before the change", frames)
	}
}

// BenchmarkWriteMaskedMP4 reports frames/s of a masked copy (decode, mask,
// encode, spool, write) of 1080p and 720p footage at 25 fps, against
// ffmpeg in the same run doing the same work on the same clip: decoding
// with -threads 1 (as our decoder), a black box over the left third, and
// libx264 with the Encoder's settings and threads. Run it with
// -benchtime=1x: one iteration is 100 pictures.
func BenchmarkWriteMaskedMP4(b *testing.B) {
	for _, size := range [][2]int{{1920, 1080}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dp", size[1]), func(b *testing.B) {
			c := testClip(b, size[0], size[1], 25, 25)
			st, dir := openStore(b)
			start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			footage(b, st, dir, "cam001", c, start, 4*time.Second, time.Minute)
			r := plan(b, st, "cam001", start, start.Add(4*time.Second))
			const frames = 100
			ffmpeg, ferr := ffmpegMaskedBaseline(b, c, frames)
			p := &Player{Dir: dir}
			tmp := b.TempDir()
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if err := p.WriteMaskedMP4(ctx, io.Discard, r, leftThird, tmp); err != nil {
					b.Fatal(err)
				}
			}
			perFrame := b.Elapsed().Seconds() / float64(b.N*frames)
			b.ReportMetric(1/perFrame, "frames/s")
			if ferr != nil {
				b.Log("no baseline: ", ferr)
				return
			}
			b.ReportMetric(1/ffmpeg, "ffmpeg-frames/s")
			b.ReportMetric(perFrame/ffmpeg, "x-ffmpeg-time")
			b.Logf("%dx%d: %.1f frames/s, ffmpeg %.1f frames/s, %.2fx ffmpeg's time", size[0], size[1], 1/perFrame, 1/ffmpeg, perFrame/ffmpeg)
		})
	}
}

// ffmpegMaskedBaseline is ffmpeg's time per picture (start-up, measured
// with -frames:v 1, taken off) for the masked transcode of c's frames.
func ffmpegMaskedBaseline(b *testing.B, c *clip, frames int) (float64, error) {
	var annexB []byte
	for i, au := range c.aus[:frames] {
		nalus := au.NALUs
		if i == 0 {
			nalus = append([][]byte{c.sps, c.pps}, nalus...)
		}
		data, err := h264.AnnexB(nalus).Marshal()
		if err != nil {
			return 0, err
		}
		annexB = append(annexB, data...)
	}
	path := filepath.Join(b.TempDir(), "clip.h264")
	if err := os.WriteFile(path, annexB, 0o644); err != nil {
		return 0, err
	}
	run := func(extra ...string) (time.Duration, error) {
		args := []string{"-v", "error", "-threads", "1", "-r", "25", "-i", path, "-vf", "drawbox=x=0:y=0:w=iw/3:h=ih:color=black:t=fill"}
		args = append(args, extra...)
		args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-bf", "0", "-threads", "0", "-forced-idr", "1",
			"-x264-params", "keyint=infinite:scenecut=0:rc-lookahead=0:sync-lookahead=0", "-f", "null", "-")
		start := time.Now()
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("ffmpeg: %v %s", err, out)
		}
		return time.Since(start), nil
	}
	all, err := run()
	if err != nil {
		return 0, err
	}
	one, err := run("-frames:v", "1")
	if err != nil {
		return 0, err
	}
	if all <= one {
		return 0, errors.New("too fast to measure")
	}
	return (all - one).Seconds() / float64(frames-1), nil
}

// Damaged sample data (the walker reads it, libavcodec rejects it): the
// copy keeps every sample's place, with the last good picture shown again.
func TestMaskedMP4DamagedPictures(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	segs := footage(t, st, dir, "cam001", testClip(t, 160, 96, 10, 10), start, 4*time.Second, 4*time.Second)
	path := filepath.Join(dir, segs[0].Path)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	idx, err := segment.Scan(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	// Garbage over the middle of the second fragment's samples (length
	// prefixes included), none over the boxes.
	fr := idx.Fragments[1]
	junk := bytes.Repeat([]byte{0xff, 0x00, 0x13}, int(fr.DataSize/6))
	if _, err := f.WriteAt(junk, fr.DataOffset+fr.DataSize/4); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := plan(t, st, "cam001", start, start.Add(4*time.Second))
	p := &Player{Dir: dir}
	var plain, masked bytes.Buffer
	if err := p.WriteMP4(ctx, &plain, r); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteMaskedMP4(ctx, &masked, r, leftThird, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if mp, pp := packets(t, masked.Bytes()), packets(t, plain.Bytes()); len(mp) != 40 || strings.Join(mp, " ") != strings.Join(pp, " ") {
		t.Fatalf("packets differ from WriteMP4's:\nmasked %v\nsource %v", mp, pp)
	}
	if frames, _ := probe(t, masked.Bytes()); frames != 40 {
		t.Fatalf("%d frames, want 40", frames)
	}
}
