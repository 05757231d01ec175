package sim

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/plategen"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// platesSub is the sub stream plates are read on (camsim's default sub stream).
var platesSub = DefaultConfig().Sub

// TestPlatesTruth checks the plates scene's truth at several stream sizes: the loop, the
// passages inside it with valid UK marks, readable sizes and times, a cruising plate, two
// vehicles at once, and motion events that hold the passages.
func TestPlatesTruth(t *testing.T) {
	t.Parallel()
	for _, spec := range []StreamSpec{
		{Width: 160, Height: 90, FPS: 5, GOP: time.Second, Bitrate: 64_000},
		platesSub,
		{Width: 320, Height: 180, FPS: 25, GOP: time.Second, Bitrate: 300_000},
		DefaultConfig().Main,
	} {
		tr := sceneTruth(ScenePlates, spec, 10) // the truth of every other scene, for comparison
		if tr.Seconds != sceneSeconds {
			t.Fatalf("%v: sceneTruth says %gs", spec, tr.Seconds)
		}
		tr = platesTruth(spec)
		frames := sceneFrames(ScenePlates, spec, 0)
		if tr.Scene != ScenePlates || tr.Seconds != float64(frames)/float64(spec.FPS) || tr.Seconds != sceneSeconds ||
			tr.Width != spec.Width || tr.Height != spec.Height || tr.FPS != spec.FPS || len(tr.Zones) != 0 {
			t.Fatalf("%v: truth header %+v", spec, tr)
		}
		checkTruth(t, tr)
		if len(tr.Passages) != len(platePasses) {
			t.Fatalf("%v: %d passages, want %d", spec, len(tr.Passages), len(platePasses))
		}
		frame := 1 / float64(spec.FPS)
		seen := map[string]int{}
		formats := map[string]bool{}
		together := 0
		for i, p := range tr.Passages {
			if p.Start < 0 || p.End <= p.Start || p.End > tr.Seconds-frame+1e-9 {
				t.Fatalf("%v: passage %+v outside the %gs loop", spec, p, tr.Seconds)
			}
			if d := p.End - p.Start; d < 1.5 || d > 3 {
				t.Fatalf("%v: passage %+v is in view %gs", spec, p, d)
			}
			if i > 0 && p.Start < tr.Passages[i-1].Start {
				t.Fatalf("%v: passages out of order at %d", spec, i)
			}
			if i > 0 && p.Start <= tr.Passages[i-1].End {
				together++
			}
			f, ok := ukplate.Match(ukplate.Normalize(p.Plate))
			if !ok || f.Spaced(ukplate.Normalize(p.Plate)) != p.Plate {
				t.Fatalf("%q is not a UK mark spaced as on a plate", p.Plate)
			}
			formats[f.Name] = true
			seen[p.Plate]++
			grow := p.CharHeight[1] > p.CharHeight[0]
			if (p.Direction == "towards") != grow || (p.Direction != "towards" && p.Direction != "away") {
				t.Fatalf("%v: passage %+v: direction and size disagree", spec, p)
			}
			if !tr.Active(store.EventMotion, "", p.Start) || !tr.Active(store.EventMotion, "", p.End) {
				t.Fatalf("%v: passage %+v outside the motion events", spec, p)
			}
		}
		if seen["LK19 RXT"] != 3 || len(seen) != len(platePasses)-2 {
			t.Fatalf("%v: plates seen %v: want LK19 RXT three times, the others once", spec, seen)
		}
		low := 0
		for _, p := range tr.Passages {
			if p.LowLight {
				low++
			}
		}
		if low != 1 {
			t.Fatalf("%v: %d passages in low light, want 1", spec, low)
		}
		if together != 1 || len(formats) < 4 {
			t.Fatalf("%v: %d passages overlap (want 1), formats %v", spec, together, formats)
		}
	}
}

