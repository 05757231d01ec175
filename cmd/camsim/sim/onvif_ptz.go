package sim

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The PTZ service (ver20) over the camera's ptz state machine, in ONVIF's generic spaces.

const (
	spacePanTiltPosition    = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
	spaceZoomPosition       = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"
	spacePanTiltVelocity    = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace"
	spaceZoomVelocity       = "http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace"
	spacePanTiltTranslation = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace"
	spaceZoomTranslation    = "http://www.onvif.org/ver10/tptz/ZoomSpaces/TranslationGenericSpace"
	spacePanTiltSpeed       = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/GenericSpeedSpace"
	spaceZoomSpeed          = "http://www.onvif.org/ver10/tptz/ZoomSpaces/ZoomGenericSpeedSpace"
	ptzNodeToken            = "ptznode0"
	ptzConfigToken          = "ptz0"
)

func (o *onvifService) addPTZOps() {
	op := func(local string, f onvifOp) { o.ops[xml.Name{Space: nsPTZ, Local: local}] = f }
	op("GetNodes", (*onvifCall).ptzGetNodes)
	op("GetConfigurations", (*onvifCall).ptzGetConfigurations)
	op("GetStatus", (*onvifCall).ptzGetStatus)
	op("ContinuousMove", (*onvifCall).ptzContinuousMove)
	op("RelativeMove", (*onvifCall).ptzRelativeMove)
	op("AbsoluteMove", (*onvifCall).ptzAbsoluteMove)
	op("Stop", (*onvifCall).ptzStop)
	op("GetPresets", (*onvifCall).ptzGetPresets)
	op("SetPreset", (*onvifCall).ptzSetPreset)
	op("RemovePreset", (*onvifCall).ptzRemovePreset)
	op("GotoPreset", (*onvifCall).ptzGotoPreset)
	op("GotoHomePosition", (*onvifCall).ptzGotoHome)
	op("SetHomePosition", (*onvifCall).ptzSetHome)
}

func writePTZConfiguration(w *soapWriter, elem string) {
	w.open(elem, "token", ptzConfigToken)
	w.leaf("tt:Name", "PTZ")
	w.leaf("tt:UseCount", "2")
	w.leaf("tt:NodeToken", ptzNodeToken)
	// "Pant" is how the ONVIF schema spells it
	w.leaf("tt:DefaultAbsolutePantTiltPositionSpace", spacePanTiltPosition)
	w.leaf("tt:DefaultAbsoluteZoomPositionSpace", spaceZoomPosition)
	w.leaf("tt:DefaultRelativePanTiltTranslationSpace", spacePanTiltTranslation)
	w.leaf("tt:DefaultRelativeZoomTranslationSpace", spaceZoomTranslation)
	w.leaf("tt:DefaultContinuousPanTiltVelocitySpace", spacePanTiltVelocity)
	w.leaf("tt:DefaultContinuousZoomVelocitySpace", spaceZoomVelocity)
	w.open("tt:DefaultPTZSpeed")
	w.empty("tt:PanTilt", "x", "1", "y", "1", "space", spacePanTiltSpeed)
	w.empty("tt:Zoom", "x", "1", "space", spaceZoomSpeed)
	w.close("tt:DefaultPTZSpeed")
	w.close(elem)
}

// checkProfile checks the request's ProfileToken.
func (c *onvifCall) checkProfile() *soapFault {
	_, f := profileKind(c.req.Op.text("ProfileToken"))
	return f
}

func (c *onvifCall) ptzGetNodes() *soapFault {
	w := c.w
	w.open("tptz:GetNodesResponse")
	w.open("tptz:PTZNode", "token", ptzNodeToken, "FixedHomePosition", "false")
	w.leaf("tt:Name", "PTZ")
	w.open("tt:SupportedPTZSpaces")
	space := func(elem, uri string, lo, hi float64, zoom bool) {
		w.open(elem)
		w.leaf("tt:URI", uri)
		w.open("tt:XRange")
		w.leaf("tt:Min", fmtF(lo))
		w.leaf("tt:Max", fmtF(hi))
		w.close("tt:XRange")
		if !zoom {
			w.open("tt:YRange")
			w.leaf("tt:Min", "-1")
			w.leaf("tt:Max", "1")
			w.close("tt:YRange")
		}
		w.close(elem)
	}
	space("tt:AbsolutePanTiltPositionSpace", spacePanTiltPosition, -1, 1, false)
	space("tt:AbsoluteZoomPositionSpace", spaceZoomPosition, 0, 1, true)
	space("tt:RelativePanTiltTranslationSpace", spacePanTiltTranslation, -1, 1, false)
	space("tt:RelativeZoomTranslationSpace", spaceZoomTranslation, -1, 1, true)
	space("tt:ContinuousPanTiltVelocitySpace", spacePanTiltVelocity, -1, 1, false)
	space("tt:ContinuousZoomVelocitySpace", spaceZoomVelocity, -1, 1, true)
	w.close("tt:SupportedPTZSpaces")
	w.leaf("tt:MaximumNumberOfPresets", strconv.Itoa(MaxPTZPresets))
	w.leaf("tt:HomeSupported", "true")
	w.close("tptz:PTZNode")
	w.close("tptz:GetNodesResponse")
	return nil
}

