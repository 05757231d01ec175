package segment

import (
	"bytes"
	"context"
	"crypto/sha256"
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

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
)

// testClip is the simulator's small main clip split into access units.
type testClip struct {
	sps, pps []byte
	aus      [][][]byte // NALUs of each access unit
	idr      []bool
}

var (
	clipOnce sync.Once
	clipVal  *testClip
	clipErr  error
)

// loadClip returns the 320x180 25 fps clip (1 s GOP) of the simulator.
func loadClip(t testing.TB) *testClip {
	t.Helper()
	clipOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var paths []string
		paths, clipErr = sim.GenerateClips(ctx, simtest.Config(t, 1))
		if clipErr != nil {
			return
		}
		var buf []byte
		buf, clipErr = os.ReadFile(paths[0])
		if clipErr != nil {
			return
		}
		clipVal, clipErr = parseAnnexB(buf)
	})
	if clipErr != nil {
		t.Fatal(clipErr)
	}
	return clipVal
}

func parseAnnexB(buf []byte) (*testClip, error) {
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(buf); err != nil {
		return nil, err
	}
	c := &testClip{}
	for _, n := range nalus {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeAccessUnitDelimiter:
			c.aus = append(c.aus, nil)
			c.idr = append(c.idr, false)
		case h264.NALUTypeSPS:
			if c.sps == nil {
				c.sps = n
			}
		case h264.NALUTypePPS:
			if c.pps == nil {
				c.pps = n
			}
		case h264.NALUTypeIDR:
			if len(c.idr) > 0 {
				c.idr[len(c.idr)-1] = true
			}
		}
		if len(c.aus) > 0 {
			c.aus[len(c.aus)-1] = append(c.aus[len(c.aus)-1], n)
		}
	}
	return c, nil
}

// wallStart is 30 s before the clocks go forward (BST starts 2026-03-29
// 01:00 UTC), so a segment of more than 30 s crosses the change.
var wallStart = time.Date(2026, 3, 29, 0, 59, 30, 123_456_789, time.UTC)

// accessUnits makes n access units at 25 fps from the clip, looping it.
func (c *testClip) accessUnits(n int) []*ingest.AccessUnit {
	sess := &ingest.Session{ID: uuid.New(), Camera: "cam-01", Stream: "main", Codec: "H264",
		SPS: c.sps, PPS: c.pps, Width: 320, Height: 180, Started: wallStart}
	out := make([]*ingest.AccessUnit, n)
	for i := range out {
		pts := time.Duration(i) * 40 * time.Millisecond
		k := i % len(c.aus)
		out[i] = &ingest.AccessUnit{
			Session: sess, PTS: 5*time.Second + pts,
			WallTime: wallStart.Add(pts), WallFromSR: true,
			Received: wallStart.Add(pts + 30*time.Millisecond),
			Keyframe: c.idr[k], NALUs: c.aus[k],
		}
	}
	return out
}

func testHeader(c *testClip, seq uint64) Header {
	return Header{Camera: "cam-01", StreamID: uuid.MustParse("0b7f9c4e-2f1a-4c55-9a7e-3d2b1c0a9f88"),
		Sequence: seq, SPS: c.sps, PPS: c.pps, Start: wallStart}
}

// writeSegment writes aus to a new segment in dir and closes it.
func writeSegment(t testing.TB, dir string, h Header, aus []*ingest.AccessUnit) (string, Info) {
	t.Helper()
	p := filepath.Join(dir, "seg-"+strconv.FormatUint(h.Sequence, 10)+".mp4")
	w, err := Create(p, h)
	if err != nil {
		t.Fatal(err)
	}
	for i, au := range aus {
		if err := w.WriteAccessUnit(au); err != nil {
			t.Fatalf("access unit %d: %v", i, err)
		}
	}
	info, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return p, info
}

func scanFile(t testing.TB, p string) (*Index, error) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return Scan(bytes.NewReader(b), int64(len(b)))
}

func fileSHA(t testing.TB, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// probe returns ffprobe's format duration and counted frames of a file.
func probe(t testing.TB, p string) (float64, int) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not installed")
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "format=duration:stream=nb_read_frames", "-of", "default=nw=1", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", p, err, out)
	}
	var dur float64
	frames := -1
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "duration":
			dur, _ = strconv.ParseFloat(v, 64)
		case "nb_read_frames":
			frames, _ = strconv.Atoi(v)
		}
	}
	return dur, frames
}

// decodeErrors runs ffmpeg's decoder over a file and returns what it prints.
func decodeErrors(t testing.TB, p string) string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", p, "-f", "null", "-").CombinedOutput()
	if err != nil {
		return err.Error() + ": " + string(out)
	}
	return string(out)
}
