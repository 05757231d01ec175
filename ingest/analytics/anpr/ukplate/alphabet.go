package ukplate

import "strings"

// Alphabet is the reader's character classes, in the order of the
// recogniser's outputs. A further output, index Reject, means "not a
// character".
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Reject is the index of the recogniser's "not a character" output.
const Reject = len(Alphabet)

// Class is a set of characters allowed at one position of a format: bit i
// is Alphabet[i].
type Class uint64

// classOf is the class holding exactly the characters of s.
func classOf(s string) Class {
	var c Class
	for _, r := range s {
		if i := strings.IndexRune(Alphabet, r); i >= 0 {
			c |= 1 << i
		}
	}
	return c
}

// without is c less the characters of s.
func (c Class) without(s string) Class { return c &^ classOf(s) }

// Has reports whether c allows the character ch.
func (c Class) Has(ch byte) bool {
	i := strings.IndexByte(Alphabet, ch)
	return i >= 0 && c&(1<<i) != 0
}

// Chars lists the characters c allows, in alphabet order.
func (c Class) Chars() string {
	var b strings.Builder
	for i := 0; i < len(Alphabet); i++ {
		if c&(1<<i) != 0 {
			b.WriteByte(Alphabet[i])
		}
	}
	return b.String()
}

var (
	digit  = classOf("0123456789")
	letter = classOf("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	// nonZero is a leading digit of a serial number (no 0 at the front).
	nonZero = classOf("123456789")
	// gbLetter: I, Q and Z were never issued in GB marks' letter groups
	// (I and Z mark Northern Ireland).
	gbLetter = letter.without("IQZ")
	// randomLetter is the last three letters of a current mark: any but I and Q.
	randomLetter = letter.without("IQ")
	// yearLetter is a prefix or suffix mark's year letter: I, O, Q, U and Z were not used.
	yearLetter = letter.without("IOQUZ")
	// area is the first letter of a current mark's memory tag (DVLA regions).
	area = classOf("ABCDEFGHKLMNOPRSVWY")
	// areaOffice is the second letter of the memory tag: any but I, Q and Z.
	areaOffice = letter.without("IQZ")
	// niLetter is a letter of a Northern Ireland mark (Q is not used).
	niLetter = letter.without("Q")
)

// Normalize is the normal form of a mark: upper case, with spaces, dashes
// and dots removed.
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-', '.', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
