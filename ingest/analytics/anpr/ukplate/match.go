package ukplate

// Wildcard reports whether text matches pattern, both compared in normal
// form: * stands for any run of characters (also none), ? for one.
func Wildcard(pattern, text string) bool {
	p, t := Normalize(pattern), Normalize(text)
	// Iterative glob with one backtrack point: linear in practice, and no
	// pattern can make it blow up.
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// Confusions are the pairs of characters a plate reader mistakes for each
// other, and what a substitution between them costs in Distance (1 for
// any other pair).
var Confusions = map[[2]byte]float64{
	{'0', 'O'}: 0.2, {'0', 'D'}: 0.3, {'O', 'D'}: 0.3, {'0', 'Q'}: 0.4, {'O', 'Q'}: 0.3,
	{'1', 'I'}: 0.2, {'1', 'L'}: 0.6, {'1', '7'}: 0.5, {'I', 'L'}: 0.6, {'1', 'T'}: 0.6,
	{'5', 'S'}: 0.2, {'8', 'B'}: 0.2, {'2', 'Z'}: 0.2, {'6', 'G'}: 0.3, {'4', 'A'}: 0.4,
	{'7', 'T'}: 0.4, {'3', 'B'}: 0.5, {'8', 'S'}: 0.6, {'6', 'B'}: 0.6, {'8', '3'}: 0.6,
	{'E', 'F'}: 0.5, {'U', 'V'}: 0.4, {'K', 'X'}: 0.5, {'M', 'N'}: 0.5, {'H', 'N'}: 0.5,
	{'C', 'G'}: 0.5, {'P', 'R'}: 0.5, {'W', 'V'}: 0.5, {'Y', 'V'}: 0.6, {'J', 'U'}: 0.6,
}

// subCost is the cost of reading b where a was.
func subCost(a, b byte) float64 {
	if a == b {
		return 0
	}
	if c, ok := Confusions[[2]byte{a, b}]; ok {
		return c
	}
	if c, ok := Confusions[[2]byte{b, a}]; ok {
		return c
	}
	return 1
}

// Distance is the edit distance between two marks in normal form, where
// swapping characters a reader confuses (0/O, 8/B, 5/S ...) costs less than
// 1, and any other substitution, insertion or deletion costs 1. Marks of
// up to a few dozen characters only: it is quadratic.
func Distance(a, b string) float64 {
	a, b = Normalize(a), Normalize(b)
	prev := make([]float64, len(b)+1)
	cur := make([]float64, len(b)+1)
	for j := range prev {
		prev[j] = float64(j)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = float64(i)
		for j := 1; j <= len(b); j++ {
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+subCost(a[i-1], b[j-1]))
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
