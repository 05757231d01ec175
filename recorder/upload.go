package recorder

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// Objects is the shared object store, as the recorder and retention use it.
type Objects interface {
	// Object names where the segment at path goes ("bucket/key").
	Object(path string) string
	// Put uploads file as object, if it still matches its sealed size and
	// hash (segment.ErrAltered if not).
	Put(ctx context.Context, object, file string, size int64, sum [32]byte) error
	// Delete removes object (gone already is not an error).
	Delete(ctx context.Context, object string) error
}

// Uploader moves sealed segments from this node's disk to the shared
// object store once their sealing is in the evidence log (so the hash the
// log holds covers what is uploaded), records where each went, then
// removes the file from the disk. A segment not uploaded yet stays on the
// disk and is read from there; one whose file no longer matches its hash
// is left on the disk, counted and logged.
type Uploader struct {
	Store   *store.Store
	Dir     string // the recordings root
	Objects Objects
	// Workers upload at once (default 4).
	Workers int
	// Interval between passes (default 10 s).
	Interval time.Duration
	Metrics  *UploadMetrics
	Logger   *slog.Logger

	passes
	mu  sync.Mutex
	bad map[int64]bool // segments given up on (altered, missing): not tried again
}

// uploadPage is how many segments one query hands the workers.
const uploadPage = 64

// UploadMetrics are the uploader's series.
type UploadMetrics struct {
	Segments   prometheus.Counter
	Bytes      prometheus.Counter
	Errors     *prometheus.CounterVec
	Backlog    prometheus.Gauge
	BacklogAge prometheus.Gauge
	GivenUp    prometheus.Gauge
}

// NewUploadMetrics registers the uploader's series on reg (nil: unregistered).
func NewUploadMetrics(reg prometheus.Registerer) *UploadMetrics {
	m := &UploadMetrics{
		Segments: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_s3_uploaded_segments_total",
			Help: "Sealed segments uploaded to the shared object store (and removed from this node's disk)."}),
		Bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_s3_uploaded_bytes_total",
			Help: "Bytes of segments uploaded to the shared object store."}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_s3_upload_errors_total",
			Help: "Segments not uploaded, by why: store (the object store or the index failed; tried again), altered (the file no longer matches its sealed hash; left on disk), missing (the file is gone)."},
			[]string{"why"}),
		Backlog: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_s3_upload_backlog_segments",
			Help: "Sealed segments on this node's disk waiting to go to the shared object store (not those given up on)."}),
		BacklogAge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_s3_upload_backlog_age_seconds",
			Help: "Age of the oldest footage on this node's disk waiting to go to the shared object store (0: none)."}),
		GivenUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_s3_upload_given_up_segments",
			Help: "Segments on this node's disk the uploader will not try again (altered since sealed, or missing): they stay there until retention."}),
	}
	for _, why := range []string{"store", "altered", "missing"} {
		m.Errors.WithLabelValues(why)
	}
	if reg != nil {
		reg.MustRegister(m.Segments, m.Bytes, m.Errors, m.Backlog, m.BacklogAge, m.GivenUp)
	}
	return m
}

// UploadResult says what one pass did.
type UploadResult struct {
	Uploaded int
	Bytes    int64
	Altered  int // left on disk: the file does not match its sealed hash
	Missing  int // the file is gone (start-up reconciliation records it)
}

// Initialize starts the periodic passes.
func (u *Uploader) Initialize() {
	if u.Workers <= 0 {
		u.Workers = 4
	}
	if u.Interval <= 0 {
		u.Interval = 10 * time.Second
	}
	if u.Metrics == nil {
		u.Metrics = NewUploadMetrics(nil)
	}
	failing := false
	u.start(u.Interval, func(ctx context.Context) {
		res, err := u.Pass(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing { // once per outage, not every pass
				u.Logger.Error("uploading recordings to the object store failed; they stay on this disk and are tried again", "error", err)
			}
			failing = true
		case err == nil:
			if failing {
				u.Logger.Info("uploading recordings to the object store again")
			}
			failing = false
		}
		if res.Uploaded > 0 {
			u.Logger.Debug("recordings uploaded to the object store", "segments", res.Uploaded, "bytes", res.Bytes)
		}
	})
}

// Close stops the passes, waiting for the uploads under way.
func (u *Uploader) Close() { u.stop() }

