package sim

import (
	"fmt"
	"strings"
)

// sceneClipVersion is part of scene clip names; bump it when a scene, its truth or the
// encoder settings change.
const sceneClipVersion = "s1"

// SceneFileName is the cache file name of the clip GenerateScene makes for scene and
// spec, e.g. scene-zone_640x360_5fps_10gop_512k_300f_s1.h264.
func SceneFileName(scene Scene, spec StreamSpec) string {
	return sceneRequest(scene, "street", spec, DefaultConfig().ClipSeconds).fileName()
}

// sceneFileName is the cache file name of a scene's clip other than the street's.
func sceneFileName(scene Scene, spec StreamSpec) string {
	return fmt.Sprintf("scene-%s_%dx%d_%dfps_%dgop_%dk_%df_%s.h264",
		scene, spec.Width, spec.Height, spec.FPS, spec.GOPFrames(), spec.Bitrate/1000,
		sceneFrames(scene, spec, 0), sceneClipVersion)
}

// sceneGraph returns the ffmpeg -filter_complex graph of a zone or tamper scene: the empty
// street with a door, the boxes of sceneObjects overlaid at positions computed exactly as
// objectPath.rect does, the tampering from sceneTamperFrom, and low temporal noise.
func sceneGraph(scene Scene, spec StreamSpec, frames int) string {
	w, h := spec.Width, spec.Height
	var b strings.Builder
	streetBackground(&b, spec)
	drawBox(&b, pct(w, 12), pct(h, 18), pct(w, 6), pct(h, 16), door) // in the brick building
	b.WriteString("[bg];")

	// N is the frame number, from the timestamp (t = N/FPS, rounded back exactly)
	N := fmt.Sprintf("round(t*%d)", spec.FPS)
	prev := "bg"
	for i, o := range sceneObjects {
		p := o.path(spec)
		fmt.Fprintf(&b, "color=c=%s:s=%dx%d:r=%d[s%d];", p.color, p.w, p.h, spec.FPS, i)
		// off the picture outside [f0, f1]
		pos := func(v0, d2, off int) string {
			return fmt.Sprintf("if(between(%[1]s,%[2]d,%[3]d),%[4]d+2*floor((%[1]s-%[2]d)*(%[5]d)/%[6]d),%[7]d)",
				N, p.f0, p.f1, v0, d2, max(p.f1-p.f0, 1), off)
		}
		fmt.Fprintf(&b, "[%s][s%d]overlay=x='%s':y='%s'[o%d];", prev, i, pos(p.x0, p.dx2, -4*w), pos(p.y0, p.dy2, -4*h), i)
		prev = fmt.Sprintf("o%d", i)
	}

	// tampering applies from frame ft; noise comes after it (sensor noise) except for
	// frozen, where the frozen picture must repeat exactly
	ft := frameAt(sceneTamperFrom, spec.FPS)
	from := fmt.Sprintf("enable='gte(t,%g)'", (float64(ft)-0.5)/float64(spec.FPS))
	noise := fmt.Sprintf("noise=alls=%d:allf=t,format=yuv420p", sceneNoise)
	switch scene {
	case SceneCovered:
		fmt.Fprintf(&b, "[%s]drawbox=x=0:y=0:w=%d:h=%d:color=%s:t=fill:%s,%s[out]", prev, w, h, coverGrey, from, noise)
	case SceneMoved:
		dx := movedShift(spec)
		fmt.Fprintf(&b, "[%s]split[m0][m1];[m1]crop=w=%d:h=%d:x=0:y=0[mc];", prev, w-dx, h)
		fmt.Fprintf(&b, "[m0]drawbox=x=0:y=0:w=%d:h=%d:color=%s:t=fill:%s[mb];", dx, h, hedge, from)
		fmt.Fprintf(&b, "[mb][mc]overlay=x=%d:y=0:%s,%s[out]", dx, from, noise)
	case SceneDefocus:
		fmt.Fprintf(&b, "[%s]gblur=sigma=%g:%s,%s[out]", prev, blurSigma(spec), from, noise)
	case SceneFrozen:
		fmt.Fprintf(&b, "[%s]%s,split[f0][f1];[f0][f1]freezeframes=first=%d:last=%d:replace=%d[out]", prev, noise, ft, frames-1, ft)
	default:
		fmt.Fprintf(&b, "[%s]%s[out]", prev, noise)
	}
	return b.String()
}
