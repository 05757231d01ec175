package ukplate

import (
	"math/rand/v2"
	"strings"
)

// Format is one fixed-length layout of a mark: its groups (a space between
// them on the plate) of per-position character classes.
type Format struct {
	Name   string    // current, prefix, suffix, dateless, northern-ireland
	Groups [][]Class // e.g. current: [area areaOffice digit digit] [randomLetter ×3]
	// Prior is how common marks of this layout are on the road, among all
	// layouts (the variants of a family share their family's share).
	Prior float64
	// niCheck: a Northern Ireland mark has I or Z among its last two letters.
	niCheck bool
}

// Len is the number of characters of a mark in f.
func (f Format) Len() int {
	n := 0
	for _, g := range f.Groups {
		n += len(g)
	}
	return n
}

// classes is f's classes in mark order.
func (f Format) classes() []Class {
	out := make([]Class, 0, 8)
	for _, g := range f.Groups {
		out = append(out, g...)
	}
	return out
}

// Matches reports whether the normal-form text is a mark in f.
func (f Format) Matches(text string) bool {
	cs := f.classes()
	if len(text) != len(cs) {
		return false
	}
	for i, c := range cs {
		if !c.Has(text[i]) {
			return false
		}
	}
	return !f.niCheck || niOK(text, f)
}

// Spaced puts the group space into a normal-form mark of f.
func (f Format) Spaced(text string) string {
	if len(text) != f.Len() || len(f.Groups) < 2 {
		return text
	}
	var b strings.Builder
	i := 0
	for gi, g := range f.Groups {
		if gi > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(text[i : i+len(g)])
		i += len(g)
	}
	return b.String()
}

// niLetters is where a Northern Ireland mark's I or Z may be: the last two
// of its letters.
func niLetters(f Format) (int, int) {
	n := len(f.Groups[0])
	return n - 2, n - 1
}

func niOK(text string, f Format) bool {
	a, b := niLetters(f)
	return strings.ContainsRune("IZ", rune(text[a])) || strings.ContainsRune("IZ", rune(text[b]))
}

// Random is a random mark in f, with its group space.
func Random(rng *rand.Rand, f Format) string {
	cs := f.classes()
	b := make([]byte, len(cs))
	for i, c := range cs {
		chars := c.Chars()
		b[i] = chars[rng.IntN(len(chars))]
	}
	if f.niCheck && !niOK(string(b), f) {
		a, _ := niLetters(f)
		b[a+rng.IntN(2)] = "IZ"[rng.IntN(2)]
	}
	return f.Spaced(string(b))
}

// Match is the most common format the normal-form text is a mark in.
func Match(text string) (Format, bool) {
	var best Format
	found := false
	for _, f := range Formats {
		if f.Matches(text) && (!found || f.Prior > best.Prior) {
			best, found = f, true
		}
	}
	return best, found
}

// Valid reports whether s (in any spacing and case) is a UK mark.
func Valid(s string) bool {
	_, ok := Match(Normalize(s))
	return ok
}
