package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// options are the harness's settings.
type options struct {
	duration, warmup, edgeStall time.Duration
	quick                       bool
	phases                      string
	cpuProfile, bareCPUProfile  string
	recordCPUProfile            string
	memProfile                  string
	sim                         simFlags
	queue                       int
	recordDuration              time.Duration
	record                      recordFlags
	index                       indexOptions
}

// allPhases are the phases -phases may name, in the default order.
var allPhases = []string{"bare", "vigil", "record", "index"}

// cameraPhase: the phase runs a receiver child against camsim.
func cameraPhase(side string) bool { return side != "index" }

func (o *options) sides() []string {
	return strings.Split(o.phases, ",")
}

func (o *options) validate() error {
	seen := map[string]bool{}
	for _, s := range o.sides() {
		if !slices.Contains(allPhases, s) || seen[s] {
			return fmt.Errorf("-phases %q: want some of %s, each once", o.phases, strings.Join(allPhases, ","))
		}
		seen[s] = true
	}
	switch {
	case o.sim.cameras < 1 || o.sim.cameras > 9999:
		return fmt.Errorf("-cameras %d: want 1..9999", o.sim.cameras)
	case o.duration < 5*time.Second:
		return fmt.Errorf("-duration %v: want at least 5s", o.duration)
	case o.warmup < 2*time.Second:
		return fmt.Errorf("-warmup %v: want at least 2s", o.warmup)
	case o.edgeStall < 500*time.Millisecond || o.edgeStall > 10*time.Second:
		return fmt.Errorf("-edge-stall %v: want 500ms..10s", o.edgeStall)
	case o.queue < 1:
		return fmt.Errorf("-queue %d: want at least 1", o.queue)
	case o.recordDuration < 5*time.Second:
		return fmt.Errorf("-record-duration %v: want at least 5s", o.recordDuration)
	case o.record.segmentDuration < time.Second:
		return fmt.Errorf("-segment-duration %v: want at least 1s", o.record.segmentDuration)
	case o.record.syncInterval < 100*time.Millisecond:
		return fmt.Errorf("-sync-interval %v: want at least 100ms", o.record.syncInterval)
	case o.index.days < 1 || o.index.cameras < 1:
		return fmt.Errorf("-index-days %d, -index-cameras %d: want at least 1 each", o.index.days, o.index.cameras)
	case o.index.queries < 1:
		return fmt.Errorf("-index-queries %d: want at least 1", o.index.queries)
	}
	_, err := o.sim.config()
	return err
}

// phase is everything measured for one side. The frames window runs from a
// to d (both taken while the cameras are paused and nothing is in flight);
// the CPU window from b to c (cameras streaming steadily).
type phase struct {
	side           string
	a, b, c, d     recvSnap
	sa, sb, sc, sd simSnap
	// stallBefore and stallAfter bracket the pause at the start of the
	// window: the RTP sequence gap it leaves is not a loss.
	stallBefore, stallAfter simSnap
	machB, machC            machineCPU
	rusage                  *syscall.Rusage
	// record phase: where and how it recorded, and what it left on disk.
	started recordStarted
	stopped recordStopped
	count   recordCount
}

// results are the phases of one run.
type results struct {
	opts   options
	ncpu   int
	phases []*phase
	index  *indexResult
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ingestbench: "+format+"\n", args...)
}

func orchestrate(o options) (*results, error) {
	res := &results{opts: o, ncpu: runtime.NumCPU()}
	if slices.ContainsFunc(o.sides(), cameraPhase) {
		if err := cameraPhases(o, res); err != nil {
			return nil, err
		}
	}
	// The index phase runs in this process once camsim has stopped.
	if slices.Contains(o.sides(), "index") {
		ix, err := runIndex(o.index)
		if err != nil {
			return nil, fmt.Errorf("index phase: %w", err)
		}
		res.index = ix
	}
	return res, nil
}

