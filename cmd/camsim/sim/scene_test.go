package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// sceneTestSpec is simtest.SceneSpec (simtest imports this package): tests of both share
// the clips cached in the repository.
var sceneTestSpec = StreamSpec{Width: 320, Height: 180, FPS: 5, GOP: 2 * time.Second, Bitrate: 256_000}

// repoClipDir is the repository's clip cache, like simtest.ClipDir.
func repoClipDir(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "data", "clips")
		}
		if dir == filepath.Dir(dir) {
			t.Fatal("go.mod not found")
		}
	}
}

// checkTruth checks what holds for every truth: valid zones, events inside the loop,
// zone events inside whole-frame ones, and quiet gaps (6 s in a zone, 3 s in the frame,
// across the loop end too).
func checkTruth(t *testing.T, tr Truth) {
	t.Helper()
	if err := zones.ValidateSet(tr.Zones, nil, nil); err != nil {
		t.Fatalf("%s: zones: %v", tr.Scene, err)
	}
	frame := 1 / float64(tr.FPS)
	last := map[string]TruthEvent{}
	first := map[string]TruthEvent{}
	tampers := 0
	for _, e := range tr.Events {
		if e.Start < 0 || e.End < e.Start || e.End > tr.Seconds-frame+1e-9 {
			t.Fatalf("%s: event %+v outside the %gs loop", tr.Scene, e, tr.Seconds)
		}
		if e.Kind != store.EventMotion {
			tampers++
			if e.Kind != tamperKinds[tr.Scene] || e.Zone != "" || e.Start != sceneTamperFrom {
				t.Fatalf("%s: tamper event %+v", tr.Scene, e)
			}
			continue
		}
		if e.Zone != "" {
			if !slicesContainsZone(tr.Zones, e.Zone) {
				t.Fatalf("%s: event %+v in an unknown zone", tr.Scene, e)
			}
			if !tr.Active(store.EventMotion, "", e.Start) || !tr.Active(store.EventMotion, "", e.End) {
				t.Fatalf("%s: zone event %+v outside whole-frame motion", tr.Scene, e)
			}
		}
		quiet := 3.0
		if e.Zone != "" {
			quiet = 6
		}
		if p, ok := last[e.Zone]; ok && e.Start-p.End < quiet {
			t.Fatalf("%s: events %+v and %+v are less than %gs apart", tr.Scene, p, e, quiet)
		}
		if _, ok := first[e.Zone]; !ok {
			first[e.Zone] = e
		}
		last[e.Zone] = e
	}
	for zone, f := range first {
		if l := last[zone]; l != f && f.Start+tr.Seconds-l.End < 3 {
			t.Fatalf("%s: events %+v and %+v are too close across the loop end", tr.Scene, l, f)
		}
	}
	if want := len(tamperKinds[tr.Scene]) > 0; (tampers == 1) != want || tampers > 1 {
		t.Fatalf("%s: %d tamper events", tr.Scene, tampers)
	}
}

func slicesContainsZone(zs []zones.Zone, name string) bool {
	for _, z := range zs {
		if z.Name == name {
			return true
		}
	}
	return false
}

// countEvents counts motion events by zone, those from 'from' seconds on separately.
func countEvents(tr Truth, from float64) (before, after map[string]int) {
	before, after = map[string]int{}, map[string]int{}
	for _, e := range tr.Events {
		if e.Kind != store.EventMotion {
			continue
		}
		if e.Start >= from {
			after[e.Zone]++
		} else {
			before[e.Zone]++
		}
	}
	return before, after
}

func TestSceneTruth(t *testing.T) {
	t.Parallel()
	specs := []StreamSpec{
		sceneTestSpec,
		{Width: 160, Height: 90, FPS: 5, GOP: time.Second, Bitrate: 64_000},
		{Width: 640, Height: 360, FPS: 5, GOP: 2 * time.Second, Bitrate: 512_000},
		{Width: 1280, Height: 720, FPS: 25, GOP: 2 * time.Second, Bitrate: 2_000_000},
	}
	for _, spec := range specs {
		for _, sc := range AllScenes {
			tr := sceneTruth(sc, spec, 10)
			if tr.Width != spec.Width || tr.Height != spec.Height || tr.FPS != spec.FPS || tr.Scene != sc {
				t.Fatalf("%s: truth header %+v", sc, tr)
			}
			checkTruth(t, tr)
		}
		zone := sceneTruth(SceneZone, spec, 10)
		if zone.Seconds != sceneSeconds || len(zone.Zones) != 2 {
			t.Fatalf("zone scene: %gs, %d zones", zone.Seconds, len(zone.Zones))
		}
		before, after := countEvents(zone, sceneTamperFrom)
		if before[""] != 3 || after[""] != 3 || before["Doorway"] != 1 || after["Doorway"] != 1 ||
			before["Road"] != 1 || after["Road"] != 1 {
			t.Fatalf("%v: zone scene events before/after 30 s: %v %v", spec, before, after)
		}
		for _, sc := range []Scene{SceneCovered, SceneFrozen} {
			if b, a := countEvents(sceneTruth(sc, spec, 10), sceneTamperFrom); len(a) != 0 || b[""] != 3 {
				t.Fatalf("%s: motion events before/after 30 s: %v %v", sc, b, a)
			}
		}
		defocus := sceneTruth(SceneDefocus, spec, 10)
		if len(defocus.Events) != len(zone.Events)+1 {
			t.Fatalf("defocus: %d events, zone %d", len(defocus.Events), len(zone.Events))
		}
		if _, a := countEvents(sceneTruth(SceneMoved, spec, 10), sceneTamperFrom); a[""] != 3 {
			t.Fatalf("moved: motion events after 30 s: %v", a)
		}
	}

	street := sceneTruth(SceneStreet, sceneTestSpec, 4)
	if street.Seconds != 4 || len(street.Events) != 1 || street.Events[0].End != 3.8 || len(street.Zones) != 0 {
		t.Fatalf("street truth %+v", street)
	}

	tr := sceneTruth(SceneCovered, sceneTestSpec, 10)
	for _, c := range []struct {
		kind, zone string
		at         float64
		want       bool
	}{
		{store.EventMotion, "Doorway", 3, true},
		{store.EventMotion, "Doorway", 2.8, false},
		{store.EventMotion, "", 1, false},
		{store.EventTamperCovered, "", 29.8, false},
		{store.EventTamperCovered, "", 30, true},
		{store.EventTamperCovered, "", 59.8, true},
		{store.EventTamperCovered, "", 60, false}, // the loop restarts
		{store.EventTamperCovered, "", 90, true},
	} {
		if got := tr.Active(c.kind, c.zone, c.at); got != c.want {
			t.Errorf("Active(%s, %q, %g) = %v", c.kind, c.zone, c.at, got)
		}
	}
}

