package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/vigil-cctv/vigil/cmd/internal/benchdisk"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// recordFlags configure the record child.
type recordFlags struct {
	dir             string // parent of the temporary recordings directory
	segmentDuration time.Duration
	syncInterval    time.Duration
	keep            bool
}

func (f recordFlags) args() []string {
	return []string{"-record-dir", f.dir, "-segment-duration", f.segmentDuration.String(),
		"-sync-interval", f.syncInterval.String(), fmt.Sprintf("-keep-recordings=%v", f.keep)}
}

// recordStarted is the answer to "record start".
type recordStarted struct {
	Dir    string `json:"dir"`
	FSType string `json:"fs_type"`
}

// recordStopped is the answer to "record stop".
type recordStopped struct {
	CloseSecs float64 `json:"close_secs"`
}

// recordCount is the answer to "record count": what is on disk and in the
// index after Close, and the recorder's own metrics.
type recordCount struct {
	Written       []uint64 `json:"written"` // samples in the segment files, per camera
	Files         int      `json:"files"`
	Torn          int      `json:"torn"`
	Bytes         int64    `json:"bytes"` // segment files' sizes
	ScanErrors    []string `json:"scan_errors,omitempty"`
	IndexSegments int      `json:"index_segments"`
	IndexFrames   uint64   `json:"index_frames"`
	IndexBytes    int64    `json:"index_bytes"`
	Gaps          int      `json:"gaps"`
	Dropped       float64  `json:"dropped"`  // vigil_recorder_dropped_frames_total
	GapSecs       float64  `json:"gap_secs"` // vigil_recorder_gap_seconds_total
	MaxLagSecs    float64  `json:"max_lag_secs"`
	LagSumSecs    float64  `json:"lag_sum_secs"`
	Syncs         uint64   `json:"syncs"`
	SlowSyncs     uint64   `json:"slow_syncs"` // write lag above the sync interval + 1 s
	LagBuckets    []string `json:"lag_buckets"`
}

// maxHistogram is the recorder's write-lag histogram, also keeping the
// largest value observed: the longest time a frame waited from arrival to
// being synced to disk.
type maxHistogram struct {
	prometheus.Histogram
	slow     float64
	max      atomic.Uint64 // float64 bits
	n, nSlow atomic.Uint64
	mu       sync.Mutex
	sum      float64
}

func (h *maxHistogram) Observe(v float64) {
	h.Histogram.Observe(v)
	h.n.Add(1)
	if v > h.slow {
		h.nSlow.Add(1)
	}
	for {
		old := h.max.Load()
		if v <= math.Float64frombits(old) || h.max.CompareAndSwap(old, math.Float64bits(v)) {
			break
		}
	}
	h.mu.Lock()
	h.sum += v
	h.mu.Unlock()
}

// refCounter is a camera's reference reader: it sees every access unit the
// hub publishes (StartNow). Once armed (when recording starts, cameras
// paused), it counts the access units before the first keyframe (the
// recorder's reader, which starts at the next keyframe, skips those by
// design) and from it on (what the recorder is offered).
type refCounter struct {
	pre, post atomic.Uint64
	sawKey    bool // owned by the reader goroutine
}

