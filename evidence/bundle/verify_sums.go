package bundle

import (
	"encoding/hex"

	"golang.org/x/mod/sumdb/tlog"
)

// checkSums is check 8: SHA256SUMS lists every other file once, with the
// hash it has, and nothing else.
func (v *verification) checkSums() {
	f := v.f
	b, ok := v.content(CheckSums, SumsPath)
	if !ok {
		return
	}
	sums, err := ParseSHA256SUMS(b)
	if err != nil {
		f.fail(CheckSums, "%v", err)
		return
	}
	for _, p := range sortedKeys(sums) {
		bf := v.files[p]
		switch {
		case p == SumsPath:
			f.fail(CheckSums, "SHA256SUMS lists itself")
		case bf == nil:
			f.fail(CheckSums, "SHA256SUMS lists %s, which is not in the bundle", p)
		case bf.sum != sums[p]:
			want := sums[p]
			f.fail(CheckSums, "%s: sha256 mismatch (SHA256SUMS %x, file %s)", p, want[:], hex.EncodeToString(bf.sum[:]))
		}
	}
	for _, p := range sortedKeys(v.files) {
		if _, ok := sums[p]; !ok && p != SumsPath {
			f.fail(CheckSums, "%s is not listed in SHA256SUMS", p)
		}
	}
	f.pass(CheckSums, "lists the %d other files with their SHA-256", len(sums))
}

// checkPrior is check 9: the bundle's tree is the prior checkpoint's tree
// or extends it. Anything else means the log was rolled back or forked.
func (v *verification) checkPrior() {
	f := v.f
	prior, err := OpenCheckpoint(v.opts.Prior, v.pinned)
	if err != nil {
		f.fail(CheckPrior, "-prior: %v", err)
		return
	}
	if v.cp == nil {
		f.fail(CheckPrior, "-prior: not checked: the bundle has no checkpoint signed by the pinned key")
		return
	}
	cp := v.cp
	switch {
	case prior.Origin != cp.Origin:
		f.fail(CheckPrior, "-prior: the prior checkpoint is of log %q, the bundle's of %q", prior.Origin, cp.Origin)
	case prior.Size > cp.Size:
		f.fail(CheckPrior, "-prior: bundle tree (size %d) does not extend the prior checkpoint (size %d): the log was rolled back", cp.Size, prior.Size)
	case prior.Size == cp.Size && prior.Root != cp.Root:
		f.fail(CheckPrior, "-prior: the prior checkpoint and the bundle's both have size %d but different roots: the log forked", cp.Size)
	case prior.Size == 0 && prior.Root != emptyRoot:
		f.fail(CheckPrior, "-prior: the prior checkpoint has size 0 but not the empty tree's root: the log forked")
	case prior.Size == cp.Size || prior.Size == 0:
		f.pass(CheckPrior, "the bundle's tree is the prior checkpoint's (size %d) or extends the empty tree", prior.Size)
	default:
		v.checkConsistency(prior)
	}
}

// emptyRoot is RFC 6962's hash of the empty tree, SHA-256 of nothing.
var emptyRoot = tlog.Hash{
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
}

func (v *verification) checkConsistency(prior Checkpoint) {
	f, cp := v.f, v.cp
	p := consistencyPath(prior.Size)
	bf := v.files[p]
	if bf == nil {
		f.fail(CheckPrior, "-prior: the bundle has no %s, so nothing shows its tree (size %d) extends the prior checkpoint (size %d)", p, cp.Size, prior.Size)
		return
	}
	if bf.err != nil {
		f.fail(CheckPrior, "-prior: %s: %v", p, bf.err)
		return
	}
	proof, err := ParseConsistencyProof(bf.data)
	switch {
	case err != nil:
		f.fail(CheckPrior, "-prior: %s: %v", p, err)
	case proof.Old != prior.Size || proof.Size != cp.Size:
		f.fail(CheckPrior, "-prior: %s proves size %d extends %d, not %d extends %d", p, proof.Size, proof.Old, cp.Size, prior.Size)
	case tlog.CheckTree(proof.Hashes, cp.Size, cp.Root, prior.Size, prior.Root) != nil:
		f.fail(CheckPrior, "-prior: bundle tree (size %d) does not extend the prior checkpoint (size %d): the log forked", cp.Size, prior.Size)
	default:
		f.pass(CheckPrior, "the bundle's tree (size %d) extends the prior checkpoint (size %d)", cp.Size, prior.Size)
	}
}
