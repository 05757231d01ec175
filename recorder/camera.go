package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// gapTolerance: a break in wall time shorter than this is jitter, not a gap.
const gapTolerance = time.Second

// retryAfterFailure is how long a camera waits before trying to write
// again after a write error (a full disk, a read-only directory).
const retryAfterFailure = time.Second

// Gap reasons (the metric label is the class, the index keeps the detail).
const (
	gapCamera  = "camera_offline"
	gapBehind  = "recorder_behind"
	gapDisk    = "disk_full"
	gapWrite   = "write_error"
	gapStopped = "recorder_stopped"
	gapMoved   = "camera_moved" // to this node from another (failover, hand-over)
	gapMissing = "file_missing"
)

// cameraRecorder writes one camera's main stream. It runs on its own
// goroutine behind the hub's bounded queue: a slow disk never stalls ingest.
type cameraRecorder struct {
	rec    *Recorder
	camera string
	hub    *ingest.Hub
	logger *slog.Logger

	cancel context.CancelFunc
	done   chan struct{}
	reader *ingest.Reader
	// handoff asks the run goroutine to end before the next keyframe and
	// send that keyframe's wall time (Recorder.HandOff).
	handoff chan chan time.Time

	// openSeg describes the segment being written, as far as it is synced,
	// so recent footage can be listed and played before it is sealed.
	openSeg atomic.Pointer[store.Segment]

	// Owned by the run goroutine.
	w          *segment.Writer
	path       string // of the open segment, relative to Dir
	session    *ingest.Session
	seq        uint64
	segPTS     time.Duration // PTS of the open segment's first frame
	lastEnd    time.Time     // wall time where the footage on disk ends
	lastFrame  time.Time     // wall time of the last frame written
	unsynced   time.Time     // arrival of the oldest frame not yet synced
	drops      uint64
	breakClass string // why the next segment does not follow on
	breakWhy   string
	failedAt   time.Time
	// from: frames before it belong to the node that handed the camera
	// over (zero: none). handingOff is HandOff's reply, while it waits.
	from       time.Time
	handingOff chan time.Time
}

// cutTolerance allows for two nodes' wall clocks (receive times) to put
// the keyframe at a hand-over's cut a little apart.
const cutTolerance = 500 * time.Millisecond

// start begins recording; movedWhy is why the camera came from another
// node ("" when it did not).
func (c *cameraRecorder) start(movedWhy string) {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.done = make(chan struct{})
	c.handoff = make(chan chan time.Time, 1)
	start := ingest.StartNextKeyframe
	if !c.from.IsZero() {
		start = ingest.StartCachedKeyframe // the cut's keyframe may have come already
	}
	c.reader = c.hub.Attach(ingest.ReaderOptions{Name: "recorder", Queue: c.rec.Queue, Start: start})
	c.rec.Metrics.start(c.camera)
	if last, err := c.rec.Store.LastSegment(ctx, c.camera); err == nil {
		// Footage resumes after a restart: the time between is a gap.
		c.lastEnd = last.End
		c.breakClass, c.breakWhy = gapStopped, "recorder not running (service stopped or restarted)"
		if movedWhy != "" {
			c.breakClass, c.breakWhy = gapMoved, movedWhy
		}
	}
	go c.run(ctx)
}

func (c *cameraRecorder) close() {
	c.cancel()
	<-c.done
}

func (c *cameraRecorder) run(ctx context.Context) {
	defer close(c.done)
	defer c.reader.Close()
	defer c.rec.Metrics.forget(c.camera)
	sync := time.NewTicker(c.rec.SyncInterval)
	defer sync.Stop()
	for {
		select {
		case <-ctx.Done():
			// Write what is already queued before sealing: frames the
			// recorder accepted are not silently lost on shutdown.
			for {
				select {
				case au, ok := <-c.reader.C():
					if ok {
						c.write(au)
						continue
					}
				default:
				}
				break
			}
			c.seal()
			return
		case au, ok := <-c.reader.C():
			if !ok { // the camera was removed
				c.seal()
				return
			}
			if c.handingOff != nil && au.Keyframe {
				// Handed over: the other node records from this keyframe.
				c.seal()
				c.handingOff <- au.WallTime
				return
			}
			c.write(au)
		case reply := <-c.handoff:
			c.handingOff = reply
		case <-sync.C:
			c.sync()
		}
	}
}

