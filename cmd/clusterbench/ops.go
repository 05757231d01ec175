package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// target is a store to measure: an SQLite file or a PostgreSQL database.
type target struct {
	name, dsn string
	st        *store.Store
	n         atomic.Int64 // operations started: keys never repeat
}

// rate is one measurement: operations done and failed in d.
type rate struct {
	ops, errs int64
	d         time.Duration
	err       error // the first failure
}

func (r rate) perSec() float64 {
	if r.d <= 0 {
		return 0
	}
	return float64(r.ops) / r.d.Seconds()
}

// opFigures are one operation at one concurrency, per target.
type opFigures struct {
	op      storeOp
	writers int
	rates   []rate // as the targets
}

// storeOp is one store operation; n is unique per call on a target, w the
// goroutine.
type storeOp struct {
	name, what string
	do         func(ctx context.Context, t *target, w int, n int64) error
}

// Shapes of the operations.
const (
	recCameras       = 300 // cameras recording, writing plate reads and activity
	leasesPerNode    = 100
	playbackSegments = 60 // an hour of 60 s segments per playback camera
	lookupMinutes    = 10 // a lookup's span: 10 segments
	activityZones    = 3  // rows per AddActivity: the whole frame and two zones
	cropBytes        = 3 << 10
	thumbBytes       = 12 << 10
)

var (
	recBase  = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	playBase = time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)
)

// ops are the measured operations, in the order they run.
func ops(o options) []storeOp {
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	crop, thumb := make([]byte, cropBytes), make([]byte, thumbBytes)
	for _, b := range [][]byte{crop, thumb} {
		for i := range b {
			b[i] = byte(rng.Uint32()) // JPEGs do not compress
		}
	}
	stream := uuid.MustParse("6f1c1d8e-7a43-4b7e-9a55-0c8f7a2f3b10")
	return []storeOp{
		{"Segments", fmt.Sprintf("playback lookup: a camera's %d min (%d segments) of %d cameras x 1 h", lookupMinutes, lookupMinutes, o.playback),
			func(ctx context.Context, t *target, _ int, n int64) error {
				cam := fmt.Sprintf("play%03d", n%int64(o.playback))
				from := playBase.Add(time.Duration((n/int64(o.playback))*7%(playbackSegments-lookupMinutes)) * time.Minute)
				segs, err := t.st.Segments(ctx, cam, from, from.Add(lookupMinutes*time.Minute))
				if err == nil && len(segs) != lookupMinutes {
					err = fmt.Errorf("lookup of %s from %v: %d segments, want %d", cam, from, len(segs), lookupMinutes)
				}
				return err
			}},
		{"AddSegment", fmt.Sprintf("the recorder: a sealed 60 s segment indexed, %d cameras", recCameras),
			func(ctx context.Context, t *target, _ int, n int64) error {
				cam := fmt.Sprintf("rec%03d", n%recCameras)
				start := recBase.Add(time.Duration(n/recCameras) * time.Minute)
				seg := store.Segment{Camera: cam, Start: start, End: start.Add(time.Minute),
					Path: fmt.Sprintf("%s/%s.mp4", cam, start.Format("2006-01-02/15-04-05")), Bytes: 30 << 20,
					SHA256: sha256.Sum256(binary.LittleEndian.AppendUint64(nil, uint64(n))), StreamID: stream,
					Sequence: uint64(n / recCameras), Frames: 1500}
				return t.st.AddSegment(ctx, &seg)
			}},
		{"RenewLeases", fmt.Sprintf("a node's round: renews its %d leases (one node per goroutine)", leasesPerNode),
			func(ctx context.Context, t *target, w int, _ int64) error {
				now := time.Now()
				ls, err := t.st.RenewLeases(ctx, fmt.Sprintf("node-%d", w), now, now.Add(time.Hour))
				if err == nil && len(ls) != leasesPerNode {
					err = fmt.Errorf("renewed %d leases, want %d", len(ls), leasesPerNode)
				}
				return err
			}},
		{"AddPlateRead", fmt.Sprintf("ANPR: a read with a %d KB crop and a %d KB thumbnail", cropBytes>>10, thumbBytes>>10),
			func(ctx context.Context, t *target, _ int, n int64) error {
				at := recBase.Add(time.Duration(n) * time.Second)
				plate := fmt.Sprintf("%c%c%02d%c%c%c", 'A'+n%26, 'A'+n/26%26, n%100, 'A'+n/676%26, 'A'+n/17576%26, 'A'+n/7%26)
				r := store.PlateRead{Camera: fmt.Sprintf("rec%03d", n%recCameras), At: at, First: at.Add(-time.Second), Last: at.Add(time.Second),
					Plate: plate, Text: plate[:4] + " " + plate[4:], Format: "current", Confidence: 0.93,
					CharConf: []float32{.9, .95, .97, .99, .9, .92, .94}, Direction: "towards", Frames: 9,
					Box: [4]int{212, 180, 96, 22}, Crop: crop, Thumbnail: thumb}
				return t.st.AddPlateRead(ctx, &r)
			}},
		{"AddActivity", fmt.Sprintf("analytics: a camera's %d zones added to their 15 min bucket (1 insert, 3 updates)", activityZones),
			func(ctx context.Context, t *target, _ int, n int64) error {
				cam := fmt.Sprintf("rec%03d", n%recCameras)
				bucket := recBase.Add(time.Duration(n/(recCameras*4)) * store.ActivityBucket)
				var rows []store.Activity
				for _, z := range []string{"", "road", "footway"}[:activityZones] {
					rows = append(rows, store.Activity{Camera: cam, Zone: z, Bucket: bucket, Frames: 1500, MotionFrames: 240, Objects: 3})
				}
				return t.st.AddActivity(ctx, rows)
			}},
	}
}

