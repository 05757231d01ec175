package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
	"github.com/vigil-cctv/vigil/recorder/playback"
	"github.com/vigil-cctv/vigil/recorder/s3store"
)

// Recordings in the shared object store (recorder.s3): the store, the
// uploader that moves sealed segments there, and the opener every reader
// of footage goes through.

// bucketName is S3's rule for bucket names.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func (c *Config) validateS3(bad func(field, format string, args ...any)) {
	sc := c.Recorder.S3
	if sc.Endpoint == "" {
		return
	}
	if strings.Contains(sc.Endpoint, "://") || strings.Contains(sc.Endpoint, "/") {
		bad("recorder.s3.endpoint", "%q must be host or host:port, without a scheme or path (https is recorder.s3.tls)", sc.Endpoint)
	}
	if !bucketName.MatchString(sc.Bucket) {
		bad("recorder.s3.bucket", "%q must be 3-63 lower-case letters, digits, dots and hyphens", sc.Bucket)
	}
	if sc.AccessKey == "" || sc.SecretKey == "" {
		bad("recorder.s3.access_key", "access_key and secret_key are needed (set VIGIL_RECORDER_S3_ACCESS_KEY and VIGIL_RECORDER_S3_SECRET_KEY)")
	}
	if strings.HasPrefix(sc.Prefix, "/") || strings.Contains(sc.Prefix, "..") {
		bad("recorder.s3.prefix", "%q must be a relative key prefix", sc.Prefix)
	}
	if sc.UploadWorkers < 1 || sc.UploadWorkers > 64 {
		bad("recorder.s3.upload_workers", "%d must be between 1 and 64", sc.UploadWorkers)
	}
	if sc.UploadInterval < time.Second || sc.UploadInterval > 10*time.Minute {
		bad("recorder.s3.upload_interval", "%v must be between 1s and 10m", sc.UploadInterval)
	}
}

// openObjects connects to the object store, when one is configured, and
// checks that its bucket is there. A store that refuses (no such bucket,
// wrong keys) stops the start: it is a configuration to mend. One that
// does not answer does not: the node records all the same, keeping its
// footage on its disk until the store is back.
func (a *App) openObjects(ctx context.Context) (err error) {
	// A store that does not answer must not hold the start up for long.
	checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	a.objects, err = newObjects(checkCtx, a.Config)
	if errors.Is(err, s3store.ErrUnreachable) {
		a.logger.Error("the object store does not answer: recording goes on, footage stays on this disk until it does", "error", err)
		a.objects, err = connectObjects(a.Config)
	}
	if a.objects != nil {
		a.objects.Metrics = s3store.NewMetrics(a.metrics)
	}
	return err
}

// connectObjects is c's object store, unchecked.
func connectObjects(c Config) (*s3store.Store, error) {
	sc := c.Recorder.S3
	st, err := s3store.New(s3store.Config{Endpoint: sc.Endpoint, Bucket: sc.Bucket, Prefix: sc.Prefix, Region: sc.Region,
		AccessKey: sc.AccessKey, SecretKey: sc.SecretKey, TLS: sc.TLS, CAFile: sc.CAFile})
	if err != nil {
		return nil, fmt.Errorf("recorder.s3: %w", err)
	}
	return st, nil
}

// newObjects is c's object store (nil when none is configured), its
// bucket checked (and made, with create_bucket).
func newObjects(ctx context.Context, c Config) (*s3store.Store, error) {
	sc := c.Recorder.S3
	if sc.Endpoint == "" {
		return nil, nil
	}
	st, err := connectObjects(c)
	if err != nil {
		return nil, err
	}
	if err := st.Check(ctx, sc.CreateBucket); err != nil {
		return nil, fmt.Errorf("recorder.s3: %w", err)
	}
	return st, nil
}

// startUploads starts moving sealed segments to the object store.
func (a *App) startUploads() {
	if a.objects == nil {
		return
	}
	sc := a.Config.Recorder.S3
	a.uploader = &recorder.Uploader{Store: a.store, Dir: a.rec.Dir, Objects: a.objects,
		Workers: sc.UploadWorkers, Interval: sc.UploadInterval,
		Metrics: recorder.NewUploadMetrics(a.metrics), Logger: a.logger.With("component", "s3")}
	a.uploader.Initialize()
	a.logger.Info("recordings go to the shared object store once sealed and logged",
		"endpoint", sc.Endpoint, "bucket", sc.Bucket, "prefix", sc.Prefix)
}

// segmentOpener opens a segment wherever the index says it is: in the
// object store, on this node's disk, or on another node's (read from it).
type segmentOpener struct {
	dir     string
	store   *store.Store
	objects *s3store.Store // nil: recordings stay on the nodes' disks
	router  *nodeRouter    // nil: a single node
}

func (o *segmentOpener) Open(s *store.Segment) (playback.File, error) {
	if s.Object != "" {
		if o.objects == nil {
			return nil, fmt.Errorf("segment %s is in the object store (%s), and recorder.s3 is not set on this node", s.Path, s.Object)
		}
		return o.objects.Open(s.Object, s.Bytes)
	}
	if o.router != nil && s.Node != "" && s.Node != o.router.self {
		return o.router.openRemote(s)
	}
	f, err := playback.OpenFile(filepath.Join(o.dir, filepath.FromSlash(s.Path)))
	if errors.Is(err, fs.ErrNotExist) && o.objects != nil {
		// Uploaded since the caller read the index.
		if now, ierr := o.store.SegmentByPath(context.Background(), s.Path); ierr == nil && now.Object != "" {
			return o.objects.Open(now.Object, now.Bytes)
		}
	}
	return f, err
}

// openForRecorder is Open as the recorder takes it (snapshots).
func (o *segmentOpener) openForRecorder(s *store.Segment) (recorder.SegmentFile, error) {
	return o.Open(s)
}
