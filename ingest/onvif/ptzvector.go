package onvif

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Axes chooses which parts of a Vector a request carries; an axis left out
// is left alone by the camera. The zero value is both.
type Axes uint8

// Axes values.
const (
	PanTiltAndZoom Axes = iota
	PanTiltOnly
	ZoomOnly
)

func (a Axes) panTilt() bool { return a != ZoomOnly }
func (a Axes) zoom() bool    { return a != PanTiltOnly }

// Vector is a pan/tilt/zoom value in ONVIF's generic spaces, the only ones
// this client speaks: positions pan and tilt in [-1, 1], zoom in [0, 1];
// velocities and relative translations in [-1, 1] on every axis.
type Vector struct {
	Pan, Tilt, Zoom float64
	Axes            Axes
}

// ranges are a generic space's bounds, checked before sending.
type ranges struct{ ptLo, ptHi, zLo, zHi float64 }

func positionRange() ranges    { return ranges{-1, 1, 0, 1} }
func velocityRange() ranges    { return ranges{-1, 1, -1, 1} }
func translationRange() ranges { return ranges{-1, 1, -1, 1} }

func (v Vector) check(op, what string, r ranges) error {
	if v.Axes > ZoomOnly {
		return invalidArg(op, "unknown Axes %d", v.Axes)
	}
	in := func(x, lo, hi float64) bool { return x >= lo && x <= hi } // false for NaN
	if v.Axes.panTilt() {
		if !in(v.Pan, r.ptLo, r.ptHi) {
			return invalidArg(op, "pan %s %v is outside [%v, %v]", what, v.Pan, r.ptLo, r.ptHi)
		}
		if !in(v.Tilt, r.ptLo, r.ptHi) {
			return invalidArg(op, "tilt %s %v is outside [%v, %v]", what, v.Tilt, r.ptLo, r.ptHi)
		}
	}
	if v.Axes.zoom() && !in(v.Zoom, r.zLo, r.zHi) {
		return invalidArg(op, "zoom %s %v is outside [%v, %v]", what, v.Zoom, r.zLo, r.zHi)
	}
	return nil
}

// xml writes the vector as the named tt:PTZVector / tt:PTZSpeed element.
func (v Vector) xml(name string) string {
	var b strings.Builder
	if v.Axes.panTilt() {
		b.WriteString(`<tt:PanTilt x="` + num(v.Pan) + `" y="` + num(v.Tilt) + `"/>`)
	}
	if v.Axes.zoom() {
		b.WriteString(`<tt:Zoom x="` + num(v.Zoom) + `"/>`)
	}
	return el(name, b.String())
}

// maxMoveTimeout bounds a ContinuousMove timeout: an hour of unattended
// motion is a mistake, not a plan.
const maxMoveTimeout = time.Hour

// xsDuration writes d as xs:duration in seconds with millisecond precision.
func xsDuration(d time.Duration) string {
	s := math.Round(d.Seconds()*1000) / 1000
	return "PT" + strconv.FormatFloat(s, 'f', -1, 64) + "S"
}

func checkTimeout(op string, d time.Duration) error {
	switch {
	case d < 0:
		return invalidArg(op, "timeout %v is negative", d)
	case d > 0 && d < time.Millisecond:
		return invalidArg(op, "timeout %v is under a millisecond", d)
	case d > maxMoveTimeout:
		return invalidArg(op, "timeout %v is over %v", d, maxMoveTimeout)
	}
	return nil
}

// MoveStatus is what a PTZ axis is doing.
type MoveStatus string

// MoveStatus values from tt:MoveStatus.
const (
	MoveIdle    MoveStatus = "IDLE"
	MoveMoving  MoveStatus = "MOVING"
	MoveUnknown MoveStatus = "UNKNOWN"
)

func parseFloatAttr(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bad coordinate %q", clip(s))
	}
	return f, nil
}
