package onvif

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ptzCall checks the profile token, finds the PTZ service and calls it.
func (c *Client) ptzCall(ctx context.Context, op, profile, inner string, out any) error {
	s, err := c.Services(ctx)
	if err != nil {
		return err
	}
	if s.PTZ == "" {
		return fmt.Errorf("onvif: %s at %s: %w", op, hostOf(c.cfg.XAddr), ErrNoPTZ)
	}
	req := request{op: op, ns: nsPTZ, body: el("tptz:"+op, text("tptz:ProfileToken", profile)+inner)}
	return c.call(ctx, s.PTZ, req, out)
}

// ContinuousMove starts moving at velocity v (generic space, [-1, 1] per
// axis) until Stop, another move, or timeout (zero: the camera's default).
func (c *Client) ContinuousMove(ctx context.Context, profile string, v Vector, timeout time.Duration) error {
	const op = "ContinuousMove"
	if err := checkToken(op, "profile token", profile); err != nil {
		return err
	}
	if err := v.check(op, "velocity", velocityRange()); err != nil {
		return err
	}
	if err := checkTimeout(op, timeout); err != nil {
		return err
	}
	inner := v.xml("tptz:Velocity")
	if timeout > 0 {
		inner += text("tptz:Timeout", xsDuration(timeout))
	}
	return c.ptzCall(ctx, op, profile, inner, nil)
}

// RelativeMove moves by t (generic translation space, [-1, 1] per axis).
func (c *Client) RelativeMove(ctx context.Context, profile string, t Vector) error {
	const op = "RelativeMove"
	if err := checkToken(op, "profile token", profile); err != nil {
		return err
	}
	if err := t.check(op, "translation", translationRange()); err != nil {
		return err
	}
	return c.ptzCall(ctx, op, profile, t.xml("tptz:Translation"), nil)
}

// AbsoluteMove moves to p (generic position space: pan and tilt in
// [-1, 1], zoom in [0, 1]).
func (c *Client) AbsoluteMove(ctx context.Context, profile string, p Vector) error {
	const op = "AbsoluteMove"
	if err := checkToken(op, "profile token", profile); err != nil {
		return err
	}
	if err := p.check(op, "position", positionRange()); err != nil {
		return err
	}
	return c.ptzCall(ctx, op, profile, p.xml("tptz:Position"), nil)
}

// Stop stops movement on the chosen axes (zero value: all).
func (c *Client) Stop(ctx context.Context, profile string, axes Axes) error {
	const op = "Stop"
	if err := checkToken(op, "profile token", profile); err != nil {
		return err
	}
	if axes > ZoomOnly {
		return invalidArg(op, "unknown Axes %d", axes)
	}
	inner := text("tptz:PanTilt", fmt.Sprint(axes.panTilt())) + text("tptz:Zoom", fmt.Sprint(axes.zoom()))
	return c.ptzCall(ctx, op, profile, inner, nil)
}

// PTZStatus is GetStatus's answer. Position.Axes says which axes the camera
// reported; HasPosition is false when it reported none.
type PTZStatus struct {
	Position    Vector
	HasPosition bool
	PanTiltMove MoveStatus // empty when not reported
	ZoomMove    MoveStatus
	Error       string
	UTC         time.Time // zero when not reported or unreadable
}

type vectorXML struct {
	PanTilt *struct {
		X string `xml:"x,attr"`
		Y string `xml:"y,attr"`
	} `xml:"PanTilt"`
	Zoom *struct {
		X string `xml:"x,attr"`
	} `xml:"Zoom"`
}

// vector turns what the camera sent into a Vector; ok is false when it
// sent no axis.
func (x *vectorXML) vector() (v Vector, ok bool, err error) {
	if x == nil || (x.PanTilt == nil && x.Zoom == nil) {
		return Vector{}, false, nil
	}
	switch {
	case x.PanTilt == nil:
		v.Axes = ZoomOnly
	case x.Zoom == nil:
		v.Axes = PanTiltOnly
	}
	if x.PanTilt != nil {
		if v.Pan, err = parseFloatAttr(x.PanTilt.X); err != nil {
			return Vector{}, false, err
		}
		if v.Tilt, err = parseFloatAttr(x.PanTilt.Y); err != nil {
			return Vector{}, false, err
		}
	}
	if x.Zoom != nil {
		if v.Zoom, err = parseFloatAttr(x.Zoom.X); err != nil {
			return Vector{}, false, err
		}
	}
	return v, true, nil
}

type statusXML struct {
	Position *vectorXML `xml:"PTZStatus>Position"`
	PanTilt  string     `xml:"PTZStatus>MoveStatus>PanTilt"`
	Zoom     string     `xml:"PTZStatus>MoveStatus>Zoom"`
	Error    string     `xml:"PTZStatus>Error"`
	UTC      string     `xml:"PTZStatus>UtcTime"`
}

