package analytics

import (
	"fmt"
	"math"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Tamper thresholds, on the tiny (tamperWidth-wide) picture, where the
// area averaging has taken most sensor noise out.
const (
	tamperWidth = 160
	// coveredStdDev: a lens under a hand, tape or paint shows an almost
	// uniform picture, whatever its brightness.
	coveredStdDev = 6.0
	// defocusRatio: sharpness (mean squared gradient) below this share of
	// the camera's usual sharpness is a blurred view.
	defocusRatio = 0.35
	// movedNCC: the edges of the view no longer line up with the reference
	// (normalised cross-correlation of gradient magnitudes).
	movedNCC = 0.45
	// frozenDiff: mean absolute change between pictures below this is no
	// change at all. A live camera's sensor noise alone changes pictures by
	// 0.3 or more (the simulator's faintest noise: 0.4); a frozen picture
	// re-encoded changes by well under 0.1 between keyframes, as the encoder
	// refines it.
	frozenDiff = 0.15
	// clearAfter: a condition must be gone this long before its event ends.
	clearAfter = 2 * time.Second
)

// The tamper kinds in order of precedence: a covered lens is also
// "blurred" and "moved", so only the first condition that holds is reported.
const (
	covered = iota
	frozen
	defocused
	moved
	tamperKindCount
)

var tamperKinds = [tamperKindCount]string{store.EventTamperCovered, store.EventTamperFrozen, store.EventTamperDefocused, store.EventTamperMoved}

// condition tracks one tamper kind over time.
type condition struct {
	after   time.Duration
	since   time.Time // when it began to hold; zero when it does not
	clearAt time.Time // when it stopped holding while active
	active  bool
	worst   float64
}

// tamperChange is one tamper event starting or ending.
type tamperChange struct {
	kind    string
	started bool // false: ended
	start   time.Time
	at      time.Time
	measure float64
	detail  string
}

// tamper watches a camera's view for being covered, frozen, defocused or
// moved, against a reference learnt from its own pictures.
type tamper struct {
	w, h  int
	conds [tamperKindCount]condition
	// short is a running average of the picture over a few seconds (moving
	// objects fade out of it); ref is the slow reference view, learnt only
	// while nothing is wrong.
	short, ref []float32
	last       []byte    // the previous picture, for frozen
	stillSince time.Time // since when no picture changed; zero while they do
	refSharp   float64
	relearn    time.Duration
	gradA      []float32
	gradB      []float32
	changes    []tamperChange
	// steerUntil: the camera is being steered until then (a PTZ dome).
	steerUntil time.Time
}

// steered says the camera is being steered until until: its view is meant
// to change, so it is not judged moved until it settles, and the view it
// settles on becomes the reference.
func (t *tamper) steered(until time.Time) {
	if until.After(t.steerUntil) {
		t.steerUntil = until
	}
}

func newTamper(cfg Config, w, h int) *tamper {
	t := &tamper{w: w, h: h, relearn: cfg.RelearnAfter}
	t.conds[covered].after = cfg.CoveredAfter
	t.conds[frozen].after = cfg.FrozenAfter
	t.conds[defocused].after = cfg.DefocusAfter
	t.conds[moved].after = cfg.MovedAfter
	return t
}

// observe takes one tiny gray picture (w×h bytes) at time now, about once
// a second, and returns the events that started or ended (reused on the
// next call).
func (t *tamper) observe(px []byte, now time.Time) []tamperChange {
	t.changes = t.changes[:0]
	n := t.w * t.h
	if len(px) < n {
		return t.changes
	}
	px = px[:n]
	first := t.short == nil
	if first {
		t.short, t.ref = make([]float32, n), make([]float32, n)
		t.gradA, t.gradB = make([]float32, n), make([]float32, n)
		for i, v := range px {
			t.short[i], t.ref[i] = float32(v), float32(v)
		}
	}
	for i, v := range px {
		t.short[i] += 0.3 * (float32(v) - t.short[i])
	}
	stdDev := stdDev(px)
	sharp := gradients(t.short, t.w, t.h, t.gradA)
	gradients(t.ref, t.w, t.h, t.gradB)
	corr := ncc(t.gradA, t.gradB)
	if first || t.refSharp == 0 {
		t.refSharp = sharp
	}

	if !t.steerUntil.IsZero() {
		if !now.Before(t.steerUntil) {
			// Settled where it was steered: that is the view now.
			for i, v := range px {
				t.short[i], t.ref[i] = float32(v), float32(v)
			}
			t.refSharp = gradients(t.ref, t.w, t.h, t.gradB)
			t.steerUntil = time.Time{}
		}
		corr = 1
	}
	// Each kind's condition, and its measure (lower is worse; frozen has
	// none beyond holding).
	holds := [tamperKindCount]bool{
		covered:   stdDev < coveredStdDev,
		frozen:    !t.stillSince.IsZero(),
		defocused: t.refSharp > 0 && sharp < defocusRatio*t.refSharp,
		moved:     corr < movedNCC,
	}
	measure := [tamperKindCount]float64{covered: stdDev, defocused: sharp / max(t.refSharp, 1e-9), moved: corr}
	anyWrong := false
	shadowed := false // a condition of higher precedence holds
	for k := range tamperKindCount {
		c := &t.conds[k]
		t.step(k, c, holds[k] && !shadowed, now, measure[k])
		shadowed = shadowed || holds[k]
		anyWrong = anyWrong || holds[k] || c.active
	}
	if mv := &t.conds[moved]; mv.active && now.Sub(mv.since) >= t.relearn {
		// A view that stays moved is the new view: learn it, and end the event.
		copy(t.ref, t.short)
		t.refSharp = sharp
		t.changes = append(t.changes, tamperChange{kind: store.EventTamperMoved, start: mv.since, at: now, measure: mv.worst,
			detail: fmt.Sprintf("the view stayed moved for %v and is now the reference", t.relearn)})
		*mv = condition{after: mv.after}
		return t.changes
	}
	if !anyWrong {
		// Learn slowly (a time constant of about 5 minutes at one look a
		// second), so that a parked car or a change of light becomes part of
		// the view.
		for i, v := range t.short {
			t.ref[i] += 0.003 * (v - t.ref[i])
		}
		t.refSharp += 0.003 * (sharp - t.refSharp)
	}
	return t.changes
}

// still takes every analysed picture (w×h bytes) to see whether the picture
// has stopped changing. A keyframe neither proves nor disproves it: a
// frozen camera's encoder codes the same picture again at each keyframe,
// slightly differently.
func (t *tamper) still(px []byte, keyframe bool, now time.Time) {
	n := t.w * t.h
	if len(px) < n {
		return
	}
	if t.last == nil {
		t.last = make([]byte, n)
		copy(t.last, px[:n])
		return
	}
	if !keyframe {
		if meanAbsDiff(px[:n], t.last) < frozenDiff {
			if t.stillSince.IsZero() {
				t.stillSince = now
			}
		} else {
			t.stillSince = time.Time{}
		}
	}
	copy(t.last, px[:n])
}

// step advances the condition of kind k.
func (t *tamper) step(k int, c *condition, holds bool, now time.Time, measure float64) {
	if holds {
		c.clearAt = time.Time{}
		if c.since.IsZero() {
			c.since, c.worst = now, measure
			if k == frozen {
				c.since = t.stillSince // it began with the first unchanged picture
			}
		}
		c.worst = min(c.worst, measure) // every measure here is "lower is worse"
		if !c.active && now.Sub(c.since) >= c.after {
			c.active = true
			t.changes = append(t.changes, tamperChange{kind: tamperKinds[k], started: true, start: c.since, at: now, measure: c.worst})
		}
		return
	}
	if !c.active {
		c.since = time.Time{}
		return
	}
	if c.clearAt.IsZero() {
		c.clearAt = now
	}
	if now.Sub(c.clearAt) >= clearAfter {
		t.changes = append(t.changes, tamperChange{kind: tamperKinds[k], start: c.since, at: c.clearAt, measure: c.worst})
		*c = condition{after: c.after}
	}
}

func stdDev(px []byte) float64 {
	var s, s2 float64
	for _, v := range px {
		f := float64(v)
		s += f
		s2 += f * f
	}
	n := float64(len(px))
	mean := s / n
	return math.Sqrt(max(0, s2/n-mean*mean))
}

// gradients writes the gradient magnitude (central differences) of a w×h
// picture into out and returns the mean squared gradient: the sharpness.
func gradients(px []float32, w, h int, out []float32) float64 {
	clear(out)
	var sum float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			gx := px[i+1] - px[i-1]
			gy := px[i+w] - px[i-w]
			g2 := gx*gx + gy*gy
			out[i] = float32(math.Sqrt(float64(g2)))
			sum += float64(g2)
		}
	}
	return sum / float64((w-2)*(h-2))
}

// ncc is the normalised cross-correlation of two pictures of one size.
func ncc(a, b []float32) float64 {
	var sa, sb float64
	for i := range a {
		sa += float64(a[i])
		sb += float64(b[i])
	}
	n := float64(len(a))
	ma, mb := sa/n, sb/n
	var num, da, db float64
	for i := range a {
		x, y := float64(a[i])-ma, float64(b[i])-mb
		num += x * y
		da += x * x
		db += y * y
	}
	if da == 0 || db == 0 {
		return 0
	}
	return num / math.Sqrt(da*db)
}

func meanAbsDiff(a, b []byte) float64 {
	var s int
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return float64(s) / float64(len(a))
}
