package playback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// Default bounds on the length of a range.
const (
	DefaultMaxStream   = 24 * time.Hour
	DefaultMaxDownload = 6 * time.Hour
)

// Player reads recorded segments from Dir. Its fields are read-only once
// in use; a Player is safe for concurrent use.
type Player struct {
	// Dir is the recordings directory the index's paths are relative to.
	Dir string

	// Open opens a segment for reading; nil opens its file under Dir. (A
	// node of a cluster reads the segments on other nodes' disks over the
	// network.)
	Open func(s *store.Segment) (File, error)

	// MaxStream bounds the range of WriteFMP4; zero means DefaultMaxStream.
	MaxStream time.Duration

	// MaxDownload bounds the range of WriteMP4; zero means
	// DefaultMaxDownload.
	MaxDownload time.Duration
}

func checkLength(r *Range, limit, def time.Duration, what string) error {
	if r == nil || len(r.Segments) == 0 {
		return errors.New("playback: empty plan")
	}
	if !r.From.Before(r.To) {
		return fmt.Errorf("%w: from %s is not before to %s", ErrBadRange,
			r.From.UTC().Format(timeFormat), r.To.UTC().Format(timeFormat))
	}
	if limit <= 0 {
		limit = def
	}
	if d := r.Duration(); d > limit {
		return fmt.Errorf("%w: %v asked, %s is at most %v", ErrRangeTooLong, d, what, limit)
	}
	return nil
}

// WriteFMP4 streams the range as one fragmented MP4 for dir: see
// Player.WriteFMP4.
func WriteFMP4(ctx context.Context, w io.Writer, dir string, r *Range) error {
	p := &Player{Dir: dir}
	return p.WriteFMP4(ctx, w, r)
}

// WriteMP4 writes the range as one progressive MP4 from dir: see
// Player.WriteMP4.
func WriteMP4(ctx context.Context, w io.Writer, dir string, r *Range) error {
	p := &Player{Dir: dir}
	return p.WriteMP4(ctx, w, r)
}

// File is a segment opened for reading.
type File interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// OpenFile opens the segment file at path.
func OpenFile(path string) (File, error) {
	f, err := segment.Open(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// opener is how p opens segments.
func (p *Player) opener() func(s *store.Segment) (File, error) {
	if p.Open != nil {
		return p.Open
	}
	return func(s *store.Segment) (File, error) {
		return OpenFile(filepath.Join(p.Dir, filepath.FromSlash(s.Path)))
	}
}
