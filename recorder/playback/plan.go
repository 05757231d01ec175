package playback

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Range is what to read for one camera and time range: the segments of the
// index overlapping [From, To), oldest first, and the gaps in it.
type Range struct {
	Camera   string
	From, To time.Time // UTC
	Segments []store.Segment
	Gaps     []store.Gap
}

// Duration is the length of the requested range.
func (r *Range) Duration() time.Duration { return r.To.Sub(r.From) }

// Plan selects from segs (a camera's segments, as store.Segments returns
// them) those overlapping [from, to), sorted by start. It returns
// ErrBadRange when from is not before to and a *NoFootageError carrying the
// gaps when no segment overlaps the range. Where playback starts within the
// first segment (the keyframe at or before from) is found when the segment
// is read, from its fragments' prft wall times.
func Plan(segs []store.Segment, gaps []store.Gap, from, to time.Time) (*Range, error) {
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return nil, fmt.Errorf("%w: from %s is not before to %s", ErrBadRange,
			from.UTC().Format(timeFormat), to.UTC().Format(timeFormat))
	}
	r := &Range{From: from.UTC(), To: to.UTC()}
	for _, s := range segs {
		if r.Camera == "" {
			r.Camera = s.Camera
		}
		if s.Camera != r.Camera {
			return nil, fmt.Errorf("playback: segments of two cameras (%q and %q) in one plan", r.Camera, s.Camera)
		}
		if s.Start.Before(r.To) && s.End.After(r.From) {
			r.Segments = append(r.Segments, s)
		}
	}
	for _, g := range gaps {
		if r.Camera == "" {
			r.Camera = g.Camera
		}
		if g.Start.Before(r.To) && g.End.After(r.From) {
			r.Gaps = append(r.Gaps, g)
		}
	}
	slices.SortStableFunc(r.Segments, func(a, b store.Segment) int { return a.Start.Compare(b.Start) })
	if len(r.Segments) == 0 {
		return nil, &NoFootageError{Camera: r.Camera, From: r.From, To: r.To, Gaps: r.Gaps}
	}
	return r, nil
}
