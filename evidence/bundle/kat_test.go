package bundle_test

import (
	"encoding/hex"
	"slices"
	"testing"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/bundle/bundletest"
	"golang.org/x/mod/sumdb/tlog"
)

// The RFC 6962 reference vectors (Certificate Transparency's, as published
// by transparency-dev/merkle): a log that disagrees with them proves
// nothing to anyone with another implementation.
var (
	ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243",
		"5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	ctRoots = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	ctInclusion = []struct {
		index, size int64
		proof       []string
	}{
		{0, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	}
	ctConsistency = []struct {
		old, size int64
		proof     []string
	}{
		{2, 8, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	}
)

// memTree is a tlog tree over raw leaves, in memory.
type memTree struct{ hashes []tlog.Hash }

func (m *memTree) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = m.hashes[x]
		}
		return out, nil
	})
}

func (m *memTree) add(t *testing.T, n int64, data []byte) {
	hs, err := tlog.StoredHashes(n, data, m.reader())
	if err != nil {
		t.Fatal(err)
	}
	m.hashes = append(m.hashes, hs...)
}

func ctTree(t *testing.T) *memTree {
	m := &memTree{}
	for i, l := range ctLeaves {
		d, _ := hex.DecodeString(l)
		m.add(t, int64(i), d)
	}
	return m
}

func hexHashes(hs []tlog.Hash) []string {
	var out []string
	for _, h := range hs {
		out = append(out, hex.EncodeToString(h[:]))
	}
	return out
}

func TestRFC6962Roots(t *testing.T) {
	m := ctTree(t)
	for n, want := range ctRoots {
		got, err := tlog.TreeHash(int64(n), m.reader())
		if err != nil || hex.EncodeToString(got[:]) != want {
			t.Errorf("root of %d leaves = %x, %v; RFC 6962 says %s", n, got, err, want)
		}
	}
}

func TestRFC6962Proofs(t *testing.T) {
	m := ctTree(t)
	root8, _ := tlog.TreeHash(8, m.reader())
	for _, v := range ctInclusion {
		p, err := tlog.ProveRecord(v.size, v.index, m.reader())
		if err != nil || !slices.Equal(hexHashes(p), v.proof) {
			t.Fatalf("inclusion %d/%d = %v, %v; want %v", v.index, v.size, hexHashes(p), err, v.proof)
		}
		back, err := bundle.ParseInclusionProof(bundle.InclusionProof{Index: v.index, Size: v.size, Hashes: p}.Format())
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := hex.DecodeString(ctLeaves[v.index])
		if err := tlog.CheckRecord(back.Hashes, v.size, root8, v.index, tlog.RecordHash(leaf)); err != nil {
			t.Errorf("inclusion %d/%d does not check after a round trip: %v", v.index, v.size, err)
		}
	}
	for _, v := range ctConsistency {
		p, err := tlog.ProveTree(v.size, v.old, m.reader())
		if err != nil || !slices.Equal(hexHashes(p), v.proof) {
			t.Fatalf("consistency %d to %d = %v, %v; want %v", v.old, v.size, hexHashes(p), err, v.proof)
		}
		back, err := bundle.ParseConsistencyProof(bundle.ConsistencyProof{Old: v.old, Size: v.size, Hashes: p}.Format())
		if err != nil {
			t.Fatal(err)
		}
		old, _ := tlog.TreeHash(v.old, m.reader())
		if err := tlog.CheckTree(back.Hashes, v.size, root8, v.old, old); err != nil {
			t.Errorf("consistency %d to %d does not check after a round trip: %v", v.old, v.size, err)
		}
	}
}

// TestProofLengths: the parsers' expected hash counts are what tlog
// produces, for every position in trees up to 70 leaves.
func TestProofLengths(t *testing.T) {
	m := &memTree{}
	for n := int64(0); n < 70; n++ {
		m.add(t, n, []byte{byte(n)})
	}
	for size := int64(1); size <= 70; size++ {
		for i := int64(0); i < size; i++ {
			p, err := tlog.ProveRecord(size, i, m.reader())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bundle.ParseInclusionProof(bundle.InclusionProof{Index: i, Size: size, Hashes: p}.Format()); err != nil {
				t.Fatalf("inclusion %d/%d: %v", i, size, err)
			}
			tp, err := tlog.ProveTree(size, i+1, m.reader())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bundle.ParseConsistencyProof(bundle.ConsistencyProof{Old: i + 1, Size: size, Hashes: tp}.Format()); err != nil {
				t.Fatalf("consistency %d to %d: %v", i+1, size, err)
			}
		}
	}
}

func TestPriorEmptyTree(t *testing.T) {
	b := bundletest.New(t)
	r := bundle.Verify(b.Dir, b.Verifier, bundle.Options{Prior: signed(t, b.Log, 0)})
	if !r.OK() {
		t.Fatalf("prior of the empty tree (root SHA-256 of nothing): %v", r.Err())
	}
}
