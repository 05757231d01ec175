package recorder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// ReconcileResult says what start-up recovery found.
type ReconcileResult struct {
	Indexed  int      // unindexed files (a crash's last segments, orphans) now indexed
	Repaired int      // of those, cut back to their last complete fragment
	Empty    int      // files with no complete fragment, removed (no footage in them)
	Missing  []string // indexed segments whose files are gone
	Bad      []string // files that are not segments Vigil can read (left in place)
}

// Reconcile makes the index agree with the disk, before recording starts:
// the segments a crash left open are repaired at their last complete
// fragment and indexed, orphan files are indexed, and indexed files that
// are gone are reported, recorded as deletions and as gaps.
func (r *Recorder) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	onDisk := map[string]bool{}
	err := filepath.WalkDir(r.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".mp4") {
			return nil
		}
		rel, err := filepath.Rel(r.Dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		onDisk[rel] = true
		if seg, err := r.Store.SegmentByPath(ctx, rel); err == nil {
			if seg.Object != "" && (seg.Node == r.Store.Node()) {
				// Uploaded to the object store, and a crash came before
				// the file was removed from here.
				return os.Remove(path)
			}
			if seg.Node == "" && r.Store.Node() != "" {
				// A single node's site that became several: its footage
				// is on this disk.
				return r.Store.AdoptSegment(ctx, seg.ID)
			}
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return r.adopt(ctx, path, rel, &res)
	})
	if err != nil {
		return res, fmt.Errorf("reconcile %s: %w", r.Dir, err)
	}
	if err := r.findMissing(ctx, onDisk, &res); err != nil {
		return res, err
	}
	if res.Indexed+res.Empty+len(res.Missing)+len(res.Bad) > 0 {
		r.Logger.Warn("recordings reconciled with the index", "indexed", res.Indexed, "repaired", res.Repaired,
			"empty_removed", res.Empty, "missing", len(res.Missing), "unreadable", len(res.Bad))
	}
	return res, nil
}

// adopt indexes a segment file the index does not know.
func (r *Recorder) adopt(ctx context.Context, path, rel string, res *ReconcileResult) error {
	camera := strings.SplitN(rel, "/", 2)[0]
	idx, err := scanFile(path)
	if err != nil && tornHeader(path) {
		r.Logger.Warn("removing a segment whose header a crash cut short", "path", rel)
		res.Empty++
		return os.Remove(path)
	}
	if err != nil {
		r.Logger.Error("unreadable file in the recordings, left in place", "path", rel, "error", err)
		res.Bad = append(res.Bad, rel)
		return nil
	}
	info, err := segment.Repair(path)
	if errors.Is(err, segment.ErrEmpty) {
		r.Logger.Warn("removing a segment with no complete fragment", "path", rel)
		res.Empty++
		return os.Remove(path)
	}
	if err != nil {
		r.Logger.Error("cannot repair segment, left in place", "path", rel, "error", err)
		res.Bad = append(res.Bad, rel)
		return nil
	}
	seg := store.Segment{
		Camera: camera, Start: info.Start, End: info.End, Path: rel, Bytes: info.Bytes, SHA256: info.SHA256,
		StreamID: info.StreamID, Sequence: info.Sequence, Frames: info.Frames, Repaired: idx.Torn,
	}
	if err := r.Store.AddSegment(ctx, &seg); err != nil {
		return err
	}
	res.Indexed++
	if idx.Torn {
		res.Repaired++
	}
	return nil
}

func (r *Recorder) findMissing(ctx context.Context, onDisk map[string]bool, res *ReconcileResult) error {
	cams, err := r.Store.RecordedCameras(ctx)
	if err != nil {
		return err
	}
	for _, cam := range cams {
		segs, err := r.Store.Segments(ctx, cam, time.Time{}, time.Time{})
		if err != nil {
			return err
		}
		for _, s := range segs {
			if onDisk[s.Path] || s.Node != r.Store.Node() || s.Object != "" {
				continue // another node's footage is on its own disk; or in the object store
			}
			r.Logger.Error("indexed segment missing from disk", "camera", s.Camera, "path", s.Path,
				"start", s.Start, "end", s.End)
			res.Missing = append(res.Missing, s.Path)
			why := "segment file missing from disk at start-up (removed outside Vigil)"
			if err := r.Store.DeleteSegment(ctx, s, why, time.Now()); err != nil {
				return err
			}
			r.gap(s.Camera, s.Start, s.End, gapMissing, why)
		}
	}
	return nil
}

func scanFile(path string) (*segment.Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return segment.Scan(f, st.Size())
}

// maxHeaderBytes bounds a segment header (ftyp, moov with SPS/PPS, stream
// box): a file this small that starts like a segment but does not scan is a
// header a crash cut short, with no footage in it.
const maxHeaderBytes = 64 << 10

func tornHeader(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() >= maxHeaderBytes {
		return false
	}
	var b [8]byte
	n, _ := f.ReadAt(b[:], 0)
	return n == 8 && string(b[4:8]) == "ftyp" || st.Size() < 8 && n == int(st.Size())
}
