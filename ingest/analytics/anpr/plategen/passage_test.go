package plategen

import (
	"math"
	"testing"
)

func TestPassageFootage(t *testing.T) {
	p := Passage{
		Vehicle: Vehicle{Plate: PlateSpec{Text: "AB12 CDE", Seed: 1}, Front: true, Colour: RGB{0.5, 0.1, 0.1}},
		From:    Pose{Centre: Pt{500, 150}, CharHeight: 8, Yaw: 20, Pitch: 12, Distance: 30},
		To:      Pose{Centre: Pt{250, 350}, CharHeight: 24, Yaw: 5, Pitch: 12, Distance: 30},
		Frames:  6,
	}
	if p.At(0).Pose.CharHeight != 8 || math.Abs(p.At(5).Pose.CharHeight-24) > 1e-9 {
		t.Fatalf("ends %v %v", p.At(0).Pose.CharHeight, p.At(5).Pose.CharHeight)
	}
	prevH, prevY := 0.0, 0
	for i := 0; i < p.Frames; i++ {
		sc := Scene{Width: 640, Height: 360, BackgroundSeed: 9, Vehicles: []Vehicle{p.At(i)},
			Cond: Conditions{Exposure: 1, Gamma: 1, Noise: 0.01, Seed: uint64(i)}}
		img, truths := RenderScene(sc)
		if img.Bounds().Dx() != 640 || len(truths) != 1 || truths[0].Text != "AB12CDE" {
			t.Fatalf("frame %d: %v %v", i, img.Bounds(), truths)
		}
		h := p.At(i).Pose.CharHeight
		if h <= prevH || truths[0].Box.Min.Y <= prevY {
			t.Fatalf("frame %d: the vehicle does not approach (%v, %v)", i, h, truths[0].Box)
		}
		prevH, prevY = h, truths[0].Box.Min.Y
		// the last frame's plate runs off the bottom of the picture
		if want := i < p.Frames-1; truths[0].Visible != want {
			t.Fatalf("frame %d: visible %v, box %v", i, truths[0].Visible, truths[0].Box)
		}
	}
}
