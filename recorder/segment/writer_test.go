package segment

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	c := loadClip(t)
	const seconds = 6
	aus := c.accessUnits(seconds * 25)
	h := testHeader(c, 42)
	p, info := writeSegment(t, t.TempDir(), h, aus)

	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes != st.Size() {
		t.Errorf("Info.Bytes %d, file has %d", info.Bytes, st.Size())
	}
	if info.SHA256 != fileSHA(t, p) {
		t.Error("Info.SHA256 is not the SHA-256 of the file")
	}
	if info.Frames != seconds*25 || info.Fragments != seconds {
		t.Errorf("%d frames in %d fragments, want %d in %d", info.Frames, info.Fragments, seconds*25, seconds)
	}
	if info.Duration != seconds*time.Second {
		t.Errorf("duration %v", info.Duration)
	}
	if !info.Start.Equal(wallStart) || !info.End.Equal(wallStart.Add(seconds*time.Second)) {
		t.Errorf("wall %v to %v", info.Start, info.End)
	}
	if info.StreamID != h.StreamID || info.Sequence != 42 {
		t.Errorf("stream %v/%d", info.StreamID, info.Sequence)
	}

	idx, err := scanFile(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if idx.Torn || idx.Complete != st.Size() {
		t.Errorf("torn %v, complete %d of %d", idx.Torn, idx.Complete, st.Size())
	}
	if idx.StreamID != h.StreamID || idx.Sequence != 42 || idx.Camera != "cam-01" || !idx.Start.Equal(wallStart) {
		t.Errorf("stream box read back as %v/%d/%q/%v", idx.StreamID, idx.Sequence, idx.Camera, idx.Start)
	}
	if !bytes.Equal(idx.SPS, c.sps) || !bytes.Equal(idx.PPS, c.pps) || idx.Width != 320 || idx.Height != 180 {
		t.Errorf("avcC read back as %dx%d", idx.Width, idx.Height)
	}
	if idx.Frames() != seconds*25 || idx.Duration() != seconds*time.Second || len(idx.Fragments) != seconds {
		t.Errorf("index: %d frames, %v, %d fragments", idx.Frames(), idx.Duration(), len(idx.Fragments))
	}
	var next uint64
	for i, f := range idx.Fragments {
		if f.Samples != 25 || f.Duration != TimeScale || f.BaseTime != next || !f.Keyframe || f.Sequence != uint32(i+1) {
			t.Errorf("fragment %d: %+v", i, f)
		}
		next += f.Duration
		want := wallStart.Add(time.Duration(i) * time.Second)
		if !f.Wall.Equal(want) || f.MediaTime != f.BaseTime {
			t.Errorf("fragment %d: wall %v media time %d, want %v", i, f.Wall, f.MediaTime, want)
		}
	}

	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	n := 0
	for i := range idx.Fragments {
		samples, err := ReadSamples(fh, idx, i)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			au := aus[n]
			if s.Keyframe != au.Keyframe || s.DTS() != au.PTS-5*time.Second || s.PTS() != s.DTS() ||
				s.Duration != 3600 || !s.Wall.Equal(au.WallTime) || len(s.NALUs) != len(au.NALUs) {
				t.Fatalf("sample %d: %+v", n, s)
			}
			for k := range s.NALUs {
				if !bytes.Equal(s.NALUs[k], au.NALUs[k]) {
					t.Fatalf("sample %d NALU %d differs", n, k)
				}
			}
			n++
		}
	}
	if n != len(aus) {
		t.Errorf("read %d samples, wrote %d", n, len(aus))
	}
	if _, err := ReadSamples(fh, idx, len(idx.Fragments)); err == nil {
		t.Error("fragment out of range read")
	}

	// The wall clock crosses the GMT/BST change exactly.
	london, err := time.LoadLocation("Europe/London")
	if err == nil {
		if got := idx.Fragments[0].Wall.In(london).Format("15:04:05 MST"); got != "00:59:30 GMT" {
			t.Errorf("first fragment at %s", got)
		}
	}
}

func TestFFprobe(t *testing.T) {
	c := loadClip(t)
	const seconds = 5
	p, _ := writeSegment(t, t.TempDir(), testHeader(c, 1), c.accessUnits(seconds*25))
	dur, frames := probe(t, p)
	if frames != seconds*25 {
		t.Errorf("ffprobe counted %d frames, want %d", frames, seconds*25)
	}
	if dur < seconds-0.001 || dur > seconds+0.001 {
		t.Errorf("ffprobe duration %v, want %d", dur, seconds)
	}
	if out := decodeErrors(t, p); out != "" {
		t.Errorf("ffmpeg: %s", out)
	}
}

