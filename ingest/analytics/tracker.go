package analytics

import "math"

// Blob is one moving region of an analysed picture, in analysis pixels.
type Blob struct {
	X, Y, W, H int     // bounding box
	Area       int     // pixels
	CX, CY     float64 // centroid
}

// track is one object followed across pictures.
type track struct {
	id        int
	cx, cy    float64
	hits      int    // pictures it was seen in
	misses    int    // pictures in a row it was not
	confirmed bool   // seen often enough to count as an object
	zones     uint64 // bit i: the object has been counted in zone i
}

// tracker follows blobs from picture to picture by nearest centroid, so that
// one person walking through a zone counts once, not once per picture.
type tracker struct {
	tracks  []*track
	nextID  int
	maxDist float64 // analysis pixels a centroid may move between pictures
	used    []bool  // per blob: matched to a track (reused)
	// confirmAfter pictures with a match make a blob an object; missAfter
	// pictures without one end its track.
	confirmAfter, missAfter int
}

func newTracker(width, height int) *tracker {
	return &tracker{
		maxDist:      0.12 * math.Hypot(float64(width), float64(height)),
		confirmAfter: 2,
		missAfter:    3,
	}
}

// update matches blobs to tracks (greedy, nearest first) and returns the
// tracks confirmed by this picture, old and new, in a reused slice.
func (t *tracker) update(blobs []Blob, out []*track) []*track {
	out = out[:0]
	used := append(t.used[:0], make([]bool, len(blobs))...)
	t.used = used
	for _, tr := range t.tracks {
		best, bestD := -1, t.maxDist
		for i, b := range blobs {
			if used[i] {
				continue
			}
			if d := math.Hypot(b.CX-tr.cx, b.CY-tr.cy); d <= bestD {
				best, bestD = i, d
			}
		}
		if best < 0 {
			tr.misses++
			continue
		}
		used[best] = true
		tr.cx, tr.cy = blobs[best].CX, blobs[best].CY
		tr.hits++
		tr.misses = 0
		if tr.hits >= t.confirmAfter {
			tr.confirmed = true
		}
		if tr.confirmed {
			out = append(out, tr)
		}
	}
	kept := t.tracks[:0]
	for _, tr := range t.tracks {
		if tr.misses < t.missAfter {
			kept = append(kept, tr)
		}
	}
	t.tracks = kept
	for i, b := range blobs {
		if !used[i] && len(t.tracks) < maxTracks {
			t.nextID++
			t.tracks = append(t.tracks, &track{id: t.nextID, cx: b.CX, cy: b.CY, hits: 1})
		}
	}
	return out
}

// maxTracks bounds the tracker (a picture of noise must not grow it).
const maxTracks = 64