// GetStatus reads position and move status.
func (c *Client) GetStatus(ctx context.Context, profile string) (PTZStatus, error) {
	const op = "GetStatus"
	if err := checkToken(op, "profile token", profile); err != nil {
		return PTZStatus{}, err
	}
	var x statusXML
	if err := c.ptzCall(ctx, op, profile, "", &x); err != nil {
		return PTZStatus{}, err
	}
	var st PTZStatus
	var err error
	if st.Position, st.HasPosition, err = x.Position.vector(); err != nil {
		return PTZStatus{}, fmt.Errorf("onvif: GetStatus: position: %w: %w", err, ErrMalformed)
	}
	st.PanTiltMove = MoveStatus(strings.ToUpper(strings.TrimSpace(x.PanTilt)))
	st.ZoomMove = MoveStatus(strings.ToUpper(strings.TrimSpace(x.Zoom)))
	st.Error = clip(strings.TrimSpace(x.Error))
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(x.UTC)); err == nil {
		st.UTC = t.UTC()
	}
	return st, nil
}

// Preset is a stored PTZ position.
type Preset struct {
	Token string
	Name  string
	// Position is nil when the camera did not say where the preset is.
	Position *Vector
}

type presetsXML struct {
	Presets []struct {
		Token    string     `xml:"token,attr"`
		Name     string     `xml:"Name"`
		Position *vectorXML `xml:"PTZPosition"`
	} `xml:"Preset"`
}

// maxPresets bounds the presets kept; cameras allow a few hundred.
const maxPresets = 1024

// GetPresets lists the presets of a profile's PTZ configuration.
func (c *Client) GetPresets(ctx context.Context, profile string) ([]Preset, error) {
	const op = "GetPresets"
	if err := checkToken(op, "profile token", profile); err != nil {
		return nil, err
	}
	var x presetsXML
	if err := c.ptzCall(ctx, op, profile, "", &x); err != nil {
		return nil, err
	}
	if len(x.Presets) > maxPresets {
		return nil, fmt.Errorf("onvif: GetPresets: %d presets, more than %d: %w", len(x.Presets), maxPresets, ErrMalformed)
	}
	out := make([]Preset, 0, len(x.Presets))
	for _, p := range x.Presets {
		if p.Token == "" {
			return nil, fmt.Errorf("onvif: GetPresets: a preset has no token: %w", ErrMalformed)
		}
		pr := Preset{Token: p.Token, Name: clip(strings.TrimSpace(p.Name))}
		v, ok, err := p.Position.vector()
		if err != nil {
			return nil, fmt.Errorf("onvif: GetPresets: preset %q: %w: %w", p.Token, err, ErrMalformed)
		}
		if ok {
			pr.Position = &v
		}
		out = append(out, pr)
	}
	return out, nil
}

// GotoPreset moves to a preset at the camera's default speed.
func (c *Client) GotoPreset(ctx context.Context, profile, preset string) error {
	const op = "GotoPreset"
	if err := checkToken(op, "profile token", profile); err != nil {
		return err
	}
	if err := checkToken(op, "preset token", preset); err != nil {
		return err
	}
	return c.ptzCall(ctx, op, profile, text("tptz:PresetToken", preset), nil)
}

// maxName is tt:Name's length limit.
const maxName = 64

// SetPreset stores the current position as a preset named name; an empty
// token creates a new preset, else it overwrites that one. It returns the
// preset's token.
func (c *Client) SetPreset(ctx context.Context, profile, name, token string) (string, error) {
	const op = "SetPreset"
	if err := checkToken(op, "profile token", profile); err != nil {
		return "", err
	}
	if len(name) > maxName {
		return "", invalidArg(op, "preset name is %d bytes, over the %d ONVIF allows", len(name), maxName)
	}
	if token != "" {
		if err := checkToken(op, "preset token", token); err != nil {
			return "", err
		}
	}
	var inner string
	if name != "" {
		inner += text("tptz:PresetName", name)
	}
	if token != "" {
		inner += text("tptz:PresetToken", token)
	}
	var x struct {
		Token string `xml:"PresetToken"`
	}
	if err := c.ptzCall(ctx, op, profile, inner, &x); err != nil {
		return "", err
	}
	tok := strings.TrimSpace(x.Token)
	if tok == "" || len(tok) > maxToken {
		return "", fmt.Errorf("onvif: SetPreset: camera returned preset token %q: %w", clip(tok), ErrMalformed)
	}
	return tok, nil
}

// RemovePreset deletes a preset.
func (c *Client) RemovePreset(ctx context.Context, profile, preset string) error {
	const op = "RemovePreset"
	if err := checkToken(op, "profile token", profile); err != nil {
		return err
	}
	if err := checkToken(op, "preset token", preset); err != nil {
		return err
	}
	return c.ptzCall(ctx, op, profile, text("tptz:PresetToken", preset), nil)
}

// GotoHomePosition moves to the home position.
func (c *Client) GotoHomePosition(ctx context.Context, profile string) error {
	const op = "GotoHomePosition"
	if err := checkToken(op, "profile token", profile); err != nil {
		return err
	}
	return c.ptzCall(ctx, op, profile, "", nil)
}
