// Command clusterbench is the scale-out benchmark (issue 10, make bench).
// On this machine, with real PostgreSQL 15 servers started by pgtest, it
// measures, each against a baseline measured in the same run:
//
//  1. takeover: three cluster.Node (each with its own store connections,
//     the real lease TTL, rounds on their own loops) share N cameras, for
//     N in -cameras. Once every camera runs and they are spread, one node
//     is abandoned (Node.Abandon: its rounds stop, it does not leave, as a
//     crash looks to the others) at a random point of its renewal cycle,
//     and each of its cameras is timed from then until a live node runs it
//     (the Own call that first names it there: where the service's camera
//     registry would start it; the camera's RTSP connect is not counted).
//     Max and median per camera, against the lease TTL: the floor, since
//     no takeover can beat the life the dead node's leases had left (also
//     shown). Each N runs -trials times, on a new database each, killing
//     each node in turn.
//
//  2. rounds: one node's Round over N cameras, steady (renewing its own,
//     placing none) and taking over (placing a third of them), against a
//     single store.Heartbeat.
//
//  3. store operations per second that the service does at scale, from 1
//     and 8 goroutines: AddSegment (the recorder), Segments (playback's
//     lookup), RenewLeases of 100 cameras (every node, every TTL/3),
//     AddPlateRead (ANPR) and AddActivity (analytics), on PostgreSQL
//     against SQLite (a file on disk, with the service's settings: WAL,
//     synchronous=NORMAL). pgtest's servers run with fsync off; a second
//     server keeps PostgreSQL's durable defaults (fsync on), and both are
//     shown.
//
//  4. evidence: the evidence log's appends per second from 1 and 8
//     goroutines (segment.sealed entries with their SHA-256, as the
//     recorder's custody feeder writes; playback entries with a reason, as
//     the API writes), on the single-node log in a directory (group commit,
//     fdatasync: the baseline) against the shared log in PostgreSQL (fsync
//     off and on), appended on its leader and on a follower, which forwards
//     to the leader (through locker.Forwarder calling the leader's
//     AppendLeading in this process: the service's HTTP hop between nodes
//     is not counted). Then the shared log's takeover: a follower keeps
//     appending while the leader dies (made unreachable, and its Log
//     closed, or its lock's session ended by pg_terminate_backend as when
//     its process is gone); the time from the death to the first append
//     started after it that is acknowledged, max and median of -log-trials
//     trials, against the Log's LeaderPoll. After each trial a fresh reader
//     reopens the shared log (every entry's sequence and chain, the signed
//     checkpoint) and finds every acknowledged append in it.
//
//  5. objects: sealed segments in the shared object store (s3store on one
//     SeaweedFS weed server started by s3test, on loopback; bin/weed from
//     make s3server, or VIGIL_WEED: without it the run fails at once)
//     against the same files on this disk: Store.Put of -object-files
//     segments of -object-mib from each of -object-workers, and of
//     -object-large of -object-large-mb (a 5 min 4 Mbit/s main stream is
//     150 MB) from one, against copying them with fsync; Uploader.Pass
//     over them indexed in SQLite (check, upload, index, remove) against
//     the same copy; segments read whole (Store.Open + io.Copy), 64 KiB
//     ReadAt's at random and the first 1 MiB block after an open, against
//     playback.OpenFile. MB/s, time ratio S3 / local, and the CPU of this
//     process and of weed per GB moved. It runs first (no PostgreSQL), in
//     about a minute.
//
//     go run ./cmd/clusterbench                 # N = 10, 100, 300, 3 trials each, objects: 6-7 minutes
//     go run ./cmd/clusterbench -quick          # N = 10, 1 trial, 200 ms windows: a smoke run
//     go run ./cmd/clusterbench -ttl 3s -cameras 300 -trials 5 -phases takeover
//     go run ./cmd/clusterbench -phases evidence -log-trials 10
//     go run ./cmd/clusterbench -phases objects -object-large 0
//
// Exit status is non-zero only on a harness error, never on a missed target.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/cluster"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "clusterbench:", err)
		os.Exit(1)
	}
}

