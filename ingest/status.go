package ingest

import (
	"context"
	"errors"
	"strings"
	"time"
)

// State is a stream's health as shown to operators and engineers.
type State string

// The states of a camera stream.
const (
	StateConnecting  State = "connecting"
	StateOnline      State = "online"
	StateOffline     State = "offline"
	StateUnsupported State = "unsupported"
	StateDisabled    State = "disabled"
)

var allStates = []State{StateConnecting, StateOnline, StateOffline, StateUnsupported}

// Outage is a span during which a stream delivered no frames.
type Outage struct {
	ID     int64      `json:"id"`
	Camera string     `json:"camera"`
	Stream string     `json:"stream"`
	Start  time.Time  `json:"start"`
	End    *time.Time `json:"end,omitempty"` // nil while ongoing
	Reason string     `json:"reason"`
}

// OutageStore keeps outages. Calls come from worker goroutines, never from
// the packet path, so a slow store does not stall ingest.
type OutageStore interface {
	OpenOutage(ctx context.Context, o *Outage) error // sets o.ID
	CloseOutage(ctx context.Context, o *Outage) error
}

// StreamStatus is a snapshot of one stream's health.
type StreamStatus struct {
	Stream           string    `json:"stream"`
	State            State     `json:"status"`
	Error            string    `json:"error,omitempty"`
	Codec            string    `json:"codec,omitempty"`
	Width            int       `json:"width,omitempty"`
	Height           int       `json:"height,omitempty"`
	FPS              float64   `json:"fps"`
	BitrateBPS       float64   `json:"bitrate_bps"`
	LastFrame        time.Time `json:"last_frame,omitzero"`
	KeyframeInterval float64   `json:"keyframe_interval_seconds"`
	ClockOffset      float64   `json:"clock_offset_seconds"`
	ClockFromCamera  bool      `json:"clock_from_camera"`
	Reconnects       uint64    `json:"reconnects"`
	Frames           uint64    `json:"frames"`
	Bytes            uint64    `json:"bytes"`
	PacketsLost      uint64    `json:"packets_lost"`
	DecodeErrors     uint64    `json:"decode_errors"`
	TimestampJumps   uint64    `json:"timestamp_jumps"`
	Readers          int       `json:"readers"`
	CurrentOutage    *Outage   `json:"current_outage,omitempty"`
}

// reasonClass maps a failure to a short, stable label for metrics.
func reasonClass(err error) string {
	var unsupported *UnsupportedCodecError
	switch {
	case err == nil:
		return "unknown"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.As(err, &unsupported):
		return "unsupported_codec"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "timeout") || strings.Contains(msg, "deadline"):
		return "timeout"
	case strings.Contains(msg, "refused") || strings.Contains(msg, "no route") || strings.Contains(msg, "no such host"):
		return "unreachable"
	case strings.Contains(msg, "EOF") || strings.Contains(msg, "reset") || strings.Contains(msg, "closed"):
		return "connection_lost"
	case strings.Contains(msg, "status code"):
		return "rejected"
	case strings.Contains(msg, "invalid stream URL"):
		return "bad_url"
	}
	return "error"
}
