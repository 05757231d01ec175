// Package evidence is Vigil's evidence locker: an append-only, hash-chained
// log of every segment sealed and every access to footage, whose entries are
// the leaves of an RFC 6962 Merkle tree, with signed checkpoints (C2SP
// signed notes, Ed25519). docs/evidence-format.md specifies the bytes.
//
// The package is pure Go with no database: the offline verifier links it.
package evidence
