package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/plategen"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// The plates scene: a road seen from a camera above it, where vehicles with known UK
// number plates drive towards the camera or away from it, one at a time and once two side
// by side, one of them three times a loop (cruising), one at dusk. Every frame is drawn by plategen
// (the ANPR reader's synthetic plates) and piped into ffmpeg as raw RGBA.

// platesVersion is stamped next to a plates clip (name.plates) with a hash of the scene and
// of a probe frame; bump it when the clips change in a way neither shows (the encoding).
const platesVersion = "p2"

// PlatePassage is one vehicle's passage in the plates scene's Truth.
type PlatePassage struct {
	Plate string // as on the plate, with its group space: "LK19 RXT"
	// Start and End are the times (seconds from the clip start, frame k at k/FPS) of the
	// first and the last frame showing the vehicle, both included; its plate is wholly in
	// the picture in all of them.
	Start, End float64
	// Direction is the way the vehicle goes, in anpr/track's words: towards (its front
	// and white plate seen, growing) or away (its rear and yellow plate, shrinking).
	Direction string
	// CharHeight is how many pixels a character of the plate is high at the start and
	// at the end of the passage (seen head on).
	CharHeight [2]float64
	// LowLight: the passage is at dusk (dark, gamma-lifted, noisier, lights on); the
	// others are in daylight.
	LowLight bool
}

// Mid is the time of the middle of the passage.
func (p PlatePassage) Mid() float64 { return (p.Start + p.End) / 2 }

// platePass is a passage of the plates scene in frame fractions of a 640x360 picture.
type platePass struct {
	plate  string
	away   bool // rear view, shrinking; else front view, growing
	van    bool
	colour plategen.RGB
	t0     float64    // seconds from the clip start: the first frame
	x      [2]float64 // plate centre x at the far and at the near end (fractions of the width)
	charH  [2]float64 // character height at the far and at the near end (pixels at 360 high)
	low    bool       // at dusk (the whole picture, while the vehicle is in it)
}

// Geometry of a passage.
const (
	platePassSeconds = 2.4  // a vehicle is in the picture this long
	plateFarY        = 0.47 // plate centre y at the far end (fraction of the height)
	plateNearY       = 0.86 // and at the near end
)

// platePasses is the loop: each passage is in the picture for 2.4 s (two vehicles side by
// side at 26.4 s), with at least 3 s between vehicles (across the loop end too) so that each
// passage is its own motion event. LK19 RXT passes three times (cruising: twice towards the
// camera, once going away); MF07 CEY passes at dusk, with its lights on.
var platePasses = []platePass{
	{plate: "LK19 RXT", colour: plategen.RGB{0.72, 0.73, 0.75}, t0: 4.0, x: [2]float64{0.46, 0.36}, charH: [2]float64{12, 24}},
	{plate: "YD68 HMV", away: true, colour: plategen.RGB{0.62, 0.08, 0.07}, t0: 9.6, x: [2]float64{0.56, 0.66}, charH: [2]float64{12, 24}},
	{plate: "P476 WJR", van: true, colour: plategen.RGB{0.86, 0.86, 0.84}, t0: 15.2, x: [2]float64{0.50, 0.42}, charH: [2]float64{12, 23}},
	{plate: "LK19 RXT", colour: plategen.RGB{0.72, 0.73, 0.75}, t0: 20.8, x: [2]float64{0.44, 0.34}, charH: [2]float64{12, 24}},
	// two side by side: the right one 0.4 s behind (drawn first, being further away)
	{plate: "BV21 KZP", colour: plategen.RGB{0.08, 0.12, 0.30}, t0: 26.4, x: [2]float64{0.34, 0.20}, charH: [2]float64{11, 20}},
	{plate: "GHT 427R", colour: plategen.RGB{0.15, 0.32, 0.16}, t0: 26.8, x: [2]float64{0.66, 0.80}, charH: [2]float64{11, 20}},
	{plate: "WP15 NFU", away: true, colour: plategen.RGB{0.10, 0.10, 0.11}, t0: 32.4, x: [2]float64{0.54, 0.64}, charH: [2]float64{12, 24}},
	{plate: "MF07 CEY", low: true, colour: plategen.RGB{0.80, 0.55, 0.10}, t0: 38.0, x: [2]float64{0.48, 0.40}, charH: [2]float64{12, 25}},
	{plate: "LK19 RXT", away: true, colour: plategen.RGB{0.72, 0.73, 0.75}, t0: 43.6, x: [2]float64{0.55, 0.65}, charH: [2]float64{12, 24}},
	{plate: "AXZ 4821", colour: plategen.RGB{0.35, 0.36, 0.40}, t0: 49.2, x: [2]float64{0.47, 0.37}, charH: [2]float64{12, 24}},
	{plate: "R982 KLT", away: true, van: true, colour: plategen.RGB{0.90, 0.90, 0.92}, t0: 54.8, x: [2]float64{0.53, 0.62}, charH: [2]float64{12, 23}},
}

