package charimg

import (
	"image"
	"testing"
)

// FuzzNormalize: the reader hands Normalize boxes found in camera pictures;
// any box on any picture gives a 20x32 result, never a panic.
func FuzzNormalize(f *testing.F) {
	f.Add(uint8(30), uint8(40), int16(2), int16(3), int16(20), int16(38), []byte{0, 255, 7})
	f.Add(uint8(1), uint8(1), int16(0), int16(0), int16(1), int16(1), []byte{9})
	f.Add(uint8(200), uint8(3), int16(-5), int16(1), int16(300), int16(2), []byte{})
	f.Add(uint8(0), uint8(0), int16(0), int16(0), int16(0), int16(0), []byte{1, 2})
	f.Fuzz(func(t *testing.T, w, h uint8, x0, y0, x1, y1 int16, pix []byte) {
		src := image.NewGray(image.Rect(0, 0, int(w), int(h)))
		for i := range src.Pix {
			if len(pix) > 0 {
				src.Pix[i] = pix[i%len(pix)]
			}
		}
		got := Normalize(src, image.Rect(int(x0), int(y0), int(x1), int(y1)))
		if got.Bounds() != image.Rect(0, 0, Width, Height) {
			t.Fatalf("bounds %v", got.Bounds())
		}
		if len(Tensor(got)) != Width*Height {
			t.Fatal("tensor size")
		}
	})
}