// Pass uploads every segment waiting, Workers at a time. It stops at the
// first failure of the store (the rest wait for the next pass).
func (u *Uploader) Pass(ctx context.Context) (UploadResult, error) {
	var res UploadResult
	if u.Workers <= 0 {
		u.Workers = 1
	}
	if u.Metrics == nil {
		u.Metrics = NewUploadMetrics(nil)
	}
	defer u.measureBacklog(ctx)
	// The segments given up on that are no longer waiting (retention
	// deleted them) are forgotten after a whole pass.
	gone := u.givenUp()
	after := int64(0)
	for {
		segs, err := u.Store.SegmentsToUpload(ctx, after, uploadPage)
		if err != nil || len(segs) == 0 {
			if err == nil {
				u.forget(gone)
			}
			return res, err
		}
		for _, s := range segs {
			delete(gone, s.ID)
		}
		after = segs[len(segs)-1].ID
		if err := u.uploadAll(ctx, segs, &res); err != nil {
			return res, err
		}
	}
}

// uploadAll uploads segs on Workers goroutines; the first error stops it.
func (u *Uploader) uploadAll(ctx context.Context, segs []store.Segment, res *UploadResult) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan store.Segment)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range min(u.Workers, len(segs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seg := range work {
				err := u.upload(ctx, seg, res, &mu)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, seg := range segs {
		select {
		case work <- seg:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// upload moves one segment; mu guards res.
func (u *Uploader) upload(ctx context.Context, seg store.Segment, res *UploadResult, mu *sync.Mutex) error {
	if ctx.Err() != nil || u.isBad(seg.ID) {
		return nil
	}
	abs := filepath.Join(u.Dir, filepath.FromSlash(seg.Path))
	object := u.Objects.Object(seg.Path)
	err := u.Objects.Put(ctx, object, abs, seg.Bytes, seg.SHA256)
	switch {
	case errors.Is(err, segment.ErrAltered):
		u.Logger.Error("segment no longer matches the hash it was sealed with: left on disk, not uploaded",
			"camera", seg.Camera, "path", seg.Path, "error", err)
		u.Metrics.Errors.WithLabelValues("altered").Inc()
		u.markBad(seg.ID)
		mu.Lock()
		res.Altered++
		mu.Unlock()
		return nil
	case errors.Is(err, fs.ErrNotExist):
		u.Metrics.Errors.WithLabelValues("missing").Inc()
		u.markBad(seg.ID) // start-up reconciliation records it as missing
		mu.Lock()
		res.Missing++
		mu.Unlock()
		return nil
	case err != nil:
		if ctx.Err() == nil {
			u.Metrics.Errors.WithLabelValues("store").Inc()
		}
		return err
	}
	err = u.Store.SetSegmentObject(ctx, seg.ID, object)
	if errors.Is(err, store.ErrNotFound) {
		return nil // retention deleted it meanwhile; its object is queued for deletion
	}
	if err != nil {
		u.Metrics.Errors.WithLabelValues("store").Inc()
		return err // uploaded again next pass: a put is idempotent
	}
	// The index now sends readers to the object store; one that opened the
	// file already reads on (the file lives until it closes it).
	if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		u.Logger.Warn("uploaded segment could not be removed from disk", "path", seg.Path, "error", err)
	}
	removeEmptyDirs(filepath.Dir(abs), u.Dir)
	u.Metrics.Segments.Inc()
	u.Metrics.Bytes.Add(float64(seg.Bytes))
	mu.Lock()
	res.Uploaded++
	res.Bytes += seg.Bytes
	mu.Unlock()
	return nil
}

func (u *Uploader) isBad(id int64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.bad[id]
}

func (u *Uploader) markBad(id int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.bad == nil {
		u.bad = map[int64]bool{}
	}
	u.bad[id] = true
}

// givenUp is a copy of the segments given up on.
func (u *Uploader) givenUp() map[int64]bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make(map[int64]bool, len(u.bad))
	for id := range u.bad {
		out[id] = true
	}
	return out
}

func (u *Uploader) forget(ids map[int64]bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for id := range ids {
		delete(u.bad, id)
	}
}

func (u *Uploader) measureBacklog(ctx context.Context) {
	bad := u.givenUp()
	n, oldest, err := u.Store.UploadBacklog(ctx, bad)
	if err != nil {
		return
	}
	u.Metrics.GivenUp.Set(float64(len(bad)))
	u.Metrics.Backlog.Set(float64(n))
	age := 0.0
	if !oldest.IsZero() {
		age = time.Since(oldest).Seconds()
	}
	u.Metrics.BacklogAge.Set(age)
}