func TestFirstAccessUnitNotKeyframe(t *testing.T) {
	c := loadClip(t)
	aus := c.accessUnits(30)
	w, err := Create(filepath.Join(t.TempDir(), "s.mp4"), testHeader(c, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAccessUnit(aus[1]); !errors.Is(err, ErrNotKeyframe) {
		t.Fatalf("non-keyframe first: %v", err)
	}
	// The writer is not broken: a keyframe starts the segment.
	for _, au := range aus {
		if err := w.WriteAccessUnit(au); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCreateRefusesBadHeaderAndExistingFile(t *testing.T) {
	c := loadClip(t)
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "a.mp4"), Header{SPS: c.sps}); err == nil {
		t.Error("header without PPS accepted")
	}
	p, _ := writeSegment(t, dir, testHeader(c, 1), c.accessUnits(3))
	if _, err := Create(p, testHeader(c, 1)); err == nil {
		t.Error("existing segment overwritten")
	}
}

func TestEmptySegment(t *testing.T) {
	c := loadClip(t)
	p := filepath.Join(t.TempDir(), "s.mp4")
	w, err := Create(p, testHeader(c, 1))
	if err != nil {
		t.Fatal(err)
	}
	info, err := w.Close()
	if !errors.Is(err, ErrEmpty) || info.Frames != 0 {
		t.Fatalf("close of an empty segment: %v %+v", err, info)
	}
	idx, err := scanFile(t, p)
	if err != nil || idx.Torn || len(idx.Fragments) != 0 || idx.Complete != info.Bytes {
		t.Fatalf("scan of an empty segment: %v %+v", err, idx)
	}
	if _, err := Repair(p); !errors.Is(err, ErrEmpty) {
		t.Fatalf("repair of an empty segment: %v", err)
	}
}

// TestFlushAndUnevenTiming checks Flush and durations taken from real PTS
// gaps (a late frame), with the decode timeline continuous.
func TestFlushAndUnevenTiming(t *testing.T) {
	c := loadClip(t)
	aus := c.accessUnits(60)
	for i := 30; i < len(aus); i++ {
		aus[i].PTS += 200 * time.Millisecond // a 240 ms frame at 29
		aus[i].WallTime = aus[i].WallTime.Add(200 * time.Millisecond)
	}
	p := filepath.Join(t.TempDir(), "s.mp4")
	w, err := Create(p, testHeader(c, 1))
	if err != nil {
		t.Fatal(err)
	}
	w.FragmentDuration = 10 * time.Second
	for i, au := range aus {
		if err := w.WriteAccessUnit(au); err != nil {
			t.Fatal(err)
		}
		if i == 9 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	info, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.Fragments != 2 || info.Frames != 60 || info.Duration != 60*40*time.Millisecond+200*time.Millisecond {
		t.Errorf("info %+v", info)
	}
	idx, err := scanFile(t, p)
	if err != nil {
		t.Fatal(err)
	}
	f0, f1 := idx.Fragments[0], idx.Fragments[1]
	if f0.Samples != 9 || f1.Samples != 51 || f1.BaseTime != f0.Duration || f0.Duration != 9*3600 {
		t.Errorf("fragments %+v %+v", f0, f1)
	}
	if !f1.Wall.Equal(aus[9].WallTime) {
		t.Errorf("second fragment wall %v, want %v", f1.Wall, aus[9].WallTime)
	}
	if !info.End.Equal(aus[59].WallTime.Add(40 * time.Millisecond)) {
		t.Errorf("end %v", info.End)
	}
}

func TestNTPRoundTrip(t *testing.T) {
	for _, tm := range []time.Time{
		wallStart,
		time.Date(2026, 10, 25, 1, 0, 0, 999_999_999, time.UTC),
		time.Date(2040, 1, 1, 0, 0, 0, 1, time.UTC), // NTP era 1
		time.Unix(0, 0).UTC(),
	} {
		if got := fromNTP(toNTP(tm)); !got.Equal(tm) {
			t.Errorf("%v came back as %v", tm, got)
		}
	}
}

// TestWriteErrorBreaksWriter checks that a failed write is reported, sticks,
// and leaves a file Repair recovers up to the last complete fragment.
func TestWriteErrorBreaksWriter(t *testing.T) {
	c := loadClip(t)
	aus := c.accessUnits(100)
	p := filepath.Join(t.TempDir(), "s.mp4")
	w, err := Create(p, testHeader(c, 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, au := range aus[:60] {
		if err := w.WriteAccessUnit(au); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	w.f.Close() // the disk goes away
	var werr error
	for _, au := range aus[60:] {
		if werr = w.WriteAccessUnit(au); werr != nil {
			break
		}
	}
	if werr == nil {
		t.Fatal("no error writing to a closed file")
	}
	if err := w.WriteAccessUnit(aus[99]); !errors.Is(err, werr) {
		t.Errorf("error did not stick: %v", err)
	}
	if err := w.Flush(); err == nil {
		t.Error("Flush after a write error succeeded")
	}
	if info, err := w.Close(); err == nil || info.Frames != 50 {
		t.Errorf("Close after a write error: %v, %d frames", err, info.Frames)
	}
	info, err := Repair(p)
	if err != nil || info.Frames != 50 {
		t.Fatalf("repair: %v %+v", err, info)
	}
}
