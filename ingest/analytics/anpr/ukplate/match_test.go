package ukplate

import (
	"regexp"
	"strings"
	"testing"
)

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		pattern, text string
		want          bool
	}{
		{"AB12*", "AB12 CDE", true},
		{"*CDE", "AB12 CDE", true},
		{"*cde", "ab12cde", true},
		{"A?12*", "AB12CDE", true},
		{"AB12CDE", "AB12 CDE", true},
		{"AB12*", "AC12CDE", false},
		{"*", "", true},
		{"", "A", false},
		{"?", "", false},
		{"**X*", "AB12CDE", false},
		{"*1*2*", "AB12CDE", true},
		{"A*A*A*A*A*A*A*B", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
	} {
		if got := Wildcard(tc.pattern, tc.text); got != tc.want {
			t.Errorf("Wildcard(%q, %q) = %v, want %v", tc.pattern, tc.text, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"AB12CDE", "AB12 CDE", 0},
		{"AB12CDE", "A812CDE", 0.2},
		{"AB12CDE", "AB12CXE", 1},
		{"AB12CDE", "AB12CD", 1},
		{"AB12CDE", "XAB12CDE", 1},
		{"AB10CDE", "ABIOCDE", 0.4},
		{"", "", 0},
		{"", "ABC", 3},
	} {
		if got := Distance(tc.a, tc.b); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("Distance(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if Distance(tc.a, tc.b) != Distance(tc.b, tc.a) {
			t.Errorf("Distance(%q, %q) is not symmetric", tc.a, tc.b)
		}
	}
}

// FuzzWildcard checks the glob against a regular expression doing the same
// (search patterns come from users).
func FuzzWildcard(f *testing.F) {
	f.Add("AB12*", "AB12CDE")
	f.Add("*C?E", "AB12CDE")
	f.Add("a*b*?", "AXBY")
	f.Fuzz(func(t *testing.T, pattern, text string) {
		if len(pattern) > 64 || len(text) > 64 {
			return
		}
		got := Wildcard(pattern, text)
		var re strings.Builder
		re.WriteString("^")
		for _, r := range Normalize(pattern) {
			switch r {
			case '*':
				re.WriteString("(?s:.*)")
			case '?':
				re.WriteString("(?s:.)")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		// The glob works on bytes; keep to patterns and texts where bytes are runes.
		p, tx := Normalize(pattern), Normalize(text)
		if !isASCII(p) || !isASCII(tx) {
			return
		}
		if want := regexp.MustCompile(re.String()).MatchString(tx); got != want {
			t.Fatalf("Wildcard(%q, %q) = %v, regexp says %v", pattern, text, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