// cameraPhases runs camsim and, against it, each receiver phase in turn.
func cameraPhases(o options, res *results) error {
	progress("starting camsim: %d cameras, main %s %dfps %s (clips in %s; missing clips are generated first)",
		o.sim.cameras, o.sim.mainSize, o.sim.mainFPS, o.sim.mainBitrate, o.sim.clips)
	cs, err := startChild("camsim", append([]string{"-role", "camsim"}, o.sim.args()...)...)
	if err != nil {
		return err
	}
	defer cs.stop(30 * time.Second) //nolint:errcheck // its usage is read over the protocol
	var ready simReady
	if err := cs.read(&ready, 15*time.Minute); err != nil {
		return err
	}
	for _, side := range o.sides() {
		if !cameraPhase(side) {
			continue
		}
		p, err := runPhase(side, cs, ready.Addr, o)
		if err != nil {
			return fmt.Errorf("%s phase: %w", side, err)
		}
		res.phases = append(res.phases, p)
	}
	return nil
}

func runPhase(side string, cs *child, addr string, o options) (*phase, error) {
	args := []string{"-role", side, "-addr", addr, "-cameras", fmt.Sprint(o.sim.cameras), "-queue", fmt.Sprint(o.queue)}
	switch {
	case side == "vigil" && o.cpuProfile != "":
		args = append(args, "-child-cpuprofile", o.cpuProfile)
	case side == "bare" && o.bareCPUProfile != "":
		args = append(args, "-child-cpuprofile", o.bareCPUProfile)
	case side == "record" && o.recordCPUProfile != "":
		args = append(args, "-child-cpuprofile", o.recordCPUProfile)
	}
	if side == "vigil" && o.memProfile != "" {
		args = append(args, "-child-memprofile", o.memProfile)
	}
	duration := o.duration
	// The record phase starts recording at the opening edge of its frames
	// window and closes the recorder at the closing edge, both while the
	// cameras are paused: every frame sent in the window is either on disk
	// or lost.
	var startRec, stopRec func() error
	if side == "record" {
		args = append(args, o.record.args()...)
		duration = o.recordDuration
	}
	ch, err := startChild(side, args...)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			ch.stop(10 * time.Second) //nolint:errcheck // already failing
		}
	}()
	if err := ch.read(nil, 30*time.Second); err != nil {
		return nil, err
	}
	p := &phase{side: side}
	if side == "record" {
		startRec = func() error {
			if err := ch.callWithin("record start", &p.started, 2*time.Minute); err != nil {
				return err
			}
			progress("record: recording into %s (%s)", p.started.Dir, p.started.FSType)
			return nil
		}
		stopRec = func() error {
			return ch.callWithin("record stop", &p.stopped, 5*time.Minute)
		}
		defer func() {
			// The child removes its recordings; this is for a child that
			// died first.
			if p.started.Dir != "" && !o.record.keep {
				os.RemoveAll(p.started.Dir)
			}
		}()
	}

	// Warm-up: every camera must be delivering before the window opens.
	progress("%s: connecting %d cameras, warm-up %v", side, o.sim.cameras, o.warmup)
	if err := warmUp(ch, o); err != nil {
		return nil, err
	}

	if err := cs.call("stats", &p.stallBefore); err != nil {
		return nil, err
	}
	if p.a, p.sa, err = quiesce(cs, ch, o.edgeStall, startRec); err != nil {
		return nil, err
	}
	// Streaming again; the pause's sequence gap reaches the receiver with
	// the first packet after it.
	time.Sleep(time.Second)
	if err := cs.call("stats", &p.stallAfter); err != nil {
		return nil, err
	}

	if err := ch.call("snap start", &p.b); err != nil {
		return nil, err
	}
	p.machB = readMachineCPU()
	if err := cs.call("stats", &p.sb); err != nil {
		return nil, err
	}
	progress("%s: measuring for %v", side, duration)
	end := time.Now().Add(duration)
	for left := time.Until(end); left > 0; left = time.Until(end) {
		time.Sleep(min(left, 10*time.Second))
		if left := time.Until(end); left > time.Second {
			progress("%s: %v left", side, left.Round(time.Second))
		}
	}
	if err := cs.call("stats", &p.sc); err != nil {
		return nil, err
	}
	p.machC = readMachineCPU()
	if err := ch.call("snap end", &p.c); err != nil {
		return nil, err
	}

	if p.d, p.sd, err = quiesce(cs, ch, o.edgeStall, stopRec); err != nil {
		return nil, err
	}
	if side == "record" {
		progress("record: counting the frames on disk")
		if err := ch.callWithin("record count", &p.count, 10*time.Minute); err != nil {
			return nil, err
		}
	}
	stopped = true
	p.rusage, err = ch.stop(30 * time.Second)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// warmUp waits o.warmup, and longer (up to a minute) until every camera has
