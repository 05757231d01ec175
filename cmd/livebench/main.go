// Command livebench is Vigil's live view (WebRTC) benchmark (make bench).
// Each figure has a baseline measured in the same run, and the ratio:
//
//  1. viewers per core: one camera (a real H.264 clip, 2 Mbit/s, 25 fps,
//     published into a hub in real time) and N pion viewers on loopback UDP
//     in a child process (so their CPU is not counted); the server process's
//     CPU (getrusage) and frames lost per viewer, for N in -steps. Baseline:
//     the same N with a naive pion server (a hub reader and a
//     TrackLocalStaticSample per viewer, pion's default interceptors).
//
//  2. latency RTP in -> RTP out: hub publish time of each frame to the
//     viewer's receive time of its last packet, p50/p99. Baseline: plain
//     UDP loopback send -> receive of the same packet sizes.
//
//  3. time to first frame for a new viewer (Start to the first IDR frame
//     received), p50/p95. Baseline: the naive server, which waits for the
//     next keyframe (StartNextKeyframe, no GOP cache).
//
//     go run ./cmd/livebench                # about 3 minutes
//     go run ./cmd/livebench -quick         # steps 25,50, shorter windows
//     go run ./cmd/livebench -steps 50,100,200,400 -window 10s
//
// Exit status is non-zero only on a harness error, never on a missed target.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

type options struct {
	steps        []int
	warmup       time.Duration
	window       time.Duration
	latencyFor   time.Duration
	ttffViewers  int
	clips, size  string
	bitrate, fps int
	gop          time.Duration
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "livebench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("livebench", flag.ContinueOnError)
	var (
		o      options
		steps  = fs.String("steps", "25,50,100,200", "viewer counts of the viewers-per-core phase")
		quick  = fs.Bool("quick", false, "smoke run: steps 25,50, 2 s warm-up, 5 s windows, 10 new viewers")
		child  = fs.Bool("viewers-child", false, "internal: run N viewers (the harness starts this itself)")
		n      = fs.Int("n", 0, "internal: viewers in the child")
		phases = fs.String("phases", "cpu,latency,ttff", "phases to run")
	)
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up per step before the CPU window")
	fs.DurationVar(&o.window, "window", 8*time.Second, "CPU window per step")
	fs.DurationVar(&o.latencyFor, "latency-duration", 8*time.Second, "latency window")
	fs.IntVar(&o.ttffViewers, "ttff-viewers", 20, "new viewers timed, per side")
	fs.StringVar(&o.clips, "clips", "./data/clips", "clip cache (generated with ffmpeg when missing)")
	fs.StringVar(&o.size, "size", "1280x720", "camera picture size")
	fs.IntVar(&o.bitrate, "bitrate", 2_000_000, "camera bit rate, bit/s")
	fs.IntVar(&o.fps, "fps", 25, "camera frame rate")
	fs.DurationVar(&o.gop, "gop", 2*time.Second, "camera GOP")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *child {
		return runViewersChild(*n)
	}
	if *quick {
		*steps, o.warmup, o.window, o.latencyFor, o.ttffViewers = "25,50", 2*time.Second, 5*time.Second, 5*time.Second, 10
	}
	for _, s := range strings.Split(*steps, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 1 || v > 2000 {
			return fmt.Errorf("-steps: %q is not a viewer count between 1 and 2000", s)
		}
		o.steps = append(o.steps, v)
	}
	return bench(o, strings.Split(*phases, ","))
}