// platesBackground is the street drawn behind the vehicles (plategen's background seed).
const platesBackground = 20240607

// platesCond is the camera: daylight, a slight light gradient, soft focus and sensor noise
// frozen in place (one seed), so that only the vehicles move; or dusk, darker, lifted by
// the camera's gamma and noisier.
func platesCond(spec StreamSpec, low bool) plategen.Conditions {
	c := plategen.Conditions{Light: plategen.Day, Exposure: 1, Gamma: 1, Uneven: 0.12,
		Defocus: 0.45 * float64(spec.Height) / 360, Noise: 0.012, Seed: 0x706c61746573}
	if low {
		c.Light, c.Exposure, c.Gamma, c.Noise = plategen.LowLight, 0.3, 1.9, 0.03
	}
	return c
}

// passFrames is the first and last frame of a passage at fps.
func (p platePass) passFrames(fps int) (f0, f1 int) {
	return frameAt(p.t0, fps), frameAt(p.t0+platePassSeconds, fps)
}

// vehicle is the passage's vehicle at frame f for spec; ok is false outside the passage.
// Its pose goes from the far end to the near end (or back, going away) as plategen.Passage
// interpolates it: through the distance, so that it speeds up in the picture when near.
func (p platePass) vehicle(f int, spec StreamSpec, i int) (v plategen.Vehicle, ok bool) {
	f0, f1 := p.passFrames(spec.FPS)
	if f < f0 || f > f1 {
		return plategen.Vehicle{}, false
	}
	W, H := float64(spec.Width), float64(spec.Height)
	pose := func(end int) plategen.Pose {
		x := p.x[end]
		return plategen.Pose{
			Centre:     plategen.Pt{X: x * W, Y: []float64{plateFarY, plateNearY}[end] * H},
			CharHeight: p.charH[end] * H / 360,
			Yaw:        (0.5 - x) * 30,     // seen from above the middle of the road
			Pitch:      6 + 6*float64(end), // the camera looks down more at near vehicles
			Distance:   20,
		}
	}
	pass := plategen.Passage{
		Vehicle: plategen.Vehicle{
			Plate: plategen.PlateSpec{Text: p.plate, Rear: p.away, Band: i%3 != 1, Border: i%4 == 2, Bolts: 2 * (i % 3),
				Dirt: 0.05 * float64(i%3), Seed: uint64(1000 + i)},
			Front: !p.away, Colour: p.colour, Van: p.van, PlateHeight: 480 + 40*float64(i%3),
		},
		From: pose(0), To: pose(1), Frames: f1 - f0 + 1,
	}
	if p.away {
		pass.From, pass.To = pass.To, pass.From
	}
	return pass.At(f - f0), true
}

// passage is p in the truth of spec.
func (p platePass) passage(spec StreamSpec) PlatePassage {
	f0, f1 := p.passFrames(spec.FPS)
	sec := func(f int) float64 { return float64(f) / float64(spec.FPS) }
	out := PlatePassage{Plate: p.plate, Start: sec(f0), End: sec(f1), Direction: "towards", CharHeight: p.charH, LowLight: p.low}
	if p.away {
		out.Direction = "away"
		out.CharHeight = [2]float64{p.charH[1], p.charH[0]}
	}
	for i := range out.CharHeight {
		out.CharHeight[i] *= float64(spec.Height) / 360
	}
	return out
}

