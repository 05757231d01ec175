package bundle

import (
	"fmt"
	"strings"
)

// The checks of spec §6, in the order a report lists them.
const (
	CheckFiles      = "files"      // 1: the file set is exact
	CheckCheckpoint = "checkpoint" // 2: signed by the pinned key
	CheckManifest   = "manifest"   // 3: manifest.sig by the pinned key names manifest.json
	CheckHashes     = "hashes"     // 4: every listed file has its size and SHA-256
	CheckCustody    = "custody"    // 5: entries, readable fields, proofs, chain
	CheckMasters    = "masters"    // 6: each master is its segment.sealed entry
	CheckExport     = "export"     // 7: one export.created entry names the manifest
	CheckSums       = "SHA256SUMS" // 8: SHA256SUMS matches every other file
	CheckPrior      = "prior"      // 9: the bundle's tree extends the prior checkpoint
	checkInternal   = "internal"   // a verifier bug; never expected
)

var checkOrder = []string{CheckFiles, CheckCheckpoint, CheckManifest, CheckHashes,
	CheckCustody, CheckMasters, CheckExport, CheckSums, CheckPrior, checkInternal}

// maxProblems bounds the lines one check reports: a bundle with a million
// bad files needs the first hundred, not a million lines.
const maxProblems = 100

// Check is one line of a report: a check that passed (with a summary) or
// one problem it found. A failed check gives one Check per problem.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func (c Check) String() string {
	mark := "PASS"
	if !c.OK {
		mark = "FAIL"
	}
	return fmt.Sprintf("%s %s: %s", mark, c.Name, c.Detail)
}

// Report is the outcome of Verify.
type Report struct {
	Dir    string  `json:"bundle"`
	Checks []Check `json:"checks"`
	// Manifest and Checkpoint are set only when signed by the pinned key,
	// so what a report shows of them is what the council signed.
	Manifest   *Manifest   `json:"manifest,omitempty"`
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Err is nil when the bundle verified, else a summary of what failed.
func (r *Report) Err() error {
	if r.OK() {
		return nil
	}
	var failed []string
	for _, c := range r.Checks {
		if !c.OK {
			failed = append(failed, c.Name+": "+c.Detail)
		}
	}
	if len(failed) == 0 {
		return fmt.Errorf("%s: nothing was checked", r.Dir)
	}
	more := ""
	if len(failed) > 1 {
		more = fmt.Sprintf(" (and %d more problems)", len(failed)-1)
	}
	return fmt.Errorf("%s does not verify: %s%s", r.Dir, failed[0], more)
}

// Summary is the report's last line for people.
func (r *Report) Summary() string {
	if r.OK() {
		return fmt.Sprintf("VERIFIED: all %d checks passed; the bundle is exactly what the log recorded and the council signed", len(r.Checks))
	}
	n := 0
	names := map[string]bool{}
	for _, c := range r.Checks {
		if !c.OK {
			n++
			names[c.Name] = true
		}
	}
	var which []string
	for _, name := range checkOrder {
		if names[name] {
			which = append(which, name)
		}
	}
	return fmt.Sprintf("NOT VERIFIED: %d problems (%s); do not rely on this bundle", n, strings.Join(which, ", "))
}

// findings collects problems by check, then becomes the report in order.
type findings struct {
	problems map[string][]string
	dropped  map[string]int
	passed   map[string]string
	ran      map[string]bool
}

func newFindings() *findings {
	return &findings{problems: map[string][]string{}, dropped: map[string]int{},
		passed: map[string]string{}, ran: map[string]bool{}}
}

func (f *findings) fail(check, format string, args ...any) {
	f.ran[check] = true
	if len(f.problems[check]) >= maxProblems {
		f.dropped[check]++
		return
	}
	f.problems[check] = append(f.problems[check], fmt.Sprintf(format, args...))
}

// pass records the summary a check shows when it found no problem.
func (f *findings) pass(check, format string, args ...any) {
	f.ran[check] = true
	f.passed[check] = fmt.Sprintf(format, args...)
}

func (f *findings) failed(check string) bool { return len(f.problems[check]) > 0 }

func (f *findings) checks() []Check {
	var out []Check
	for _, name := range checkOrder {
		if !f.ran[name] {
			continue
		}
		ps := f.problems[name]
		if len(ps) == 0 {
			out = append(out, Check{Name: name, OK: true, Detail: f.passed[name]})
			continue
		}
		for _, p := range ps {
			out = append(out, Check{Name: name, Detail: p})
		}
		if d := f.dropped[name]; d > 0 {
			out = append(out, Check{Name: name, Detail: fmt.Sprintf("... and %d more problems", d)})
		}
	}
	return out
}