func (c *cameraRecorder) write(au *ingest.AccessUnit) {
	if !c.from.IsZero() {
		if au.WallTime.Before(c.from.Add(-cutTolerance)) {
			return // recorded by the node that handed the camera over
		}
		c.from = time.Time{}
	}
	if au.Discontinuity {
		// Ingest rebased the camera's timestamps, so the segment's timeline
		// stays continuous: report the jump and lose nothing.
		c.logger.Warn("camera clock jumped; timestamps rebased, recording continues", "at", au.WallTime.UTC())
	}
	if d := c.reader.Dropped(); d > c.drops {
		c.rec.Metrics.Dropped.WithLabelValues(c.camera).Add(float64(d - c.drops))
		c.drops = d
		c.cut(gapBehind, "recorder fell behind: frames dropped")
	}
	switch {
	case c.w != nil && au.Session != c.session:
		c.cut(gapCamera, c.outageReason(au.WallTime))
	case c.w != nil && au.Keyframe && au.PTS-c.segPTS >= c.rec.SegmentDuration:
		c.seal() // a normal rotation: the next segment follows on
	}
	if c.w == nil {
		// A segment starts on a keyframe. Frames before the first keyframe
		// of a stream are undecodable anyway; frames lost to a write
		// failure are counted.
		failing := !c.failedAt.IsZero() || c.breakClass == gapBehind
		if !au.Keyframe || (!c.failedAt.IsZero() && time.Since(c.failedAt) < retryAfterFailure) {
			if failing {
				c.dropFrame()
			}
			return
		}
		if err := c.open(au); err != nil {
			c.failed(err)
			c.dropFrame()
			return
		}
	}
	if err := c.w.WriteAccessUnit(au); err != nil {
		c.failed(err)
		return
	}
	c.lastFrame = au.WallTime
	if c.unsynced.IsZero() {
		c.unsynced = au.Received
	}
}

// cut seals the open segment because the stream does not continue: the
// next segment starts after a gap of the given reason.
func (c *cameraRecorder) cut(class, why string) {
	c.seal()
	if c.breakClass == "" {
		c.breakClass, c.breakWhy = class, why
	}
}

func (c *cameraRecorder) open(au *ingest.AccessUnit) error {
	seq := uint64(0)
	if au.Session == c.session && !c.lastEnd.IsZero() {
		seq = c.seq + 1
	}
	start := au.WallTime.UTC()
	rel := filepath.ToSlash(filepath.Join(c.camera, start.Format("2006/01/02"),
		fmt.Sprintf("%s_%d.mp4", start.Format("20060102T150405.000Z"), seq)))
	abs := filepath.Join(c.rec.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return err
	}
	s := au.Session
	w, err := segment.Create(abs, segment.Header{
		Camera: c.camera, StreamID: s.ID, Sequence: seq,
		SPS: s.SPS, PPS: s.PPS, Width: s.Width, Height: s.Height, Start: start,
	})
	if err != nil {
		return err
	}
	// Footage resumes here: what lies between is a gap, recorded once.
	if !c.lastEnd.IsZero() && au.WallTime.Sub(c.lastEnd) > gapTolerance {
		class, why := c.breakClass, c.breakWhy
		if class == "" {
			class, why = gapCamera, "stream interrupted"
		}
		c.rec.gap(c.camera, c.lastEnd, au.WallTime, class, why)
	}
	c.breakClass, c.breakWhy = "", ""
	c.w, c.path, c.session, c.seq, c.segPTS = w, rel, s, seq, au.PTS
	c.failedAt = time.Time{}
	c.openSeg.Store(&store.Segment{Camera: c.camera, Start: start, End: start, Path: rel, StreamID: s.ID, Sequence: seq})
	c.rec.Metrics.Up.WithLabelValues(c.camera).Set(1)
	return nil
}

