package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/vigil-cctv/vigil/evidence"
	"golang.org/x/mod/sumdb/note"
)

// Options are the verifier's optional inputs.
type Options struct {
	// Prior is a signed checkpoint the reader kept from before (another
	// bundle, the council's website). The bundle's tree must extend it.
	Prior []byte
}

// Verify checks the bundle in dir against the pinned council key: every
// check of spec §6. It never trusts a key found in the bundle.
func Verify(dir string, pinned note.Verifier, opts Options) (r *Report) {
	r = &Report{Dir: dir}
	f := newFindings()
	defer func() {
		// A hostile bundle must not crash the verifier; if a bug lets it,
		// the bundle fails rather than the program.
		if p := recover(); p != nil {
			f.fail(checkInternal, "verifier bug, please report: %v\n%s", p, debug.Stack())
			r.Checks = f.checks()
		}
	}()
	if pinned == nil {
		f.fail(CheckCheckpoint, "no pinned key: get the council's key from the council, never from the bundle")
		r.Checks = f.checks()
		return r
	}
	v := &verification{f: f, pinned: pinned, opts: opts}
	v.files = walk(dir, f)
	v.checkCheckpoint()
	v.checkManifest()
	v.readCustody()
	v.checkFileSet()
	v.checkHashes()
	v.checkCustody()
	v.checkMasters()
	v.checkExport()
	v.checkSums()
	if opts.Prior != nil {
		v.checkPrior()
	}
	r.Checks = f.checks()
	if !f.failed(CheckCheckpoint) {
		r.Checkpoint = v.cp
	}
	if !f.failed(CheckManifest) {
		r.Manifest = v.man
	}
	return r
}

// verification is one run of Verify: what was read, and the findings.
type verification struct {
	f      *findings
	pinned note.Verifier
	opts   Options
	files  map[string]*bundleFile

	cp       *Checkpoint
	man      *Manifest
	manSum   [32]byte
	custody  []CustodyLine
	entries  map[uint64]evidence.Entry // custody entries that decoded and checked
	custodyE error                     // why custody.log could not be parsed
}

// content returns a parsed-size file's bytes, or reports why there are
// none under check.
func (v *verification) content(check, rel string) ([]byte, bool) {
	bf := v.files[rel]
	switch {
	case bf == nil:
		v.f.fail(check, "missing file: %s", rel)
	case bf.err != nil:
		v.f.fail(check, "%s: %v", rel, bf.err)
	default:
		return bf.data, true
	}
	return nil, false
}

func (v *verification) checkCheckpoint() {
	b, ok := v.content(CheckCheckpoint, CheckpointPath)
	if !ok {
		return
	}
	cp, err := OpenCheckpoint(b, v.pinned)
	if err != nil {
		v.f.fail(CheckCheckpoint, "%v", err)
		return
	}
	v.cp = &cp
	v.f.pass(CheckCheckpoint, "signed by %s: log %s, tree of %d entries, root %x", v.pinned.Name(), cp.Origin, cp.Size, cp.Root[:])
}

func (v *verification) checkManifest() {
	sig, okSig := v.content(CheckManifest, ManifestSigPath)
	b, ok := v.content(CheckManifest, ManifestPath)
	if !ok {
		return
	}
	v.manSum = sha256.Sum256(b)
	if okSig {
		text, err := openNote(sig, v.pinned)
		switch {
		case err != nil:
			v.f.fail(CheckManifest, "manifest.sig: %v", err)
		case string(text) != string(ManifestSigText(b)):
			v.f.fail(CheckManifest, "manifest.sig signs %q, but manifest.json's SHA-256 is %x: manifest.json was changed",
				strings.TrimSpace(strings.TrimPrefix(string(text), "vigil-manifest/1\n")), v.manSum[:])
		}
	}
	m, err := ParseManifest(b)
	if err != nil {
		v.f.fail(CheckManifest, "%v", err)
		return
	}
	v.man = &m
	if v.cp != nil && m.Origin != v.cp.Origin {
		v.f.fail(CheckManifest, "manifest.json is for log %q, the checkpoint for %q", m.Origin, v.cp.Origin)
	}
	v.f.pass(CheckManifest, "manifest.sig by %s names manifest.json (SHA-256 %x): export %s, crime reference %s",
		v.pinned.Name(), v.manSum[:], m.ExportID, m.CrimeReference)
}

