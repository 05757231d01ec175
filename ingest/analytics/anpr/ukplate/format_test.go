package ukplate

import (
	"math/rand/v2"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		in, format string // "" format: not a mark
	}{
		{"AB12 CDE", "current"},
		{"ab12cde", "current"},
		{"LB07 ABC", "current"},
		{"YK19 RXT", "current"},
		{"A123 BCD", "prefix"},
		{"P7 ABC", "prefix"},
		{"ABC 123D", "suffix"},
		{"ABZ 1234", "northern-ireland"},
		{"IA 123", "northern-ireland"},
		{"1234 AB", "dateless"},
		{"A 1", "dateless"},
		{"IB12 CDE", ""},   // no memory tag starts with I
		{"AB12 CDQ", ""},   // Q is never issued in the random letters
		{"AB12 CD", ""},    // letters, digits, letters: no layout
		{"AB0 CDE", ""},    // serial numbers have no leading zero
		{"ABC 1234 D", ""}, // too long for a suffix mark
		{"", ""},
		{"AB12-CDE", "current"},
		{"ÄB12CDE", ""},
	} {
		f, ok := Match(Normalize(tc.in))
		got := ""
		if ok {
			got = f.Name
		}
		if got != tc.format {
			t.Errorf("Match(%q) = %q, want %q", tc.in, got, tc.format)
		}
	}
}

func TestRandomMarksAreValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range Formats {
		for range 200 {
			s := Random(rng, f)
			n := Normalize(s)
			if !f.Matches(n) {
				t.Fatalf("Random(%s) = %q does not match its own format", f.Name, s)
			}
			if f.Spaced(n) != s {
				t.Fatalf("Spaced(%q) = %q, want %q", n, f.Spaced(n), s)
			}
			if !Valid(s) {
				t.Fatalf("Random(%s) = %q is not Valid", f.Name, s)
			}
		}
	}
}

func TestFormatsPriorsSumToOne(t *testing.T) {
	sum := 0.0
	names := map[string]bool{}
	for _, f := range Formats {
		sum += f.Prior
		names[f.Name] = true
		if f.Len() < 2 || f.Len() > 7 {
			t.Errorf("%s has %d characters", f.Name, f.Len())
		}
	}
	if sum < 0.999 || sum > 1.001 {
		t.Errorf("priors sum to %v", sum)
	}
	for _, n := range []string{"current", "prefix", "suffix", "dateless", "northern-ireland"} {
		if !names[n] {
			t.Errorf("no %s format", n)
		}
	}
}
