package analytics

import (
	"image"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// A thumbnail never shows a privacy mask: the masked half is black with
// neutral colour, the other half untouched.
func TestThumbnailMasksPrivacy(t *testing.T) {
	leftHalf := zones.Polygon{{X: 0, Y: 0}, {X: 0.5, Y: 0}, {X: 0.5, Y: 1}, {X: 0, Y: 1}}
	a := newAnalyser("cam001", Config{}, store.CameraAnalytics{Camera: "cam001", Privacy: []zones.Polygon{leftHalf}}, nil, nil)
	const w, h = 320, 180
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 200
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 90, 170
	}
	a.mask(img)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := img.COffset(x, y)
			masked := x < w/2
			if got := img.Y[img.YOffset(x, y)]; (masked && got != 0) || (!masked && got != 200) {
				t.Fatalf("luma at (%d,%d) is %d, masked %v", x, y, got, masked)
			}
			if masked && (img.Cb[c] != 128 || img.Cr[c] != 128) {
				t.Fatalf("colour survives the mask at (%d,%d): %d,%d", x, y, img.Cb[c], img.Cr[c])
			}
			if !masked && x > w/2 && (img.Cb[c] != 90 || img.Cr[c] != 170) {
				t.Fatalf("colour outside the mask changed at (%d,%d)", x, y)
			}
		}
	}
}