// TestPlatesDrawn checks the drawn frames of the sub stream against the truth: at the
// start, middle and end of each passage its plate is wholly in the picture, 12 to 25 pixels
// a character, not hidden by another vehicle; and no plate is drawn between passages.
func TestPlatesDrawn(t *testing.T) {
	t.Parallel()
	spec := platesSub
	tr := platesTruth(spec)
	view := image.Rect(0, 0, spec.Width, spec.Height)
	for _, p := range tr.Passages {
		for _, at := range []float64{p.Start, p.Mid(), p.End} {
			f := frameAt(at, spec.FPS)
			sc := platesScene(spec, f)
			_, truths := plategen.RenderScene(sc)
			found := false
			for k, pt := range truths {
				if pt.Text != ukplate.Normalize(p.Plate) {
					continue
				}
				found = true
				if !pt.Box.In(view.Inset(2)) {
					t.Fatalf("%s at %gs: plate %v not wholly in the picture", p.Plate, at, pt.Box)
				}
				if ch := sc.Vehicles[k].Pose.CharHeight; ch < 11 || ch > 25 {
					t.Fatalf("%s at %gs: characters %.1f px high", p.Plate, at, ch)
				}
				for _, near := range sc.Vehicles[k+1:] { // drawn later: nearer
					if near.Bounds().Overlaps(pt.Box) {
						t.Fatalf("%s at %gs: plate %v under the vehicle %v (%s)", p.Plate, at, pt.Box, near.Bounds(), near.Plate.Text)
					}
				}
			}
			if !found {
				t.Fatalf("%s at %gs (frame %d): not drawn (%v)", p.Plate, at, f, truths)
			}
		}
	}
	// the dusk passage is darker than the daylight ones
	var day, dusk float64
	for _, p := range tr.Passages {
		img, _ := PlatesFrame(spec, frameAt(p.Mid(), spec.FPS))
		if m := mean(plategen.Gray(img).Pix); p.LowLight {
			dusk = m
		} else {
			day = max(day, m)
		}
	}
	if dusk == 0 || dusk > 0.75*day {
		t.Fatalf("mean luma at dusk %.0f, in daylight up to %.0f", dusk, day)
	}
	for f := range sceneFrames(ScenePlates, spec, 0) {
		sc := platesScene(spec, f)
		if on := tr.Active(store.EventMotion, "", float64(f)/float64(spec.FPS)); on != (len(sc.Vehicles) > 0) {
			t.Fatalf("frame %d: %d vehicles, motion truth %v", f, len(sc.Vehicles), on)
		}
	}
}

// TestPlatesClip generates the plates clips of a sub and a small main stream (cached in the
// repository, like the other scenes'), checks them, and checks that the cache is used.
func TestPlatesClip(t *testing.T) {
	t.Parallel()
	dir := repoClipDir(t)
	// the streams of cmd/vigil's ANPR end-to-end test
	for _, spec := range []StreamSpec{platesSub, {Width: 320, Height: 180, FPS: 25, GOP: 2 * time.Second, Bitrate: 300_000}} {
		start := time.Now()
		path, tr, err := GenerateScene(t.Context(), dir, "ffmpeg", ScenePlates, spec)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: %s in %v", spec, filepath.Base(path), time.Since(start).Round(time.Millisecond))
		if filepath.Base(path) != SceneFileName(ScenePlates, spec) || len(tr.Passages) != len(platePasses) {
			t.Fatalf("clip %s (want %s), %d passages", path, SceneFileName(ScenePlates, spec), len(tr.Passages))
		}
		frames := sceneFrames(ScenePlates, spec, 0)
		c, err := loadClip(path, spec, frames)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.aus) != frames || len(c.idrs) != frames/spec.GOPFrames() {
			t.Fatalf("%d frames, %d IDRs", len(c.aus), len(c.idrs))
		}
		if b, err := os.ReadFile(path + ".plates"); err != nil || string(b) != platesStamp(spec) {
			t.Fatalf("stamp %q, %v", b, err)
		}
		st, _ := os.Stat(path)
		if _, _, err := GenerateScene(t.Context(), dir, "ffmpeg", ScenePlates, spec); err != nil {
			t.Fatal(err)
		}
		if st2, err := os.Stat(path); err != nil || !st2.ModTime().Equal(st.ModTime()) {
			t.Fatal("the cached clip was made again")
		}
	}
	// a stale stamp makes the clip again
	tmp := t.TempDir()
	spec := StreamSpec{Width: 160, Height: 90, FPS: 5, GOP: 2 * time.Second, Bitrate: 64_000}
	path, _, err := GenerateScene(t.Context(), tmp, "ffmpeg", ScenePlates, spec)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path+".plates", []byte("plates p0\n"), 0o644)
	os.WriteFile(path, []byte("not a clip"), 0o644)
	if _, _, err := GenerateScene(t.Context(), tmp, "ffmpeg", ScenePlates, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := loadClip(path, spec, sceneFrames(ScenePlates, spec, 0)); err != nil {
		t.Fatalf("not made again: %v", err)
	}
	if _, _, err := GenerateScene(t.Context(), t.TempDir(), "/nonexistent/ffmpeg", ScenePlates, spec); err == nil ||
		!strings.Contains(err.Error(), "ffmpeg") {
		t.Fatalf("no ffmpeg: %v", err)
	}
}

