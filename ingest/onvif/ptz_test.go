package onvif

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestPTZRequests(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		do   func(*Client) error
		op   string
		want map[string]string // request fields; "" means must be absent
	}{
		{"continuous with timeout", func(c *Client) error {
			return c.ContinuousMove(ctx, "Profile_1", Vector{Pan: 0.5, Tilt: -0.25, Zoom: 0.1}, 1500*time.Millisecond)
		}, "ContinuousMove", map[string]string{"ProfileToken": "Profile_1", "Velocity/PanTilt@x": "0.5", "Velocity/PanTilt@y": "-0.25", "Velocity/Zoom@x": "0.1", "Timeout": "PT1.5S"}},
		{"continuous pan only, no timeout", func(c *Client) error {
			return c.ContinuousMove(ctx, "Profile_1", Vector{Pan: -1, Axes: PanTiltOnly}, 0)
		}, "ContinuousMove", map[string]string{"Velocity/PanTilt@x": "-1", "Velocity/PanTilt@y": "0", "Velocity/Zoom@x": "", "Timeout": ""}},
		{"continuous zoom out", func(c *Client) error {
			return c.ContinuousMove(ctx, "Profile_1", Vector{Zoom: -0.3, Axes: ZoomOnly}, 2*time.Second)
		}, "ContinuousMove", map[string]string{"Velocity/Zoom@x": "-0.3", "Velocity/PanTilt@x": "", "Timeout": "PT2S"}},
		{"relative", func(c *Client) error {
			return c.RelativeMove(ctx, "Profile_1", Vector{Pan: 0.1, Tilt: 0.2, Zoom: -0.05})
		}, "RelativeMove", map[string]string{"Translation/PanTilt@x": "0.1", "Translation/PanTilt@y": "0.2", "Translation/Zoom@x": "-0.05"}},
		{"absolute", func(c *Client) error {
			return c.AbsoluteMove(ctx, "Profile_1", Vector{Pan: 1, Tilt: -1, Zoom: 1})
		}, "AbsoluteMove", map[string]string{"Position/PanTilt@x": "1", "Position/PanTilt@y": "-1", "Position/Zoom@x": "1"}},
		{"stop all", func(c *Client) error { return c.Stop(ctx, "Profile_1", PanTiltAndZoom) },
			"Stop", map[string]string{"PanTilt": "true", "Zoom": "true"}},
		{"stop pan/tilt", func(c *Client) error { return c.Stop(ctx, "Profile_1", PanTiltOnly) },
			"Stop", map[string]string{"PanTilt": "true", "Zoom": "false"}},
		{"goto preset", func(c *Client) error { return c.GotoPreset(ctx, "Profile_1", "2") },
			"GotoPreset", map[string]string{"ProfileToken": "Profile_1", "PresetToken": "2"}},
		{"home", func(c *Client) error { return c.GotoHomePosition(ctx, "Profile_1") },
			"GotoHomePosition", map[string]string{"ProfileToken": "Profile_1"}},
		{"remove preset", func(c *Client) error { return c.RemovePreset(ctx, "Profile_1", "33") },
			"RemovePreset", map[string]string{"PresetToken": "33"}},
	}
	for _, style := range []string{"hik", "axis"} {
		f := newFakeCam(t, style)
		cl := f.client(t, f.user, f.pass)
		for _, c := range cases {
			t.Run(style+"/"+c.name, func(t *testing.T) {
				if err := c.do(cl); err != nil {
					t.Fatal(err)
				}
				call, ok := f.lastCall(c.op)
				if !ok {
					t.Fatalf("no %s request", c.op)
				}
				if call.ns != nsPTZ {
					t.Errorf("namespace %q", call.ns)
				}
				if wantPath := map[string]string{"hik": "/onvif/PTZ", "axis": "/vapix/services"}[style]; call.path != wantPath {
					t.Errorf("sent to %s, want the PTZ XAddr %s", call.path, wantPath)
				}
				for k, v := range c.want {
					if got, ok := call.fields[k]; got != v || (v == "" && ok) {
						t.Errorf("%s = %q, want %q (all: %v)", k, got, v, call.fields)
					}
				}
			})
		}
	}
}

func TestSetPreset(t *testing.T) {
	f := newFakeCam(t, "hik")
	cl := f.client(t, f.user, f.pass)
	tok, err := cl.SetPreset(context.Background(), "Profile_1", "Market & bus station", "")
	if err != nil || tok != "34" {
		t.Fatalf("token %q err %v", tok, err)
	}
	call, _ := f.lastCall("SetPreset")
	if call.fields["PresetName"] != "Market & bus station" || call.fields["PresetToken"] != "" {
		t.Fatalf("fields %v", call.fields)
	}
	if !strings.Contains(string(call.raw), "<tptz:PresetName>Market &amp; bus station</tptz:PresetName>") {
		t.Fatalf("name not escaped:\n%s", call.raw)
	}
	tok, err = cl.SetPreset(context.Background(), "Profile_1", "", "7")
	if err != nil || tok != "7" {
		t.Fatalf("overwrite: token %q err %v", tok, err)
	}
}

