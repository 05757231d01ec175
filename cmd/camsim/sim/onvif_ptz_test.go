package sim

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// ptzVectorXML is a tt:PTZVector.
type ptzVectorXML struct {
	PanTilt struct {
		X float64 `xml:"x,attr"`
		Y float64 `xml:"y,attr"`
	}
	Zoom struct {
		X float64 `xml:"x,attr"`
	}
}

type ptzStatusResp struct {
	Position  ptzVectorXML `xml:"PTZStatus>Position"`
	PanTiltMS string       `xml:"PTZStatus>MoveStatus>PanTilt"`
	ZoomMS    string       `xml:"PTZStatus>MoveStatus>Zoom"`
}

func (st ptzStatusResp) pos() PTZPosition {
	return PTZPosition{Pan: st.Position.PanTilt.X, Tilt: st.Position.PanTilt.Y, Zoom: st.Position.Zoom.X}
}

type presetsResp struct {
	Presets []struct {
		Token    string       `xml:"token,attr"`
		Name     string       `xml:"Name"`
		Position ptzVectorXML `xml:"PTZPosition"`
	} `xml:"Preset"`
}

// ptzOp builds a PTZ request on the main profile; inner follows the ProfileToken.
func ptzOp(op, inner string) string {
	return fmt.Sprintf(`<tptz:%s><tptz:ProfileToken>main</tptz:ProfileToken>%s</tptz:%s>`, op, inner, op)
}

func ptzVec(elem string, pan, tilt, zoom float64) string {
	return fmt.Sprintf(`<tptz:%s><tt:PanTilt x="%g" y="%g"/><tt:Zoom x="%g"/></tptz:%s>`, elem, pan, tilt, zoom, elem)
}

func (c *onvifTestClient) status() ptzStatusResp {
	c.t.Helper()
	var st ptzStatusResp
	c.ok(onvifPTZPath, ptzOp("GetStatus", ""), &st)
	return st
}