// runRecord is the record role: the vigil role's ingest (same Supervisor
// settings) with a recorder.Recorder writing every main stream to disk, and
// a store for its index. Extra commands: "record start", "record stop"
// (Close: seals every segment), "record count".
func runRecord(f recvFlags, rf recordFlags) error {
	dir, err := os.MkdirTemp(rf.dir, "ingestbench-record-")
	if err != nil {
		announce(nil, err)
		return err
	}
	if !rf.keep {
		defer os.RemoveAll(dir)
	}
	fsName, err := benchdisk.Check(dir, 0)
	if err != nil {
		announce(nil, err)
		return err
	}
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		announce(nil, err)
		return err
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	log := logger("record")
	sup := &ingest.Supervisor{
		Source: rtsp.Read,
		Defaults: ingest.Defaults{
			Transport:   "tcp",
			ReadTimeout: 10 * time.Second,
			Backoff:     ingest.Backoff{Min: 200 * time.Millisecond, Max: 2 * time.Second},
		},
		Outages: st,
		Metrics: ingest.NewMetrics(reg),
		Logger:  log,
	}
	sup.Initialize()
	defer sup.Close()

	metrics := recorder.NewMetrics(reg)
	lag := &maxHistogram{Histogram: metrics.WriteLag, slow: rf.syncInterval.Seconds() + 1}
	metrics.WriteLag = lag
	recDir := filepath.Join(dir, "recordings")
	rec := &recorder.Recorder{
		Dir: recDir, SegmentDuration: rf.segmentDuration, SyncInterval: rf.syncInterval,
		Store: st, Metrics: metrics, Logger: log,
	}
	if err := rec.Initialize(); err != nil {
		announce(nil, err)
		return err
	}
	recording := false
	defer func() {
		if recording {
			rec.Close()
		}
	}()

	r := &receiver{flags: f, cams: make([]camCounters, f.cameras)}
	readers := make([]*ingest.Reader, f.cameras)
	hubs := make([]*ingest.Hub, f.cameras)
	refs := make([]refCounter, f.cameras)
	var armed atomic.Bool
	var wg sync.WaitGroup
	for i := range r.cams {
		id := sim.CameraName(i + 1)
		sup.Upsert(ingest.Camera{ID: id, Enabled: true, Main: ingest.Target{URL: r.url(i)}})
		hub := sup.Hub(id, ingest.StreamMain)
		if hub == nil {
			err := fmt.Errorf("no hub for %s", id)
			announce(nil, err)
			return err
		}
		hubs[i] = hub
		rd := hub.Attach(ingest.ReaderOptions{Name: "bench", Queue: f.queue, Start: ingest.StartNow})
		readers[i] = rd
		c, ref := &r.cams[i], &refs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for au := range rd.C() {
				c.frames.Add(1)
				c.bytes.Add(uint64(au.Size()))
				if au.Keyframe {
					c.keyframes.Add(1)
				}
				if armed.Load() {
					if au.Keyframe {
						ref.sawKey = true
					}
					if ref.sawKey {
						ref.post.Add(1)
					} else {
						ref.pre.Add(1)
					}
				}
			}
		}()
	}
	r.extra = func(s *recvSnap) {
		n := len(r.cams)
		s.Ingested, s.HubDrops, s.RTPLost, s.DecodeErrs = make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n)
		s.PreKey, s.Offered = make([]uint64, n), make([]uint64, n)
		for i := range n {
			st, _ := sup.Status(sim.CameraName(i + 1))
			for _, ss := range st.Streams {
				if ss.Stream == ingest.StreamMain {
					s.Ingested[i], s.RTPLost[i], s.DecodeErrs[i] = ss.Frames, ss.PacketsLost, ss.DecodeErrors
					s.Failures[i] = ss.Reconnects
				}
			}
			s.HubDrops[i] = readers[i].Dropped()
			s.PreKey[i], s.Offered[i] = refs[i].pre.Load(), refs[i].post.Load()
		}
	}
	r.commands = func(cmd, arg string) (any, error) {
		if cmd != "record" {
			return nil, fmt.Errorf("unknown command %q", cmd)
		}
		switch arg {
		case "start":
			if recording {
				return nil, errors.New("already recording")
			}
			for i, hub := range hubs {
				rec.Record(sim.CameraName(i+1), hub)
			}
			armed.Store(true)
			recording = true
			return recordStarted{Dir: dir, FSType: fsName}, nil
		case "stop":
			// The cameras are paused: give a writer that is merely behind
			// one sync interval and a second to catch up, because Close
			// does not drain the recorder's queue.
			time.Sleep(rf.syncInterval + time.Second)
			t := time.Now()
			rec.Close()
			recording = false
			return recordStopped{CloseSecs: time.Since(t).Seconds()}, nil
		case "count":
			if recording {
				return nil, errors.New("still recording")
			}
			c, err := countRecorded(st, recDir, f.cameras)
			if err != nil {
				return nil, err
			}
			c.MaxLagSecs = math.Float64frombits(lag.max.Load())
			lag.mu.Lock()
			c.LagSumSecs = lag.sum
			lag.mu.Unlock()
			c.Syncs, c.SlowSyncs = lag.n.Load(), lag.nSlow.Load()
			if err := gatherRecorder(reg, &c); err != nil {
				return nil, err
			}
			return c, nil
		}
		return nil, fmt.Errorf("unknown command record %q", arg)
	}
	err = r.serve()
	if recording {
		rec.Close()
		recording = false
	}
	sup.Close() // closes the hubs, so the readers' channels
	wg.Wait()
	return err
}

