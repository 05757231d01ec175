package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// sceneVersion is part of clip file names; bump it when the scene or encoder settings change.
const sceneVersion = "v1"

// generateTimeout bounds one ffmpeg run.
const generateTimeout = 10 * time.Minute

// fontCandidates are tried in order when fc-match is not available.
var fontCandidates = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
	"/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf",
}

// findFont returns a bold monospace TrueType font file for number plates, or "".
func findFont(ctx context.Context) string {
	if out, err := exec.CommandContext(ctx, "fc-match", "-f", "%{file}", "DejaVu Sans Mono:bold").Output(); err == nil {
		f := strings.TrimSpace(string(out))
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() && !strings.ContainsAny(f, `'\`) &&
			(strings.HasSuffix(f, ".ttf") || strings.HasSuffix(f, ".otf")) {
			return f
		}
	}
	for _, f := range fontCandidates {
		if _, err := os.Stat(f); err == nil {
			return f
		}
	}
	return ""
}

// quoteFilterValue quotes a value for an ffmpeg filter option; s must not contain ' or \.
func quoteFilterValue(s string) string {
	return "'" + s + "'"
}

// pct is p percent of v, rounded down to even.
func pct(v, p int) int { return v * p / 100 &^ 1 }

// drawBox appends a filled drawbox filter to a filter chain.
func drawBox(b *strings.Builder, x, y, bw, bh int, color string) {
	fmt.Fprintf(b, ",drawbox=x=%d:y=%d:w=%d:h=%d:color=%s:t=fill", x, y, max(bw, 2), max(bh, 2), color)
}

// streetBackground appends a filter chain (no output label) drawing the empty street:
// sky, buildings, a pavement, the road with lane markings.
func streetBackground(b *strings.Builder, spec StreamSpec) {
	w, h := spec.Width, spec.Height
	box := func(x, y, bw, bh int, color string) { drawBox(b, x, y, bw, bh, color) }
	fmt.Fprintf(b, "color=c=0x5a5f66:s=%dx%d:r=%d", w, h, spec.FPS)
	box(0, 0, w, pct(h, 30), "0x8fa3b8")                            // sky
	box(pct(w, 4), pct(h, 8), pct(w, 24), pct(h, 26), "0x8b5a3c")   // brick building
	box(pct(w, 32), pct(h, 14), pct(w, 20), pct(h, 20), "0xc8c0a8") // stone building
	box(pct(w, 60), pct(h, 3), pct(w, 30), pct(h, 31), "0x6e6e78")  // office block
	for i := 0; i < 4; i++ {                                        // office windows
		box(pct(w, 62+7*i), pct(h, 8), pct(w, 4), pct(h, 6), "0xd8e4f0")
		box(pct(w, 62+7*i), pct(h, 19), pct(w, 4), pct(h, 6), "0xd8e4f0")
	}
	box(0, pct(h, 34), w, pct(h, 6), "0x9a9a92") // pavement
	for x := 0; x < w; x += pct(w, 12) {         // lane markings
		box(x, pct(h, 66), pct(w, 6), max(pct(h, 1), 2), "0xe8e8e8")
	}
}

// vehicle is one moving box with a number plate.
type vehicle struct {
	body, cabin, plate string // colors
	text               string // UK-style plate
	y                  int    // top, in pixels
	leftToRight        bool
	phase              float64 // fraction of the loop
}

// sceneFilter returns an ffmpeg -filter_complex graph drawing a street: buildings, a pavement,
// road markings and two vehicles with number plates crossing in opposite directions, plus
// light noise so the encoder spends a realistic number of bits. Motion is periodic over the
// clip length so the loop is seamless. font == "" draws plates without text.
func sceneFilter(spec StreamSpec, frames int, font string) string {
	w, h := spec.Width, spec.Height
	loop := float64(frames) / float64(spec.FPS) // seconds
	vw, vh := pct(w, 28), pct(h, 22)
	pw, ph := vw/2&^1, max(pct(vh, 22), 4)
	fs := max(ph*85/100, 4)

	var b strings.Builder
	box := func(x, y, bw, bh int, color string) { drawBox(&b, x, y, bw, bh, color) }
	streetBackground(&b, spec)
	b.WriteString("[bg];")

	vehicles := []vehicle{
		{body: "0xb02020", cabin: "0x202830", plate: "white", text: "LB07 ABC", y: pct(h, 42), leftToRight: true},
		{body: "0x2050a0", cabin: "0x202830", plate: "0xf2c500", text: "YK19 RXT", y: pct(h, 70), phase: 0.5},
	}
	for i, v := range vehicles {
		// the vehicle is drawn on its own canvas (road colored), then overlaid at a moving x
		fmt.Fprintf(&b, "color=c=0x5a5f66:s=%dx%d:r=%d", vw, vh, spec.FPS)
		box(0, 0, vw, pct(vh, 85), v.body)
		box(pct(vw, 22), 0, pct(vw, 52), pct(vh, 35), v.cabin)
		box(pct(vw, 10), pct(vh, 80), pct(vw, 16), pct(vh, 20), "black") // wheels
		box(pct(vw, 74), pct(vh, 80), pct(vw, 16), pct(vh, 20), "black")
		py := pct(vh, 52)
		box((vw-pw)/2, py, pw, ph, v.plate)
		if font != "" {
			fmt.Fprintf(&b, ",drawtext=fontfile=%s:text=%s:x=(w-text_w)/2:y=%d+(%d-text_h)/2:fontsize=%d:fontcolor=black",
				quoteFilterValue(font), quoteFilterValue(v.text), py, ph, fs)
		}
		fmt.Fprintf(&b, "[v%d];", i)
	}
	span := w + vw
	speed := float64(span) / loop
	prev := "bg"
	for i, v := range vehicles {
		pos := fmt.Sprintf("mod(t*%f+%f,%d)", speed, v.phase*float64(span), span)
		x := pos + fmt.Sprintf("-%d", vw)
		if !v.leftToRight {
			x = fmt.Sprintf("%d-%s", w, pos)
		}
		fmt.Fprintf(&b, "[%s][v%d]overlay=x='%s':y=%d[o%d];", prev, i, x, v.y, i)
		prev = fmt.Sprintf("o%d", i)
	}
	fmt.Fprintf(&b, "[%s]noise=alls=12:allf=t,format=yuv420p[out]", prev)
	return b.String()
}

// ffmpegArgs returns the arguments to encode the scene into an Annex-B H.264 file: constrained
// baseline (no B-frames), CBR, keyint = GOP, no scene cuts, SPS/PPS before every IDR, an AUD
// per access unit, exactly frames frames.
func ffmpegArgs(spec StreamSpec, frames int, filter, out string) []string {
	g := spec.GOPFrames()
	br := spec.Bitrate
	return []string{
		"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-filter_complex", filter, "-map", "[out]",
		"-frames:v", fmt.Sprint(frames),
		"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
		"-b:v", fmt.Sprint(br), "-maxrate", fmt.Sprint(br), "-bufsize", fmt.Sprint(br / 2),
		"-x264-params", fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:repeat-headers=1:aud=1:nal-hrd=cbr", g, g),
		"-f", "h264", out,
	}
}

// clipRequest is one clip to make sure exists.
type clipRequest struct {
	kind    string // main, sub (a server's streams) or street (GenerateScene): names street clips
	spec    StreamSpec
	seconds int   // street only; the other scenes have their own length
	scene   Scene // "" is street
}

// sceneRequest is the request for kind's clip of scene.
func sceneRequest(scene Scene, kind string, spec StreamSpec, streetSeconds int) clipRequest {
	if scene == SceneStreet {
		scene = ""
	}
	return clipRequest{kind: kind, spec: spec, seconds: streetSeconds, scene: scene}
}

// name is the clip's name in errors: main, sub, or zone/main.
func (r clipRequest) name() string {
	if r.scene == "" {
		return r.kind
	}
	return string(r.scene) + "/" + r.kind
}

func (r clipRequest) frames() int {
	if r.scene == "" {
		return clipFrames(r.spec, r.seconds)
	}
	return sceneFrames(r.scene, r.spec, r.seconds)
}

func (r clipRequest) fileName() string {
	if r.scene == "" {
		return ClipFileName(r.kind, r.spec, r.seconds)
	}
	return sceneFileName(r.scene, r.spec)
}

// filter is the ffmpeg graph of the clip; font is for number plates (street only).
func (r clipRequest) filter(font string) string {
	if r.scene == "" {
		return sceneFilter(r.spec, r.frames(), font)
	}
	return sceneGraph(r.scene, r.spec, r.frames())
}

// clipMaker finds or generates clips in a cache directory.
type clipMaker struct {
	dir    string
	ffmpeg string
	logger *slog.Logger
}

// ensure returns the loaded clip, generating it first if it is not cached. Parallel processes
// are serialized by a lock file; the clip is written to a temporary file and renamed.
func (m *clipMaker) ensure(ctx context.Context, r clipRequest) (*clip, string, error) {
	if r.scene == ScenePlates { // drawn frame by frame, not a filter graph (scene_plates.go)
		return m.ensurePlates(ctx, r.spec)
	}
	frames := r.frames()
	path := filepath.Join(m.dir, r.fileName())

	if c, err := loadClip(path, r.spec, frames); err == nil {
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

	// another process may have made it while we waited for the lock
	c, err := loadClip(path, r.spec, frames)
	if err == nil {
		return c, path, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		m.logger.Warn("camsim: cached clip is unusable, regenerating", "path", path, "error", err)
	}

	start := time.Now()
	font := ""
	if r.scene == "" {
		font = findFont(ctx)
	}
	if err := m.generate(ctx, r.spec, frames, r.filter(font), path); err != nil {
		if font == "" {
			return nil, "", err
		}
		// drawtext may be missing from this ffmpeg build: fall back to plates without text
		m.logger.Debug("camsim: generating with text failed, trying without", "error", err)
		if err := m.generate(ctx, r.spec, frames, r.filter(""), path); err != nil {
			return nil, "", err
		}
	}
	c, err = loadClip(path, r.spec, frames)
	if err != nil {
		return nil, "", err
	}
	m.logger.Info("camsim: generated clip", "path", path, "frames", frames,
		"kbit/s", c.bytes*8*r.spec.FPS/len(c.aus)/1000, "took", time.Since(start).Round(time.Millisecond))
	return c, path, nil
}

func (m *clipMaker) generate(ctx context.Context, spec StreamSpec, frames int, filter, path string) error {
	bin, err := exec.LookPath(m.ffmpeg)
	if err != nil {
		return fmt.Errorf("ffmpeg (with libx264) is needed to generate clips: %w (Debian: apt-get install ffmpeg)", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // no-op after the rename

	ctx, cancel := context.WithTimeout(ctx, generateTimeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, ffmpegArgs(spec, frames, filter, tmpName)...)
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if _, err := loadClip(tmpName, spec, frames); err != nil {
		return fmt.Errorf("ffmpeg output: %w", err)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return err
	}
	return os.Rename(tmpName, path)
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// clipRequests returns the clips a configuration needs: the street's main and sub first,
// then main and sub of each other scene in cfg.Scenes, in AllScenes order.
func clipRequests(cfg *Config) []clipRequest {
	reqs := []clipRequest{
		{kind: "main", spec: cfg.Main, seconds: cfg.ClipSeconds},
		{kind: "sub", spec: cfg.Sub, seconds: cfg.ClipSeconds},
	}
	for _, sc := range AllScenes[1:] {
		for _, used := range cfg.Scenes {
			if used == sc {
				reqs = append(reqs,
					sceneRequest(sc, "main", cfg.Main, cfg.ClipSeconds),
					sceneRequest(sc, "sub", cfg.Sub, cfg.ClipSeconds))
				break
			}
		}
	}
	return reqs
}

// ensureClips loads (generating when missing, in parallel) the clips of reqs.
func ensureClips(ctx context.Context, cfg *Config, reqs []clipRequest) ([]*clip, []string, error) {
	m := &clipMaker{dir: cfg.ClipDir, ffmpeg: cfg.FFmpeg, logger: cfg.Logger}
	clips := make([]*clip, len(reqs))
	paths := make([]string, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clips[i], paths[i], errs[i] = m.ensure(ctx, r)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("%s clip (%v): %w", r.name(), r.spec, errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return clips, paths, nil
}

// GenerateClips makes sure the main and sub clips for cfg (Main, Sub, ClipSeconds, Scenes)
// exist in cfg.ClipDir, generating missing ones with ffmpeg, and returns their paths: the
// street's main and sub, then main and sub of each other scene used (in AllScenes order).
// It is what "camsim -generate" runs at build time.
func GenerateClips(ctx context.Context, cfg Config) ([]string, error) {
	cfg.setDefaults()
	if err := cfg.Main.Validate("Main"); err != nil {
		return nil, err
	}
	if err := cfg.Sub.Validate("Sub"); err != nil {
		return nil, err
	}
	if cfg.ClipSeconds < 1 || cfg.ClipSeconds > 600 {
		return nil, fmt.Errorf("ClipSeconds: %d is not between 1 and 600", cfg.ClipSeconds)
	}
	for name, sc := range cfg.Scenes {
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("Scenes[%q]: %w", name, err)
		}
	}
	_, paths, err := ensureClips(ctx, &cfg, clipRequests(&cfg))
	return paths, err
}