func TestGetStatus(t *testing.T) {
	cases := []struct {
		style string
		want  PTZStatus
	}{
		{"hik", PTZStatus{Position: Vector{Pan: 0.245, Tilt: -0.8, Zoom: 0.125}, HasPosition: true,
			PanTiltMove: MoveMoving, ZoomMove: MoveIdle, UTC: time.Date(2025, 3, 30, 0, 59, 58, 0, time.UTC)}},
		// Pan/tilt only, no zoom status, an unreadable time left zero.
		{"axis", PTZStatus{Position: Vector{Pan: -1, Tilt: 1, Axes: PanTiltOnly}, HasPosition: true, PanTiltMove: MoveIdle}},
	}
	for _, c := range cases {
		t.Run(c.style, func(t *testing.T) {
			f := newFakeCam(t, c.style)
			got, err := f.client(t, f.user, f.pass).GetStatus(context.Background(), "Profile_1")
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestGetPresets(t *testing.T) {
	f := newFakeCam(t, "hik")
	got, err := f.client(t, f.user, f.pass).GetPresets(context.Background(), "Profile_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d presets", len(got))
	}
	if got[0].Token != "1" || got[0].Name != "High Street north" || *got[0].Position != (Vector{Pan: -0.5, Tilt: 0.1}) {
		t.Errorf("preset 0 %+v %+v", got[0], got[0].Position)
	}
	if got[1].Name != "Market & bus station" || math.Abs(got[1].Position.Zoom-0.333333) > 1e-9 {
		t.Errorf("preset 1 %+v %+v", got[1], got[1].Position)
	}
	if got[2].Token != "33" || got[2].Position != nil {
		t.Errorf("preset 2 %+v", got[2])
	}
}

func TestPTZValidation(t *testing.T) {
	ctx := context.Background()
	nan := math.NaN()
	cases := []struct {
		name string
		do   func(*Client) error
		msg  string
	}{
		{"pan velocity", func(c *Client) error { return c.ContinuousMove(ctx, "p", Vector{Pan: 1.5}, 0) }, "pan velocity 1.5 is outside [-1, 1]"},
		{"tilt NaN", func(c *Client) error { return c.ContinuousMove(ctx, "p", Vector{Tilt: nan}, 0) }, "tilt velocity NaN"},
		{"zoom velocity", func(c *Client) error { return c.ContinuousMove(ctx, "p", Vector{Zoom: -2}, 0) }, "zoom velocity -2"},
		{"negative timeout", func(c *Client) error { return c.ContinuousMove(ctx, "p", Vector{}, -time.Second) }, "timeout -1s is negative"},
		{"huge timeout", func(c *Client) error { return c.ContinuousMove(ctx, "p", Vector{}, 2*time.Hour) }, "over 1h0m0s"},
		{"tiny timeout", func(c *Client) error { return c.ContinuousMove(ctx, "p", Vector{}, time.Microsecond) }, "under a millisecond"},
		{"absolute zoom below 0", func(c *Client) error { return c.AbsoluteMove(ctx, "p", Vector{Zoom: -0.1}) }, "zoom position -0.1 is outside [0, 1]"},
		{"absolute pan", func(c *Client) error { return c.AbsoluteMove(ctx, "p", Vector{Pan: -1.01}) }, "pan position"},
		{"relative inf", func(c *Client) error { return c.RelativeMove(ctx, "p", Vector{Pan: math.Inf(1)}) }, "pan translation +Inf"},
		{"bad axes", func(c *Client) error { return c.RelativeMove(ctx, "p", Vector{Axes: 7}) }, "unknown Axes 7"},
		{"stop bad axes", func(c *Client) error { return c.Stop(ctx, "p", 3) }, "unknown Axes 3"},
		{"empty profile", func(c *Client) error { return c.GotoHomePosition(ctx, "") }, "profile token is empty"},
		{"long profile", func(c *Client) error {
			_, err := c.GetStatus(ctx, strings.Repeat("p", 65))
			return err
		}, "over the 64 ONVIF allows"},
		{"empty preset", func(c *Client) error { return c.GotoPreset(ctx, "p", "") }, "preset token is empty"},
		{"long preset name", func(c *Client) error {
			_, err := c.SetPreset(ctx, "p", strings.Repeat("n", 65), "")
			return err
		}, "preset name is 65 bytes"},
	}
	f := newFakeCam(t, "hik")
	cl := f.client(t, f.user, f.pass)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do(cl)
			if !errors.Is(err, ErrInvalidArg) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err %v, want ErrInvalidArg saying %q", err, c.msg)
			}
		})
	}
	if n := len(f.callLog()); n != 0 {
		t.Fatalf("%d requests reached the camera; validation must come first", n)
	}
	// An axis left out is not checked.
	if err := cl.AbsoluteMove(ctx, "Profile_1", Vector{Pan: 9, Zoom: 0.5, Axes: ZoomOnly}); err != nil {
		t.Fatal(err)
	}
}

func TestPTZCameraRefuses(t *testing.T) {
	// No PTZ service at all.
	f := newFakeCam(t, "dahua")
	err := f.client(t, f.user, f.pass).Stop(context.Background(), "MediaProfile000", PanTiltAndZoom)
	if !errors.Is(err, ErrNoPTZ) {
		t.Fatalf("err %v, want ErrNoPTZ", err)
	}
	// The camera's own refusal comes back as its fault.
	g := newFakeCam(t, "hik")
	err = g.client(t, g.user, g.pass).GotoPreset(context.Background(), "missing_profile", "1")
	if !IsFault(err, InvalidArgVal) {
		t.Fatalf("err %v, want InvalidArgVal", err)
	}
}

func TestXSDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "PT1S", 1500 * time.Millisecond: "PT1.5S", 250 * time.Millisecond: "PT0.25S",
		time.Millisecond: "PT0.001S", 90 * time.Second: "PT90S", 1234567 * time.Microsecond: "PT1.235S",
	} {
		if got := xsDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
