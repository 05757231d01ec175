package playback

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

var (
	// ErrBadRange is returned for a range whose start is not before its end.
	ErrBadRange = errors.New("playback: bad time range")
	// ErrRangeTooLong is returned for a range longer than the Player allows.
	ErrRangeTooLong = errors.New("playback: time range too long")
	// ErrNoFootage is matched by *NoFootageError.
	ErrNoFootage = errors.New("playback: no footage in range")
	// ErrIncomplete is matched by *IncompleteError.
	ErrIncomplete = errors.New("playback: output incomplete")
)

// timeFormat shows instants in errors: UTC, to the millisecond.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// NoFootageError says a range has no playable footage, and why: the gaps
// recorded in it and the segments that could not be read.
type NoFootageError struct {
	Camera     string
	From, To   time.Time
	Gaps       []store.Gap
	Unreadable []*SegmentError
}

func (e *NoFootageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "playback: no footage of camera %q from %s to %s", e.Camera,
		e.From.UTC().Format(timeFormat), e.To.UTC().Format(timeFormat))
	for i, g := range e.Gaps {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "gap %s to %s (%s)", g.Start.UTC().Format(timeFormat), g.End.UTC().Format(timeFormat), g.Reason)
	}
	for _, s := range e.Unreadable {
		b.WriteString("; ")
		b.WriteString(s.Error())
	}
	return b.String()
}

func (e *NoFootageError) Is(target error) bool { return target == ErrNoFootage }

// SegmentError is a segment of the index that could not be played: its file
// is missing, corrupt or unreadable.
type SegmentError struct {
	Camera     string
	Path       string // relative to the recordings directory
	Start, End time.Time
	Err        error
}

func (e *SegmentError) Error() string {
	return fmt.Sprintf("camera %q segment %s (%s to %s): %v", e.Camera, e.Path,
		e.Start.UTC().Format(timeFormat), e.End.UTC().Format(timeFormat), e.Err)
}

func (e *SegmentError) Unwrap() error { return e.Err }

// IncompleteError is returned after a complete, playable output that does
// not hold all the footage of the range: segments left out (played as
// gaps), or a change of SPS/PPS at ChangedAt where the output ends.
type IncompleteError struct {
	Skipped   []*SegmentError
	ChangedAt time.Time // zero unless the output ended at a codec change
}

func (e *IncompleteError) Error() string {
	var parts []string
	for _, s := range e.Skipped {
		parts = append(parts, "left out "+s.Error())
	}
	if !e.ChangedAt.IsZero() {
		parts = append(parts, "stream parameters (SPS/PPS) change at "+
			e.ChangedAt.UTC().Format(timeFormat)+": output ends there, play again from that time")
	}
	return "playback: output incomplete: " + strings.Join(parts, "; ")
}

func (e *IncompleteError) Is(target error) bool { return target == ErrIncomplete }

// Unwrap gives the segment errors, so errors.Is finds their causes.
func (e *IncompleteError) Unwrap() []error {
	out := make([]error, len(e.Skipped))
	for i, s := range e.Skipped {
		out[i] = s
	}
	return out
}
