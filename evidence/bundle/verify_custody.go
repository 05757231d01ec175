package bundle

import (
	"encoding/hex"
	"slices"

	"github.com/vigil-cctv/vigil/evidence"
	"golang.org/x/mod/sumdb/tlog"
)

func sortStrings(s []string) { slices.Sort(s) }

// checkCustody is check 5: every line decodes and says what its entry
// says, every entry is in the checkpoint's tree, consecutive ones chain.
func (v *verification) checkCustody() {
	f := v.f
	if v.custody == nil {
		return // readCustody reported why
	}
	if v.cp == nil {
		f.fail(CheckCustody, "inclusion proofs not checked: no checkpoint signed by the pinned key")
	}
	v.entries = make(map[uint64]evidence.Entry, len(v.custody))
	var prevSeq uint64
	var prevLeaf tlog.Hash
	for i := range v.custody {
		l := &v.custody[i]
		e, err := l.Check()
		if err != nil {
			f.fail(CheckCustody, "custody.log seq %d: %v", l.Seq, err)
		} else {
			v.entries[l.Seq] = e
			if l.Seq == 0 && e.Prev != (tlog.Hash{}) {
				f.fail(CheckCustody, "custody.log seq 0: prev is not all zero")
			}
			if i > 0 && l.Seq == prevSeq+1 && e.Prev != prevLeaf {
				f.fail(CheckCustody, "custody.log seq %d: prev is not the hash of entry %d: the chain is broken", l.Seq, prevSeq)
			}
		}
		leaf := evidence.LeafHash(l.Entry)
		prevSeq, prevLeaf = l.Seq, leaf
		if v.cp != nil {
			v.checkInclusion(l.Seq, leaf)
		}
	}
	if !f.failed(CheckCustody) {
		f.pass(CheckCustody, "%d entries decode, match their readable fields, chain, and are in the tree of size %d",
			len(v.custody), v.cp.Size)
	}
}

func (v *verification) checkInclusion(seq uint64, leaf tlog.Hash) {
	p := proofPath(seq)
	b, ok := v.content(CheckCustody, p)
	if !ok {
		return
	}
	proof, err := ParseInclusionProof(b)
	switch {
	case err != nil:
		v.f.fail(CheckCustody, "%s: %v", p, err)
	case uint64(proof.Index) != seq:
		v.f.fail(CheckCustody, "%s: proves entry %d, not %d", p, proof.Index, seq)
	case proof.Size != v.cp.Size:
		v.f.fail(CheckCustody, "%s: a proof for a tree of size %d, the checkpoint's has %d", p, proof.Size, v.cp.Size)
	case tlog.CheckRecord(proof.Hashes, v.cp.Size, v.cp.Root, proof.Index, leaf) != nil:
		v.f.fail(CheckCustody, "%s: entry %d is not in the tree of size %d", p, seq, v.cp.Size)
	}
}

// checkMasters is check 6: each master is the segment its sealed entry
// names: camera, hash, size and time range.
func (v *verification) checkMasters() {
	f := v.f
	if v.man == nil || v.entries == nil {
		f.fail(CheckMasters, "not checked: no valid manifest.json and custody.log")
		return
	}
	n := 0
	bySeq := map[uint64]string{}
	for _, mf := range v.man.Files {
		if mf.Kind != KindMaster {
			continue
		}
		n++
		seq := *mf.SealedSeq
		if other, dup := bySeq[seq]; dup {
			f.fail(CheckMasters, "%s: sealed_seq %d is also %s's", mf.Path, seq, other)
			continue
		}
		bySeq[seq] = mf.Path
		e, ok := v.entries[seq]
		if !ok {
			f.fail(CheckMasters, "%s: sealed_seq %d is not a valid entry of custody.log", mf.Path, seq)
			continue
		}
		start, _ := ParseTime(mf.Start)
		end, _ := ParseTime(mf.End)
		switch {
		case e.Action != evidence.ActionSegmentSealed:
			f.fail(CheckMasters, "%s: entry %d is %s, not %s", mf.Path, seq, e.Action, evidence.ActionSegmentSealed)
		case e.Camera != mf.Camera:
			f.fail(CheckMasters, "%s: entry %d sealed a segment of camera %q, the manifest says %q", mf.Path, seq, e.Camera, mf.Camera)
		case hex.EncodeToString(e.ObjectSHA256[:]) != mf.SHA256:
			f.fail(CheckMasters, "%s: entry %d sealed SHA-256 %x, the manifest says %s: not the recorded segment", mf.Path, seq, e.ObjectSHA256[:], mf.SHA256)
		case e.ObjectBytes != mf.Bytes:
			f.fail(CheckMasters, "%s: entry %d sealed %d bytes, the manifest says %d", mf.Path, seq, e.ObjectBytes, mf.Bytes)
		case !e.From.Equal(start) || !e.To.Equal(end):
			f.fail(CheckMasters, "%s: entry %d sealed %s to %s, the manifest says %s to %s", mf.Path, seq,
				FormatTime(e.From), FormatTime(e.To), mf.Start, mf.End)
		}
	}
	if n == 0 {
		f.fail(CheckMasters, "the manifest lists no master files")
	}
	f.pass(CheckMasters, "%d masters are the segments their segment.sealed entries recorded", n)
}

// checkExport is check 7: the log recorded this export, with this
// manifest, exactly once.
func (v *verification) checkExport() {
	f := v.f
	if v.man == nil || v.entries == nil {
		f.fail(CheckExport, "not checked: no valid manifest.json and custody.log")
		return
	}
	var found []evidence.Entry
	for _, l := range v.custody {
		e, ok := v.entries[l.Seq]
		if ok && e.Action == evidence.ActionExportCreated && e.Ref == v.man.ExportID {
			found = append(found, e)
		}
	}
	switch {
	case len(found) == 0:
		f.fail(CheckExport, "custody.log has no %s entry for export %s", evidence.ActionExportCreated, v.man.ExportID)
	case len(found) > 1:
		f.fail(CheckExport, "custody.log has %d %s entries for export %s, not one", len(found), evidence.ActionExportCreated, v.man.ExportID)
	case found[0].ObjectSHA256 != v.manSum:
		f.fail(CheckExport, "entry %d recorded manifest SHA-256 %x, manifest.json's is %x", found[0].Seq, found[0].ObjectSHA256[:], v.manSum[:])
	default:
		f.pass(CheckExport, "entry %d recorded this export (%s) and this manifest", found[0].Seq, v.man.ExportID)
	}
}