func (c *onvifCall) ptzGetConfigurations() *soapFault {
	c.w.open("tptz:GetConfigurationsResponse")
	writePTZConfiguration(c.w, "tptz:PTZConfiguration")
	c.w.close("tptz:GetConfigurationsResponse")
	return nil
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func writePosition(w *soapWriter, elem string, p PTZPosition) {
	w.open(elem)
	w.empty("tt:PanTilt", "x", fmtF(round6(p.Pan)), "y", fmtF(round6(p.Tilt)), "space", spacePanTiltPosition)
	w.empty("tt:Zoom", "x", fmtF(round6(p.Zoom)), "space", spaceZoomPosition)
	w.close(elem)
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func (c *onvifCall) ptzGetStatus() *soapFault {
	if f := c.checkProfile(); f != nil {
		return f
	}
	st := c.cam.ptz.Status()
	moving := func(m bool) string {
		if m {
			return "MOVING"
		}
		return "IDLE"
	}
	w := c.w
	w.open("tptz:GetStatusResponse")
	w.open("tptz:PTZStatus")
	writePosition(w, "tt:Position", st.Position)
	w.open("tt:MoveStatus")
	w.leaf("tt:PanTilt", moving(st.PanTiltMoving))
	w.leaf("tt:Zoom", moving(st.ZoomMoving))
	w.close("tt:MoveStatus")
	w.leaf("tt:UtcTime", c.now.UTC().Format("2006-01-02T15:04:05Z"))
	w.close("tptz:PTZStatus")
	w.close("tptz:GetStatusResponse")
	return nil
}

// parseVector reads a PTZVector or PTZSpeed element (nil: all parts absent). Coordinates must
// be finite numbers; a space, when given, must be a generic one.
func parseVector(n *xmlNode, what string) (PTZVector, error) {
	var v PTZVector
	if n == nil {
		return v, nil
	}
	num := func(e *xmlNode, attr string) (float64, error) {
		s, ok := e.attr(attr)
		if !ok {
			return 0, fmt.Errorf("%s/%s: no %s", what, e.Name.Local, attr)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s/%s: %s=%q is not a number", what, e.Name.Local, attr, truncate(s))
		}
		return f, nil
	}
	generic := func(e *xmlNode) error {
		if sp, ok := e.attr("space"); ok && !strings.Contains(sp, "Generic") {
			return fmt.Errorf("%s/%s: space %q is not a generic space", what, e.Name.Local, truncate(sp))
		}
		return nil
	}
	if pt := n.child("", "PanTilt"); pt != nil {
		x, err := num(pt, "x")
		if err != nil {
			return v, err
		}
		y, err := num(pt, "y")
		if err != nil {
			return v, err
		}
		if err := generic(pt); err != nil {
			return v, err
		}
		v.PanTilt = &[2]float64{x, y}
	}
	if z := n.child("", "Zoom"); z != nil {
		x, err := num(z, "x")
		if err != nil {
			return v, err
		}
		if err := generic(z); err != nil {
			return v, err
		}
		v.Zoom = &x
	}
	return v, nil
}

// ptzFault turns a state machine error into a fault; detail names the bad argument.
func ptzFault(err error, detail string) *soapFault {
	switch {
	case errors.Is(err, errPTZNoPreset):
		return invalidArg("ter:NoToken", "%v", err)
	case errors.Is(err, errPTZPresetName):
		return invalidArg("ter:PresetExist", "%v", err)
	case errors.Is(err, errPTZTooMany):
		return receiverFault(err.Error(), "ter:Action", "ter:TooManyPresets")
	}
	return invalidArg(detail, "%v", err)
}

// move runs a move after the profile check, parsing the vector at arg and the Speed.
func (c *onvifCall) move(arg, detail, resp string, do func(v, speed PTZVector) error) *soapFault {
	if f := c.checkProfile(); f != nil {
		return f
	}
	var v PTZVector
	if arg != "" {
		n := c.req.Op.child("", arg)
		if n == nil {
			return invalidArg(detail, "no %s", arg)
		}
		var err error
		if v, err = parseVector(n, arg); err != nil {
			return invalidArg(detail, "%v", err)
		}
	}
	speed, err := parseVector(c.req.Op.child("", "Speed"), "Speed")
	if err != nil {
		return invalidArg("ter:InvalidSpeed", "%v", err)
	}
	if err := do(v, speed); err != nil {
		return ptzFault(err, detail)
	}
	c.w.empty(resp)
	return nil
}

func (c *onvifCall) ptzContinuousMove() *soapFault {
	var timeout time.Duration
	if t := c.req.Op.text("Timeout"); t != "" {
		var err error
		if timeout, err = parseXSDuration(t); err != nil {
			return invalidArg("ter:InvalidTimeout", "Timeout: %v", err)
		}
	}
	return c.move("Velocity", "ter:InvalidVelocity", "tptz:ContinuousMoveResponse", func(v, _ PTZVector) error {
		return c.cam.ptz.ContinuousMove(v, timeout)
	})
}

func (c *onvifCall) ptzRelativeMove() *soapFault {
	return c.move("Translation", "ter:InvalidTranslation", "tptz:RelativeMoveResponse", c.cam.ptz.RelativeMove)
}

func (c *onvifCall) ptzAbsoluteMove() *soapFault {
	return c.move("Position", "ter:InvalidPosition", "tptz:AbsoluteMoveResponse", c.cam.ptz.AbsoluteMove)
}

func (c *onvifCall) ptzGotoHome() *soapFault {
	return c.move("", "ter:InvalidSpeed", "tptz:GotoHomePositionResponse", func(_, speed PTZVector) error {
		return c.cam.ptz.GotoHome(speed)
	})
}

func (c *onvifCall) ptzGotoPreset() *soapFault {
	token := c.req.Op.text("PresetToken")
	return c.move("", "ter:NoToken", "tptz:GotoPresetResponse", func(_, speed PTZVector) error {
		return c.cam.ptz.GotoPreset(token, speed)
	})
}

func (c *onvifCall) ptzStop() *soapFault {
	if f := c.checkProfile(); f != nil {
		return f
	}
	flag := func(name string) (bool, *soapFault) {
		switch v := c.req.Op.text(name); v {
		case "", "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		default:
			return false, invalidArg("", "%s %q is not a boolean", name, truncate(v))
		}
	}
	pt, f := flag("PanTilt")
	if f != nil {
		return f
	}
	zoom, f := flag("Zoom")
	if f != nil {
		return f
	}
	c.cam.ptz.Stop(pt, zoom)
	c.w.empty("tptz:StopResponse")
	return nil
}

func (c *onvifCall) ptzGetPresets() *soapFault {
	if f := c.checkProfile(); f != nil {
		return f
	}
	w := c.w
	w.open("tptz:GetPresetsResponse")
	for _, p := range c.cam.ptz.Presets() {
		w.open("tptz:Preset", "token", p.Token)
		w.leaf("tt:Name", p.Name)
		writePosition(w, "tt:PTZPosition", p.Position)
		w.close("tptz:Preset")
	}
	w.close("tptz:GetPresetsResponse")
	return nil
}

func (c *onvifCall) ptzSetPreset() *soapFault {
	if f := c.checkProfile(); f != nil {
		return f
	}
	name := c.req.Op.text("PresetName")
	if len(name) > 64 || !printable(name) {
		return invalidArg("ter:InvalidPresetName", "PresetName: up to 64 printable characters")
	}
	token, err := c.cam.ptz.SetPreset(name, c.req.Op.text("PresetToken"))
	if err != nil {
		return ptzFault(err, "")
	}
	c.w.open("tptz:SetPresetResponse")
	c.w.leaf("tptz:PresetToken", token)
	c.w.close("tptz:SetPresetResponse")
	return nil
}

func (c *onvifCall) ptzRemovePreset() *soapFault {
	if f := c.checkProfile(); f != nil {
		return f
	}
	if err := c.cam.ptz.RemovePreset(c.req.Op.text("PresetToken")); err != nil {
		return ptzFault(err, "")
	}
	c.w.empty("tptz:RemovePresetResponse")
	return nil
}

func (c *onvifCall) ptzSetHome() *soapFault {
	if f := c.checkProfile(); f != nil {
		return f
	}
	c.cam.ptz.SetHome()
	c.w.empty("tptz:SetHomePositionResponse")
	return nil
}

// parseXSDuration parses an xs:duration without years or months (their length varies):
// PT1S, PT0.5S, PT1M30S, P1DT2H.
func parseXSDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "P")
	if !ok || rest == "" || len(s) > 64 {
		return 0, fmt.Errorf("%q is not an xs:duration like PT1S", truncate(s))
	}
	var total float64
	inTime, seen := false, false
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return 0, fmt.Errorf("%q: two T", truncate(s))
			}
			inTime, rest = true, rest[1:]
			continue
		}
		i := strings.IndexAny(rest, "DHMS")
		if i <= 0 {
			return 0, fmt.Errorf("%q is not an xs:duration like PT1S", truncate(s))
		}
		v, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || v < 0 || strings.ContainsAny(rest[:i], "eE+-") {
			return 0, fmt.Errorf("%q: bad number %q", truncate(s), rest[:i])
		}
		unit := map[byte]float64{'D': 86400, 'H': 3600, 'M': 60, 'S': 1}[rest[i]]
		if (rest[i] == 'D') == inTime {
			return 0, fmt.Errorf("%q: %c on the wrong side of T", truncate(s), rest[i])
		}
		total += v * unit
		seen, rest = true, rest[i+1:]
	}
	if !seen || total > float64(maxPTZTimeout/time.Second) {
		return 0, fmt.Errorf("%q: empty or longer than %v", truncate(s), maxPTZTimeout)
	}
	return time.Duration(total * float64(time.Second)), nil
}