func TestSceneValidate(t *testing.T) {
	t.Parallel()
	for _, sc := range AllScenes {
		if err := sc.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	if err := Scene("rain").Validate(); err == nil {
		t.Fatal("unknown scene accepted")
	}
	cfg := testConfig(t)
	for scenes, want := range map[string]map[string]Scene{
		`Scenes["cam009"]: no such camera`:       {"cam009": SceneZone},
		`Scenes["cam001"]: unknown scene "rain"`: {"cam001": "rain"},
	} {
		cfg.Scenes = want
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), scenes) {
			t.Fatalf("Validate(%v) = %v, want %q", want, err, scenes)
		}
	}
	if _, _, err := GenerateScene(t.Context(), t.TempDir(), "ffmpeg", "rain", sceneTestSpec); err == nil {
		t.Fatal("GenerateScene accepted an unknown scene")
	}
}

func TestGenerateScene(t *testing.T) {
	t.Parallel()
	dir := repoClipDir(t)
	for _, sc := range AllScenes {
		start := time.Now()
		path, tr, err := GenerateScene(t.Context(), dir, "ffmpeg", sc, sceneTestSpec)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s in %v", sc, filepath.Base(path), time.Since(start).Round(time.Millisecond))
		if filepath.Base(path) != SceneFileName(sc, sceneTestSpec) {
			t.Fatalf("%s: clip %s, SceneFileName says %s", sc, path, SceneFileName(sc, sceneTestSpec))
		}
		frames := int(tr.Seconds*float64(tr.FPS) + 0.5)
		if want := sceneFrames(sc, sceneTestSpec, DefaultConfig().ClipSeconds); frames != want {
			t.Fatalf("%s: truth covers %d frames, the clip has %d", sc, frames, want)
		}
		c, err := loadClip(path, sceneTestSpec, frames)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.idrs) != frames/sceneTestSpec.GOPFrames() {
			t.Fatalf("%s: %d IDRs in %d frames", sc, len(c.idrs), frames)
		}
		checkTruth(t, tr)
	}
}

func TestSceneServed(t *testing.T) {
	t.Parallel()
	before := time.Now()
	s := startServer(t, func(c *Config) {
		c.ClipDir = repoClipDir(t)
		c.Main = sceneTestSpec // a 60 s clip TestGenerateScene makes too: generated once
		c.Scenes = map[string]Scene{"cam002": SceneCovered}
	})
	after := time.Now()

	cam1, cam2 := s.byName["cam001"], s.byName["cam002"]
	if cam2.sub.clip != s.scenes[SceneCovered][1] || cam2.main.clip != s.scenes[SceneCovered][0] ||
		cam1.sub.clip != s.clips[1] {
		t.Fatal("cameras do not stream their scenes' clips")
	}
	if want := sceneFrames(SceneCovered, testSub, 0); len(cam2.sub.clip.aus) != want {
		t.Fatalf("scene sub clip has %d frames, want %d", len(cam2.sub.clip.aus), want)
	}
	scene, start, ok := s.SceneClock("cam002")
	frame := time.Second / time.Duration(testSub.FPS)
	if !ok || scene != SceneCovered || start.Before(before) || start.After(after.Add(frame)) {
		t.Fatalf("SceneClock = %s %v %v, want covered started during Initialize", scene, start, ok)
	}
	if scene, _, ok := s.SceneClock("cam001"); !ok || scene != SceneStreet {
		t.Fatalf("cam001 shows %q", scene)
	}

	for _, kind := range []string{StreamSub, StreamMain} {
		spec := testSub
		if kind == StreamMain {
			spec = sceneTestSpec
		}
		r, err := dial(t, s.URL(2, kind))
		if err != nil {
			t.Fatal(err)
		}
		if w, h := spsSize(t, r); w != spec.Width || h != spec.Height {
			t.Fatalf("%s SPS %dx%d", kind, w, h)
		}
		// Generous: the package's other tests make clips beside it (ffmpeg, the plate
		// renderer under -race), and CI runs other packages too.
		waitFor(t, 30*time.Second, kind+" frames", func() bool { _, n := r.count(); return n > spec.GOPFrames()+3 })
		checkStream(t, r, spec)
	}
}