// waitIdle polls GetStatus until both axes are IDLE.
func (c *onvifTestClient) waitIdle(timeout time.Duration) ptzStatusResp {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := c.status()
		if st.PanTiltMS == "IDLE" && st.ZoomMS == "IDLE" {
			return st
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("still moving after %v: %+v", timeout, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (st ptzStatusResp) at(pan, tilt, zoom float64) bool {
	p := st.pos()
	return math.Abs(p.Pan-pan) < 1e-3 && math.Abs(p.Tilt-tilt) < 1e-3 && math.Abs(p.Zoom-zoom) < 1e-3
}

// TestONVIFPTZService steers the PTZ camera over SOAP on the real clock (small moves, so the
// test is quick); the state machine's timing is tested on a fake clock in ptz_test.go.
func TestONVIFPTZService(t *testing.T) {
	s := startONVIF(t, func(c *Config) { c.User, c.Pass = "admin", "secret" })
	c := newONVIFClient(t, s.ONVIFURL(2), "admin", "secret", authDigest)
	wsse := newONVIFClient(t, s.ONVIFURL(2), "admin", "secret", authWSSE)

	if st := c.status(); !st.at(0, 0, 0) || st.PanTiltMS != "IDLE" {
		t.Fatalf("initial status %+v", st)
	}
	var nodes struct {
		Node struct {
			Token string `xml:"token,attr"`
			Max   int    `xml:"MaximumNumberOfPresets"`
		} `xml:"PTZNode"`
	}
	c.ok(onvifPTZPath, `<tptz:GetNodes/>`, &nodes)
	if nodes.Node.Max != MaxPTZPresets || nodes.Node.Token == "" {
		t.Fatalf("nodes %+v", nodes)
	}

	// absolute, slowly (pan 2 s, so a busy machine still sees it move): moving at first, then
	// idle at the target
	wsse.ok(onvifPTZPath, ptzOp("AbsoluteMove", ptzVec("Position", 0.4, -0.2, 0.3)+
		`<tptz:Speed><tt:PanTilt x="0.2" y="0.2"/><tt:Zoom x="0.5"/></tptz:Speed>`), nil)
	if st := c.status(); st.PanTiltMS != "MOVING" {
		t.Fatalf("just after AbsoluteMove: %+v", st)
	}
	if st := c.waitIdle(10 * time.Second); !st.at(0.4, -0.2, 0.3) {
		t.Fatalf("after AbsoluteMove: %+v", st)
	}

	// relative
	c.ok(onvifPTZPath, ptzOp("RelativeMove", ptzVec("Translation", -0.1, 0.1, 0.1)), nil)
	if st := c.waitIdle(5 * time.Second); !st.at(0.3, -0.1, 0.4) {
		t.Fatalf("after RelativeMove: %+v", st)
	}

	// continuous with a timeout stops by itself, having moved right
	c.ok(onvifPTZPath, ptzOp("ContinuousMove", `<tptz:Velocity><tt:PanTilt x="0.5" y="0"/></tptz:Velocity><tptz:Timeout>PT0.2S</tptz:Timeout>`), nil)
	st := c.waitIdle(5 * time.Second)
	if p := st.pos(); p.Pan <= 0.3 || p.Pan > 0.45 || math.Abs(p.Tilt+0.1) > 1e-3 {
		t.Fatalf("after a 0.2 s ContinuousMove at 0.5: %+v", st)
	}
	// without a timeout it runs until Stop
	c.ok(onvifPTZPath, ptzOp("ContinuousMove", `<tptz:Velocity><tt:Zoom x="-0.2"/></tptz:Velocity>`), nil)
	time.Sleep(100 * time.Millisecond)
	if st := c.status(); st.ZoomMS != "MOVING" {
		t.Fatalf("continuous zoom: %+v", st)
	}
	c.ok(onvifPTZPath, ptzOp("Stop", `<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom>`), nil)
	if st := c.status(); st.ZoomMS != "IDLE" || st.pos().Zoom >= 0.4 {
		t.Fatalf("after Stop: %+v", st)
	}

	// presets
	var set struct {
		Token string `xml:"PresetToken"`
	}
	c.ok(onvifPTZPath, ptzOp("AbsoluteMove", ptzVec("Position", -0.25, 0.25, 0)), nil)
	c.waitIdle(5 * time.Second)
	c.ok(onvifPTZPath, ptzOp("SetPreset", `<tptz:PresetName>Bus stop</tptz:PresetName>`), &set)
	var presets presetsResp
	c.ok(onvifPTZPath, ptzOp("GetPresets", ""), &presets)
	if len(presets.Presets) != 1 || presets.Presets[0].Token != set.Token || presets.Presets[0].Name != "Bus stop" ||
		presets.Presets[0].Position.PanTilt != struct {
			X float64 `xml:"x,attr"`
			Y float64 `xml:"y,attr"`
		}{-0.25, 0.25} {
		t.Fatalf("presets %+v (set %q)", presets, set.Token)
	}
	c.ok(onvifPTZPath, ptzOp("SetHomePosition", ""), nil)
	c.ok(onvifPTZPath, ptzOp("AbsoluteMove", ptzVec("Position", 0, 0, 0.1)), nil)
	c.waitIdle(5 * time.Second)
	c.ok(onvifPTZPath, ptzOp("GotoPreset", `<tptz:PresetToken>`+set.Token+`</tptz:PresetToken>`), nil)
	if st := c.waitIdle(5 * time.Second); !st.at(-0.25, 0.25, 0) {
		t.Fatalf("after GotoPreset: %+v", st)
	}
	c.ok(onvifPTZPath, ptzOp("AbsoluteMove", ptzVec("Position", 0, 0, 0)), nil)
	c.waitIdle(5 * time.Second)
	c.ok(onvifPTZPath, ptzOp("GotoHomePosition", ""), nil)
	if st := c.waitIdle(5 * time.Second); !st.at(-0.25, 0.25, 0) {
		t.Fatalf("after GotoHomePosition: %+v", st)
	}

	// bad arguments
	for _, body := range []string{
		ptzOp("AbsoluteMove", ptzVec("Position", 0, 1.2, 0)),
		ptzOp("AbsoluteMove", ptzVec("Position", 0, 0, -0.5)),
		ptzOp("AbsoluteMove", `<tptz:Position><tt:PanTilt x="NaN" y="0"/></tptz:Position>`),
		ptzOp("AbsoluteMove", `<tptz:Position><tt:PanTilt x="0.1"/></tptz:Position>`),
		ptzOp("AbsoluteMove", ``),
		ptzOp("RelativeMove", ptzVec("Translation", 1.5, 0, 0)),
		ptzOp("ContinuousMove", ptzVec("Velocity", 0, 0, 3)),
		ptzOp("ContinuousMove", ptzVec("Velocity", 0.1, 0, 0)+`<tptz:Timeout>soon</tptz:Timeout>`),
		ptzOp("GotoPreset", `<tptz:PresetToken>nope</tptz:PresetToken>`),
		ptzOp("SetPreset", `<tptz:PresetName>Bus stop</tptz:PresetName><tptz:PresetToken>nope</tptz:PresetToken>`),
		`<tptz:GetStatus><tptz:ProfileToken>third</tptz:ProfileToken></tptz:GetStatus>`,
	} {
		c.fault(onvifPTZPath, body, 400, "s:Sender", "ter:InvalidArgVal")
	}

	// the moves are counted in the stats
	var moves PTZStats
	for _, cs := range s.Stats() {
		if cs.Camera == "cam002" && cs.PTZ != nil {
			moves = cs.PTZ.Moves
		}
	}
	want := PTZStats{ContinuousMoves: 2, RelativeMoves: 1, AbsoluteMoves: 4, PresetMoves: 1, HomeMoves: 1, Stops: 1}
	if moves != want {
		t.Fatalf("moves %+v, want %+v", moves, want)
	}
}

func TestParseXSDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT1S": time.Second, "PT0.5S": 500 * time.Millisecond, "PT1M30S": 90 * time.Second, "PT1H": time.Hour, "P0DT0H0M2S": 2 * time.Second,
	} {
		if got, err := parseXSDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "P", "PT", "1S", "-PT1S", "PT1D", "P1H", "PT1.5.5S", "PT-1S", "P1Y", "PT2H", "PT1e3S", "PTT1S"} {
		if got, err := parseXSDuration(in); err == nil {
			t.Errorf("%q: %v, want an error", in, got)
		}
	}
}
