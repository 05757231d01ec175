package ukplate

import (
	"math"
	"slices"
	"strings"
)

// Reading is the most likely valid mark behind a reader's per-character
// guesses.
type Reading struct {
	Text     string    // with its group space: "AB12 CDE"
	Plain    string    // normal form: "AB12CDE"
	CharConf []float32 // the probability of each chosen character
	Conf     float32   // their geometric mean
	Format   Format
	// Dropped is the positions of the input left out: not characters
	// (screws, dirt, a border piece the segmenter took for one).
	Dropped []int
}

// floor keeps a zero probability from making a reading impossible: the
// recogniser is sure of nothing to better than this.
const floor = 1e-4

// minChar is the least probability a character of a reading may have: a
// format that needs a character the recogniser all but ruled out does
// not fit.
const minChar = 0.01

// rejectDrop is the "not a character" probability above which a position
// is left out before any format is tried.
const rejectDrop = 0.5

// maxPositions bounds the work of one correction: no mark has more than 7
// characters, so more than a couple of extra blobs is not a plate.
const maxPositions = 10

// Correct is CorrectDetail's text (spaced), confidence and format.
func Correct(probs [][]float32) (text string, conf float32, f Format, ok bool) {
	r, ok := CorrectDetail(probs)
	return r.Text, r.Conf, r.Format, ok
}

// CorrectDetail picks the most likely valid UK mark given, for each
// character position left to right, the recogniser's probabilities over
// Alphabet (and optionally the Reject class after it). Each position is
// read only as a character its format allows there, so a 0 read where a
// letter must be becomes the likeliest letter (O or D), a B where a digit
// must be the likeliest digit (8): the correction is position-aware
// because it comes from the format, not from a fixed table. Formats are
// weighed by how common they are, and one position may be dropped as
// not a character (at a cost that depends on how sure the recogniser was
// it was one). ok is false when no format fits.
func CorrectDetail(probs [][]float32) (Reading, bool) {
	if len(probs) > maxPositions {
		return Reading{}, false
	}
	var keep []int
	for i, p := range probs {
		if len(p) > Reject && p[Reject] > rejectDrop {
			continue
		}
		keep = append(keep, i)
	}
	best, bestScore, found := Reading{}, math.Inf(-1), false
	try := func(idx []int, cost float64) {
		for _, f := range Formats {
			if f.Len() != len(idx) {
				continue
			}
			text, confs, s := fit(f, probs, idx)
			if slices.Min(confs) < minChar {
				continue
			}
			s += cost + math.Log(f.Prior)
			if s > bestScore {
				best, bestScore, found = reading(f, text, confs, probs, idx), s, true
			}
		}
	}
	try(keep, 0)
	for j := range keep {
		idx := append(append([]int(nil), keep[:j]...), keep[j+1:]...)
		try(idx, dropCost(probs[keep[j]]))
	}
	return best, found
}

// fit reads the positions idx of probs as a mark in f: the likeliest
// allowed character at each, and the log-likelihood of the whole.
func fit(f Format, probs [][]float32, idx []int) (string, []float32, float64) {
	cs := f.classes()
	b := make([]byte, len(cs))
	confs := make([]float32, len(cs))
	score := 0.0
	for i, c := range cs {
		ch, p := bestIn(probs[idx[i]], c)
		b[i], confs[i] = ch, p
		score += math.Log(float64(p) + floor)
	}
	if f.niCheck && !niOK(string(b), f) {
		// The likeliest way to put an I or Z into one of the last two letters.
		a, z := niLetters(f)
		bestLoss, at, with := math.Inf(1), a, byte('I')
		for _, pos := range []int{a, z} {
			for _, ch := range []byte("IZ") {
				p := probs[idx[pos]][strings.IndexByte(Alphabet, ch)]
				loss := math.Log(float64(confs[pos])+floor) - math.Log(float64(p)+floor)
				if loss < bestLoss {
					bestLoss, at, with = loss, pos, ch
				}
			}
		}
		b[at] = with
		confs[at] = probs[idx[at]][strings.IndexByte(Alphabet, with)]
		score -= bestLoss
	}
	return string(b), confs, score
}

// bestIn is the likeliest character of class c in p.
func bestIn(p []float32, c Class) (byte, float32) {
	var ch byte
	best := float32(-1)
	for i := 0; i < len(Alphabet) && i < len(p); i++ {
		if c&(1<<i) != 0 && p[i] > best {
			ch, best = Alphabet[i], p[i]
		}
	}
	return ch, max(best, 0)
}

// dropCost is the log-likelihood that p is not a character: its Reject
// probability where the recogniser has that class, else a heavy penalty
// on its doubt.
func dropCost(p []float32) float64 {
	if len(p) > Reject {
		return math.Log(float64(p[Reject]) + floor)
	}
	return math.Log(1-float64(maxChar(p))+floor) + math.Log(0.05)
}

// maxChar is the probability of p's likeliest character (not Reject).
func maxChar(p []float32) float32 {
	_, v := bestIn(p, letter|digit)
	return v
}

func reading(f Format, text string, confs []float32, probs [][]float32, idx []int) Reading {
	logSum := 0.0
	for _, c := range confs {
		logSum += math.Log(float64(c) + floor)
	}
	r := Reading{Text: f.Spaced(text), Plain: text, CharConf: confs, Format: f,
		Conf: float32(math.Exp(logSum / float64(len(confs))))}
	used := map[int]bool{}
	for _, i := range idx {
		used[i] = true
	}
	for i := range probs {
		if !used[i] {
			r.Dropped = append(r.Dropped, i)
		}
	}
	return r
}
