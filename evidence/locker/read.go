package locker

import (
	"fmt"
	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"

	"golang.org/x/mod/sumdb/tlog"
)

// ReadEntry returns entry seq and its canonical bytes.
func (l *Log) ReadEntry(seq int64) (evidence.Entry, []byte, error) {
	if err := l.catchUpTo(seq + 1); err != nil && seq >= 0 {
		return evidence.Entry{}, nil, fmt.Errorf("evidence log: no entry %d (size %d)", seq, l.Size())
	}
	if n := l.Size(); seq < 0 || seq >= n {
		return evidence.Entry{}, nil, fmt.Errorf("evidence log: no entry %d (size %d)", seq, n)
	}
	raw, err := l.st.read(seq)
	if err != nil {
		return evidence.Entry{}, nil, fmt.Errorf("evidence log: entry %d: %w", seq, err)
	}
	e, err := evidence.DecodeEntry(raw)
	if err != nil {
		return evidence.Entry{}, nil, fmt.Errorf("evidence log: entry %d: %w", seq, err)
	}
	return e, raw, nil
}

// Scan calls fn for entries [from, to) in order until fn returns false.
func (l *Log) Scan(from, to int64, fn func(e evidence.Entry, raw []byte) bool) error {
	for seq := from; seq < to; seq++ {
		e, raw, err := l.ReadEntry(seq)
		if err != nil {
			return err
		}
		if !fn(e, raw) {
			return nil
		}
	}
	return nil
}

// InclusionProof proves entry seq is in the tree of the given size.
func (l *Log) InclusionProof(seq, size int64) (tlog.RecordProof, error) {
	if err := l.checkSize(size); err != nil {
		return nil, err
	}
	return tlog.ProveRecord(size, seq, l.hashes)
}

// ConsistencyProof proves the tree of size extends the tree of size old.
func (l *Log) ConsistencyProof(old, size int64) (tlog.TreeProof, error) {
	if err := l.checkSize(size); err != nil {
		return nil, err
	}
	return tlog.ProveTree(size, old, l.hashes)
}

// ExportCheckpointSizes are the tree sizes signed for earlier exports:
// the checkpoints police may hold, so exports carry consistency proofs
// from them.
func (l *Log) ExportCheckpointSizes() []int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]int64(nil), l.exportSizes...)
}

func (l *Log) checkSize(size int64) error {
	if size > 0 {
		l.catchUpTo(size) // a follower may not have read that far yet
	}
	if n := l.Size(); size < 0 || size > n {
		return fmt.Errorf("evidence log: no tree of size %d (size %d)", size, n)
	}
	return nil
}

// ConsistencyProofFile is a consistency proof (docs/evidence-format.md §4)
// from the tree of size old to the last signed checkpoint.
func (l *Log) ConsistencyProofFile(old int64) ([]byte, error) {
	c, _ := l.LastCheckpoint()
	if old > c.Size {
		return nil, fmt.Errorf("old: %d is larger than the last checkpoint's tree (%d)", old, c.Size)
	}
	p, err := l.ConsistencyProof(old, c.Size)
	if err != nil {
		return nil, err
	}
	return bundle.ConsistencyProof{Old: old, Size: c.Size, Hashes: p}.Format(), nil
}

// PublicKeyText is the log's current verifier key.
func (l *Log) PublicKeyText() (string, error) { return PublicKey(l.keyDir()) }