// delivered a frame.
func warmUp(ch *child, o options) error {
	start := time.Now()
	deadline := start.Add(o.warmup + time.Minute)
	for {
		time.Sleep(time.Second)
		var s recvSnap
		if err := ch.call("snap", &s); err != nil {
			return err
		}
		if time.Since(start) < o.warmup {
			continue
		}
		if s.Online == o.sim.cameras {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d cameras delivered frames after %v", s.Online, o.sim.cameras, time.Since(start).Round(time.Second))
		}
		progress("%s: %d of %d cameras online, waiting", ch.name, s.Online, o.sim.cameras)
	}
}

// quiesce pauses every camera, waits until nothing is in flight (the
// receiver's counters stop moving) and returns both sides' counters, then
// lets the cameras stream again. If the pause was too short to settle, it
// is retried with a longer one. atEdge (may be nil) runs once settled,
// while the cameras are still paused.
func quiesce(cs, ch *child, stall time.Duration, atEdge func() error) (recvSnap, simSnap, error) {
	for attempt := 0; attempt < 3; attempt, stall = attempt+1, stall*2 {
		r, s, ok, err := tryQuiesce(cs, ch, stall, atEdge != nil)
		if err == nil && ok && atEdge != nil {
			err = atEdge()
		}
		if clearErr := cs.call("clear", nil); err == nil {
			err = clearErr
		}
		if err != nil || ok {
			return r, s, err
		}
		progress("%s: the counters did not settle within a %v pause; retrying with a longer one", ch.name, stall)
		time.Sleep(2 * time.Second)
	}
	return recvSnap{}, simSnap{}, errors.New("the counters never settled while the cameras were paused")
}

func tryQuiesce(cs, ch *child, stall time.Duration, hold bool) (recvSnap, simSnap, bool, error) {
	var r, prev recvSnap
	var s1, s2 simSnap
	// hold: the pause must outlast the work at the edge; "clear" ends it.
	issue := stall
	if hold {
		issue += time.Minute
	}
	if err := cs.call("stall "+issue.String(), nil); err != nil {
		return r, s1, false, err
	}
	t0 := time.Now()
	// Each camera stops at its next frame (40 ms at 25 fps); what it sent
	// before reaches the receiver within milliseconds on loopback.
	time.Sleep(300 * time.Millisecond)
	if err := cs.call("stats", &s1); err != nil {
		return r, s1, false, err
	}
	if err := ch.call("snap", &prev); err != nil {
		return r, s1, false, err
	}
	for {
		time.Sleep(100 * time.Millisecond)
		if err := ch.call("snap", &r); err != nil {
			return r, s1, false, err
		}
		if slices.Equal(r.Frames, prev.Frames) && slices.Equal(r.Ingested, prev.Ingested) {
			break
		}
		if time.Since(t0) > stall-200*time.Millisecond {
			return r, s1, false, nil
		}
		prev = r
	}
	if err := cs.call("stats", &s2); err != nil {
		return r, s1, false, err
	}
	settled := time.Since(t0) < stall-50*time.Millisecond
	for i := range s1.Cams {
		if s1.Cams[i].AUs != s2.Cams[i].AUs {
			settled = false
		}
	}
	return r, s2, settled, nil
}
