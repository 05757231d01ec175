// Package ptz steers pan-tilt-zoom cameras for the people at the wall:
// one operator at a time holds a dome (a lock that runs out when they
// stop steering, and that a supervisor can take), a continuous move stops
// by itself when its operator's browser stops repeating it (the dead-man),
// and every action is an evidence-log entry written before the camera is
// told. Cameras are reached through ONVIF (ingest/onvif).
package ptz

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Actions a Command may ask for.
const (
	Continuous = "continuous" // move at Pan, Tilt, Zoom velocities until stopped (or the dead-man)
	Stop       = "stop"
	Relative   = "relative" // move by Pan, Tilt, Zoom
	Absolute   = "absolute" // move to Pan, Tilt, Zoom
	Home       = "home"
	GotoPreset = "goto_preset" // Preset: its token
	SetPreset  = "set_preset"  // Name; Preset: a token to overwrite, or "" for a new one
)

// Command is one thing an operator asks of a dome.
type Command struct {
	Action          string
	Pan, Tilt, Zoom float64
	Preset          string // a preset's token
	Name            string // a preset's name (set_preset)
}

// ErrBadCommand wraps what is wrong with a command.
var ErrBadCommand = errors.New("bad PTZ command")

// maxName bounds a preset's name.
const maxName = 64

// Validate checks a command's action and ranges, in ONVIF's generic
// spaces: pan and tilt in [-1, 1]; zoom in [0, 1] for a position and in
// [-1, 1] for a velocity or a step.
func (c Command) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadCommand, fmt.Sprintf(format, a...))
	}
	for name, v := range map[string]float64{"pan": c.Pan, "tilt": c.Tilt, "zoom": c.Zoom} {
		if math.IsNaN(v) || v < -1 || v > 1 {
			return bad("%s %v: from -1 to 1", name, v)
		}
	}
	switch c.Action {
	case Continuous, Stop, Relative, Home:
	case Absolute:
		if c.Zoom < 0 {
			return bad("zoom %v: a position's zoom is from 0 to 1", c.Zoom)
		}
	case GotoPreset:
		if c.Preset == "" {
			return bad("goto_preset needs a preset")
		}
	case SetPreset:
		if n := strings.TrimSpace(c.Name); n == "" || len(n) > maxName || !utf8.ValidString(n) {
			return bad("set_preset needs a name of 1 to %d bytes", maxName)
		}
	default:
		return bad("unknown action %q (continuous, stop, relative, absolute, home, goto_preset, set_preset)", c.Action)
	}
	if len(c.Preset) > maxName {
		return bad("preset token over %d bytes", maxName)
	}
	return nil
}

// still reports whether a continuous command asks for no motion.
func (c Command) still() bool { return c.Pan == 0 && c.Tilt == 0 && c.Zoom == 0 }

// describe is the command as the evidence log records it.
func (c Command) describe() string {
	switch c.Action {
	case Continuous, Relative, Absolute:
		return fmt.Sprintf("%s pan %.2f tilt %.2f zoom %.2f", c.Action, c.Pan, c.Tilt, c.Zoom)
	case GotoPreset:
		return "go to preset " + c.Preset
	case SetPreset:
		if c.Preset != "" {
			return fmt.Sprintf("set preset %s %q", c.Preset, strings.TrimSpace(c.Name))
		}
		return fmt.Sprintf("set preset %q", strings.TrimSpace(c.Name))
	}
	return c.Action
}
