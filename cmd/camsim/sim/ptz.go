package sim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// PTZPosition is a position in ONVIF's generic spaces: Pan and Tilt in [-1,1] (tilt +1 is
// up), Zoom in [0,1] (0 is the widest view).
type PTZPosition struct {
	Pan  float64 `json:"pan"`
	Tilt float64 `json:"tilt"`
	Zoom float64 `json:"zoom"`
}

// Valid reports whether p is inside the generic spaces.
func (p PTZPosition) Valid() bool {
	return inRange(p.Pan, -1, 1) && inRange(p.Tilt, -1, 1) && inRange(p.Zoom, 0, 1)
}

func inRange(v, lo, hi float64) bool { return !math.IsNaN(v) && v >= lo && v <= hi }

func (p PTZPosition) clamp() PTZPosition {
	return PTZPosition{Pan: clampF(p.Pan, -1, 1), Tilt: clampF(p.Tilt, -1, 1), Zoom: clampF(p.Zoom, 0, 1)}
}

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// PTZ speeds: a velocity or speed of 1 moves this many generic units a second.
const (
	ptzPanTiltSpeed = 1.0 // the whole pan range (2) in 2 s
	ptzZoomSpeed    = 0.5 // wide to tele in 2 s
	// MaxPTZPresets bounds a camera's presets.
	MaxPTZPresets = 32
	// maxPTZTimeout bounds a ContinuousMove's Timeout.
	maxPTZTimeout = time.Hour
)

// PTZStatus is a PTZ camera's position and whether it moves.
type PTZStatus struct {
	Position      PTZPosition `json:"position"`
	PanTiltMoving bool        `json:"pan_tilt_moving"`
	ZoomMoving    bool        `json:"zoom_moving"`
}

// PTZStats counts the moves a PTZ camera was asked for.
type PTZStats struct {
	ContinuousMoves uint64 `json:"continuous_moves"`
	RelativeMoves   uint64 `json:"relative_moves"`
	AbsoluteMoves   uint64 `json:"absolute_moves"`
	PresetMoves     uint64 `json:"preset_moves"` // GotoPreset
	HomeMoves       uint64 `json:"home_moves"`   // GotoHomePosition
	Stops           uint64 `json:"stops"`
}

// PTZPreset is a stored position.
type PTZPreset struct {
	Token    string      `json:"token"`
	Name     string      `json:"name"`
	Position PTZPosition `json:"position"`
}

// Errors of the PTZ state machine; the ONVIF service turns them into faults.
var (
	errPTZRange      = errors.New("out of range")
	errPTZNoPreset   = errors.New("no such preset")
	errPTZPresetName = errors.New("preset name in use")
	errPTZTooMany    = errors.New("too many presets")
)

// ptzAxis is the motion of one axis: a velocity (units/s) or a target at a speed.
type ptzAxis struct {
	vel    float64
	target float64
	speed  float64 // > 0 while moving to target
}

func (a *ptzAxis) moving() bool { return a.vel != 0 || a.speed > 0 }

// advance moves v along a for dt seconds within [lo,hi].
func (a *ptzAxis) advance(v, dt, lo, hi float64) float64 {
	switch {
	case a.vel != 0:
		return clampF(v+a.vel*dt, lo, hi)
	case a.speed > 0:
		step := a.speed * dt
		if d := a.target - v; math.Abs(d) <= step {
			a.speed = 0
			return a.target
		} else if d > 0 {
			return v + step
		}
		return v - step
	}
	return v
}

// ptz is the state machine of one PTZ camera. The position is a function of time, brought up
// to date on every call (no goroutine, no timer), so a fake clock drives it in tests.
type ptz struct {
	now func() time.Time

	mu       sync.Mutex
	at       time.Time // when pos was computed
	pos      PTZPosition
	pan      ptzAxis
	tilt     ptzAxis
	zoom     ptzAxis
	until    time.Time // end of a continuous move with a Timeout (zero: none)
	home     PTZPosition
	presets  []PTZPreset
	nextTok  int
	counters PTZStats
}

func newPTZ(now func() time.Time) *ptz {
	if now == nil {
		now = time.Now
	}
	return &ptz{now: now, at: now()}
}

