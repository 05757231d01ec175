package segment

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/ingest"
)

// TestBFrames writes a clip with B-frames (decode order differs from
// presentation order): DTS comes from the picture order counts, the
// composition offsets carry the PTS, and ffmpeg decodes every frame.
func TestBFrames(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	mp4 := filepath.Join(dir, "b.mp4")
	es := filepath.Join(dir, "b.h264")
	run := func(args ...string) string {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x96:rate=25", "-t", "2",
		"-c:v", "libx264", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p", mp4)
	run("ffmpeg", "-nostdin", "-v", "error", "-i", mp4, "-c", "copy",
		"-bsf:v", "h264_mp4toannexb,h264_metadata=aud=insert", "-f", "h264", es)
	// Packets in decode order, with their presentation times.
	var pts []time.Duration
	for _, l := range strings.Fields(run("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pts_time", "-of", "csv=p=0", mp4)) {
		s, err := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		if err != nil {
			t.Fatal(err)
		}
		pts = append(pts, time.Duration(math.Round(s*1e6))*time.Microsecond)
	}
	b, err := os.ReadFile(es)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseAnnexB(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.aus) != 50 || len(pts) != 50 {
		t.Fatalf("%d access units, %d packets", len(c.aus), len(pts))
	}
	reordered := false
	for i := 1; i < len(pts); i++ {
		reordered = reordered || pts[i] < pts[i-1]
	}
	if !reordered {
		t.Fatal("the clip has no B-frames")
	}

	sess := &ingest.Session{ID: uuid.New(), SPS: c.sps, PPS: c.pps}
	p := filepath.Join(dir, "seg.mp4")
	w, err := Create(p, Header{StreamID: sess.ID, SPS: c.sps, PPS: c.pps, Start: wallStart})
	if err != nil {
		t.Fatal(err)
	}
	for i, nalus := range c.aus {
		au := &ingest.AccessUnit{Session: sess, PTS: time.Second + pts[i], WallTime: wallStart.Add(pts[i]),
			Keyframe: c.idr[i], NALUs: nalus}
		if err := w.WriteAccessUnit(au); err != nil {
			t.Fatal(err)
		}
	}
	info, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The decode timeline loses the reorder delay (two frames) at the start.
	if info.Frames != 50 || info.Duration < 1920*time.Millisecond || info.Duration > 2*time.Second ||
		!info.End.Equal(wallStart.Add(2*time.Second)) {
		t.Errorf("info %+v", info)
	}

	if dur, frames := probe(t, p); frames != 50 || dur < 1.919 || dur > 2.001 {
		t.Errorf("ffprobe counted %d frames, duration %v", frames, dur)
	}
	if out := decodeErrors(t, p); out != "" {
		t.Errorf("ffmpeg: %s", out)
	}

	idx, err := scanFile(t, p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	var lastDTS time.Duration = -1
	for i := range idx.Fragments {
		samples, err := ReadSamples(f, idx, i)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			if s.PTS() != pts[n]-pts[0] || s.DTS() <= lastDTS || s.DTS() > s.PTS() {
				t.Errorf("sample %d: dts %v pts %v, want pts %v", n, s.DTS(), s.PTS(), pts[n]-pts[0])
			}
			if !s.Wall.Equal(wallStart.Add(pts[n])) {
				t.Errorf("sample %d: wall %v", n, s.Wall)
			}
			lastDTS = s.DTS()
			n++
		}
	}
}
