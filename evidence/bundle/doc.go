// Package bundle reads and writes the police export bundle of
// docs/evidence-format.md (§4 to §6) and verifies one offline: the manifest,
// its signature, the checkpoint, the custody log, the proofs and SHA256SUMS.
//
// Every parser here is strict and bounded: a bundle comes from outside, so
// it is hostile until verified, and a second reading of the same bytes must
// not be possible.
package bundle
