package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
)

// recvFlags configure a receiver child (bare, vigil or record).
type recvFlags struct {
	addr       string // camsim's RTSP address
	cameras    int
	queue      int // vigil: reader queue
	cpuProfile string
	memProfile string
}

// camCounters are one camera's counters on the receiving side.
type camCounters struct {
	frames, bytes, keyframes, failures atomic.Uint64
}

// recvReady is a receiver child's first answer.
type recvReady struct {
	Cameras int `json:"cameras"`
}

// recvSnap is a receiver child's answer to "snap": its usage and per-camera
// cumulative counters.
type recvSnap struct {
	Usage      usage    `json:"usage"`
	Frames     []uint64 `json:"frames"`      // access units delivered (bare: onAU; vigil: to the reader)
	Bytes      []uint64 `json:"bytes"`       // their payload bytes
	Keyframes  []uint64 `json:"keyframes"`   //
	Failures   []uint64 `json:"failures"`    // bare: ReadBare errors; vigil: reconnects
	Ingested   []uint64 `json:"ingested"`    // vigil: access units the worker published
	HubDrops   []uint64 `json:"hub_drops"`   // vigil: access units the reader lost
	RTPLost    []uint64 `json:"rtp_lost"`    // vigil: RTP packets lost (sequence gaps)
	DecodeErrs []uint64 `json:"decode_errs"` // vigil: malformed packets
	PreKey     []uint64 `json:"pre_key"`     // record: frames after recording started, before the first keyframe
	Offered    []uint64 `json:"offered"`     // record: frames from that keyframe on (what the recorder is offered)
	Online     int      `json:"online"`      // cameras that delivered a frame
	HeapMiB    float64  `json:"heap_mib"`
	Goroutines int      `json:"goroutines"`
	Threads    int      `json:"threads"` // OS threads created so far (the most ever alive)
}

// receiver is what the bare and vigil roles share.
type receiver struct {
	flags recvFlags
	cams  []camCounters
	// extra fills the role's own columns of a snapshot.
	extra func(s *recvSnap)
	// commands answers the role's own commands (anything but "snap").
	commands func(cmd, arg string) (any, error)

	profFile *os.File
}

func (r *receiver) url(i int) string {
	return "rtsp://" + r.flags.addr + "/" + sim.CameraName(i+1) + "/" + sim.StreamMain
}

func (r *receiver) snap() recvSnap {
	n := len(r.cams)
	s := recvSnap{
		Usage:  selfUsage(),
		Frames: make([]uint64, n), Bytes: make([]uint64, n), Keyframes: make([]uint64, n), Failures: make([]uint64, n),
	}
	for i := range r.cams {
		c := &r.cams[i]
		s.Frames[i], s.Bytes[i], s.Keyframes[i], s.Failures[i] = c.frames.Load(), c.bytes.Load(), c.keyframes.Load(), c.failures.Load()
		if s.Frames[i] > 0 {
			s.Online++
		}
	}
	if r.extra != nil {
		r.extra(&s)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
	s.Goroutines = runtime.NumGoroutine()
	s.Threads = pprof.Lookup("threadcreate").Count()
	return s
}

// serve answers "snap", "snap start" (then starts the CPU profile) and
// "snap end" (then stops it and writes the heap profile).
func (r *receiver) serve() error {
	announce(recvReady{Cameras: len(r.cams)}, nil)
	defer r.stopProfile()
	return serveCommands(func(cmd, arg string) (any, error) {
		if cmd != "snap" {
			if r.commands != nil {
				return r.commands(cmd, arg)
			}
			return nil, fmt.Errorf("unknown command %q", cmd)
		}
		s := r.snap()
		var err error
		switch arg {
		case "start":
			err = r.startProfile()
		case "end":
			err = r.stopProfile()
		}
		return s, err
	})
}

func (r *receiver) startProfile() error {
	if r.flags.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(r.flags.cpuProfile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	r.profFile = f
	return nil
}

func (r *receiver) stopProfile() error {
	if r.profFile != nil {
		pprof.StopCPUProfile()
		err := r.profFile.Close()
		r.profFile = nil
		if err != nil {
			return err
		}
	}
	if r.flags.memProfile != "" {
		f, err := os.Create(r.flags.memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			return err
		}
		r.flags.memProfile = ""
	}
	return nil
}

func logger(role string) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("role", role)
}

// runBare is the baseline role: rtsp.ReadBare on every camera's main
// stream, counting access units. A failed stream is retried after a second.
func runBare(f recvFlags) error {
	r := &receiver{flags: f, cams: make([]camCounters, f.cameras)}
	log := logger("bare")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range r.cams {
		c, url := &r.cams[i], r.url(i)
		onAU := func(size int, key bool) {
			c.frames.Add(1)
			c.bytes.Add(uint64(size))
			if key {
				c.keyframes.Add(1)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := rtsp.ReadBare(ctx, url, onAU)
				if ctx.Err() != nil {
					return
				}
				c.failures.Add(1)
				log.Warn("stream failed", "url", url, "error", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
			}
		}()
	}
	err := r.serve()
	cancel()
	wg.Wait()
	return err
}

// runVigil is the measured role: an ingest.Supervisor over every camera's
// main stream, wired like the service (rtsp.Read, real Prometheus metrics),
// and one reader per hub draining its queue the way the recorder does.
func runVigil(f recvFlags) error {
	reg := prometheus.NewRegistry()
	sup := &ingest.Supervisor{
		Source: rtsp.Read,
		Defaults: ingest.Defaults{
			Transport:   "tcp",
			ReadTimeout: 10 * time.Second,
			Backoff:     ingest.Backoff{Min: 200 * time.Millisecond, Max: 2 * time.Second},
		},
		Metrics: ingest.NewMetrics(reg),
		Logger:  logger("vigil"),
	}
	sup.Initialize()
	defer sup.Close()

	r := &receiver{flags: f, cams: make([]camCounters, f.cameras)}
	readers := make([]*ingest.Reader, f.cameras)
	var wg sync.WaitGroup
	for i := range r.cams {
		id := sim.CameraName(i + 1)
		sup.Upsert(ingest.Camera{ID: id, Enabled: true, Main: ingest.Target{URL: r.url(i)}})
		hub := sup.Hub(id, ingest.StreamMain)
		if hub == nil {
			return fmt.Errorf("no hub for %s", id)
		}
		rd := hub.Attach(ingest.ReaderOptions{Name: "recorder", Queue: f.queue, Start: ingest.StartNextKeyframe})
		readers[i] = rd
		c := &r.cams[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for au := range rd.C() {
				c.frames.Add(1)
				c.bytes.Add(uint64(au.Size()))
				if au.Keyframe {
					c.keyframes.Add(1)
				}
			}
		}()
	}
	r.extra = func(s *recvSnap) {
		n := len(r.cams)
		s.Ingested, s.HubDrops, s.RTPLost, s.DecodeErrs = make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n)
		for i := range n {
			st, _ := sup.Status(sim.CameraName(i + 1))
			for _, ss := range st.Streams {
				if ss.Stream == ingest.StreamMain {
					s.Ingested[i], s.RTPLost[i], s.DecodeErrs[i] = ss.Frames, ss.PacketsLost, ss.DecodeErrors
					s.Failures[i] = ss.Reconnects
				}
			}
			s.HubDrops[i] = readers[i].Dropped()
		}
	}
	err := r.serve()
	sup.Close() // closes the hubs, so the readers' channels
	wg.Wait()
	return err
}