// options are one run's settings.
type options struct {
	cameras   []int         // N of the takeover trials
	trials    int           // per N
	ttl       time.Duration // the nodes' lease TTL
	rounds    int           // timed Round and Heartbeat calls per trial and kind
	window    time.Duration // each store operation measurement
	writers   []int         // goroutines of the store operations
	playback  int           // cameras with an hour of segments for the lookups
	dir       string        // parent of the SQLite file's directory
	durable   bool          // also a PostgreSQL with fsync on
	takeover  bool          // phases to run
	ops       bool
	evidence  bool
	objects   bool
	logTrials int    // evidence log takeovers per server and kind of death
	seed      uint64 // of the kill times
	// the objects phase's segments: objectFiles of objectMiB, uploaded
	// from each of objectWorkers; objectLarge of objectLargeMB, from one
	objectFiles, objectMiB     int
	objectLarge, objectLargeMB int
	objectWorkers              []int
	objectSeeks                int // random 64 KiB reads
}

func defaultOptions() options {
	return options{
		cameras:   []int{10, 100, 300},
		trials:    3,
		ttl:       cluster.DefaultLeaseTTL,
		rounds:    10,
		window:    2 * time.Second,
		writers:   []int{1, 8},
		playback:  100,
		dir:       os.TempDir(),
		durable:   true,
		takeover:  true,
		ops:       true,
		evidence:  true,
		objects:   true,
		logTrials: 5,
		seed:      1,

		objectFiles: 40, objectMiB: 8,
		objectLarge: 2, objectLargeMB: 150,
		objectWorkers: []int{1, 4},
		objectSeeks:   300,
	}
}

// quickOptions are -quick's: a smoke run of every phase.
func quickOptions(o options) options {
	o.cameras, o.trials, o.rounds, o.window, o.playback = []int{10}, 1, 3, 200*time.Millisecond, 10
	o.logTrials = 1
	o.objectFiles, o.objectMiB, o.objectLarge, o.objectLargeMB, o.objectSeeks = 4, 1, 1, 16, 20
	return o
}