// countRecorded scans every segment file under dir (samples per camera,
// torn files) and sums the index's view of the same segments.
func countRecorded(st *store.Store, dir string, cameras int) (recordCount, error) {
	c := recordCount{Written: make([]uint64, cameras)}
	index := map[string]int{}
	for i := range cameras {
		index[sim.CameraName(i+1)] = i
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".mp4") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		cam, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		i, ok := index[cam]
		if !ok {
			c.ScanErrors = append(c.ScanErrors, rel+": unknown camera")
			return nil
		}
		file, err := os.Open(p)
		if err != nil {
			return err
		}
		defer file.Close()
		fi, err := file.Stat()
		if err != nil {
			return err
		}
		c.Files++
		c.Bytes += fi.Size()
		idx, err := segment.Scan(file, fi.Size())
		if err != nil {
			c.ScanErrors = append(c.ScanErrors, fmt.Sprintf("%s: %v", rel, err))
			return nil
		}
		if idx.Torn {
			c.Torn++
		}
		c.Written[i] += uint64(idx.Frames())
		return nil
	})
	if err != nil {
		return c, err
	}
	ctx := context.Background()
	for i := range cameras {
		cam := sim.CameraName(i + 1)
		segs, err := st.Segments(ctx, cam, time.Time{}, time.Time{})
		if err != nil {
			return c, err
		}
		for _, s := range segs {
			c.IndexSegments++
			c.IndexFrames += uint64(s.Frames)
			c.IndexBytes += s.Bytes
		}
		gaps, err := st.Gaps(ctx, cam, time.Time{}, time.Time{})
		if err != nil {
			return c, err
		}
		c.Gaps += len(gaps)
	}
	return c, nil
}

// gatherRecorder reads the recorder's counters and the write-lag buckets
// from the registry.
func gatherRecorder(reg *prometheus.Registry, c *recordCount) error {
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "vigil_recorder_dropped_frames_total":
			for _, m := range mf.GetMetric() {
				c.Dropped += m.GetCounter().GetValue()
			}
		case "vigil_recorder_gap_seconds_total":
			for _, m := range mf.GetMetric() {
				c.GapSecs += m.GetCounter().GetValue()
			}
		case "vigil_recorder_write_lag_seconds":
			for _, m := range mf.GetMetric() {
				h := m.GetHistogram()
				prev := uint64(0)
				for _, b := range h.GetBucket() {
					if n := b.GetCumulativeCount() - prev; n > 0 {
						c.LagBuckets = append(c.LagBuckets, fmt.Sprintf("<=%gs:%d", b.GetUpperBound(), n))
					}
					prev = b.GetCumulativeCount()
				}
				if n := h.GetSampleCount() - prev; n > 0 {
					c.LagBuckets = append(c.LagBuckets, fmt.Sprintf(">%gs:%d", h.GetBucket()[len(h.GetBucket())-1].GetUpperBound(), n))
				}
			}
		}
	}
	return nil
}
