// Package bundletest builds small, valid export bundles with a real
// RFC 6962 log and a real signing key, for tests of the verifier and of
// code that reads or writes bundles. It is for tests only.
package bundletest

import (
	"fmt"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Log is an in-memory evidence log: entries, the tree's stored hashes, and
// a signer for its checkpoints.
type Log struct {
	Origin  string
	Signer  note.Signer
	Entries [][]byte // canonical entries, by seq
	hashes  []tlog.Hash
}

// Append sets e's seq and prev, encodes it and adds it to the tree.
func (l *Log) Append(e evidence.Entry) ([]byte, error) {
	e.Seq = uint64(len(l.Entries))
	if e.Seq > 0 {
		e.Prev = evidence.LeafHash(l.Entries[e.Seq-1])
	}
	b, err := e.Encode()
	if err != nil {
		return nil, err
	}
	hs, err := tlog.StoredHashes(int64(e.Seq), b, l.reader())
	if err != nil {
		return nil, err
	}
	l.hashes = append(l.hashes, hs...)
	l.Entries = append(l.Entries, b)
	return b, nil
}

func (l *Log) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(l.hashes)) {
				return nil, fmt.Errorf("no stored hash %d", x)
			}
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

// Root is the tree hash of the first n entries.
func (l *Log) Root(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, l.reader()) }

// Checkpoint returns the checkpoint of the first n entries, signed.
func (l *Log) Checkpoint(n int64) ([]byte, error) {
	root, err := l.Root(n)
	if err != nil {
		return nil, err
	}
	text := bundle.FormatCheckpoint(bundle.Checkpoint{Origin: l.Origin, Size: n, Root: root})
	return note.Sign(&note.Note{Text: string(text)}, l.Signer)
}

// Inclusion proves entry i is in the tree of size n.
func (l *Log) Inclusion(i, n int64) (bundle.InclusionProof, error) {
	p, err := tlog.ProveRecord(n, i, l.reader())
	return bundle.InclusionProof{Index: i, Size: n, Hashes: p}, err
}

// Consistency proves the tree of size n extends the tree of size old.
func (l *Log) Consistency(old, n int64) (bundle.ConsistencyProof, error) {
	p, err := tlog.ProveTree(n, old, l.reader())
	return bundle.ConsistencyProof{Old: old, Size: n, Hashes: p}, err
}