// update brings the position to time t (never backwards). Called with mu held.
func (p *ptz) update(t time.Time) {
	if !t.After(p.at) {
		return
	}
	end := t
	if !p.until.IsZero() && p.until.Before(end) {
		end = p.until
	}
	if end.After(p.at) {
		dt := end.Sub(p.at).Seconds()
		p.pos.Pan = p.pan.advance(p.pos.Pan, dt, -1, 1)
		p.pos.Tilt = p.tilt.advance(p.pos.Tilt, dt, -1, 1)
		p.pos.Zoom = p.zoom.advance(p.pos.Zoom, dt, 0, 1)
	}
	if !p.until.IsZero() && !p.until.After(t) {
		p.pan.vel, p.tilt.vel, p.zoom.vel = 0, 0, 0
		p.until = time.Time{}
	}
	p.at = t
}

// Position is the position at t (the picture's renderer asks for frame times).
func (p *ptz) Position(t time.Time) PTZPosition {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(t)
	return p.pos
}

// Status is the position and motion now.
func (p *ptz) Status() PTZStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.now())
	return PTZStatus{
		Position:      p.pos,
		PanTiltMoving: p.pan.moving() || p.tilt.moving(),
		ZoomMoving:    p.zoom.moving(),
	}
}

// Stats returns the move counters.
func (p *ptz) Stats() PTZStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counters
}

// PTZVector is a velocity, translation or speed; nil parts are absent from the request.
type PTZVector struct {
	PanTilt *[2]float64 // pan (x), tilt (y)
	Zoom    *float64
}

// ContinuousMove moves at velocity v (generic velocity space, [-1,1] each) until Stop, another
// move, or timeout (0: none). Absent parts stop that axis.
func (p *ptz) ContinuousMove(v PTZVector, timeout time.Duration) error {
	var pan, tilt, zoom float64
	if v.PanTilt != nil {
		pan, tilt = v.PanTilt[0], v.PanTilt[1]
	}
	if v.Zoom != nil {
		zoom = *v.Zoom
	}
	if !inRange(pan, -1, 1) || !inRange(tilt, -1, 1) || !inRange(zoom, -1, 1) {
		return fmt.Errorf("velocity: %w", errPTZRange)
	}
	if timeout < 0 || timeout > maxPTZTimeout {
		return fmt.Errorf("timeout %v: %w", timeout, errPTZRange)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.update(now)
	p.pan = ptzAxis{vel: pan * ptzPanTiltSpeed}
	p.tilt = ptzAxis{vel: tilt * ptzPanTiltSpeed}
	p.zoom = ptzAxis{vel: zoom * ptzZoomSpeed}
	p.until = time.Time{}
	if timeout > 0 {
		p.until = now.Add(timeout)
	}
	p.counters.ContinuousMoves++
	return nil
}

// speeds returns the per-axis speeds (units/s) of a move at speed s (nil parts: full speed).
func speeds(s PTZVector) (pan, tilt, zoom float64, err error) {
	pan, tilt, zoom = 1, 1, 1
	if s.PanTilt != nil {
		pan, tilt = math.Abs(s.PanTilt[0]), math.Abs(s.PanTilt[1])
	}
	if s.Zoom != nil {
		zoom = math.Abs(*s.Zoom)
	}
	if !inRange(pan, 0, 1) || !inRange(tilt, 0, 1) || !inRange(zoom, 0, 1) {
		return 0, 0, 0, fmt.Errorf("speed: %w", errPTZRange)
	}
	// a zero speed would never arrive: take it as the slowest usable one
	return max(pan, 0.01) * ptzPanTiltSpeed, max(tilt, 0.01) * ptzPanTiltSpeed, max(zoom, 0.01) * ptzZoomSpeed, nil
}

// moveTo starts moving the axes in set to target at the given speeds. Called with mu held.
func (p *ptz) moveTo(target PTZPosition, panTilt, zoom bool, sp PTZVector) error {
	ps, ts, zs, err := speeds(sp)
	if err != nil {
		return err
	}
	p.until = time.Time{}
	if panTilt {
		p.pan = ptzAxis{target: target.Pan, speed: ps}
		p.tilt = ptzAxis{target: target.Tilt, speed: ts}
	} else {
		p.pan.vel, p.tilt.vel = 0, 0
	}
	if zoom {
		p.zoom = ptzAxis{target: target.Zoom, speed: zs}
	} else {
		p.zoom.vel = 0
	}
	return nil
}

// AbsoluteMove moves to pos (parts absent keep their axes still) at speed sp.
func (p *ptz) AbsoluteMove(pos PTZVector, sp PTZVector) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.now())
	target := p.pos
	if pos.PanTilt != nil {
		target.Pan, target.Tilt = pos.PanTilt[0], pos.PanTilt[1]
	}
	if pos.Zoom != nil {
		target.Zoom = *pos.Zoom
	}
	if !target.Valid() {
		return fmt.Errorf("position: %w", errPTZRange)
	}
	if err := p.moveTo(target, pos.PanTilt != nil, pos.Zoom != nil, sp); err != nil {
		return err
	}
	p.counters.AbsoluteMoves++
	return nil
}