// storeOps opens every target, fills it (playback's segments, the nodes'
// leases), then measures each operation at each concurrency on the
// targets in turn, in opRounds rounds, so that the targets compared are
// measured close in time.
func storeOps(ctx context.Context, o options, ts []*target, p *progress) ([]opFigures, error) {
	for _, t := range ts {
		st, err := store.Open(t.dsn)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		t.st = st
		start := time.Now()
		if err := fill(ctx, o, st); err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		p.logf("%s: %d playback segments and %d leases made in %s", t.name, o.playback*playbackSegments,
			slices.Max(o.writers)*leasesPerNode, secs(time.Since(start)))
	}
	var figs []opFigures
	for _, op := range ops(o) {
		for _, w := range o.writers {
			f := opFigures{op: op, writers: w, rates: make([]rate, len(ts))}
			for _, t := range ts {
				measure(ctx, t, w, max(o.window/10, 20*time.Millisecond), op) // warm-up: connections, caches
			}
			for range opRounds {
				for i, t := range ts {
					r := measure(ctx, t, w, o.window/opRounds, op)
					f.rates[i].add(r)
				}
			}
			for i, r := range f.rates {
				if r.err != nil {
					p.logf("%s %s, %d writers: %d failed, first: %v", ts[i].name, op.name, w, r.errs, r.err)
				}
			}
			p.logf("%-12s %2d writers: %s", op.name, w, f.line())
			figs = append(figs, f)
		}
	}
	return figs, nil
}

// opRounds are how many parts each window is cut into, the targets
// measured in turn, so that a change in the machine's load falls on all.
const opRounds = 4

// add sums another round of the same measurement into r.
func (r *rate) add(x rate) {
	r.ops, r.errs, r.d = r.ops+x.ops, r.errs+x.errs, r.d+x.d
	if r.err == nil {
		r.err = x.err
	}
}

func (f opFigures) line() string {
	s := ""
	for i, r := range f.rates {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.0f/s", r.perSec())
	}
	return s
}

// fill makes the playback cameras' hour of segments and each writer
// node's leases (untimed), from 8 goroutines.
func fill(ctx context.Context, o options, st *store.Store) error {
	stream := uuid.MustParse("0b5c7d4e-1f2a-4c3b-8d9e-5a6b7c8d9e0f")
	jobs := make(chan func() error)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for job := range jobs {
				if err := job(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	now := time.Now()
	for c := range o.playback {
		cam := fmt.Sprintf("play%03d", c)
		for k := range playbackSegments {
			jobs <- func() error {
				start := playBase.Add(time.Duration(k) * time.Minute)
				seg := store.Segment{Camera: cam, Start: start, End: start.Add(time.Minute),
					Path: fmt.Sprintf("%s/%s.mp4", cam, start.Format("2006-01-02/15-04-05")), Bytes: 30 << 20,
					SHA256: sha256.Sum256([]byte(cam + start.String())), StreamID: stream, Sequence: uint64(k), Frames: 1500}
				return st.AddSegment(ctx, &seg)
			}
		}
	}
	for w := range slices.Max(o.writers) {
		for k := range leasesPerNode {
			jobs <- func() error {
				l := store.Lease{Camera: fmt.Sprintf("lease%d-%03d", w, k), Node: fmt.Sprintf("node-%d", w),
					Acquired: now, Expires: now.Add(24 * time.Hour), Reason: "new"}
				ok, err := st.GrantLease(ctx, l, 0)
				if err == nil && !ok {
					err = fmt.Errorf("lease of %s not granted", l.Camera)
				}
				return err
			}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// measure runs op on t from writers goroutines for d.
func measure(ctx context.Context, t *target, writers int, d time.Duration, op storeOp) rate {
	return measureFunc(writers, d, func(w int) error { return op.do(ctx, t, w, t.n.Add(1)) })
}

// measureFunc calls do in a loop from writers goroutines (w is the
// goroutine) for d. A goroutine stops after 100 failures.
func measureFunc(writers int, d time.Duration, do func(w int) error) rate {
	var ops, errs atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range writers {
		wg.Go(func() {
			failed := 0
			for time.Now().Before(deadline) && failed < 100 {
				if err := do(w); err != nil {
					failed++
					errs.Add(1)
					once.Do(func() { first = err })
					continue
				}
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	return rate{ops: ops.Load(), errs: errs.Load(), d: time.Since(start), err: first}
}
