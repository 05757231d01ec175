package anpr

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// drawnScene is a 640x360 street-ish frame with one plate drawn by OpenCV
// (Hershey font: not the UK font, so it tests detection and segmentation,
// not recognition). The caller closes it.
func drawnScene(t testing.TB, text string, yellow bool, seed uint64) (gocv.Mat, image.Rectangle) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(70, 80, 90, 0), 360, 640, gocv.MatTypeCV8UC3)
	for range 12 { // clutter: boxes and lines
		c := color.RGBA{uint8(rng.IntN(255)), uint8(rng.IntN(255)), uint8(rng.IntN(255)), 0}
		x, y := rng.IntN(600), rng.IntN(330)
		gocv.Rectangle(&m, image.Rect(x, y, x+20+rng.IntN(200), y+10+rng.IntN(100)), c, -1)
	}
	w, h := 180, 40
	x, y := 100+rng.IntN(300), 120+rng.IntN(150)
	box := image.Rect(x, y, x+w, y+h)
	bg := color.RGBA{235, 235, 235, 0}
	if yellow {
		bg = color.RGBA{20, 200, 240, 0} // BGR order in the Mat
	}
	gocv.Rectangle(&m, box, color.RGBA{40, 40, 40, 0}, -1)
	gocv.Rectangle(&m, box.Inset(2), bg, -1)
	gocv.PutText(&m, text, image.Pt(x+10, y+h-8), gocv.FontHersheyDuplex, 1.05, color.RGBA{15, 15, 15, 0}, 3)
	return m, box
}
