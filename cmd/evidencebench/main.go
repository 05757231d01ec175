// Command evidencebench is the evidence locker benchmark (make bench). It
// measures, each against a baseline measured in the same run:
//
//   - export: a police bundle (evidence/export) of -gib GiB of one camera's
//     sealed segments, in MB/s of master bytes, against crypto/sha256 over
//     the same files (read in 1 MiB chunks and hashed) and against writing
//     the same number of bytes to the same disk (1 MiB writes, one fsync);
//     target: at least 0.8x the lower of the two. The export and both
//     baselines run -rounds times, interleaved (this machine is noisy);
//     the table shows medians and every round is listed. The export's phases
//     (master copy, working copy, seal, zip) are timed from the files'
//     modification times, so the exporter runs unchanged.
//   - verification of that bundle (evidence/bundle.Verify), in seconds and
//     MB/s of bundle bytes, against the SHA-256 rate.
//   - appends with fsync to the evidence log (evidence/locker), from one
//     goroutine and from 64 at once (group commit), against the raw
//     fdatasync rate of the same disk (200-byte appends to a file).
//
// The site is real: one camsim camera (1080p, 4 Mbit/s by default) is
// recorded through ingest and the recorder until one segment of -segment is
// sealed; that file is then replicated, byte for byte, into a sequence of
// segments with consecutive time ranges up to -gib GiB, each indexed in a
// real store and logged as segment.sealed in a real evidence log by the
// custody feeder. Nothing is dropped from the page cache: the replicas were
// just written, so the export and the SHA-256 baseline both read them from
// memory; both write baselines end with an fsync, as the exporter does.
//
//	go run ./cmd/evidencebench                 # 1 GiB, 3 rounds, about 75 s
//	go run ./cmd/evidencebench -gib 0.1 -cpuprofile export.pprof
//
// Everything is written under a temporary directory in -dir (a disk, not
// tmpfs; about 5x -gib GiB at peak), removed at the end unless -keep.
// Exit status is non-zero only on a harness error, never on a missed target.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "evidencebench:", err)
		os.Exit(1)
	}
}

// options are one run's settings.
type options struct {
	gib         float64
	dir         string
	keep        bool
	clips       string
	clipSeconds int
	main        sim.StreamSpec
	segment     time.Duration // recorded segment length
	appendFor   time.Duration // each append measurement
	rounds      int           // of the export and its baselines
	cpuProfile  string        // of the export only
}

func defaultOptions() options {
	return options{
		gib:         1,
		dir:         os.TempDir(),
		clips:       "./data/clips",
		clipSeconds: 10,
		main:        sim.DefaultConfig().Main,
		segment:     20 * time.Second,
		appendFor:   3 * time.Second,
		rounds:      3,
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	o := defaultOptions()
	fs := flag.NewFlagSet("evidencebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&o.gib, "gib", o.gib, "GiB of segments to export")
	fs.StringVar(&o.dir, "dir", o.dir, "parent of the temporary working directory (must be a disk, not tmpfs)")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory")
	fs.StringVar(&o.clips, "clips", o.clips, "camsim clip cache (generated with ffmpeg when missing)")
	fs.DurationVar(&o.segment, "segment", o.segment, "length of the recorded segment that is replicated")
	fs.DurationVar(&o.appendFor, "append-duration", o.appendFor, "length of each append measurement")
	fs.IntVar(&o.rounds, "rounds", o.rounds, "rounds of the export and its baselines; the table shows medians")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the last round's export to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.gib <= 0 || o.gib > 64 {
		return fmt.Errorf("-gib %v: want more than 0 and at most 64", o.gib)
	}
	if o.segment < 2*time.Second || o.segment > 10*time.Minute {
		return fmt.Errorf("-segment %v: want 2s to 10m", o.segment)
	}
	if o.rounds < 1 || o.rounds > 20 {
		return fmt.Errorf("-rounds %d: want 1 to 20", o.rounds)
	}
	if o.appendFor <= 0 {
		return fmt.Errorf("-append-duration %v: want more than 0", o.appendFor)
	}
	res, err := bench(context.Background(), o, newProgress(stderr))
	if err != nil {
		return err
	}
	res.print(stdout)
	return nil
}

// progress prints timestamped progress lines.
type progress struct {
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) logf(format string, a ...any) {
	fmt.Fprintf(p.w, "evidencebench %6.1fs  %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, a...))
}
