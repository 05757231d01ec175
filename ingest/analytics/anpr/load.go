package anpr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"gocv.io/x/gocv"
)

// Limits on pictures from outside. A picture passes them before anything
// is decoded, so a hostile header cannot make us allocate gigabytes.
const (
	MaxFileBytes = 32 << 20 // bytes in a picture file
	MinSide      = 16       // pixels, each side
	MaxSide      = 8192     // pixels, each side
	MaxPixels    = 40 << 20 // width*height: a BGR Mat of this is 120 MiB
)

// Errors a picture can be refused with (wrapped, with details).
var (
	ErrNotImage = errors.New("not a JPEG or PNG picture")
	ErrTooLarge = errors.New("picture too large")
	ErrTooSmall = errors.New("picture too small")
	ErrCorrupt  = errors.New("corrupt or truncated picture")
)

// ReadFile reads a JPEG or PNG picture within the limits above.
func ReadFile(path string) (image.Image, error) { return readFile(path, MinSide) }

// readFile is ReadFile with another least side (character crops are
// narrower than frames).
func readFile(path string, minSide int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	img, err := decodeImage(b, minSide)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// DecodeImage checks a picture's header and size, then decodes it with Go.
func DecodeImage(b []byte) (image.Image, error) { return decodeImage(b, MinSide) }

func decodeImage(b []byte, minSide int) (image.Image, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrNotImage)
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxFileBytes)
	}
	var decode func(io.Reader) (image.Image, error)
	var config func(io.Reader) (image.Config, error)
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		decode, config = jpeg.Decode, jpeg.DecodeConfig
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		decode, config = png.Decode, png.DecodeConfig
	default:
		return nil, ErrNotImage
	}
	cfg, err := config(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if err := checkSize(cfg.Width, cfg.Height, minSide); err != nil {
		return nil, err
	}
	img, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if r := img.Bounds(); r.Dx() != cfg.Width || r.Dy() != cfg.Height {
		return nil, fmt.Errorf("%w: header says %dx%d, picture is %dx%d", ErrCorrupt, cfg.Width, cfg.Height, r.Dx(), r.Dy())
	}
	return img, nil
}

func checkSize(w, h, minSide int) error {
	switch {
	case w < minSide || h < minSide:
		return fmt.Errorf("%w: %dx%d (at least %d per side)", ErrTooSmall, w, h, minSide)
	case w > MaxSide || h > MaxSide || w*h > MaxPixels:
		return fmt.Errorf("%w: %dx%d (at most %d per side, %d pixels)", ErrTooLarge, w, h, MaxSide, MaxPixels)
	}
	return nil
}

// imageToBGR copies a Go picture into a BGR Mat sized here (the caller
// closes it). The common decoder outputs have fast paths.
func imageToBGR(img image.Image) (gocv.Mat, error) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if err := checkSize(w, h, 1); err != nil {
		return gocv.Mat{}, err
	}
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	px, err := m.DataPtrUint8()
	if err != nil || len(px) != w*h*3 {
		m.Close()
		return gocv.Mat{}, fmt.Errorf("anpr: BGR Mat: %v", err)
	}
	i := 0
	switch src := img.(type) {
	case *image.YCbCr:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				yi, ci := src.YOffset(x, y), src.COffset(x, y)
				cr, cg, cb := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				px[i], px[i+1], px[i+2] = cb, cg, cr
				i += 3
			}
		}
	case *image.Gray:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := src.Pix[src.PixOffset(r.Min.X, y):][:w]
			for _, v := range row {
				px[i], px[i+1], px[i+2] = v, v, v
				i += 3
			}
		}
	case *image.RGBA:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := src.Pix[src.PixOffset(r.Min.X, y):][:4*w]
			for j := 0; j < len(row); j += 4 {
				px[i], px[i+1], px[i+2] = row[j+2], row[j+1], row[j]
				i += 3
			}
		}
	default: // NRGBA, paletted, 16-bit: rare for cameras, the slow path
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				px[i], px[i+1], px[i+2] = c.B, c.G, c.R
				i += 3
			}
		}
	}
	return m, nil
}

// grayFromMat copies a one-channel 8-bit Mat into a Go picture.
func grayFromMat(m gocv.Mat) (*image.Gray, error) {
	px, err := m.DataPtrUint8()
	if err != nil {
		return nil, err
	}
	g := image.NewGray(image.Rect(0, 0, m.Cols(), m.Rows()))
	if len(px) != len(g.Pix) {
		return nil, fmt.Errorf("anpr: grey Mat has %d bytes for %dx%d", len(px), m.Cols(), m.Rows())
	}
	copy(g.Pix, px)
	return g, nil
}
