package recorder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// retentionPage is how many segments one query considers.
const retentionPage = 500

// Retention deletes recordings whose camera's retention period has passed,
// and the oldest recordings when the disk is over quota or short of free
// space. Held footage is never deleted. Every deletion is recorded with the
// segment's hash and the reason.
type Retention struct {
	Store *store.Store
	// Dir is the recordings root; segment paths are relative to it.
	Dir string
	// QuotaBytes caps the size of all recordings (0: no cap).
	QuotaBytes int64
	// MinFreeBytes is the free space to keep on Dir's filesystem (0: none).
	MinFreeBytes int64
	// Interval between passes; Kick runs one at once.
	Interval time.Duration
	Logger   *slog.Logger
	// Metrics may be nil.
	Metrics *RetentionMetrics
	// Custody is kicked after deletions, to log their tombstones; may be nil.
	Custody Kicker
	// Objects is the shared object store, whose segments any node may
	// expire; nil when recordings stay on the nodes' disks.
	Objects Objects
	// Now is the clock (tests set it).
	Now func() time.Time

	passes
}

// RetentionMetrics are retention's series.
type RetentionMetrics struct {
	DeletedBytes       prometheus.Counter
	FreeBytes          prometheus.Gauge
	HeldBlocking       prometheus.Gauge
	ObjectDeleteErrors prometheus.Counter
}

// NewRetentionMetrics registers retention's series on reg.
func NewRetentionMetrics(reg prometheus.Registerer) *RetentionMetrics {
	m := &RetentionMetrics{
		DeletedBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_retention_deleted_bytes_total",
			Help: "Bytes of recordings deleted by retention (expired, or oldest first when the disk ran short)."}),
		FreeBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_storage_free_bytes",
			Help: "Free bytes on the filesystem holding the recordings."}),
		HeldBlocking: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_retention_space_blocked",
			Help: "1 when the disk is short of space and everything left to delete is held."}),
		ObjectDeleteErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_s3_delete_errors_total",
			Help: "Deletions of expired footage the shared object store refused or did not answer (each is tried again)."}),
	}
	if reg != nil {
		reg.MustRegister(m.DeletedBytes, m.FreeBytes, m.HeldBlocking, m.ObjectDeleteErrors)
	}
	return m
}

// PassResult says what one retention pass did.
type PassResult struct {
	Expired      int   // segments past their retention period
	ForSpace     int   // segments deleted to meet the quota or free space
	Bytes        int64 // bytes deleted
	HeldSkipped  int   // candidates kept because they are held
	SpaceBlocked bool  // the disk is still short: only held footage is left
}

// Initialize starts the periodic passes.
func (r *Retention) Initialize() {
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Interval == 0 {
		r.Interval = time.Minute
	}
	r.start(r.Interval, func(ctx context.Context) {
		if _, err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Error("retention pass failed", "error", err)
		}
	})
}

// Running reports whether Initialize has started the passes.
func (r *Retention) Running() bool { return r.running() }

// Close stops the passes and waits for the one under way.
func (r *Retention) Close() { r.stop() }

// Pass deletes what has expired, then what must go for space.
func (r *Retention) Pass(ctx context.Context) (PassResult, error) {
	if r.Now == nil {
		r.Now = time.Now
	}
	var res PassResult
	if err := r.expire(ctx, &res); err != nil {
		return res, err
	}
	err := r.makeSpace(ctx, &res)
	if err == nil && r.Objects != nil {
		err = r.deleteObjects(ctx)
	}
	if r.Metrics != nil {
		if free, ferr := r.freeBytes(); ferr == nil {
			r.Metrics.FreeBytes.Set(float64(free))
		}
		blocked := 0.0
		if res.SpaceBlocked {
			blocked = 1
		}
		r.Metrics.HeldBlocking.Set(blocked)
	}
	if res.Expired+res.ForSpace > 0 {
		if r.Custody != nil {
			r.Custody.Kick()
		}
		r.Logger.Info("retention deleted recordings", "expired", res.Expired, "for_space", res.ForSpace,
			"bytes", res.Bytes, "held_kept", res.HeldSkipped)
	}
	return res, err
}

func (r *Retention) expire(ctx context.Context, res *PassResult) error {
	days := map[string]int{}
	cams, err := r.Store.ListCameras(ctx)
	if err != nil {
		return err
	}
	for _, c := range cams {
		days[c.ID] = c.RetentionDays
	}
	recorded, err := r.Store.RecordedCameras(ctx)
	if err != nil {
		return err
	}
	now := r.Now()
	for _, cam := range recorded {
		d, ok := days[cam]
		if !ok {
			d = store.DefaultRetentionDays // a camera since removed from the registry
		}
		cutoff := now.Add(-time.Duration(d) * 24 * time.Hour)
		for {
			segs, err := r.Store.SegmentsEndingBefore(ctx, cam, cutoff, retentionPage)
			if err != nil {
				return err
			}
			deleted := 0
			for _, seg := range segs {
				ok, err := r.deleteUnlessHeld(ctx, seg, fmt.Sprintf("retention: older than %d days", d), res)
				if err != nil {
					return err
				}
				if ok {
					res.Expired++
					deleted++
				}
			}
			// A page of held footage only: nothing more to do for this camera.
			if len(segs) < retentionPage || deleted == 0 {
				break
			}
		}
	}
	return nil
}

