// Package ukplate knows the syntax of UK registration marks: the formats
// issued in Great Britain (current, prefix, suffix, dateless) and Northern
// Ireland, the characters each position may hold, and how a reader's
// per-character guesses become the most likely valid mark. It also matches
// marks for search: wildcards and a confusion-aware edit distance, since a
// camera confuses 0 with O and 8 with B far more often than 8 with X.
//
// Marks are compared in their normal form: upper case, no spaces.
package ukplate
