package sim

import (
	"errors"
	"image"
	"math"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func vec(pan, tilt, zoom float64) PTZVector {
	return PTZVector{PanTilt: &[2]float64{pan, tilt}, Zoom: &zoom}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func wantPos(t *testing.T, p *ptz, pan, tilt, zoom float64, moving bool) {
	t.Helper()
	st := p.Status()
	if !near(st.Position.Pan, pan) || !near(st.Position.Tilt, tilt) || !near(st.Position.Zoom, zoom) {
		t.Fatalf("position %+v, want pan %v tilt %v zoom %v", st.Position, pan, tilt, zoom)
	}
	if got := st.PanTiltMoving || st.ZoomMoving; got != moving {
		t.Fatalf("moving %v, want %v (%+v)", got, moving, st)
	}
}

func TestPTZContinuousMove(t *testing.T) {
	clk := newFakeClock()
	p := newPTZ(clk.now)
	wantPos(t, p, 0, 0, 0, false)

	// pan right at half speed until Stop, zoom in at full speed
	if err := p.ContinuousMove(vec(0.5, 0, 1), 0); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	wantPos(t, p, 0.5*ptzPanTiltSpeed, 0, ptzZoomSpeed, true)
	clk.add(10 * time.Second) // runs into the limits and stays there, still "moving"
	wantPos(t, p, 1, 0, 1, true)
	p.Stop(true, true)
	wantPos(t, p, 1, 0, 1, false)

	// a timeout ends the move by itself, exactly at its end
	if err := p.ContinuousMove(PTZVector{PanTilt: &[2]float64{-1, -0.5}}, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	clk.add(300 * time.Millisecond)
	wantPos(t, p, 1-0.3, -0.15, 1, true)
	clk.add(5 * time.Second)
	wantPos(t, p, 0.5, -0.25, 1, false)

	// stopping one axis leaves the other moving
	if err := p.ContinuousMove(vec(0, 0.2, -1), 0); err != nil {
		t.Fatal(err)
	}
	p.Stop(false, true)
	clk.add(time.Second)
	st := p.Status()
	if !st.PanTiltMoving || st.ZoomMoving || !near(st.Position.Tilt, -0.05) || !near(st.Position.Zoom, 1) {
		t.Fatalf("after stopping zoom only: %+v", st)
	}

	for _, bad := range []PTZVector{vec(1.5, 0, 0), vec(0, -1.01, 0), vec(0, 0, 2), vec(math.NaN(), 0, 0)} {
		if err := p.ContinuousMove(bad, 0); !errors.Is(err, errPTZRange) {
			t.Fatalf("velocity %v %v: %v, want a range error", *bad.PanTilt, *bad.Zoom, err)
		}
	}
	if err := p.ContinuousMove(vec(0, 0, 0), 2*time.Hour); !errors.Is(err, errPTZRange) {
		t.Fatalf("2h timeout: %v", err)
	}
	if s := p.Stats(); s.ContinuousMoves != 3 || s.Stops != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPTZAbsoluteAndRelativeMoves(t *testing.T) {
	clk := newFakeClock()
	p := newPTZ(clk.now)

	// full speed: pan 1 unit/s, zoom 0.5/s; each axis stops at its own target
	if err := p.AbsoluteMove(vec(0.5, -1, 0.25), PTZVector{}); err != nil {
		t.Fatal(err)
	}
	wantPos(t, p, 0, 0, 0, true)
	clk.add(250 * time.Millisecond)
	wantPos(t, p, 0.25, -0.25, 0.125, true)
	clk.add(250 * time.Millisecond)
	st := p.Status()
	if st.ZoomMoving || !st.PanTiltMoving || !near(st.Position.Zoom, 0.25) {
		t.Fatalf("zoom should have arrived, tilt not: %+v", st)
	}
	clk.add(time.Second)
	wantPos(t, p, 0.5, -1, 0.25, false)

	// a slower speed takes longer
	if err := p.AbsoluteMove(PTZVector{PanTilt: &[2]float64{0, -1}}, PTZVector{PanTilt: &[2]float64{0.1, 0.1}}); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	wantPos(t, p, 0.4, -1, 0.25, true)
	clk.add(4 * time.Second)
	wantPos(t, p, 0, -1, 0.25, false)

	// relative: clamped to the border; two quick steps add up
	if err := p.RelativeMove(PTZVector{PanTilt: &[2]float64{-0.75, -0.5}}, PTZVector{}); err != nil {
		t.Fatal(err)
	}
	if err := p.RelativeMove(PTZVector{PanTilt: &[2]float64{-0.75, 0}}, PTZVector{}); err != nil {
		t.Fatal(err)
	}
	clk.add(3 * time.Second)
	wantPos(t, p, -1, -1, 0.25, false)

	for _, bad := range []PTZVector{vec(1.1, 0, 0), vec(0, 0, -0.1), vec(0, 0, 1.1)} {
		if err := p.AbsoluteMove(bad, PTZVector{}); !errors.Is(err, errPTZRange) {
			t.Fatalf("absolute %v %v: %v", *bad.PanTilt, *bad.Zoom, err)
		}
	}
	if err := p.RelativeMove(vec(-1.5, 0, 0), PTZVector{}); !errors.Is(err, errPTZRange) {
		t.Fatalf("relative -1.5: %v", err)
	}
	if err := p.AbsoluteMove(vec(0, 0, 0), vec(2, 0, 0)); !errors.Is(err, errPTZRange) {
		t.Fatalf("speed 2: %v", err)
	}
	if s := p.Stats(); s.AbsoluteMoves != 2 || s.RelativeMoves != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPTZPresetsAndHome(t *testing.T) {
	clk := newFakeClock()
	p := newPTZ(clk.now)
	move := func(pan, tilt, zoom float64) {
		t.Helper()
		if err := p.AbsoluteMove(vec(pan, tilt, zoom), PTZVector{}); err != nil {
			t.Fatal(err)
		}
		clk.add(5 * time.Second)
	}

	move(0.5, 0.5, 0.5)
	door, err := p.SetPreset("Door", "")
	if err != nil {
		t.Fatal(err)
	}
	move(-0.5, 0, 1)
	road, err := p.SetPreset("", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SetPreset("Door", road); !errors.Is(err, errPTZPresetName) {
		t.Fatalf("renaming to a name in use: %v", err)
	}
	if _, err := p.SetPreset("x", "nope"); !errors.Is(err, errPTZNoPreset) {
		t.Fatalf("unknown token: %v", err)
	}
	presets := p.Presets()
	if len(presets) != 2 || presets[0].Name != "Door" || presets[1].Name != "Preset 2" ||
		presets[0].Position != (PTZPosition{0.5, 0.5, 0.5}) {
		t.Fatalf("presets %+v", presets)
	}

	if err := p.GotoPreset(door, PTZVector{}); err != nil {
		t.Fatal(err)
	}
	wantPos(t, p, -0.5, 0, 1, true)
	clk.add(2 * time.Second)
	wantPos(t, p, 0.5, 0.5, 0.5, false)
	if err := p.GotoPreset("nope", PTZVector{}); !errors.Is(err, errPTZNoPreset) {
		t.Fatalf("goto unknown preset: %v", err)
	}

	// home is the centre until set
	if err := p.GotoHome(PTZVector{}); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Second)
	wantPos(t, p, 0, 0, 0, false)
	move(0.25, -0.25, 0.75)
	p.SetHome()
	move(-1, 1, 0)
	if err := p.GotoHome(PTZVector{}); err != nil {
		t.Fatal(err)
	}
	clk.add(3 * time.Second)
	wantPos(t, p, 0.25, -0.25, 0.75, false)

	if err := p.RemovePreset(road); err != nil {
		t.Fatal(err)
	}
	for i := len(p.Presets()); i < MaxPTZPresets; i++ {
		if _, err := p.SetPreset("", ""); err != nil {
			t.Fatal(i, err)
		}
	}
	if _, err := p.SetPreset("", ""); !errors.Is(err, errPTZTooMany) {
		t.Fatalf("preset %d: %v", MaxPTZPresets+1, err)
	}
	if s := p.Stats(); s.PresetMoves != 1 || s.HomeMoves != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// TestPTZView checks the drawing against PTZBlockAt: the block at the picture's centre and
// corners, and that the window moves the way the axes say.
func TestPTZView(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420)
	for _, tc := range []struct {
		pos    PTZPosition
		centre int
	}{
		{PTZPosition{}, 4*16 + 8 + 1},        // the middle of the panorama: row 4, column 8
		{PTZPosition{Pan: 1}, 4*16 + 12 + 1}, // the right quarter
		{PTZPosition{Pan: -1, Tilt: 1}, 2*16 + 4 + 1},
		{PTZPosition{Pan: 1, Tilt: -1, Zoom: 1}, 8*16 + 15 + 1},
	} {
		if got := PTZBlockAt(tc.pos, 0.5, 0.5); got != tc.centre {
			t.Errorf("%+v: centre block %d, want %d", tc.pos, got, tc.centre)
		}
		RenderPTZView(img, tc.pos)
		// the luma at the centre of the block under the picture's centre is its colour's
		x0, y0, size := PTZWindow(tc.pos)
		b := tc.centre - 1
		// a point inside the block, off its digits and border (cell 14 of 16)
		u := (float64(b%16) + 14.5/16) / 16
		v := (float64(b/16) + 14.5/16) / 9
		px, py := int((u-x0)/size*320), int((v-y0)/size*180)
		if px < 0 || px >= 320 || py < 0 || py >= 180 {
			continue // off the picture at this zoom
		}
		want := ptzYCbCr[ptzColour(b%16, b/16)][0]
		if got := img.Y[py*img.YStride+px]; got != want {
			t.Errorf("%+v: luma %d at (%d,%d), want %d", tc.pos, got, px, py, want)
		}
	}
}
