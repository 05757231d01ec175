package playback

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// clip is an H.264 stream split into access units.
type clip struct {
	sps, pps []byte
	aus      []ingest.AccessUnit // PTS, Keyframe, NALUs only
	fps      int
}

var (
	clipMu    sync.Mutex
	clipCache = map[string]*clip{}
)

// testClip encodes a looping clip of w x h at fps with a GOP of gop frames
// (no B-frames), cached per test binary.
func testClip(t testing.TB, w, h, fps, gop int) *clip {
	t.Helper()
	key := fmt.Sprint(w, h, fps, gop)
	clipMu.Lock()
	defer clipMu.Unlock()
	if c := clipCache[key]; c != nil {
		return c
	}
	out := filepath.Join(t.TempDir(), "clip.h264")
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i",
		fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", w, h, fps), "-frames:v", strconv.Itoa(gop*4),
		"-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", strconv.Itoa(gop),
		"-keyint_min", strconv.Itoa(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-f", "h264", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(data); err != nil {
		t.Fatal(err)
	}
	c := &clip{fps: fps}
	var cur []([]byte)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		key := false
		for _, n := range cur {
			if h264.NALUType(n[0]&0x1f) == h264.NALUTypeIDR {
				key = true
			}
		}
		c.aus = append(c.aus, ingest.AccessUnit{Keyframe: key, NALUs: cur})
		cur = nil
	}
	for _, n := range nalus {
		typ := h264.NALUType(n[0] & 0x1f)
		switch typ {
		case h264.NALUTypeSPS:
			c.sps = n
		case h264.NALUTypePPS:
			c.pps = n
		case h264.NALUTypeSEI, h264.NALUTypeAccessUnitDelimiter:
		default:
			// One slice per picture with x264 ultrafast at these sizes.
			cur = append(cur, n)
			flush()
		}
	}
	if len(c.aus) != gop*4 || !c.aus[0].Keyframe {
		t.Fatalf("clip: %d access units", len(c.aus))
	}
	clipCache[key] = c
	return c
}

// footage writes frames of c from start for dur as segments of segDur
// (cut on the first keyframe after segDur), one stream, indexed in st.
// It returns the segments and the number of frames.
func footage(t testing.TB, st *store.Store, dir, camera string, c *clip, start time.Time, dur, segDur time.Duration) []store.Segment {
	t.Helper()
	ctx := context.Background()
	id := uuid.New()
	frame := time.Second / time.Duration(c.fps)
	n := int(dur / frame)
	var out []store.Segment
	var w *segment.Writer
	var segStart time.Time
	closeSeg := func() {
		info, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, info.Path)
		s := store.Segment{Camera: camera, Start: info.Start, End: info.End, Path: filepath.ToSlash(rel),
			Bytes: info.Bytes, SHA256: info.SHA256, StreamID: id, Sequence: info.Sequence, Frames: info.Frames}
		if err := st.AddSegment(ctx, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
		w = nil
	}
	sess := &ingest.Session{ID: id, Camera: camera, SPS: c.sps, PPS: c.pps}
	for i := range n {
		au := c.aus[i%len(c.aus)]
		au.Session = sess
		au.PTS = time.Duration(i) * frame
		au.WallTime = start.Add(au.PTS)
		if w != nil && au.Keyframe && au.WallTime.Sub(segStart) >= segDur {
			closeSeg()
		}
		if w == nil {
			segStart = au.WallTime
			p := filepath.Join(dir, camera, strconv.FormatInt(au.WallTime.UnixNano(), 10)+".mp4")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			var err error
			w, err = segment.Create(p, segment.Header{Camera: camera, StreamID: id, Sequence: uint64(len(out)),
				SPS: c.sps, PPS: c.pps, Start: au.WallTime})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteAccessUnit(&au); err != nil {
			t.Fatal(err)
		}
	}
	if w != nil {
		closeSeg()
	}
	return out
}

func openStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, filepath.Join(root, "recordings")
}

func plan(t testing.TB, st *store.Store, camera string, from, to time.Time) *Range {
	t.Helper()
	ctx := context.Background()
	segs, err := st.Segments(ctx, camera, from, to)
	if err != nil {
		t.Fatal(err)
	}
	gaps, err := st.Gaps(ctx, camera, from, to)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Plan(segs, gaps, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// played is what a fMP4 output holds, read back with segment.Scan.
type played struct {
	idx     *segment.Index
	samples []segment.Sample
}

func readFMP4(t testing.TB, data []byte) played {
	t.Helper()
	r := bytes.NewReader(data)
	idx, err := segment.Scan(r, int64(len(data)))
	if err != nil {
		t.Fatalf("fMP4 output does not scan: %v", err)
	}
	if idx.Torn {
		t.Fatal("fMP4 output torn")
	}
	p := played{idx: idx}
	for i := range idx.Fragments {
		s, err := segment.ReadSamples(r, idx, i)
		if err != nil {
			t.Fatal(err)
		}
		for k := range s {
			s[k].NALUs = nil
		}
		p.samples = append(p.samples, s...)
	}
	return p
}

// checkTimeline checks the first sample is a keyframe and decode times
// increase.
func (p played) checkTimeline(t testing.TB) {
	t.Helper()
	if len(p.samples) == 0 || !p.samples[0].Keyframe {
		t.Fatalf("first sample not a keyframe (%d samples)", len(p.samples))
	}
	for i := 1; i < len(p.samples); i++ {
		if p.samples[i].DecodeTime <= p.samples[i-1].DecodeTime {
			t.Fatalf("sample %d decodes at %d after %d", i, p.samples[i].DecodeTime, p.samples[i-1].DecodeTime)
		}
	}
}

// probe runs ffprobe on an MP4 and returns its frame count and duration,
// and checks ffmpeg decodes it silently.
func probe(t testing.TB, data []byte) (int, time.Duration) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.mp4")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries",
		"stream=nb_read_frames:format=duration", "-of", "default=nw=1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v %s", err, out)
	}
	var frames int
	var dur float64
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "nb_read_frames":
			frames, _ = strconv.Atoi(v)
		case "duration":
			dur, _ = strconv.ParseFloat(v, 64)
		default:
			t.Fatalf("ffprobe says %q", l)
		}
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("ffmpeg decoding the output: %v %s", err, out)
	}
	return frames, time.Duration(dur * float64(time.Second))
}
