package analytics

import (
	"image"
	"time"

	"gocv.io/x/gocv"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr"
	platetrack "github.com/vigil-cctv/vigil/ingest/analytics/anpr/track"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/decode"
)

// Main-stream looks: where the analysed (sub) stream shows a plate too
// small to read, the main stream shows the same scene with three to six
// times the pixels. Following the main stream would cost a decode of every
// one of its pictures (8 ms each at 1080p, 25 a second); instead its latest
// keyframe, which decodes alone, is decoded when it was taken within
// lookMatch of an analysed picture that had small candidates, at most once
// a lookEvery, and read only around those candidates.
const (
	lookEvery   = 900 * time.Millisecond // one keyframe a second or so
	lookMatch   = 300 * time.Millisecond // keyframe and analysed picture this close in wall time
	lookMaxArea = 4                      // regions read per look
	// lookMinScale: a main stream less than this much larger than the
	// analysed one is not worth decoding.
	lookMinScale = 1.5
)

// sighting is an analysed picture's small candidates.
type sighting struct {
	at    time.Time
	rects []image.Rectangle // analysed-picture pixels
	w, h  int               // the analysed picture's size
}

// mainLook reads plates in the main stream's keyframes where the analysed
// stream saw plates too small to read. It belongs to a plate stage.
type mainLook struct {
	hub    func() *ingest.Hub // the main stream's hub, nil when none (or it is the analysed one)
	looked func()             // counts a keyframe decoded (a metric)
	dec    *decode.Decoder    // made on the first look
	used   *ingest.AccessUnit // the last keyframe judged (read or passed over)
	lastAt time.Time          // wall time of the last keyframe read
	// smaller is the main stream's session whose pictures proved not
	// lookMinScale larger than the analysed ones: not decoded again.
	smaller *ingest.Session
	full    gocv.Mat
	privacy privacyRaster
	recent  []sighting // the last lookMatch*2 of sightings
}

func newMainLook(hub func() *ingest.Hub, looked func()) *mainLook {
	return &mainLook{hub: hub, looked: looked, full: gocv.NewMat()}
}

func (m *mainLook) close() {
	if m.dec != nil {
		m.dec.Close()
	}
	m.full.Close()
}

// look notes the analysed picture at now and its small candidates (in a
// w×h picture), then reads the main stream's latest keyframe if it matches
// a recent sighting. The observations it returns are in analysed-picture
// pixels (so the tracker follows them with the analysed stream's reads),
// with crops from the main stream.
func (m *mainLook) look(r *anpr.Reader, now time.Time, small []image.Rectangle, w, h int, an *analyser) ([]platetrack.Observation, error) {
	keep := m.recent[:0]
	for _, s := range m.recent {
		if now.Sub(s.at) <= 2*lookMatch {
			keep = append(keep, s)
		}
	}
	m.recent = keep
	if len(small) > 0 {
		m.recent = append(m.recent, sighting{at: now, rects: small, w: w, h: h})
	}
	if len(m.recent) == 0 {
		return nil, nil
	}
	hub := m.hub()
	if hub == nil {
		return nil, nil
	}
	k := hub.LatestKeyframe()
	if k == nil || k == m.used || k.Session != nil && k.Session == m.smaller {
		return nil, nil
	}
	s, ok := m.nearest(k.WallTime)
	switch {
	case !ok && k.WallTime.After(m.recent[len(m.recent)-1].at):
		return nil, nil // taken after the pictures analysed so far: it may match the next
	case !ok || k.WallTime.Sub(m.lastAt) < lookEvery:
		m.used = k
		return nil, nil
	}
	m.used, m.lastAt = k, k.WallTime
	return m.read(r, k, s, an)
}

// nearest is the sighting closest in time to at, if within lookMatch.
func (m *mainLook) nearest(at time.Time) (sighting, bool) {
	best, bestD := -1, lookMatch+1
	for i, s := range m.recent {
		d := s.at.Sub(at)
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		return sighting{}, false
	}
	return m.recent[best], true
}

