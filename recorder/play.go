package recorder

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigil-cctv/vigil/recorder/playback"
)

// Playback formats.
const (
	FormatFMP4 = "fmp4" // one fragmented MP4 for the web player
	FormatMP4  = "mp4"  // a progressive MP4 to download
)

// Play writes a camera's footage from from to to: an fMP4 stream or an MP4
// file, starting at the keyframe at or before from and crossing segments,
// restarts and gaps. Errors about the range (none recorded, too long) come
// before any byte is written.
func (r *Recorder) Play(ctx context.Context, w io.Writer, camera string, from, to time.Time, format string) error {
	segs, err := r.Store.Segments(ctx, camera, from, to)
	if err != nil {
		return err
	}
	gaps, err := r.Store.Gaps(ctx, camera, from, to)
	if err != nil {
		return err
	}
	rng, err := playback.Plan(segs, gaps, from, to)
	if err != nil {
		return err
	}
	rng.Camera = camera
	p := &playback.Player{Dir: r.Dir}
	switch format {
	case FormatFMP4:
		return p.WriteFMP4(ctx, w, rng)
	case FormatMP4:
		return p.WriteMP4(ctx, w, rng)
	}
	return fmt.Errorf("format %q: want %s or %s", format, FormatFMP4, FormatMP4)
}
