// Package evidence will hold the hash-chained evidence log, legal holds,
// police exports and the offline verifier library.
package evidence
