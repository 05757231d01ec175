package bundle

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-cctv/vigil/evidence"
)

// MaxProofHashes bounds the hashes of a proof file (spec §4); a proof for
// any int64 tree size needs fewer.
const MaxProofHashes = 64

// MaxProofBytes bounds a proof file: two header lines and 64 hashes.
const MaxProofBytes = 4096

const (
	inclusionHeader   = "vigil-inclusion-proof/1"
	consistencyHeader = "vigil-consistency-proof/1"
)

// InclusionProof is a proofs/<seq>.proof file: entry Index is in the tree
// of Size entries.
type InclusionProof struct {
	Index, Size int64
	Hashes      tlog.RecordProof
}

// ConsistencyProof is a proofs/consistency/<old>.proof file: the tree of
// Size entries extends the tree of Old entries.
type ConsistencyProof struct {
	Old, Size int64
	Hashes    tlog.TreeProof
}

// Format returns the proof file's bytes.
func (p InclusionProof) Format() []byte {
	return formatProof(inclusionHeader, "index", p.Index, p.Size, p.Hashes)
}

// Format returns the proof file's bytes.
func (p ConsistencyProof) Format() []byte {
	return formatProof(consistencyHeader, "old", p.Old, p.Size, p.Hashes)
}

func formatProof(header, first string, a, size int64, hashes []tlog.Hash) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%s %d\nsize %d\n", header, first, a, size)
	for _, h := range hashes {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseInclusionProof parses an inclusion proof file strictly: the exact
// layout, 0 <= index < size, and as many hashes as that position needs.
func ParseInclusionProof(b []byte) (InclusionProof, error) {
	a, size, hashes, err := parseProof(b, inclusionHeader, "index")
	if err != nil {
		return InclusionProof{}, err
	}
	if a >= size {
		return InclusionProof{}, fmt.Errorf("inclusion proof: index %d is not below size %d", a, size)
	}
	if want := recordProofLen(0, size, a); len(hashes) != want {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %d hashes, entry %d of %d needs %d", len(hashes), a, size, want)
	}
	return InclusionProof{Index: a, Size: size, Hashes: hashes}, nil
}

// ParseConsistencyProof parses a consistency proof file strictly:
// 1 <= old <= size, and as many hashes as those sizes need.
func ParseConsistencyProof(b []byte) (ConsistencyProof, error) {
	old, size, hashes, err := parseProof(b, consistencyHeader, "old")
	if err != nil {
		return ConsistencyProof{}, err
	}
	if old < 1 || old > size {
		return ConsistencyProof{}, fmt.Errorf("consistency proof: old size %d is not in 1..%d", old, size)
	}
	if want := treeProofLen(0, size, old); len(hashes) != want {
		return ConsistencyProof{}, fmt.Errorf("consistency proof: %d hashes, %d to %d needs %d", len(hashes), old, size, want)
	}
	return ConsistencyProof{Old: old, Size: size, Hashes: hashes}, nil
}

func parseProof(b []byte, header, first string) (a, size int64, hashes []tlog.Hash, err error) {
	what := strings.TrimSuffix(strings.TrimPrefix(header, "vigil-"), "/1")
	bad := func(why string) (int64, int64, []tlog.Hash, error) {
		return 0, 0, nil, fmt.Errorf("%s: %s", what, why)
	}
	if len(b) > MaxProofBytes {
		return bad("too long")
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return bad("does not end with a newline")
	}
	lines := strings.Split(string(b[:len(b)-1]), "\n")
	if len(lines) < 3 || lines[0] != header {
		return bad("wrong header")
	}
	if len(lines)-3 > MaxProofHashes {
		return bad(fmt.Sprintf("over %d hashes", MaxProofHashes))
	}
	if a, err = parseField(lines[1], first); err != nil {
		return bad(err.Error())
	}
	if size, err = parseField(lines[2], "size"); err != nil {
		return bad(err.Error())
	}
	for _, l := range lines[3:] {
		h, err := evidence.ParseHashBase64(l)
		if err != nil {
			return bad(err.Error())
		}
		hashes = append(hashes, h)
	}
	return a, size, hashes, nil
}

// parseField parses "<name> <decimal>" with one space and canonical digits.
func parseField(line, name string) (int64, error) {
	v, ok := strings.CutPrefix(line, name+" ")
	if !ok {
		return 0, fmt.Errorf("want %q line, got %q", name, line)
	}
	return evidence.ParseDecimal(v)
}

// recordProofLen is how many hashes tlog.ProveRecord gives for leaf n of
// the subtree [lo, hi): one per level above the leaf.
func recordProofLen(lo, hi, n int64) int {
	if hi-lo <= 1 {
		return 0
	}
	k := split(hi - lo)
	if n < lo+k {
		return 1 + recordProofLen(lo, lo+k, n)
	}
	return 1 + recordProofLen(lo+k, hi, n)
}

// treeProofLen is how many hashes tlog.ProveTree gives for the tree of n
// leaves inside the subtree [lo, hi) (mirroring tlog's runTreeProof).
func treeProofLen(lo, hi, n int64) int {
	if n == hi {
		if lo == 0 {
			return 0
		}
		return 1
	}
	k := split(hi - lo)
	if n <= lo+k {
		return 1 + treeProofLen(lo, lo+k, n)
	}
	return 1 + treeProofLen(lo+k, hi, n)
}

// split is RFC 6962's k: the largest power of two below n (n > 1).
func split(n int64) int64 {
	k := int64(1)
	for k <= (n-1)/2 { // 2k < n, without overflowing near 2^63
		k <<= 1
	}
	return k
}
