// Package s3store keeps sealed segments in S3-compatible object storage
// shared by every node: a node's disk then holds only the segments being
// written and those not uploaded yet, and the footage of a node that is
// gone can still be played and exported by the others.
package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/recorder/playback"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// Config says where the object store is.
type Config struct {
	// Endpoint is the S3 service's host:port.
	Endpoint string
	// Bucket holds the recordings; Prefix starts every key.
	Bucket string
	Prefix string
	// Region is the bucket's region (S3-compatible stores mostly accept
	// any; AWS needs the right one).
	Region string
	// AccessKey and SecretKey sign requests (AWS signature version 4).
	AccessKey string
	SecretKey string
	// TLS uses https; CAFile, if set, is the CA that signed the
	// endpoint's certificate (PEM).
	TLS    bool
	CAFile string
	// Timeout bounds one request (default 1 minute; an upload's bound is
	// this plus a second a megabyte).
	Timeout time.Duration
}

// Store is a bucket of recordings.
type Store struct {
	// Metrics counts reads; nil: not counted.
	Metrics *Metrics

	core    *minio.Core
	bucket  string
	prefix  string
	timeout time.Duration
}

// ErrNotFound is an object that is not in the store.
var ErrNotFound = errors.New("no such object in the object store")

// ErrUnreachable is a store that did not answer (as opposed to one that
// refused): a node starts all the same, and uploads when it answers.
var ErrUnreachable = errors.New("the object store did not answer")

// New connects to the object store (no request is made until used).
func New(cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("object store: endpoint and bucket are needed")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("object store CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("object store CA %s: no PEM certificate in it", cfg.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	core, err := minio.NewCore(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.TLS,
		Region:    cfg.Region,
		Transport: tr,
		// Path-style requests: most S3-compatible stores on a council's
		// own network have no wildcard DNS for bucket host names.
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   3,
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", cfg.Endpoint, err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	return &Store{core: core, bucket: cfg.Bucket, prefix: strings.TrimPrefix(cfg.Prefix, "/"), timeout: timeout}, nil
}

// Check makes sure the bucket is there and this node may use it; create
// makes a missing bucket.
func (s *Store) Check(ctx context.Context, create bool) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil && minio.ToErrorResponse(err).Code == "" {
		return fmt.Errorf("object store bucket %s: %w: %w", s.bucket, ErrUnreachable, err)
	}
	if err != nil {
		return fmt.Errorf("object store bucket %s: %w", s.bucket, describe(err))
	}
	if ok {
		return nil
	}
	if !create {
		return fmt.Errorf("object store bucket %s does not exist: create it, or set create_bucket", s.bucket)
	}
	if err := s.core.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("create object store bucket %s: %w", s.bucket, describe(err))
	}
	return nil
}

// Object is where a segment at path (relative to the recordings
// directory) goes: "bucket/key".
func (s *Store) Object(segPath string) string {
	return s.bucket + "/" + path.Join(s.prefix, segPath)
}

// split parses "bucket/key" (a bucket name has no '/').
func split(object string) (bucket, key string, err error) {
	bucket, key, ok := strings.Cut(object, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("object %q is not bucket/key", object)
	}
	return bucket, key, nil
}

// Put uploads the file at file as object, after checking that the file is
// still what was sealed (size and SHA-256, the hash the evidence log
// holds); its MD5 goes with it, so the store refuses bytes damaged on the
// way.
func (s *Store) Put(ctx context.Context, object, file string, size int64, sum [32]byte) error {
	bucket, key, err := split(object)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	if n != size || [32]byte(h.Sum(nil)) != sum {
		return fmt.Errorf("%w: %s is %d bytes with sha256 %x, sealed as %d bytes with sha256 %x",
			segment.ErrAltered, file, n, h.Sum(nil), size, sum)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout+time.Duration(size>>20)*time.Second)
	defer cancel()
	info, err := s.core.Client.PutObject(ctx, bucket, key, io.NewSectionReader(f, 0, size), size, minio.PutObjectOptions{
		ContentType:    "video/mp4",
		SendContentMd5: true,
		UserMetadata:   map[string]string{"sha256": hex.EncodeToString(sum[:])},
		PartSize:       64 << 20,
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", object, describe(err))
	}
	if info.Size != size {
		return fmt.Errorf("upload %s: the store took %d of %d bytes", object, info.Size, size)
	}
	return nil
}

// PutBytes stores b as object, as it is (no hash is checked): for small
// objects and tests.
func (s *Store) PutBytes(ctx context.Context, object string, b []byte) error {
	bucket, key, err := split(object)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.core.Client.PutObject(ctx, bucket, key, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectOptions{SendContentMd5: true}); err != nil {
		return fmt.Errorf("upload %s: %w", object, describe(err))
	}
	return nil
}

// Open reads object, size bytes long, in ranged requests.
func (s *Store) Open(object string, size int64) (playback.File, error) {
	bucket, key, err := split(object)
	if err != nil {
		return nil, err
	}
	return playback.BlockFile(size, func(start, end int64) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		var opts minio.GetObjectOptions
		if err := opts.SetRange(start, end); err != nil {
			return nil, err
		}
		body, _, _, err := s.core.GetObject(ctx, bucket, key, opts)
		if err == nil {
			defer body.Close()
			var b []byte
			if b, err = io.ReadAll(io.LimitReader(body, end-start+1)); err == nil {
				s.Metrics.read(len(b))
				return b, nil
			}
		}
		s.Metrics.failedRead()
		return nil, fmt.Errorf("object %s: %w", object, describe(err))
	}), nil
}

// Metrics are the reads' series: footage played, snapshotted and
// exported from the store.
type Metrics struct {
	ReadBytes  prometheus.Counter
	ReadErrors prometheus.Counter
}

// NewMetrics registers the store's series on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ReadBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_s3_read_bytes_total",
			Help: "Bytes of footage read from the shared object store (playback, snapshots, exports)."}),
		ReadErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_s3_read_errors_total",
			Help: "Reads of footage from the shared object store that failed (the play, snapshot or export failed with them)."}),
	}
	if reg != nil {
		reg.MustRegister(m.ReadBytes, m.ReadErrors)
	}
	return m
}

func (m *Metrics) read(n int) {
	if m != nil {
		m.ReadBytes.Add(float64(n))
	}
}

func (m *Metrics) failedRead() {
	if m != nil {
		m.ReadErrors.Inc()
	}
}

// Delete removes object; one already gone is not an error.
func (s *Store) Delete(ctx context.Context, object string) error {
	bucket, key, err := split(object)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.core.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil && !errors.Is(describe(err), ErrNotFound) {
		return fmt.Errorf("delete %s: %w", object, describe(err))
	}
	return nil
}

// Stat returns an object's size, or ErrNotFound.
func (s *Store) Stat(ctx context.Context, object string) (int64, error) {
	bucket, key, err := split(object)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	info, err := s.core.StatObject(ctx, bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("object %s: %w", object, describe(err))
	}
	return info.Size, nil
}

// describe turns the store's error answers into errors that say what
// happened (and ErrNotFound for a missing object).
func describe(err error) error {
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case "":
		return err
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%w (%s)", ErrNotFound, r.Code)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return fmt.Errorf("the object store refused this node's credentials (%s: %s)", r.Code, r.Message)
	}
	return fmt.Errorf("%s: %s", r.Code, r.Message)
}
