package track

import (
	"image"
	"math"
)

func (st *trackState) add(o Observation) {
	if len(st.obs) == 0 || o.Conf > st.obs[st.best].Conf {
		if len(st.obs) > 0 {
			st.obs[st.best].Crop, st.obs[st.best].Thumb = nil, nil
		}
		st.best = len(st.obs)
	} else {
		o.Crop, o.Thumb = nil, nil
	}
	st.obs = append(st.obs, o)
	st.lastBox, st.last, st.lastText = o.Box, o.At, o.Text
	st.lengthSum[len(o.Text)] += float64(o.Conf)
}

// passage votes: among the frames that read the plate at the length most
// frames (by confidence) agree on, each character's probabilities are
// averaged with the frames' confidences as weights, then read again.
func (st *trackState) passage(vote Voter) (Passage, bool) {
	n, w := 0, -1.0
	for l, s := range st.lengthSum {
		if s > w || (s == w && l > n) {
			n, w = l, s
		}
	}
	sum := make([][]float32, n)
	var total float32
	frames := 0
	for _, o := range st.obs {
		if len(o.Probs) != n {
			continue
		}
		frames++
		wt := max(o.Conf, 1e-3)
		total += wt
		for i, p := range o.Probs {
			if sum[i] == nil {
				sum[i] = make([]float32, len(p))
			}
			for k := range min(len(p), len(sum[i])) {
				sum[i][k] += wt * p[k]
			}
		}
	}
	if frames == 0 || total == 0 {
		return Passage{}, false
	}
	for i := range sum {
		for k := range sum[i] {
			sum[i][k] /= total
		}
	}
	plain, spaced, confs, ok := vote(sum)
	if !ok {
		return Passage{}, false
	}
	best := st.obs[st.best]
	return Passage{
		Text: spaced, Plain: plain, CharConf: confs, Conf: geoMean(confs),
		First: st.first, Last: st.last, Best: best.At, Frames: len(st.obs),
		Box: best.Box, Direction: direction(st.firstBox, st.lastBox),
		Crop: best.Crop, Thumb: best.Thumb,
	}, true
}

// direction is which way a plate moved from box a to box b: across the
// picture if it moved more than its own width sideways, else towards or
// away by how much it grew or shrank.
func direction(a, b image.Rectangle) string {
	ca, cb := centre(a), centre(b)
	dx := cb.X - ca.X
	if w := float64(max(a.Dx(), b.Dx())); w > 0 && (dx > w || -dx > w) {
		if dx > 0 {
			return "left-to-right"
		}
		return "right-to-left"
	}
	if a.Dx() > 0 {
		switch g := float64(b.Dx()) / float64(a.Dx()); {
		case g > 1.25:
			return "towards"
		case g < 0.8:
			return "away"
		}
	}
	return ""
}

// geoMean is the geometric mean of confidences (0 for none).
func geoMean(c []float32) float32 {
	if len(c) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range c {
		s += math.Log(float64(v) + 1e-6)
	}
	return float32(math.Exp(s / float64(len(c))))
}
