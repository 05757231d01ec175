package hotspots

import "github.com/vigil-cctv/vigil/ingest/store"

// Smoothing is the motion share added above and below the score's ratio.
//
// The score says how unusual the activity is: the share of analysed frames
// with motion in the window, against the share at the same hours of the
// week over the past BaselineWeeks weeks (the baseline):
//
//	score = (motion_share + Smoothing) / (baseline_share + Smoothing)
//
// 1 is usual, 3 is three times the usual activity, below 1 is quieter than
// usual. Smoothing (2% of frames) keeps a camera with no history, or a
// quiet one, from scoring infinity on its first movement: with no baseline
// at all, motion in 10% of frames scores 6, not ∞. A window with no
// analysed frames scores 0 (no data is not "quiet").
const Smoothing = 0.02

// Score is the smoothed ratio of observed to baseline motion share.
func Score(share, baseline float64) float64 {
	return (share + Smoothing) / (baseline + Smoothing)
}

// tally adds up the activity of one camera, ward, hour or cell: in the
// window, and in the matching hours of the baseline weeks.
type tally struct {
	frames, motion, objects             int
	baseFrames, baseMotion, baseObjects int
	baseWeeks                           [BaselineWeeks]bool // which weeks had any frames
}

func (t *tally) observe(a store.Activity) {
	t.frames += a.Frames
	t.motion += a.MotionFrames
	t.objects += a.Objects
}

// remember adds a to the baseline; week is 1 (last week) to BaselineWeeks.
func (t *tally) remember(a store.Activity, week int) {
	t.baseFrames += a.Frames
	t.baseMotion += a.MotionFrames
	t.baseObjects += a.Objects
	if a.Frames > 0 {
		t.baseWeeks[week-1] = true
	}
}

func (t *tally) add(o *tally) {
	t.frames += o.frames
	t.motion += o.motion
	t.objects += o.objects
	t.baseFrames += o.baseFrames
	t.baseMotion += o.baseMotion
	t.baseObjects += o.baseObjects
	for i, w := range o.baseWeeks {
		t.baseWeeks[i] = t.baseWeeks[i] || w
	}
}

func share(motion, frames int) float64 {
	if frames == 0 {
		return 0
	}
	return float64(motion) / float64(frames)
}

func (t *tally) share() float64         { return share(t.motion, t.frames) }
func (t *tally) baselineShare() float64 { return share(t.baseMotion, t.baseFrames) }

// baselineObjects is the objects seen in a baseline week, on average over
// the weeks that had data (a camera installed two weeks ago is not
// averaged over four).
func (t *tally) baselineObjects() float64 {
	n := 0
	for _, w := range t.baseWeeks {
		if w {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(t.baseObjects) / float64(n)
}

func (t *tally) score() float64 {
	if t.frames == 0 {
		return 0
	}
	return Score(t.share(), t.baselineShare())
}
