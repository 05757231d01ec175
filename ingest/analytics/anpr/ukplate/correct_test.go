package ukplate

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// guess is one position of a reader's output: the probabilities it puts on
// a few characters ("_" is Reject); the rest share what is left.
type guess map[string]float32

func probsOf(gs ...guess) [][]float32 {
	out := make([][]float32, len(gs))
	for i, g := range gs {
		p := make([]float32, Reject+1)
		left := float32(1)
		for ch, v := range g {
			idx := Reject
			if ch != "_" {
				idx = strings.Index(Alphabet, ch)
			}
			p[idx] = v
			left -= v
		}
		for j := range p {
			if p[j] == 0 {
				p[j] = max(left, 0) / float32(Reject+1-len(g))
			}
		}
		out[i] = p
	}
	return out
}

// sure is a reading of text with every character at probability 0.97.
func sure(text string) []guess {
	var gs []guess
	for _, ch := range Normalize(text) {
		gs = append(gs, guess{string(ch): 0.97})
	}
	return gs
}

func TestCorrect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []guess
		want  string
		valid bool
	}{
		{"clean", sure("AB12CDE"), "AB12 CDE", true},
		{"8 where a letter must be", append(append(sure("A"), guess{"8": 0.6, "B": 0.35}), sure("12CDE")...), "AB12 CDE", true},
		{"O where a digit must be", append(append(sure("AB1"), guess{"O": 0.7, "0": 0.25}), sure("CDE")...), "AB10 CDE", true},
		{"5 and 2 in the letters", append(sure("AB12C"), guess{"5": 0.55, "S": 0.4}, guess{"2": 0.6, "Z": 0.3}), "AB12 CSZ", true},
		{"1 where I cannot be, I where 1 cannot", append(append(sure("P"), guess{"I": 0.8, "1": 0.15}), sure("23ABC")...), "P123 ABC", true},
		{"a screw read as reject", append(append([]guess{{"_": 0.9}}, sure("AB12CDE")...), guess{"_": 0.8}), "AB12 CDE", true},
		{"a stray blob read as a weak character", append(sure("AB12CDE"), guess{"1": 0.3, "I": 0.3}), "AB12 CDE", true},
		{"Northern Ireland: Z read as 2", append(sure("AB"), append([]guess{{"2": 0.6, "Z": 0.3}}, sure("1234")...)...), "ABZ 1234", true},
		{"suffix mark", sure("ABC123D"), "ABC 123D", true},
		{"no layout fits", sure("AB12CD"), "", false},
		{"nothing", nil, "", false},
		{"far too many blobs", sure("AB12CDEAB12CDE"), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := CorrectDetail(probsOf(tc.in...))
			if ok != tc.valid || r.Text != tc.want {
				t.Fatalf("CorrectDetail = %q (ok %v), want %q (ok %v)", r.Text, ok, tc.want, tc.valid)
			}
			if !ok {
				return
			}
			if len(r.CharConf) != len(r.Plain) || r.Conf <= 0 || r.Conf > 1 {
				t.Errorf("confidences %v / %v for %q", r.CharConf, r.Conf, r.Plain)
			}
			if !r.Format.Matches(r.Plain) {
				t.Errorf("%q does not match its format %s", r.Plain, r.Format.Name)
			}
		})
	}
}

// TestCorrectDroppedPositions: the positions left out are the not-characters.
func TestCorrectDroppedPositions(t *testing.T) {
	in := append(append([]guess{{"_": 0.9}}, sure("AB12CDE")...), guess{"7": 0.2})
	r, ok := CorrectDetail(probsOf(in...))
	if !ok || r.Plain != "AB12CDE" || len(r.Dropped) != 2 || r.Dropped[0] != 0 || r.Dropped[1] != 8 {
		t.Fatalf("got %+v ok %v", r, ok)
	}
}

// TestCorrectNoisyRandomMarks: marks of every format, read with a confusable
// character given more weight than the right one at a position that only one
// of the two is allowed at, come back right (unless the misreading is itself
// a valid mark).
func TestCorrectNoisyRandomMarks(t *testing.T) {
	swap := map[byte]byte{'0': 'O', 'O': '0', '1': 'I', 'I': '1', '5': 'S', 'S': '5', '8': 'B', 'B': '8', '2': 'Z', 'Z': '2'}
	rng := rand.New(rand.NewPCG(7, 8))
	tried := 0
	for _, f := range Formats {
		if f.Name != "current" {
			// Older layouts can lose to a current mark one flip away:
			// rightly, since current marks are far more common.
			continue
		}
		for range 300 {
			mark := Normalize(Random(rng, f))
			gs := sure(mark)
			misread := []byte(mark)
			for i := range mark {
				if w, ok := swap[mark[i]]; ok {
					gs[i] = guess{string(w): 0.6, string(mark[i]): 0.38}
					misread[i] = w
				}
			}
			if Valid(string(misread)) {
				continue // a valid mark misread as another valid mark: nothing can tell
			}
			tried++
			r, ok := CorrectDetail(probsOf(gs...))
			if !ok || r.Plain != mark {
				t.Fatalf("%s: read %q (ok %v), want %q", f.Name, r.Plain, ok, mark)
			}
		}
	}
	if tried < 100 {
		t.Fatalf("only %d marks tried", tried)
	}
}
