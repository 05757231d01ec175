// Package export writes the police evidence bundle (docs/evidence-format.md
// §5): the sealed segments byte for byte, a working MP4 per camera, a
// signed manifest, inclusion proofs against a checkpoint signed for the
// export, the custody log extract, SHA256SUMS, a README and the verifier.
package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/playback"
)

// Exporter writes bundles under OutDir.
type Exporter struct {
	Store *store.Store
	Log   *locker.Log
	// RecordingsDir is the recordings root: segment paths are relative to it.
	RecordingsDir string
	// In a cluster, Node is this node, and Open reads a segment that
	// another node's disk holds (the index says which); the export gathers
	// every node's footage. Nil: every segment is under RecordingsDir.
	Node string
	Open func(s *store.Segment) (playback.File, error)
	// OutDir receives the bundles (DATA/exports).
	OutDir string
	// VerifierDir holds vigil-verify per platform; missing binaries are
	// left out with a warning in the README and the log.
	VerifierDir string
	// CopyMasters copies every master's bytes into the bundle. Otherwise a
	// master is a reflink or a hard link of the sealed recording when the
	// filesystem allows (placeMaster), and a copy when it does not.
	CopyMasters bool
	// Zip also writes the bundle as a zip file beside the folder (the CLI);
	// the API streams the zip at download instead.
	Zip bool
	// ClockOffset reports a camera's measured clock offset from the server
	// (seconds) and whether it comes from the camera's RTCP sender reports.
	// and where it comes from (bundle.Camera.ClockSource: rtcp-sr, onvif).
	ClockOffset func(camera string) (seconds float64, source string, ok bool)
	Logger      *slog.Logger
}

// Request is what an export is for. Names are people: they reach the log
// only as pseudonyms, the bundle discloses them.
type Request struct {
	// ID names the export; empty: a new one (Jobs sets it, so that a job
	// and its export share one id).
	ID          string
	Cameras     []string
	From, To    time.Time
	CrimeRef    string
	Officer     string
	Reason      string
	RequestedBy string // who asked (often the officer)
	ApprovedBy  string // who approved (a supervisor)
	// Logged says the request and its approval are already in the log,
	// written by the workflow as they happened; otherwise (the CLI) the
	// export logs both before copying anything.
	Logged bool
}

// Result is a written bundle.
type Result struct {
	ID         string
	Dir        string // the bundle folder
	Zip        string // the same as a zip (when Exporter.Zip)
	Checkpoint evidence.Checkpoint
	Masters    int
	Bytes      int64 // bytes of masters
	// Placed counts the masters by how they reached the bundle.
	Placed map[Placement]int
	// Took is where the time went (summed over cameras; a camera's masters
	// and working copy are made side by side).
	Took Phases
}

// Phases are an export's timings.
type Phases struct {
	Masters time.Duration // masters placed and hashed
	Working time.Duration // working copies written and hashed
	Seal    time.Duration // fsync, log entry, checkpoint, proofs, SHA256SUMS
	Zip     time.Duration
}

// MaxRange bounds one export's time range.
const MaxRange = 31 * 24 * time.Hour

var refPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$`)

// Validate checks a request, naming the field at fault.
func (r *Request) Validate() error {
	var errs []string
	bad := func(f, format string, a ...any) { errs = append(errs, f+": "+fmt.Sprintf(format, a...)) }
	if len(r.Cameras) == 0 {
		bad("cameras", "at least one camera is required")
	}
	seen := map[string]bool{}
	for _, c := range r.Cameras {
		if c == "" || seen[c] {
			bad("cameras", "%q is empty or repeated", c)
		}
		seen[c] = true
	}
	if r.From.IsZero() || r.To.IsZero() || !r.To.After(r.From) {
		bad("from/to", "a range with to after from is required")
	} else if r.To.Sub(r.From) > MaxRange {
		bad("from/to", "%v is longer than %v", r.To.Sub(r.From), MaxRange)
	}
	if !refPattern.MatchString(r.CrimeRef) {
		bad("crime_reference", "%q must be 1-64 letters, digits, / _ . - (e.g. 01/123456/26)", r.CrimeRef)
	}
	for f, v := range map[string]string{"officer": r.Officer, "reason": r.Reason, "requested_by": r.RequestedBy, "approved_by": r.ApprovedBy} {
		if strings.TrimSpace(v) == "" || len(v) > 500 {
			bad(f, "is required (at most 500 characters)")
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// ErrNoFootage is returned when no sealed segment covers the range.
var ErrNoFootage = errors.New("no sealed footage in the range")

// Export writes a bundle for r. Every step that touches the log is logged:
// requested, approved, created (whose hash is the manifest's). On error
// the partial folder is removed; the log keeps what happened.
func (x *Exporter) Export(ctx context.Context, r Request) (res Result, err error) {
	if err := r.Validate(); err != nil {
		return res, err
	}
	now, log := time.Now().UTC(), x.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if res.ID = r.ID; res.ID == "" {
		res.ID = uuid.NewString()
	}
	name := fmt.Sprintf("%s_%s_%s", safeName(r.CrimeRef), now.Format("20060102T150405Z"), res.ID[:8])
	res.Dir = filepath.Join(x.OutDir, name)
	if x.Zip {
		res.Zip = res.Dir + ".zip"
	}

	b := &builder{x: x, log: log, r: r, res: &res, now: now}
	// The workflow logs the request and the approval as they happen.
	if !b.r.Logged {
		if err := b.logRequest(ctx); err != nil {
			return res, err
		}
	}
	if err := os.MkdirAll(res.Dir, 0o750); err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(res.Dir)
			if res.Zip != "" {
				os.Remove(res.Zip)
			}
		}
	}()
	if err := b.build(ctx); err != nil {
		return res, fmt.Errorf("export %s: %w", res.ID, err)
	}
	if x.Zip {
		start := time.Now()
		defer func() { res.Took.Zip = time.Since(start) }()
		if err := writeZip(res.Zip, res.Dir, name); err != nil {
			return res, fmt.Errorf("export %s: zip: %w", res.ID, err)
		}
	}
	log.Info("evidence export created", "export", res.ID, "crime_reference", r.CrimeRef, "dir", res.Dir,
		"masters", res.Masters, "bytes", res.Bytes, "placed", res.Placed, "tree_size", res.Checkpoint.Size)
	return res, nil
}

// safeName keeps a crime reference usable as a folder name.
func safeName(ref string) string {
	return strings.NewReplacer("/", "-", ".", "-").Replace(ref)
}
