// Package recorder writes every camera's main stream to IDR-aligned fMP4
// segments, indexes them, keeps them for their retention period and plays
// them back by time.
package recorder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// Defaults.
const (
	DefaultSegmentDuration = 5 * time.Minute
	DefaultSyncInterval    = 2 * time.Second
	// DefaultQueue is how many frames a camera's writer may lag behind
	// ingest: 40 s of a 25 fps stream, enough to ride out a disk stall.
	DefaultQueue = 1000
)

// Recorder records the main stream of every camera it is given.
type Recorder struct {
	// Dir is the recordings root (DATA/recordings).
	Dir             string
	SegmentDuration time.Duration
	SyncInterval    time.Duration
	Queue           int
	Store           *store.Store
	// Retention is kicked when a disk is full; may be nil.
	Retention *Retention
	// Custody is kicked when a segment is indexed, to log it in the
	// evidence log; may be nil.
	Custody Kicker
	Metrics *Metrics
	Logger  *slog.Logger
	// Open opens a sealed segment for reading (snapshots); nil opens its
	// file under Dir. (Segments may be on other nodes' disks or in the
	// object store.)
	Open func(s *store.Segment) (SegmentFile, error)

	mu      sync.Mutex
	cameras map[string]*cameraRecorder
	closed  bool
}

// Kicker is something to wake up: it must not block.
type Kicker interface{ Kick() }

// Initialize prepares the recordings directory.
func (r *Recorder) Initialize() error {
	if r.SegmentDuration == 0 {
		r.SegmentDuration = DefaultSegmentDuration
	}
	if r.SyncInterval == 0 {
		r.SyncInterval = DefaultSyncInterval
	}
	if r.Queue == 0 {
		r.Queue = DefaultQueue
	}
	if r.Metrics == nil {
		r.Metrics = NewMetrics(nil)
	}
	if err := os.MkdirAll(r.Dir, 0o750); err != nil {
		return fmt.Errorf("recordings directory: %w", err)
	}
	r.cameras = map[string]*cameraRecorder{}
	return nil
}

// Record starts recording a camera from its main stream hub; a camera
// already recorded from the same hub is left alone.
func (r *Recorder) Record(camera string, hub *ingest.Hub) { r.record(camera, hub, "", time.Time{}) }

// TakeOver starts recording a camera that another node recorded until now
// (a failover, a rebalance): the time since the camera's last segment is
// a gap, and why says why it moved. A camera handed over by a rebalance
// is recorded from the keyframe at cut, where the other node's recording
// ended (HandOff), so no footage is missed or recorded twice; a zero cut
// starts at the next keyframe.
func (r *Recorder) TakeOver(camera string, hub *ingest.Hub, why string, cut time.Time) {
	r.record(camera, hub, why, cut)
}

// HandOff ends a camera's recording before its next keyframe (waiting for
// it until ctx ends), so that another node can take over from that
// keyframe, and returns the keyframe's wall time: the cut. If no keyframe
// comes in time the recording stops where it is, and the cut is where its
// footage ends. A camera not being recorded gives a zero cut.
func (r *Recorder) HandOff(ctx context.Context, camera string) time.Time {
	r.mu.Lock()
	c, ok := r.cameras[camera]
	r.mu.Unlock()
	if !ok {
		return time.Time{}
	}
	reply := make(chan time.Time, 1)
	select {
	case c.handoff <- reply:
	case <-c.done:
	}
	var cut time.Time
	select {
	case cut = <-reply:
		<-c.done
	case <-c.done:
	case <-ctx.Done():
		c.close()
		cut = c.lastEnd // c's goroutine has ended: its fields are settled
	}
	r.mu.Lock()
	if r.cameras[camera] == c {
		delete(r.cameras, camera)
	}
	r.mu.Unlock()
	return cut
}

func (r *Recorder) record(camera string, hub *ingest.Hub, movedWhy string, cut time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if c, ok := r.cameras[camera]; ok {
		if c.hub == hub {
			return
		}
		c.close()
	}
	c := &cameraRecorder{rec: r, camera: camera, hub: hub, logger: r.Logger.With("camera", camera), from: cut}
	c.start(movedWhy)
	r.cameras[camera] = c
}

// Stop seals a camera's open segment and stops recording it.
func (r *Recorder) Stop(camera string) {
	r.mu.Lock()
	c, ok := r.cameras[camera]
	delete(r.cameras, camera)
	r.mu.Unlock()
	if ok {
		c.close()
	}
}

// Recording lists the cameras being recorded.
func (r *Recorder) Recording() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.cameras))
	for id := range r.cameras {
		out = append(out, id)
	}
	return out
}

// Close seals every open segment.
func (r *Recorder) Close() {
	r.mu.Lock()
	r.closed = true
	cams := r.cameras
	r.cameras = map[string]*cameraRecorder{}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.close()
		}()
	}
	wg.Wait()
}

// gap records a span without footage; errors are logged, never fatal.
func (r *Recorder) gap(camera string, start, end time.Time, class, reason string) {
	if !end.After(start) {
		return
	}
	g := store.Gap{Camera: camera, Start: start, End: end, Reason: reason}
	if err := r.Store.AddGap(context.Background(), &g); err != nil {
		r.Logger.Error("cannot record gap", "camera", camera, "error", err)
	}
	r.Metrics.GapSecs.WithLabelValues(camera, class).Add(end.Sub(start).Seconds())
}

// Segments is the index's segments of a camera overlapping [from, to),
// plus the segment being written now (synced so far), so the last minutes
// can be listed and played before their segment is sealed.
func (r *Recorder) Segments(ctx context.Context, camera string, from, to time.Time) ([]store.Segment, error) {
	segs, err := r.Store.Segments(ctx, camera, from, to)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	c := r.cameras[camera]
	r.mu.Unlock()
	if c == nil {
		return segs, nil
	}
	open := c.openSeg.Load()
	if open == nil || !open.End.After(open.Start) || !open.End.After(from) || (!to.IsZero() && !open.Start.Before(to)) {
		return segs, nil
	}
	for _, s := range segs {
		if s.Path == open.Path {
			return segs, nil // sealed meanwhile
		}
	}
	return append(segs, *open), nil
}

// SegmentFile is a segment opened for reading (a playback.File).
type SegmentFile interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// open opens a segment for reading.
func (r *Recorder) open(s *store.Segment) (SegmentFile, error) {
	if r.Open != nil {
		return r.Open(s)
	}
	f, err := segment.Open(filepath.Join(r.Dir, filepath.FromSlash(s.Path)))
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Gaps is the index's gaps of a camera overlapping [from, to).
func (r *Recorder) Gaps(ctx context.Context, camera string, from, to time.Time) ([]store.Gap, error) {
	return r.Store.Gaps(ctx, camera, from, to)
}
