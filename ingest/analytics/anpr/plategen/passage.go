package plategen

import "math"

// Passage is one vehicle driving through a camera's view: its pose at the
// first and the last frame, in between interpolated. Footage of a passage is
//
//	for i := 0; i < p.Frames; i++ {
//		cond.Seed = base + uint64(i) // fresh sensor noise per frame
//		img, truth := RenderScene(Scene{Width: w, Height: h, BackgroundSeed: bg,
//			Vehicles: []Vehicle{p.At(i)}, Cond: cond})
//	}
type Passage struct {
	Vehicle  Vehicle // Pose is ignored
	From, To Pose
	Frames   int
}

// At is the vehicle at frame i (0..Frames-1). The character height, which
// is inversely proportional to the distance, is interpolated through the
// distance, so an approaching vehicle speeds up in the picture as it should.
func (p Passage) At(i int) Vehicle {
	t := 0.0
	if p.Frames > 1 {
		t = math.Max(0, math.Min(1, float64(i)/float64(p.Frames-1)))
	}
	lerp := func(a, b float64) float64 { return a + (b-a)*t }
	a, b := p.From, p.To
	v := p.Vehicle
	v.Pose = Pose{
		Centre:   Pt{lerp(a.Centre.X, b.Centre.X), lerp(a.Centre.Y, b.Centre.Y)},
		Yaw:      lerp(a.Yaw, b.Yaw),
		Pitch:    lerp(a.Pitch, b.Pitch),
		Roll:     lerp(a.Roll, b.Roll),
		Distance: lerp(a.Distance, b.Distance),
		Aspect:   lerp(a.aspect(), b.aspect()),
	}
	if a.CharHeight > 0 && b.CharHeight > 0 {
		v.Pose.CharHeight = 1 / lerp(1/a.CharHeight, 1/b.CharHeight)
	}
	return v
}