// platesScene is frame f of the plates clip for spec, vehicles far to near.
func platesScene(spec StreamSpec, f int) plategen.Scene {
	sc := plategen.Scene{Width: spec.Width, Height: spec.Height, BackgroundSeed: platesBackground, Cond: platesCond(spec, false)}
	for i, p := range platePasses {
		if v, ok := p.vehicle(f, spec, i); ok {
			sc.Vehicles = append(sc.Vehicles, v)
			if p.low {
				sc.Cond = platesCond(spec, true)
			}
		}
	}
	slices.SortStableFunc(sc.Vehicles, func(a, b plategen.Vehicle) int {
		return cmpFloat(a.Pose.CharHeight, b.Pose.CharHeight+1e-9)
	})
	return sc
}

// PlatesFrame draws frame f of the plates scene for spec, with where its plates are: the
// picture its clip was encoded from (streams wider than 960 pixels are drawn 960 wide, then
// scaled up by ffmpeg).
func PlatesFrame(spec StreamSpec, f int) (*image.RGBA, []plategen.PlateTruth) {
	return plategen.RenderScene(platesScene(spec, f))
}

// platesTruth is the plates scene's ground truth for spec: its passages, and its motion
// events (a vehicle in the picture).
func platesTruth(spec StreamSpec) Truth {
	frames := sceneFrames(ScenePlates, spec, 0)
	sec := func(f int) float64 { return float64(f) / float64(spec.FPS) }
	t := Truth{Scene: ScenePlates, Seconds: sec(frames), Width: spec.Width, Height: spec.Height, FPS: spec.FPS}
	for _, p := range platePasses {
		t.Passages = append(t.Passages, p.passage(spec))
	}
	slices.SortStableFunc(t.Passages, func(a, b PlatePassage) int { return cmpFloat(a.Start, b.Start+1e-9) })
	start := -1
	for f := 0; f <= frames; f++ {
		on := false
		for _, p := range platePasses {
			if f0, f1 := p.passFrames(spec.FPS); f < frames && f >= f0 && f <= f1 {
				on = true
			}
		}
		switch {
		case on && start < 0:
			start = f
		case !on && start >= 0:
			t.Events = append(t.Events, TruthEvent{Kind: store.EventMotion, Start: sec(start), End: sec(f - 1)})
			start = -1
		}
	}
	return t
}

// platesStamp is what the stamp next to a plates clip says: the scene's version, a hash of
// its passages, its camera and a small probe frame drawn now (so that a change in
// plategen's drawing makes the clips again), and the spec.
func platesStamp(spec StreamSpec) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%v %d %+v %g %g %g", platePasses, platesBackground, platesCond(spec, false), platePassSeconds, plateFarY, plateNearY)
	probe := StreamSpec{Width: 320, Height: 180, FPS: 5}
	img, _ := PlatesFrame(probe, frameAt(28, probe.FPS)) // two vehicles
	h.Write(img.Pix)
	return fmt.Sprintf("plates %s %016x %s\n", platesVersion, h.Sum64(), spec)
}