// RelativeMove moves by tr (translation space [-1,1] each); a target beyond the range stops
// at its border, as ONVIF says.
func (p *ptz) RelativeMove(tr PTZVector, sp PTZVector) error {
	var dp, dt, dz float64
	if tr.PanTilt != nil {
		dp, dt = tr.PanTilt[0], tr.PanTilt[1]
	}
	if tr.Zoom != nil {
		dz = *tr.Zoom
	}
	if !inRange(dp, -1, 1) || !inRange(dt, -1, 1) || !inRange(dz, -1, 1) {
		return fmt.Errorf("translation: %w", errPTZRange)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.now())
	// from the current target when already moving to one, so two quick steps add up
	from := p.pos
	if p.pan.speed > 0 {
		from.Pan = p.pan.target
	}
	if p.tilt.speed > 0 {
		from.Tilt = p.tilt.target
	}
	if p.zoom.speed > 0 {
		from.Zoom = p.zoom.target
	}
	target := PTZPosition{Pan: from.Pan + dp, Tilt: from.Tilt + dt, Zoom: from.Zoom + dz}.clamp()
	if err := p.moveTo(target, tr.PanTilt != nil, tr.Zoom != nil, sp); err != nil {
		return err
	}
	p.counters.RelativeMoves++
	return nil
}

// Stop stops the pan/tilt and/or zoom motion.
func (p *ptz) Stop(panTilt, zoom bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.now())
	if panTilt {
		p.pan, p.tilt = ptzAxis{}, ptzAxis{}
	}
	if zoom {
		p.zoom = ptzAxis{}
	}
	if !p.pan.moving() && !p.tilt.moving() && !p.zoom.moving() {
		p.until = time.Time{}
	}
	p.counters.Stops++
}

// Presets returns the presets in creation order.
func (p *ptz) Presets() []PTZPreset {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]PTZPreset(nil), p.presets...)
}

// SetPreset stores the current position under token (a new one when token is ""), named name
// (default "Preset N"), and returns the token.
func (p *ptz) SetPreset(name, token string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.now())
	idx := -1
	if token != "" {
		if idx = p.presetIndex(token); idx < 0 {
			return "", fmt.Errorf("preset %q: %w", token, errPTZNoPreset)
		}
	}
	for i, pr := range p.presets {
		if name != "" && pr.Name == name && i != idx {
			return "", fmt.Errorf("%q: %w", name, errPTZPresetName)
		}
	}
	if idx >= 0 {
		p.presets[idx].Position = p.pos
		if name != "" {
			p.presets[idx].Name = name
		}
		return token, nil
	}
	if len(p.presets) >= MaxPTZPresets {
		return "", fmt.Errorf("%d presets: %w", MaxPTZPresets, errPTZTooMany)
	}
	p.nextTok++
	token = "preset" + strconv.Itoa(p.nextTok)
	if name == "" {
		name = "Preset " + strconv.Itoa(p.nextTok)
	}
	p.presets = append(p.presets, PTZPreset{Token: token, Name: name, Position: p.pos})
	return token, nil
}

// RemovePreset deletes a preset.
func (p *ptz) RemovePreset(token string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.presetIndex(token)
	if i < 0 {
		return fmt.Errorf("preset %q: %w", token, errPTZNoPreset)
	}
	p.presets = append(p.presets[:i], p.presets[i+1:]...)
	return nil
}

// GotoPreset moves to a preset at speed sp.
func (p *ptz) GotoPreset(token string, sp PTZVector) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.presetIndex(token)
	if i < 0 {
		return fmt.Errorf("preset %q: %w", token, errPTZNoPreset)
	}
	p.update(p.now())
	if err := p.moveTo(p.presets[i].Position, true, true, sp); err != nil {
		return err
	}
	p.counters.PresetMoves++
	return nil
}

// SetHome makes the current position the home position.
func (p *ptz) SetHome() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.now())
	p.home = p.pos
}

// GotoHome moves to the home position (the centre, wide, until SetHome) at speed sp.
func (p *ptz) GotoHome(sp PTZVector) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.now())
	if err := p.moveTo(p.home, true, true, sp); err != nil {
		return err
	}
	p.counters.HomeMoves++
	return nil
}

func (p *ptz) presetIndex(token string) int {
	for i, pr := range p.presets {
		if pr.Token == token {
			return i
		}
	}
	return -1
}