// seal closes the open segment and indexes it. A segment that cannot be
// closed cleanly is repaired to its last complete fragment.
func (c *cameraRecorder) seal() {
	if c.w == nil {
		return
	}
	w, rel := c.w, c.path
	c.w = nil
	// The segment stays listed as open until it is indexed: closing it
	// (a last fragment and fsync) can take a while on a loaded disk, and
	// its footage must not drop out of playback meanwhile.
	defer c.openSeg.Store(nil)
	abs := filepath.Join(c.rec.Dir, filepath.FromSlash(rel))
	info, err := w.Close()
	repaired := false
	if err != nil {
		c.logger.Error("closing segment failed; repairing it", "path", rel, "error", err)
		if info, err = segment.Repair(abs); err != nil {
			c.logger.Error("segment lost", "path", rel, "error", err)
			os.Remove(abs)
			return
		}
		repaired = true
	}
	c.unsynced = time.Time{}
	c.lastEnd = info.End
	seg := store.Segment{
		Camera: c.camera, Start: info.Start, End: info.End, Path: rel, Bytes: info.Bytes,
		SHA256: info.SHA256, StreamID: info.StreamID, Sequence: info.Sequence, Frames: info.Frames, Repaired: repaired,
	}
	if err := c.rec.Store.AddSegment(context.Background(), &seg); err != nil {
		// The file is on disk and whole; recovery at the next start indexes it.
		c.logger.Error("cannot index segment", "path", rel, "error", err)
		return
	}
	if c.rec.Custody != nil {
		c.rec.Custody.Kick()
	}
	c.rec.Metrics.Segments.WithLabelValues(c.camera).Inc()
	c.rec.Metrics.Bytes.WithLabelValues(c.camera).Add(float64(info.Bytes))
}

func (c *cameraRecorder) sync() {
	if c.w == nil || c.unsynced.IsZero() {
		return
	}
	// Flush the completed frames as a fragment, then sync: the file then
	// holds everything up to the newest frame (kept back until its duration
	// is known), which is where the open segment is listed as ending.
	if err := c.w.Flush(); err != nil {
		c.failed(err)
		return
	}
	if err := c.w.Sync(); err != nil {
		c.failed(err)
		return
	}
	c.rec.Metrics.WriteLag.Observe(time.Since(c.unsynced).Seconds())
	c.unsynced = time.Time{}
	if cur := c.openSeg.Load(); cur != nil {
		next := *cur
		next.End, next.Bytes = c.lastFrame, c.w.Bytes()
		c.openSeg.Store(&next)
	}
}

// failed handles a write error: the segment is sealed as far as it got,
// retention is asked for space, and the camera retries shortly.
func (c *cameraRecorder) failed(err error) {
	class, why := gapWrite, "write error: "+err.Error()
	if errors.Is(err, syscall.ENOSPC) {
		class, why = gapDisk, "disk full"
		if c.rec.Retention != nil {
			c.rec.Retention.Kick()
		}
	}
	if c.failedAt.IsZero() {
		c.logger.Error("recording failed", "error", err, "gap", class)
	}
	c.failedAt = time.Now()
	c.rec.Metrics.Up.WithLabelValues(c.camera).Set(0)
	c.seal()
	// The recorder's own failure explains the gap better than whatever
	// began it (a restart, a camera drop).
	c.breakClass, c.breakWhy = class, why
}

func (c *cameraRecorder) dropFrame() {
	c.rec.Metrics.Dropped.WithLabelValues(c.camera).Inc()
}

// outageReason names the camera outage behind a new ingest session.
func (c *cameraRecorder) outageReason(at time.Time) string {
	outages, err := c.rec.Store.ListOutages(context.Background(), c.camera, c.lastFrame, at)
	if err == nil {
		for i := len(outages) - 1; i >= 0; i-- {
			if outages[i].Stream == ingest.StreamMain {
				return "camera offline: " + outages[i].Reason
			}
		}
	}
	return "camera stream restarted"
}
