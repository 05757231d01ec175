package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sys/unix"

	"github.com/vigil-cctv/vigil/evidence/custody"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
)

const origin = "vigil.bench/evidence"

// site is a recorded site at rest: a store, an evidence log and one
// camera's segments, every one sealed and logged.
type site struct {
	root   string
	recDir string
	store  *store.Store
	log    *locker.Log
	camera string
	src    recorded
	segs   []store.Segment
	files  []string // absolute paths of segs
	bytes  int64    // of all segments
}

// buildSite replicates the recorded segment into segments with consecutive
// time ranges until they hold want bytes, indexes each in a new store and
// logs each as sealed through the custody feeder.
func buildSite(ctx context.Context, root string, src recorded, want int64) (_ *site, err error) {
	s := &site{root: root, recDir: filepath.Join(root, "recordings"), camera: src.seg.Camera, src: src}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.store, err = store.Open(filepath.Join(root, "vigil.db")); err != nil {
		return nil, err
	}
	s.log = &locker.Log{Dir: filepath.Join(root, "evidence"), Origin: origin, CreateKey: true, Logger: quiet()}
	if err = s.log.Open(); err != nil {
		s.log = nil
		return nil, err
	}
	c := benchCamera(s.camera, "rtsp://127.0.0.1:8554/"+s.camera+"/main")
	if err = s.store.CreateCamera(ctx, &c); err != nil {
		return nil, err
	}
	n := int((want + src.seg.Bytes - 1) / src.seg.Bytes)
	span := src.seg.End.Sub(src.seg.Start)
	for k := range n {
		seg := src.seg
		seg.ID, seg.SealedSeq = 0, -1
		seg.Start = src.seg.Start.Add(time.Duration(k) * span)
		seg.End = seg.Start.Add(span)
		seg.Sequence = src.seg.Sequence + uint64(k)
		seg.Path = filepath.ToSlash(filepath.Join(s.camera, seg.Start.Format("2006/01/02"),
			fmt.Sprintf("%s_%d.mp4", seg.Start.Format("20060102T150405.000Z"), seg.Sequence)))
		abs := filepath.Join(s.recDir, filepath.FromSlash(seg.Path))
		if err = os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
			return nil, err
		}
		if err = os.WriteFile(abs, src.data, 0o640); err != nil {
			return nil, err
		}
		if err = s.store.AddSegment(ctx, &seg); err != nil {
			return nil, err
		}
		s.segs = append(s.segs, seg)
		s.files = append(s.files, abs)
		s.bytes += seg.Bytes
	}
	// The recorder syncs what it seals: flush the replicas now, so that no
	// later measurement pays for writing them back.
	if err = syncfs(root); err != nil {
		return nil, err
	}
	feeder := &custody.Feeder{Store: s.store, Log: s.log, Logger: quiet()}
	logged, err := feeder.Sync(ctx)
	if err != nil {
		return nil, err
	}
	if logged != n {
		return nil, fmt.Errorf("custody feeder logged %d of %d segments", logged, n)
	}
	if s.segs, err = s.store.Segments(ctx, s.camera, s.segs[0].Start, s.segs[n-1].End); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *site) close() {
	if s.log != nil {
		s.log.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
}

// verifier is the council's key as the police pin it.
func (s *site) verifier() (note.Verifier, error) {
	pub, err := locker.PublicKey(locker.KeyDir(s.log.Dir))
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(strings.TrimSpace(pub))
}

func syncfs(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
