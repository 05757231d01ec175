package recorder

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/ingest/decode"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// ErrNoFootage is returned when there is no recording at a time; it is a
// store.ErrNotFound, so the API answers 404.
var ErrNoFootage = fmt.Errorf("no footage: %w", store.ErrNotFound)

// Snapshot returns a JPEG, at most maxWidth wide, of the camera's picture
// at the keyframe at or before at, and that keyframe's wall time: the
// timeline's thumbnails.
func (r *Recorder) Snapshot(ctx context.Context, camera string, at time.Time, maxWidth int) ([]byte, time.Time, error) {
	segs, err := r.Segments(ctx, camera, at, at.Add(time.Microsecond)) // the index keeps microseconds
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(segs) == 0 {
		why := "nothing was recorded then"
		if gaps, err := r.Store.Gaps(ctx, camera, at, at.Add(time.Microsecond)); err == nil && len(gaps) > 0 {
			why = gaps[0].Reason
		}
		return nil, time.Time{}, fmt.Errorf("%w for %s at %s: %s", ErrNoFootage, camera, at.UTC().Format(time.RFC3339), why)
	}
	seg := segs[0]
	f, err := r.open(&seg)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("segment of %s at %s: %w", camera, seg.Start.Format(time.RFC3339), err)
	}
	defer f.Close()
	idx, err := segment.Scan(f, f.Size())
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("segment %s: %w", seg.Path, err)
	}
	// The latest keyframe at or before at: start from the fragment holding
	// at and walk back (a segment starts with a keyframe), reading about one
	// GOP rather than the whole segment.
	last := 0
	for i := range idx.Fragments {
		if i > 0 && idx.Fragments[i].Wall.After(at) {
			break
		}
		last = i
	}
	var key, first *segment.Sample
	for i := last; i >= 0 && key == nil; i-- {
		samples, err := segment.ReadSamples(f, idx, i)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("segment %s: %w", seg.Path, err)
		}
		for j := range samples {
			if !samples[j].Keyframe {
				continue
			}
			if first == nil || i == 0 && j == 0 {
				first = &samples[j]
			}
			if !samples[j].Wall.After(at) {
				key = &samples[j]
			}
		}
	}
	if key == nil {
		key = first // at is a moment before the segment's first picture
	}
	if key == nil {
		return nil, time.Time{}, fmt.Errorf("segment %s: no keyframe", seg.Path)
	}
	jpeg, err := decode.Snapshot(idx.SPS, idx.PPS, key.NALUs, maxWidth, 80)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("snapshot of %s at %s: %w", camera, key.Wall.Format(time.RFC3339), err)
	}
	return jpeg, key.Wall, nil
}
