package track

import (
	"image"
	"math"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// Observation is one plate read in one frame.
type Observation struct {
	At   time.Time
	Box  image.Rectangle // in frame pixels
	Text string          // the frame's own reading, normal form
	Conf float32
	// Probs is the recogniser's probabilities for each character of Text,
	// in order (len(Probs) == len(Text)), over ukplate.Alphabet and
	// optionally Reject.
	Probs [][]float32
	// Crop and Thumb are the plate and vehicle pictures of this frame; a
	// passage keeps those of its surest frame only.
	Crop, Thumb image.Image
}

// Passage is one vehicle's passage: the vote of its frames.
type Passage struct {
	Text     string    // spaced, as on the plate
	Plain    string    // normal form
	CharConf []float32 // per character, after the vote
	Conf     float32
	First    time.Time
	Last     time.Time
	Best     time.Time // the surest frame's time
	Frames   int       // frames that read the plate
	Box      image.Rectangle
	// Direction is the way the plate moved across the picture:
	// left-to-right, right-to-left, towards, away, or "" when it hardly moved.
	Direction   string
	Crop, Thumb image.Image
}

// Voter turns per-character probabilities into a reading; ok is false
// when they make no plate. VoteUK is the default.
type Voter func(probs [][]float32) (plain, spaced string, charConf []float32, ok bool)

// VoteUK reads probabilities as a UK mark (ukplate.CorrectDetail).
func VoteUK(probs [][]float32) (string, string, []float32, bool) {
	r, ok := ukplate.CorrectDetail(probs)
	return r.Plain, r.Text, r.CharConf, ok
}

// VoteAny reads probabilities as the likeliest character at each position,
// "not a character" left out (region any: no syntax to correct against).
func VoteAny(probs [][]float32) (string, string, []float32, bool) {
	var b []byte
	var confs []float32
	for _, p := range probs {
		best := 0
		for k := range min(len(p), ukplate.Reject+1) {
			if p[k] > p[best] {
				best = k
			}
		}
		if best >= len(ukplate.Alphabet) {
			continue
		}
		b = append(b, ukplate.Alphabet[best])
		confs = append(confs, p[best])
	}
	return string(b), string(b), confs, len(b) >= 2
}

// Tracker follows the plates of one camera.
type Tracker struct {
	// MaxGap ends a track not seen for this long (default 1.5 s): the
	// vehicle has gone, or stopped being readable.
	MaxGap time.Duration
	// MinFrames is the frames a passage needs, unless its one frame is
	// surer than SureConf (defaults 2 and 0.9): a lone doubtful read is
	// more often a sign or a shadow than a car.
	MinFrames int
	SureConf  float32
	// MaxTracks bounds the open tracks (default 32); past it the oldest
	// is closed early.
	MaxTracks int
	Vote      Voter

	open   []*trackState
	closed []Passage // passages emitted lately: what a fragment is checked against
}

type trackState struct {
	obs       []Observation // the crops and thumbs of all but the surest are dropped
	best      int
	firstBox  image.Rectangle
	lastBox   image.Rectangle
	first     time.Time
	last      time.Time
	lastText  string
	lengthSum map[int]float64 // confidence by reading length: the vote's length
	// after is the passage this track took up again, when the plate came
	// back where it was lost soon after (hidden by another vehicle): the
	// same plate then is not a passage of its own.
	after *Passage
}

func (t *Tracker) defaults() {
	if t.MaxGap <= 0 {
		t.MaxGap = 1500 * time.Millisecond
	}
	if t.MinFrames <= 0 {
		t.MinFrames = 2
	}
	if t.SureConf <= 0 {
		t.SureConf = 0.9
	}
	if t.MaxTracks <= 0 {
		t.MaxTracks = 32
	}
	if t.Vote == nil {
		t.Vote = VoteUK
	}
}

// Add feeds the plates read in one frame at time now, and returns the
// passages that ended by then.
func (t *Tracker) Add(now time.Time, obs []Observation) []Passage {
	t.defaults()
	// Tracks gone quiet end first, so that a plate seen again after the
	// gap starts a new passage.
	var done []Passage
	for i := 0; i < len(t.open); {
		if now.Sub(t.open[i].last) > t.MaxGap {
			done = t.closeAt(i, done)
			continue
		}
		i++
	}
	taken := make([]bool, len(t.open))
	for _, o := range obs {
		if len(o.Probs) != len(o.Text) || len(o.Text) == 0 {
			continue
		}
		if i := t.nearest(o, taken); i >= 0 {
			taken[i] = true
			t.open[i].add(o)
			continue
		}
		if len(t.open) >= t.MaxTracks {
			done = t.closeAt(0, done)
			taken = taken[1:]
		}
		st := &trackState{firstBox: o.Box, first: o.At, lengthSum: map[int]float64{}, after: t.resumes(o)}
		st.add(o)
		t.open = append(t.open, st)
		taken = append(taken, true)
	}
	return done
}

// Flush ends every open track (the camera stopped).
func (t *Tracker) Flush() []Passage {
	t.defaults()
	var done []Passage
	for len(t.open) > 0 {
		done = t.closeAt(0, done)
	}
	return done
}

// Open is the number of plates being followed.
func (t *Tracker) Open() int { return len(t.open) }

func (t *Tracker) closeAt(i int, done []Passage) []Passage {
	st := t.open[i]
	t.open = append(t.open[:i], t.open[i+1:]...)
	p, ok := st.passage(t.Vote)
	if !ok || (p.Frames < t.MinFrames && p.Conf < t.SureConf) || t.fragment(p) ||
		(st.after != nil && st.after.Plain == p.Plain) {
		return done
	}
	// Keep the passages of the last few gaps, for fragments closing later.
	keep := t.closed[:0]
	for _, q := range t.closed {
		if p.Last.Sub(q.Last) <= 4*t.MaxGap {
			keep = append(keep, q)
		}
	}
	t.closed = append(keep, p)
	return append(done, p)
}

// ReappearWithin is how soon after its passage ended a plate seen again
// near where it was lost continues that passage rather than starting one:
// long enough for a vehicle hidden by another to come out from behind it.
const ReappearWithin = 5 * time.Second

// resumes is the recent passage o takes up again, or nil: the same plate,
// seen again within ReappearWithin, near where it was lost.
func (t *Tracker) resumes(o Observation) *Passage {
	for i := len(t.closed) - 1; i >= 0; i-- {
		q := &t.closed[i]
		if q.Plain != o.Text || o.At.Sub(q.Last) > ReappearWithin || o.At.Before(q.Last) {
			continue
		}
		c, lc := centre(o.Box), centre(q.Box)
		w := float64(max(o.Box.Dx(), q.Box.Dx()))
		// Hidden, it went on its way: ahead of where it was lost, not back
		// where it came in (a new pass), and not far.
		switch q.Direction {
		case "left-to-right":
			if c.X < lc.X-w {
				continue
			}
		case "right-to-left":
			if c.X > lc.X+w {
				continue
			}
		}
		if math.Hypot(c.X-lc.X, c.Y-lc.Y) <= w*(3+5*o.At.Sub(q.Last).Seconds()) {
			return q
		}
	}
	return nil
}

// fragment reports whether p is part of another plate read at the same
// time beside it: a plate whose two groups the reader saw apart in some
// frames ("YK 19" and "9 RXT" of YK19 RXT) makes short valid-looking marks
// that are not vehicles of their own.
func (t *Tracker) fragment(p Passage) bool {
	near := func(text string, box image.Rectangle, first, last time.Time) bool {
		if len(text) <= len(p.Plain) || !strings.Contains(text, p.Plain) ||
			p.First.After(last.Add(t.MaxGap)) || first.After(p.Last.Add(t.MaxGap)) {
			return false
		}
		c, o := centre(p.Box), centre(box)
		return math.Hypot(c.X-o.X, c.Y-o.Y) <= float64(max(box.Dx(), p.Box.Dx()))*3
	}
	for _, st := range t.open {
		if near(st.lastText, st.lastBox, st.first, st.last) {
			return true
		}
	}
	for _, q := range t.closed {
		if near(q.Plain, q.Box, q.First, q.Last) {
			return true
		}
	}
	return false
}

// nearest is the open track o continues, or -1: the closest one not yet
// given a read in this frame whose plate is near enough, where the
// nearness allowed grows with the plate's size and with the time since
// it was last seen, and whose text is not clearly another plate's.
func (t *Tracker) nearest(o Observation, taken []bool) int {
	best, bestD := -1, math.Inf(1)
	c := centre(o.Box)
	for i, st := range t.open {
		if taken[i] {
			continue
		}
		textD := ukplate.Distance(o.Text, st.lastText)
		if textD > 2.5 {
			continue
		}
		lc := centre(st.lastBox)
		d := math.Hypot(c.X-lc.X, c.Y-lc.Y)
		secs := max(o.At.Sub(st.last).Seconds(), 0.04)
		// A vehicle crosses a picture in a second or two: allow a few
		// plate widths per 100 ms, and any distance for the same text.
		reach := float64(max(o.Box.Dx(), st.lastBox.Dx())) * (2 + 30*secs)
		if d > reach && textD > 0 {
			continue
		}
		if score := d/reach + textD; score < bestD {
			best, bestD = i, score
		}
	}
	return best
}

type point struct{ X, Y float64 }

func centre(r image.Rectangle) point {
	return point{float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2}
}
