package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Target is what a source connects to.
type Target struct {
	Camera      string
	Stream      string // "main" or "sub"
	URL         string
	User, Pass  string
	Transport   string // "tcp" (default) or "udp"
	ReadTimeout time.Duration
}

// Sink receives what a source reads. A source calls it from one goroutine.
type Sink interface {
	// SessionStarted announces a new session before its first access unit,
	// and again whenever the stream's parameters change.
	SessionStarted(s *Session)
	AccessUnit(au *AccessUnit)
	PacketsLost(n uint64)
	DecodeError(err error)
}

// SourceFunc connects to a target and delivers into sink until the stream
// fails or ctx is cancelled. It returns a non-nil error in both cases.
// Implementations: ingest/rtsp.Read.
type SourceFunc func(ctx context.Context, t Target, sink Sink) error

// ErrUnauthorized is returned when the camera rejects the credentials.
var ErrUnauthorized = errors.New("camera rejected the credentials (401 Unauthorized)")

// UnsupportedCodecError is returned when a stream carries no H.264 video.
type UnsupportedCodecError struct {
	Codecs []string // what the camera offered
}

func (e *UnsupportedCodecError) Error() string {
	if len(e.Codecs) == 0 {
		return "unsupported codec: the stream has no video track"
	}
	return fmt.Sprintf("unsupported codec: %s (Vigil ingests H.264)", strings.Join(e.Codecs, ", "))
}