func (r *Retention) makeSpace(ctx context.Context, res *PassResult) error {
	if r.QuotaBytes <= 0 && r.MinFreeBytes <= 0 {
		return nil
	}
	recorded, err := r.Store.RecordedBytes(ctx)
	if err != nil {
		return err
	}
	short := func() (bool, error) {
		if r.QuotaBytes > 0 && recorded > r.QuotaBytes {
			return true, nil
		}
		if r.MinFreeBytes > 0 {
			free, err := r.freeBytes()
			if err != nil {
				return false, err
			}
			return free < r.MinFreeBytes, nil
		}
		return false, nil
	}
	skip := 0
	for {
		need, err := short()
		if err != nil || !need {
			return err
		}
		segs, err := r.Store.OldestSegments(ctx, skip, retentionPage)
		if err != nil {
			return err
		}
		if len(segs) == 0 {
			res.SpaceBlocked = true
			r.Logger.Error("disk short of space and only held footage is left to delete",
				"quota_bytes", r.QuotaBytes, "min_free_bytes", r.MinFreeBytes, "recorded_bytes", recorded)
			return nil
		}
		for _, seg := range segs {
			ok, err := r.deleteUnlessHeld(ctx, seg, "retention: disk space (oldest first)", res)
			if err != nil {
				return err
			}
			if !ok {
				skip++
				continue
			}
			res.ForSpace++
			recorded -= seg.Bytes
			if need, err := short(); err != nil || !need {
				return err
			}
		}
	}
}

// deleteUnlessHeld removes a segment's index row with a deletion record,
// then its file. The store refuses held footage (store.ErrHeld) inside its
// transaction, so a hold placed after the Held check below still wins; and
// the file goes only once the store agreed, so a held file is never
// removed. A file that then cannot be removed is indexed again by start-up
// reconciliation and expires again.
func (r *Retention) deleteUnlessHeld(ctx context.Context, seg store.Segment, reason string, res *PassResult) (bool, error) {
	held, err := r.Store.Held(ctx, seg.Camera, seg.Start, seg.End)
	if err != nil {
		return false, err
	}
	if held {
		res.HeldSkipped++
		return false, nil
	}
	path := filepath.Join(r.Dir, filepath.FromSlash(seg.Path))
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) && seg.Object == "" {
		reason += " (the file was already missing)"
	}
	err = r.Store.DeleteSegment(ctx, seg, reason, r.Now())
	if errors.Is(err, store.ErrHeld) { // a hold placed since the check above
		res.HeldSkipped++
		return false, nil
	}
	if errors.Is(err, store.ErrNotFound) && seg.Object != "" {
		return false, nil // another node expired it first
	}
	if err != nil {
		return false, err
	}
	// A segment in the object store has its object queued for deletion
	// (deleteObjects); a copy left on this disk by an upload goes too.
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("delete %s (%s %s): %w", seg.Path, seg.Camera, seg.Start.Format(time.RFC3339), err)
	}
	removeEmptyDirs(filepath.Dir(path), r.Dir)
	res.Bytes += seg.Bytes
	if r.Metrics != nil {
		r.Metrics.DeletedBytes.Add(float64(seg.Bytes))
	}
	return true, nil
}

// objectDeletePage is how many queued objects one query deletes.
const objectDeletePage = 100

// deleteObjects deletes the objects of deleted segments from the object
// store. One the store will not delete stays queued for the next pass.
func (r *Retention) deleteObjects(ctx context.Context) error {
	for {
		objects, err := r.Store.ObjectsToDelete(ctx, objectDeletePage)
		if err != nil || len(objects) == 0 {
			return err
		}
		for _, o := range objects {
			if err := r.Objects.Delete(ctx, o); err != nil {
				if r.Metrics != nil {
					r.Metrics.ObjectDeleteErrors.Inc()
				}
				return fmt.Errorf("deleted footage still in the object store (tried again next pass): %w", err)
			}
			if err := r.Store.ObjectDeleted(ctx, o); err != nil {
				return err
			}
		}
		if len(objects) < objectDeletePage {
			return nil
		}
	}
}

// removeEmptyDirs removes dir and its empty parents, up to (not including) root.
func removeEmptyDirs(dir, root string) {
	root = filepath.Clean(root)
	for dir = filepath.Clean(dir); dir != root && len(dir) > len(root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty, or gone
			return
		}
	}
}

func (r *Retention) freeBytes() (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(r.Dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", r.Dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