func run(args []string, stdout, stderr io.Writer) error {
	o := defaultOptions()
	fs := flag.NewFlagSet("clusterbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "smoke run: N = 10, 1 trial, 3 timed rounds, 200 ms operation windows, 10 playback cameras, 1 evidence log takeover of each kind, objects: 4 x 1 MiB and 1 x 16 MB segments, 20 random reads")
	cameras := fs.String("cameras", "10,100,300", "camera counts N of the takeover trials")
	writers := fs.String("writers", "1,8", "goroutines of the store operation measurements")
	phases := fs.String("phases", "takeover,ops,evidence,objects", "phases to run: takeover (with the rounds), ops, evidence, objects")
	objectWorkers := fs.String("object-workers", "1,4", "goroutines of the objects phase's uploads")
	fs.IntVar(&o.trials, "trials", o.trials, "takeover trials per N, each on a new database")
	fs.DurationVar(&o.ttl, "ttl", o.ttl, "the nodes' lease TTL (they renew every third of it)")
	fs.IntVar(&o.logTrials, "log-trials", o.logTrials, "evidence log takeovers per server and kind of death, each on a new database")
	fs.IntVar(&o.rounds, "rounds", o.rounds, "timed Round and Heartbeat calls per trial and kind")
	fs.DurationVar(&o.window, "window", o.window, "length of each store operation measurement")
	fs.IntVar(&o.playback, "playback-cameras", o.playback, "cameras given an hour of 60 s segments for the lookups")
	fs.StringVar(&o.dir, "dir", o.dir, "parent of the SQLite store's temporary directory (a disk, not tmpfs)")
	fs.BoolVar(&o.durable, "durable", o.durable, "also measure the store operations and the evidence log on a PostgreSQL with fsync on")
	fs.Uint64Var(&o.seed, "seed", o.seed, "seed of the random kill times")
	fs.IntVar(&o.objectFiles, "object-files", o.objectFiles, "objects phase: segment files of -object-mib, uploaded from each -object-workers and by Uploader.Pass, and read")
	fs.IntVar(&o.objectMiB, "object-mib", o.objectMiB, "objects phase: size of those segments in MiB")
	fs.IntVar(&o.objectLarge, "object-large", o.objectLarge, "objects phase: segments of -object-large-mb, uploaded from one worker, read whole and at random (0: none)")
	fs.IntVar(&o.objectLargeMB, "object-large-mb", o.objectLargeMB, "objects phase: size of the large segments in MB (a 5 min, 4 Mbit/s main stream: 150)")
	fs.IntVar(&o.objectSeeks, "object-seeks", o.objectSeeks, "objects phase: random 64 KiB reads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if o.cameras, err = ints(*cameras, 3, 10000); err != nil {
		return fmt.Errorf("-cameras: %w", err)
	}
	if o.writers, err = ints(*writers, 1, 64); err != nil {
		return fmt.Errorf("-writers: %w", err)
	}
	if o.objectWorkers, err = ints(*objectWorkers, 1, 64); err != nil {
		return fmt.Errorf("-object-workers: %w", err)
	}
	o.takeover, o.ops, o.evidence, o.objects = false, false, false, false
	for _, p := range strings.Split(*phases, ",") {
		switch strings.TrimSpace(p) {
		case "takeover":
			o.takeover = true
		case "ops":
			o.ops = true
		case "evidence":
			o.evidence = true
		case "objects":
			o.objects = true
		default:
			return fmt.Errorf("-phases: %q is not takeover, ops, evidence or objects", p)
		}
	}
	if *quick {
		o = quickOptions(o)
	}
	if o.ttl < 300*time.Millisecond || o.ttl > 5*time.Minute {
		return fmt.Errorf("-ttl %v: want 300ms to 5m", o.ttl)
	}
	if o.trials < 1 || o.trials > 20 {
		return fmt.Errorf("-trials %d: want 1 to 20", o.trials)
	}
	if o.logTrials < 1 || o.logTrials > 50 {
		return fmt.Errorf("-log-trials %d: want 1 to 50", o.logTrials)
	}
	if o.rounds < 1 || o.rounds > 1000 {
		return fmt.Errorf("-rounds %d: want 1 to 1000", o.rounds)
	}
	if o.window < 10*time.Millisecond || o.window > 5*time.Minute {
		return fmt.Errorf("-window %v: want 10ms to 5m", o.window)
	}
	if o.playback < 1 || o.playback > 1000 {
		return fmt.Errorf("-playback-cameras %d: want 1 to 1000", o.playback)
	}
	if err := o.checkObjects(); err != nil {
		return err
	}
	res, err := bench(context.Background(), o, newProgress(stderr))
	if err != nil {
		return err
	}
	res.print(stdout)
	return nil
}

// checkObjects checks the objects phase's sizes, and that what it uploads
// fits the test server.
func (o options) checkObjects() error {
	switch {
	case o.objectFiles < 2 || o.objectFiles > 500:
		return fmt.Errorf("-object-files %d: want 2 to 500", o.objectFiles)
	case o.objectMiB < 1 || o.objectMiB > 256:
		return fmt.Errorf("-object-mib %d: want 1 to 256", o.objectMiB)
	case o.objectLarge < 0 || o.objectLarge > 8:
		return fmt.Errorf("-object-large %d: want 0 to 8", o.objectLarge)
	case o.objectLargeMB < 2 || o.objectLargeMB > 1000:
		return fmt.Errorf("-object-large-mb %d: want 2 to 1000", o.objectLargeMB)
	case o.objectSeeks < 1 || o.objectSeeks > 100000:
		return fmt.Errorf("-object-seeks %d: want 1 to 100000", o.objectSeeks)
	}
	up := int64(len(o.objectWorkers)+1)*int64(o.objectFiles)*int64(o.objectMiB)<<20 + int64(o.objectLarge)*int64(o.objectLargeMB)*1e6 +
		2*int64(o.objectMiB)<<20 // the warm-up
	if o.objects && up > objectCapacity {
		return fmt.Errorf("the objects phase would upload %d MiB, more than the test object store holds (%d MiB): fewer or smaller -object-files or -object-large",
			up>>20, objectCapacity>>20)
	}
	return nil
}

// ints parses a comma-separated list of integers in [lo, hi].
func ints(s string, lo, hi int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < lo || n > hi {
			return nil, fmt.Errorf("%q: want numbers from %d to %d, comma-separated", f, lo, hi)
		}
		out = append(out, n)
	}
	return out, nil
}

// progress prints timestamped progress lines.
type progress struct {
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) logf(format string, a ...any) {
	fmt.Fprintf(p.w, "clusterbench %6.1fs  %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, a...))
}