// TestPlatesReadable reads each passage's plate with the ANPR reader at the passage's
// middle: on the drawn frame, and on the same frame decoded from the encoded sub clip.
// Most must read exactly; the figures are logged.
func TestPlatesReadable(t *testing.T) {
	t.Parallel()
	r, err := anpr.New(anpr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	spec := platesSub
	path, tr, err := GenerateScene(t.Context(), repoClipDir(t), "ffmpeg", ScenePlates, spec)
	if err != nil {
		t.Fatal(err)
	}
	decoded := decodeClip(t, path, spec)

	read := func(img image.Image) []string {
		plates, err := r.ReadImage(img)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range plates {
			out = append(out, p.Text)
		}
		return out
	}
	var drawnOK, decodedOK int
	var report strings.Builder
	for _, p := range tr.Passages {
		f := frameAt(p.Mid(), spec.FPS)
		img, _ := PlatesFrame(spec, f)
		got, gotDec := read(img), read(decoded[f])
		okDrawn, okDec := contains(got, p.Plate), contains(gotDec, p.Plate)
		if okDrawn {
			drawnOK++
		}
		if okDec {
			decodedOK++
		}
		fmt.Fprintf(&report, "\n  %-9s %5.1fs %-7s drawn %v %q, decoded %v %q", p.Plate, p.Mid(), p.Direction, okDrawn, got, okDec, gotDec)
	}
	n := len(tr.Passages)
	t.Logf("plates read exactly at the passages' middles: drawn %d/%d, decoded from the clip %d/%d%s", drawnOK, n, decodedOK, n, report.String())
	if drawnOK*2 <= n || decodedOK*2 <= n {
		t.Fatalf("most passages' plates must read: drawn %d/%d, decoded %d/%d", drawnOK, n, decodedOK, n)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decodeClip decodes an H.264 clip with ffmpeg into grey pictures.
func decodeClip(t *testing.T, path string, spec StreamSpec) []*image.Gray {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	size := spec.Width * spec.Height
	if len(out)%size != 0 || len(out)/size != sceneFrames(ScenePlates, spec, 0) {
		t.Fatalf("%d bytes of grey video: not %d frames of %d", len(out), sceneFrames(ScenePlates, spec, 0), size)
	}
	frames := make([]*image.Gray, len(out)/size)
	for i := range frames {
		frames[i] = &image.Gray{Pix: out[i*size : (i+1)*size], Stride: spec.Width, Rect: image.Rect(0, 0, spec.Width, spec.Height)}
	}
	return frames
}
