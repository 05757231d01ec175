package hotspots

import "github.com/vigil-cctv/vigil/ingest/store"

// Smoothing is the motion share added above and below the score's ratio.
//
// The score says how unusual the activity is: the share of analysed frames
// with motion in the window, against the share at the same hours of the
// week over the past BaselineWeeks weeks (the baseline), plus the
// nuisance-vehicle rule hits in the window (RuleHitWeight):
//
//	score = (motion_share + Smoothing) / (baseline_share + Smoothing)
//	      + RuleHitWeight × rule_hits
//
// 1 is usual, 3 is three times the usual activity, below 1 is quieter than
// usual. Smoothing (2% of frames) keeps a camera with no history, or a
// quiet one, from scoring infinity on its first movement: with no baseline
// at all, motion in 10% of frames scores 6, not ∞. A window with no
// analysed frames has no motion part (no data is not "quiet"): with no
// rule hits either it scores 0, with hits it scores the hits.
const Smoothing = 0.02

// RuleHitWeight is what each alert of a nuisance-vehicle behaviour rule
// (ANPR repeat passes, dwell, gathering) in the window adds to the score:
// each counts as one more times-usual. A hit is an operator-facing alert
// that a rule judged unusual on its own, so it is not compared with the
// baseline again (BaselineRuleHits is reported beside it). Watch-list hits
// are about a vehicle, not a place, and do not count. The activity alert
// rules (the Evaluator) judge motion only: hotspot scores never feed back
// into the alerts that are counted.
const RuleHitWeight = 1.0

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
	hits, baseHits                      int                 // nuisance-vehicle rule hits
	baseHitWeeks                        [BaselineWeeks]bool // which weeks had any hits
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

// hit adds n rule hits: to the window (week 0) or to baseline week 1 to
// BaselineWeeks.
func (t *tally) hit(n, week int) {
	if week == 0 {
		t.hits += n
		return
	}
	t.baseHits += n
	if n > 0 {
		t.baseHitWeeks[week-1] = true
	}
}

func (t *tally) add(o *tally) {
	t.frames += o.frames
	t.motion += o.motion
	t.objects += o.objects
	t.baseFrames += o.baseFrames
	t.baseMotion += o.baseMotion
	t.baseObjects += o.baseObjects
	t.hits += o.hits
	t.baseHits += o.baseHits
	for i := range BaselineWeeks {
		t.baseWeeks[i] = t.baseWeeks[i] || o.baseWeeks[i]
		t.baseHitWeeks[i] = t.baseHitWeeks[i] || o.baseHitWeeks[i]
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
	return perWeek(t.baseObjects, func(i int) bool { return t.baseWeeks[i] })
}

// baselineRuleHits is the rule hits of a baseline week, on average over
// the weeks that had data: analysed frames or hits (a camera that reads
// plates but has no motion analytics still has weeks).
func (t *tally) baselineRuleHits() float64 {
	return perWeek(t.baseHits, func(i int) bool { return t.baseWeeks[i] || t.baseHitWeeks[i] })
}

// perWeek is total over the baseline weeks that had data.
func perWeek(total int, had func(week int) bool) float64 {
	n := 0
	for i := range BaselineWeeks {
		if had(i) {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(total) / float64(n)
}

func (t *tally) score() float64 {
	s := RuleHitWeight * float64(t.hits)
	if t.frames > 0 {
		s += Score(t.share(), t.baselineShare())
	}
	return s
}
