// Package evidence is Vigil's evidence locker: an append-only, hash-chained
// log of every segment sealed and every access to footage, whose entries are
// the leaves of an RFC 6962 Merkle tree, with signed checkpoints (C2SP
// signed notes, Ed25519). docs/evidence-format.md specifies the bytes.
//
// This package holds only what a verifier needs (the entry codec and
// checkpoint text) and links nothing else: the offline verifier, built for
// Windows and macOS too, imports it. The log itself (files, fsync, keys,
// signing) is evidence/locker.
package evidence
