package sim

import (
	"image"
	"math"
	"slices"
	"strings"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// tamperKinds maps the tamper scenes to their event kinds.
var tamperKinds = map[Scene]string{
	SceneCovered: store.EventTamperCovered,
	SceneMoved:   store.EventTamperMoved,
	SceneDefocus: store.EventTamperDefocused,
	SceneFrozen:  store.EventTamperFrozen,
}

// sceneFrames is the loop length of scene in frames (whole GOPs).
func sceneFrames(scene Scene, spec StreamSpec, streetSeconds int) int {
	if scene == SceneStreet {
		return clipFrames(spec, streetSeconds)
	}
	return clipFrames(spec, sceneSeconds)
}

// sceneTruth computes the ground truth of scene for spec frame by frame, from the object
// paths the filter graph draws.
func sceneTruth(scene Scene, spec StreamSpec, streetSeconds int) Truth {
	frames := sceneFrames(scene, spec, streetSeconds)
	sec := func(f int) float64 { return float64(f) / float64(spec.FPS) }
	t := Truth{Scene: scene, Seconds: sec(frames), Width: spec.Width, Height: spec.Height, FPS: spec.FPS}
	if scene == SceneStreet {
		// two vehicles half a loop apart: one of them is always in the picture
		t.Events = []TruthEvent{{Kind: store.EventMotion, Start: 0, End: sec(frames - 1)}}
		return t
	}
	t.Zones = cloneZones(sceneZones)
	paths := make([]objectPath, len(sceneObjects))
	for i, o := range sceneObjects {
		paths[i] = o.path(spec)
	}
	keys := []string{""}
	for _, z := range t.Zones {
		keys = append(keys, z.Name)
	}
	open := make(map[string]int) // key → first frame of the running event
	for f := 0; f <= frames; f++ {
		var rects []image.Rectangle
		if f < frames {
			rects = visibleRects(scene, spec, f, paths)
		}
		for i, key := range keys {
			on := len(rects) > 0
			if i > 0 {
				on = anyOverlaps(rects, t.Zones[i-1].Points, spec)
			}
			start, running := open[key]
			switch {
			case on && !running:
				open[key] = f
			case !on && running:
				delete(open, key)
				t.Events = append(t.Events, TruthEvent{Kind: store.EventMotion, Zone: key, Start: sec(start), End: sec(f - 1)})
			}
		}
	}
	if kind, ok := tamperKinds[scene]; ok {
		t.Events = append(t.Events, TruthEvent{Kind: kind, Start: sec(frameAt(sceneTamperFrom, spec.FPS)), End: sec(frames - 1)})
	}
	slices.SortFunc(t.Events, func(a, b TruthEvent) int {
		if a.Start != b.Start {
			return cmpFloat(a.Start, b.Start)
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Zone, b.Zone)
	})
	return t
}

func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	return 1
}

func cloneZones(zs []zones.Zone) []zones.Zone {
	out := make([]zones.Zone, len(zs))
	for i, z := range zs {
		out[i] = zones.Zone{Name: z.Name, Points: slices.Clone(z.Points)}
	}
	return out
}

// tampered reports whether frame f of scene is tampered.
func tampered(scene Scene, spec StreamSpec, f int) bool {
	_, ok := tamperKinds[scene]
	return ok && f >= frameAt(sceneTamperFrom, spec.FPS)
}

// visibleRects returns the parts of the moving boxes visible in frame f.
func visibleRects(scene Scene, spec StreamSpec, f int, paths []objectPath) []image.Rectangle {
	view := image.Rect(0, 0, spec.Width, spec.Height)
	shift := 0
	if tampered(scene, spec, f) {
		switch scene {
		case SceneCovered, SceneFrozen:
			return nil // nothing moves in a black or frozen picture
		case SceneMoved:
			shift = movedShift(spec)
			view.Min.X = shift // the left strip shows a hedge
		}
	}
	var out []image.Rectangle
	for _, p := range paths {
		r, ok := p.rect(f)
		if !ok {
			continue
		}
		if r = r.Add(image.Pt(shift, 0)).Intersect(view); !r.Empty() {
			out = append(out, r)
		}
	}
	return out
}

// anyOverlaps reports whether a pixel of one of rects has its centre inside poly.
func anyOverlaps(rects []image.Rectangle, poly zones.Polygon, spec StreamSpec) bool {
	W, H := float64(spec.Width), float64(spec.Height)
	minX, minY, maxX, maxY := 1.0, 1.0, 0.0, 0.0
	for _, p := range poly {
		minX, maxX = min(minX, p.X), max(maxX, p.X)
		minY, maxY = min(minY, p.Y), max(maxY, p.Y)
	}
	bbox := image.Rect(int(math.Floor(minX*W)), int(math.Floor(minY*H)), int(math.Ceil(maxX*W))+1, int(math.Ceil(maxY*H))+1)
	for _, r := range rects {
		r = r.Intersect(bbox)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if poly.Contains(zones.Point{X: (float64(x) + 0.5) / W, Y: (float64(y) + 0.5) / H}) {
					return true
				}
			}
		}
	}
	return false
}
