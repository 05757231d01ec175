// Command ingestbench is Vigil's ingest and recording benchmark (make
// bench): it measures what ingest costs against the least any RTSP receiver
// must do, what recording adds to ingest, and how fast the recording index
// answers playback, each against a baseline measured in the same run, and
// prints tables. Phases (-phases, default all, about 7 minutes):
//
//	bare    baseline receive loop, 10 s warm-up + 60 s (-duration)
//	vigil   ingest, the same; baseline of bare's ratio and of record's
//	record  ingest + recorder.Recorder writing every main stream to disk,
//	        10 s warm-up + 120 s (-record-duration)
//	index   31 days x 300 cameras of 5-min segments in the SQLite index,
//	        1,000 playback lookups (store.Segments) against 1,000 one-row
//	        lookups (about 90 s, most of it filling the index); see index.go
//
//	go run ./cmd/ingestbench                    # everything, 300 cameras
//	go run ./cmd/ingestbench -quick             # 20 cameras, 15 s windows: a smoke run
//	go run ./cmd/ingestbench -phases vigil -cpuprofile vigil.pprof
//	go run ./cmd/ingestbench -phases vigil,record -record-duration 5m
//	go run ./cmd/ingestbench -phases index -index-days 62
//
// The record phase writes under -record-dir (default the system temp
// directory; a memory filesystem is refused) into a temporary directory it
// removes afterwards, about 150 MB/s at 300 cameras x 4 Mbit/s. Recording
// starts at the opening edge of the frames window and the recorder is
// closed at the closing edge, both while the cameras are paused, and the
// segment files are then scanned: frames lost end to end are what camsim
// sent in the window, less each camera's frames before its first keyframe
// (a recording starts on a keyframe by design; a reference reader on every
// hub counts them), minus the samples in the files. The longest write lag
// (frame arrival to fdatasync done) is tracked by wrapping the recorder's
// write-lag histogram.
//
// The binary re-executes itself in four roles so each side's CPU and
// memory are its own process's (getrusage), and the simulator's CPU is
// counted against neither:
//
//	-role camsim  the camera simulator (cmd/camsim/sim, in process), alive
//	              for the whole run
//	-role bare    the baseline: ingest/rtsp.ReadBare on every main stream
//	              (plain gortsplib client + RTP/H.264 depacketizer)
//	-role vigil   ingest.Supervisor + rtsp.Read + real Prometheus metrics,
//	              one hub per stream with a recorder-like reader (queue 512)
//	-role record  the vigil role's ingest with a real recorder.Recorder and
//	              store (segment 5 min, sync 2 s by default) instead of the
//	              recorder-like reader, plus a counting reader (queue 512)
//
// The bare, vigil and record phases run one after the other against the
// same simulator; the index phase runs last, in the harness's process,
// once the simulator has stopped. Each phase: connect every camera, warm up (not measured), then
//
//   - frames window: at both ends the simulator pauses every camera (its
//     stall fault, about 0.4 s), the harness waits until the receiver's
//     counters stop moving (nothing in flight) and reads the simulator's
//     sent counters and the receiver's received counters. Per camera, sent
//     minus received is frames lost: exact, no edge tolerance. For vigil,
//     the RTP sequence gap the first pause leaves is subtracted from the
//     packets-lost metric (the simulator counts the packets it held back).
//   - CPU window (-duration, inside the frames window, no pauses): the
//     child's getrusage(RUSAGE_SELF) user+system time over wall time, in
//     cores, and the payload bit rate. Peak RSS is the child's ru_maxrss.
//
// The simulator's CPU, its frame rate and the machine's busy cores are
// reported for the same window. If the simulator falls behind real time
// (fewer than 99% of the nominal frames, or frames skipped late), drops
// packets at its write queues, or the machine is CPU-saturated, the table
// says so as a harness limit: lost frames are always counted against what
// the simulator did send. No process is reniced and GOMAXPROCS is left at
// its default: at 300 cameras x 4 Mbit/s the three processes need well
// under the two cores of the reference machine.
//
// -cpuprofile covers the vigil side's CPU window (profiling adds a few
// percent to its CPU; profile both sides with -bare-cpuprofile to compare).
// Exit status is non-zero only on a harness error, never on a missed target.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/recorder"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ingestbench", flag.ContinueOnError)
	var (
		o    options
		sf   simFlags
		rf   recvFlags
		role = fs.String("role", "", "internal: camsim, bare, vigil or record (the harness starts these itself)")
	)
	fs.IntVar(&sf.cameras, "cameras", 300, "number of simulated cameras; every main stream is read")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "measured window per side")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "warm-up per side before the window (not measured)")
	fs.BoolVar(&o.quick, "quick", false, "smoke run: 20 cameras, 5 s warm-up, 15 s measured, index of 20 cameras (overrides -cameras, -duration, -warmup, -record-duration, -index-cameras)")
	fs.StringVar(&o.phases, "phases", strings.Join(allPhases, ","), "phases to run, in order (index runs last, after camsim has stopped)")
	fs.DurationVar(&o.recordDuration, "record-duration", 120*time.Second, "record: measured window (the frames window is a few seconds longer)")
	fs.StringVar(&o.record.dir, "record-dir", os.TempDir(), "record and index: parent of the temporary directory written to (must be a disk, not tmpfs)")
	fs.DurationVar(&o.record.segmentDuration, "segment-duration", recorder.DefaultSegmentDuration, "record: segment duration")
	fs.DurationVar(&o.record.syncInterval, "sync-interval", recorder.DefaultSyncInterval, "record: sync interval")
	fs.BoolVar(&o.record.keep, "keep-recordings", false, "record: keep the recordings directory (about 150 MB/s at 300 cameras)")
	fs.IntVar(&o.index.days, "index-days", 31, "index: days of segments in the index")
	fs.IntVar(&o.index.cameras, "index-cameras", 300, "index: cameras in the index")
	fs.IntVar(&o.index.queries, "index-queries", 1000, "index: queries of each kind")
	fs.StringVar(&sf.mainSize, "main-size", "1920x1080", "main stream size")
	fs.IntVar(&sf.mainFPS, "main-fps", 25, "main stream frame rate")
	fs.StringVar(&sf.mainBitrate, "main-bitrate", "4M", "main stream bit rate (k, M suffixes)")
	fs.DurationVar(&sf.gop, "gop", 2*time.Second, "main stream GOP")
	fs.StringVar(&sf.clips, "clips", "./data/clips", "clip cache (generated with ffmpeg when missing)")
	fs.StringVar(&sf.listen, "listen", "127.0.0.1:0", "simulator RTSP address")
	fs.IntVar(&rf.queue, "queue", 512, "vigil: the reader's queue, in access units")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the vigil side's measured window to this file")
	fs.StringVar(&o.bareCPUProfile, "bare-cpuprofile", "", "write a CPU profile of the bare side's measured window to this file")
	fs.StringVar(&o.recordCPUProfile, "record-cpuprofile", "", "write a CPU profile of the record side's measured window to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile of the vigil side at the end of its window")
	fs.DurationVar(&o.edgeStall, "edge-stall", 2*time.Second, "longest pause of the cameras at each end of the window")
	// child-only flags
	fs.StringVar(&rf.addr, "addr", "", "internal: the simulator's RTSP address")
	fs.StringVar(&rf.cpuProfile, "child-cpuprofile", "", "internal")
	fs.StringVar(&rf.memProfile, "child-memprofile", "", "internal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	rf.cameras = sf.cameras

	switch *role {
	case "":
	case "camsim":
		return runCamsim(sf)
	case "bare":
		return runBare(rf)
	case "vigil":
		return runVigil(rf)
	case "record":
		return runRecord(rf, o.record)
	default:
		return fmt.Errorf("-role %q: want camsim, bare, vigil or record", *role)
	}

	if o.quick {
		sf.cameras, o.warmup, o.duration, o.recordDuration = 20, 5*time.Second, 15*time.Second, 15*time.Second
		o.index.cameras = 20
	}
	o.index.dir = o.record.dir
	o.sim, o.queue = sf, rf.queue
	if err := o.validate(); err != nil {
		return err
	}
	res, err := orchestrate(o)
	if err != nil {
		return err
	}
	res.print(os.Stdout)
	return nil
}