// ensurePlates returns the plates clip for spec, rendering and encoding it when it is not
// cached (or was made by another version of the scene). Like ensure, it is serialized
// across processes by a lock file and written to a temporary file first.
func (m *clipMaker) ensurePlates(ctx context.Context, spec StreamSpec) (*clip, string, error) {
	frames := sceneFrames(ScenePlates, spec, 0)
	path := filepath.Join(m.dir, sceneFileName(ScenePlates, spec))
	stamp, want := path+".plates", platesStamp(spec)
	cached := func() (*clip, error) {
		if b, err := os.ReadFile(stamp); err != nil || string(b) != want {
			return nil, os.ErrNotExist
		}
		return loadClip(path, spec, frames)
	}
	if c, err := cached(); err == nil {
		return c, path, nil
	}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return nil, "", fmt.Errorf("clip directory: %w", err)
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, "", err
	}
	defer unlock()
	if c, err := cached(); err == nil {
		return c, path, nil
	}

	start := time.Now()
	bin, err := exec.LookPath(m.ffmpeg)
	if err != nil {
		return nil, "", fmt.Errorf("ffmpeg (with libx264) is needed to generate clips: %w (Debian: apt-get install ffmpeg)", err)
	}
	tmp, err := os.CreateTemp(m.dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, "", err
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // no-op after the rename

	ctx, cancel := context.WithTimeout(ctx, generateTimeout)
	defer cancel()
	// raw RGBA frames in, then the encoder settings of every other clip
	draw := platesDrawSpec(spec)
	filter := "[0:v]format=yuv420p[out]"
	if draw != spec {
		filter = fmt.Sprintf("[0:v]scale=%d:%d:flags=bicubic,format=yuv420p[out]", spec.Width, spec.Height)
	}
	args := append([]string{"-f", "rawvideo", "-pix_fmt", "rgba",
		"-video_size", fmt.Sprintf("%dx%d", draw.Width, draw.Height), "-framerate", fmt.Sprint(spec.FPS), "-i", "pipe:0"},
		ffmpegArgs(spec, frames, filter, tmpName)...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("ffmpeg: %w", err)
	}
	werr := renderPlates(ctx, draw, frames, stdin)
	stdin.Close()
	if err := cmd.Wait(); err != nil || werr != nil {
		return nil, "", fmt.Errorf("ffmpeg: %w: %s", errors.Join(werr, err), strings.TrimSpace(stderr.String()))
	}
	c, err := loadClip(tmpName, spec, frames)
	if err != nil {
		return nil, "", fmt.Errorf("ffmpeg output: %w", err)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return nil, "", err
	}
	os.Remove(stamp)
	if err := os.Rename(tmpName, path); err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
		return nil, "", err
	}
	m.logger.Info("camsim: generated clip", "path", path, "frames", frames,
		"kbit/s", c.bytes*8*spec.FPS/len(c.aus)/1000, "took", time.Since(start).Round(time.Millisecond))
	return c, path, nil
}

// platesMaxDrawWidth bounds the width frames are drawn at: plategen takes about a second
// for a 1920x1080 frame, a sixth of that at 960x540, and ffmpeg scales it up.
const platesMaxDrawWidth = 960

// platesDrawSpec is spec at the size its frames are drawn at.
func platesDrawSpec(spec StreamSpec) StreamSpec {
	if spec.Width > platesMaxDrawWidth {
		spec.Height = even(float64(spec.Height) * platesMaxDrawWidth / float64(spec.Width))
		spec.Width = platesMaxDrawWidth
	}
	return spec
}

// platesWorkers is how many frames are drawn at once.
const platesWorkers = 2

// renderPlates draws the frames of the plates clip and writes them to w in order, as raw
// RGBA. Frames without a vehicle are all the same picture, drawn once.
func renderPlates(ctx context.Context, spec StreamSpec, frames int, w io.Writer) error {
	var empty []byte
	draw := func(f int) []byte {
		sc := platesScene(spec, f)
		if len(sc.Vehicles) == 0 && empty != nil {
			return empty
		}
		img, _ := plategen.RenderScene(sc)
		return rgbaPix(img)
	}
	empty = draw(-1) // no vehicle at frame -1
	out := make([][]byte, platesWorkers)
	for base := 0; base < frames; base += platesWorkers {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(platesWorkers, frames-base)
		var wg sync.WaitGroup
		for k := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[k] = draw(base + k)
			}()
		}
		wg.Wait()
		for k := range n {
			if _, err := w.Write(out[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// rgbaPix is the picture's pixels, rows packed.
func rgbaPix(img *image.RGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if img.Stride == 4*w {
		return img.Pix[:4*w*h]
	}
	b := make([]byte, 0, 4*w*h)
	for y := range h {
		b = append(b, img.Pix[y*img.Stride:y*img.Stride+4*w]...)
	}
	return b
}