func (v *verification) readCustody() {
	b, ok := v.content(CheckCustody, CustodyPath)
	if !ok {
		v.custodyE = fmt.Errorf("no usable %s", CustodyPath)
		return
	}
	lines, err := ParseCustody(b)
	if err != nil {
		v.f.fail(CheckCustody, "%v", err)
		v.custodyE = err
		return
	}
	v.custody = lines
}

// proofPath is where the inclusion proof of entry seq lives.
func proofPath(seq uint64) string { return "proofs/" + strconv.FormatUint(seq, 10) + ".proof" }

// consistencyPath is where a consistency proof from tree size old lives.
func consistencyPath(old int64) string {
	return "proofs/consistency/" + strconv.FormatInt(old, 10) + ".proof"
}

func (v *verification) checkFileSet() {
	f := v.f
	want := map[string]bool{}
	for _, p := range []string{ManifestPath, ManifestSigPath, CheckpointPath, CustodyPath, SumsPath} {
		want[p] = true
	}
	if v.man == nil {
		f.fail(CheckFiles, "the file set cannot be checked without a valid manifest.json")
	} else {
		readme := false
		for _, mf := range v.man.Files {
			want[mf.Path] = true
			readme = readme || mf.Path == ReadmePath
		}
		if !readme {
			f.fail(CheckFiles, "the manifest does not list %s", ReadmePath)
		}
	}
	if v.custody == nil {
		f.fail(CheckFiles, "the proofs cannot be checked without a valid custody.log")
	}
	for _, l := range v.custody {
		want[proofPath(l.Seq)] = true
	}
	for _, p := range sortedKeys(want) {
		if v.files[p] == nil {
			f.fail(CheckFiles, "missing file: %s", p)
		}
	}
	for _, p := range sortedKeys(v.files) {
		switch {
		case want[p]:
		case strings.HasPrefix(p, "proofs/consistency/"):
			v.checkConsistencyFile(p)
		case strings.HasPrefix(p, "proofs/") && v.custody == nil:
			// Unknown without custody.log; reported above.
		case v.man == nil && !strings.HasPrefix(p, "proofs/"):
			// Unknown without manifest.json; reported above.
		default:
			f.fail(CheckFiles, "extra file not in manifest: %s", p)
		}
	}
	if !f.failed(CheckFiles) {
		f.pass(CheckFiles, "%d files, exactly those the manifest and custody log call for, no links or special files", len(v.files))
	}
}

// checkConsistencyFile checks the name and form of a consistency proof;
// only -prior gives the old root needed to run it.
func (v *verification) checkConsistencyFile(p string) {
	name := strings.TrimSuffix(strings.TrimPrefix(p, "proofs/consistency/"), ".proof")
	old, err := evidence.ParseDecimal(name)
	if err != nil || consistencyPath(old) != p {
		v.f.fail(CheckFiles, "extra file not in manifest: %s", p)
		return
	}
	b, ok := v.content(CheckFiles, p)
	if !ok {
		return
	}
	cp, err := ParseConsistencyProof(b)
	switch {
	case err != nil:
		v.f.fail(CheckFiles, "%s: %v", p, err)
	case cp.Old != old:
		v.f.fail(CheckFiles, "%s: the proof is from size %d", p, cp.Old)
	case v.cp != nil && cp.Size != v.cp.Size:
		v.f.fail(CheckFiles, "%s: the proof is to size %d, the checkpoint's tree has %d", p, cp.Size, v.cp.Size)
	}
}

func (v *verification) checkHashes() {
	if v.man == nil {
		v.f.fail(CheckHashes, "not checked: no valid manifest.json")
		return
	}
	n, total := 0, int64(0)
	for _, mf := range v.man.Files {
		bf := v.files[mf.Path]
		if bf == nil {
			continue // reported by the file-set check
		}
		if bf.err != nil {
			v.f.fail(CheckHashes, "%s: %v", mf.Path, bf.err)
			continue
		}
		got := hex.EncodeToString(bf.sum[:])
		switch {
		case bf.size != mf.Bytes:
			v.f.fail(CheckHashes, "%s: size mismatch (manifest %d bytes, file %d bytes)", mf.Path, mf.Bytes, bf.size)
		case got != mf.SHA256:
			v.f.fail(CheckHashes, "%s: sha256 mismatch (manifest %s, file %s)", mf.Path, mf.SHA256, got)
		default:
			n++
			total += bf.size
		}
	}
	v.f.pass(CheckHashes, "%d of %d listed files have their size and SHA-256 (%d bytes)", n, len(v.man.Files), total)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
