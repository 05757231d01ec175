package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/playback"
	"github.com/vigil-cctv/vigil/ui"
)

// footage is what playback needs: the index plus the open segments.
type footage interface {
	Segments(ctx context.Context, camera string, from, to time.Time) ([]store.Segment, error)
	Gaps(ctx context.Context, camera string, from, to time.Time) ([]store.Gap, error)
}

// player joins the recordings (the recorder: index plus open segments) and
// recorder/playback for the API.
type player struct {
	rec footage
	dir string // the recordings root
	// open opens a segment (nil: from dir): a cluster's node reads the
	// segments on the others' disks from them.
	open func(*store.Segment) (playback.File, error)
}

var _ ui.Player = (*player)(nil)

// Play writes a camera's footage from from to to as fmp4 (the web player)
// or mp4 (a download), starting at the keyframe at or before from and
// crossing segments, restarts and gaps. Errors about the range (none
// recorded, too long) come before any byte is written.
func (p *player) Play(ctx context.Context, w io.Writer, camera string, from, to time.Time, format string) error {
	segs, err := p.rec.Segments(ctx, camera, from, to)
	if err != nil {
		return err
	}
	gaps, err := p.rec.Gaps(ctx, camera, from, to)
	if err != nil {
		return err
	}
	rng, err := playback.Plan(segs, gaps, from, to)
	if err != nil {
		return err
	}
	rng.Camera = camera
	out := &playback.Player{Dir: p.dir, Open: p.open}
	switch format {
	case "fmp4":
		return out.WriteFMP4(ctx, w, rng)
	case "mp4":
		return out.WriteMP4(ctx, w, rng)
	}
	return fmt.Errorf("format %q: want fmp4 or mp4", format)
}