// read decodes the keyframe and reads the regions of s's candidates in it.
func (m *mainLook) read(r *anpr.Reader, k *ingest.AccessUnit, s sighting, an *analyser) ([]platetrack.Observation, error) {
	f, err := m.decode(k)
	if f == nil || err != nil {
		return nil, err
	}
	g := f.Gray()
	if g == nil {
		return nil, nil
	}
	W, H := g.Rect.Dx(), g.Rect.Dy()
	sx, sy := float64(W)/float64(s.w), float64(H)/float64(s.h)
	if sx < lookMinScale || sy < lookMinScale {
		m.smaller = k.Session
		return nil, nil
	}
	px, err := copyLuma(&m.full, g)
	if err != nil {
		return nil, err
	}
	m.privacy.apply(px, W, H, an)
	frame := image.Rect(0, 0, W, H)
	inner := frame.Inset(edgeMargin)
	var obs []platetrack.Observation
	var seen []image.Rectangle
	for _, reg := range lookRegions(s.rects, sx, sy, frame) {
		plates, err := r.Read(m.full, reg)
		if err != nil {
			return obs, err
		}
		for _, p := range plates {
			text := ukplate.Normalize(p.Text)
			// A plate cut by the picture's or the region's edge reads as a
			// shorter, wrong mark ("7 CEY" of MF07 CEY).
			if len(p.Probs) != len(text) || !p.Box.In(inner) || !p.Box.In(reg.Inset(edgeMargin)) && !reg.Eq(frame) ||
				overlapsAny(p.Box, seen) {
				continue
			}
			seen = append(seen, p.Box)
			sub := image.Rect(int(float64(p.Box.Min.X)/sx), int(float64(p.Box.Min.Y)/sy),
				int(float64(p.Box.Max.X)/sx+0.5), int(float64(p.Box.Max.Y)/sy+0.5))
			obs = append(obs, platetrack.Observation{Box: sub, Text: text, Conf: p.Confidence, Probs: p.Probs,
				Crop: cropGray(px, W, H, p.Box)})
		}
	}
	return obs, nil
}

// decode decodes a keyframe alone, with its stream's parameter sets.
func (m *mainLook) decode(k *ingest.AccessUnit) (*decode.Frame, error) {
	if m.dec == nil {
		d, err := decode.NewForAnalysis()
		if err != nil {
			return nil, err
		}
		m.dec = d
	}
	m.looked()
	nalus := make([][]byte, 0, len(k.NALUs)+2)
	if k.Session != nil && len(k.Session.SPS) > 0 && len(k.Session.PPS) > 0 {
		nalus = append(nalus, k.Session.SPS, k.Session.PPS)
	}
	nalus = append(nalus, k.NALUs...)
	f, err := m.dec.Decode(nalus)
	if f == nil && err == nil {
		f, err = m.dec.Flush() // held for reordering (a stream with B-frames)
	}
	if err != nil || f == nil || f.Corrupt {
		m.dec.Flush()
		return nil, err
	}
	return f, nil
}

// lookRegions are the main-stream regions to read for small candidates:
// each scaled up and widened (a plate width each side, two heights above
// and below) for the vehicle's movement between the two pictures, joined
// where they meet, the first lookMaxArea.
func lookRegions(rects []image.Rectangle, sx, sy float64, frame image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	for _, r := range rects {
		m := image.Rect(int(float64(r.Min.X)*sx), int(float64(r.Min.Y)*sy), int(float64(r.Max.X)*sx+0.5), int(float64(r.Max.Y)*sy+0.5))
		dx, dy := max(m.Dx(), 2*anpr.MinSide), max(2*m.Dy(), anpr.MinSide)
		m = image.Rect(m.Min.X-dx, m.Min.Y-dy, m.Max.X+dx, m.Max.Y+dy).Intersect(frame)
		if m.Dx() < anpr.MinSide || m.Dy() < anpr.MinSide {
			continue
		}
		joined := false
		for i := range out {
			if out[i].Overlaps(m) {
				out[i], joined = out[i].Union(m), true
				break
			}
		}
		if !joined {
			out = append(out, m)
		}
	}
	if len(out) > lookMaxArea {
		out = out[:lookMaxArea]
	}
	return out
}

func overlapsAny(r image.Rectangle, rs []image.Rectangle) bool {
	for _, o := range rs {
		if r.Overlaps(o) {
			return true
		}
	}
	return false
}
