package sim

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigil-cctv/vigil/ingest/zones"
)

// Scene is what a simulated camera shows. Every scene but "street" comes with a ground
// truth (Truth) for testing motion and camera-tamper detection.
type Scene string

// Scenes.
const (
	// SceneStreet is the default: vehicles with number plates crossing a street, always moving.
	SceneStreet Scene = "street"
	// SceneZone is a static street where boxes of person and car size cross the zones
	// "Doorway" and "Road" at known times, and one moves outside both.
	SceneZone Scene = "zone"
	// The tamper scenes show the zone scene for 30 s, then 30 s tampered.
	SceneCovered Scene = "covered" // near-black
	SceneMoved   Scene = "moved"   // picture shifted right by 16% of the width
	SceneDefocus Scene = "defocus" // strong Gaussian blur
	SceneFrozen  Scene = "frozen"  // one picture repeated exactly
	// ScenePlates shows vehicles with known UK number plates passing the camera one by one
	// (once two side by side), drawn by plategen, for testing ANPR (see PlatePassage).
	ScenePlates Scene = "plates"
)

// AllScenes lists the scenes, the default first.
var AllScenes = []Scene{SceneStreet, SceneZone, SceneCovered, SceneMoved, SceneDefocus, SceneFrozen, ScenePlates}

// Validate reports whether s is a known scene.
func (s Scene) Validate() error {
	if !slices.Contains(AllScenes, s) {
		return fmt.Errorf("unknown scene %q (one of %v)", string(s), AllScenes)
	}
	return nil
}

// Zones are the zones the scene's ground truth names (Doorway and Road for
// the zone and tamper scenes; none for the street), to draw on a camera
// showing it.
func (s Scene) Zones() []zones.Zone {
	if s == SceneStreet || s == ScenePlates || s.Validate() != nil {
		return nil
	}
	return cloneZones(sceneZones)
}

// Truth is what a scene clip shows over one loop, computed from the same numbers that
// build its ffmpeg filter graph.
type Truth struct {
	Scene         Scene
	Seconds       float64 // loop length: frames / FPS
	Width, Height int
	FPS           int
	Zones         []zones.Zone
	Events        []TruthEvent   // by Start, then Kind and Zone
	Passages      []PlatePassage // plates scene: the vehicles, by Start
}

// TruthEvent is one event of a Truth. Start and End are the times (seconds from the clip
// start, frame k at k/FPS) of the first and the last frame that show it, both included.
// Motion means a moving object: in a zone when any pixel of the object's box has its
// centre inside the zone polygon (zones.Polygon.Contains), whole frame ("") when any pixel
// of the box is visible.
type TruthEvent struct {
	Kind       string // store.EventMotion or store.EventTamper*
	Zone       string // "" for the whole frame
	Start, End float64
}

// Active reports whether an event of kind in zone holds at sec (seconds from clip start,
// taken modulo the loop): at some frame from Start to End.
func (t Truth) Active(kind, zone string, sec float64) bool {
	f := int(sec*float64(t.FPS)+0.5) % max(int(t.Seconds*float64(t.FPS)+0.5), 1)
	at := float64(f) / float64(t.FPS)
	for _, e := range t.Events {
		if e.Kind == kind && e.Zone == zone && e.Start <= at+1e-9 && at <= e.End+1e-9 {
			return true
		}
	}
	return false
}

// GenerateScene makes sure the clip of scene for spec exists in dir, generating it with
// ffmpeg (libx264) when it is missing, and returns its path and ground truth. Clips are
// cached under a versioned name and generated once across processes (lock file).
func GenerateScene(ctx context.Context, dir, ffmpeg string, scene Scene, spec StreamSpec) (path string, truth Truth, err error) {
	if err := scene.Validate(); err != nil {
		return "", Truth{}, err
	}
	if err := spec.Validate("spec"); err != nil {
		return "", Truth{}, err
	}
	if dir == "" {
		return "", Truth{}, fmt.Errorf("dir: empty")
	}
	if ffmpeg == "" {
		ffmpeg = DefaultConfig().FFmpeg
	}
	m := &clipMaker{dir: dir, ffmpeg: ffmpeg, logger: slog.Default()}
	if scene == ScenePlates { // drawn frame by frame (scene_plates.go)
		if _, path, err = m.ensurePlates(ctx, spec); err != nil {
			return "", Truth{}, fmt.Errorf("scene %s (%v): %w", scene, spec, err)
		}
		return filepath.Clean(path), platesTruth(spec), nil
	}
	r := sceneRequest(scene, "street", spec, DefaultConfig().ClipSeconds)
	if _, path, err = m.ensure(ctx, r); err != nil {
		return "", Truth{}, fmt.Errorf("scene %s (%v): %w", scene, spec, err)
	}
	return filepath.Clean(path), sceneTruth(scene, spec, DefaultConfig().ClipSeconds), nil
}

// ParseScenes parses CAMERA:SCENE flags ("cam003:covered") into Config.Scenes; a camera
// named twice keeps the last scene.
func ParseScenes(specs []string) (map[string]Scene, error) {
	out := make(map[string]Scene)
	for _, spec := range specs {
		camera, scene, ok := strings.Cut(spec, ":")
		if !ok || cameraIndex(camera) == 0 {
			return nil, fmt.Errorf("scene %q: want CAMERA:SCENE, e.g. cam003:covered", truncate(spec))
		}
		if err := Scene(scene).Validate(); err != nil {
			return nil, fmt.Errorf("scene %q: %w", truncate(spec), err)
		}
		out[camera] = Scene(scene)
	}
	return out, nil
}
