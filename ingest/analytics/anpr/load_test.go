package anpr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func encodeJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is a PNG signature and IHDR claiming w x h, and nothing else.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(ihdr)))
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

func TestDecodeImageBadInput(t *testing.T) {
	jpg := encodeJPEG(t, 64, 48)
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"empty":           {nil, ErrNotImage},
		"text":            {[]byte("hello, this is text\n"), ErrNotImage},
		"gif":             {[]byte("GIF89a\x10\x00\x10\x00"), ErrNotImage},
		"truncated jpeg":  {jpg[:len(jpg)/2], ErrCorrupt},
		"jpeg header":     {jpg[:2], ErrCorrupt},
		"20000x20000 png": {pngHeader(20000, 20000), ErrTooLarge},
		"8192x8192 png":   {pngHeader(8192, 8192), ErrTooLarge},
		"8x8 png":         {encodePNG(t, image.NewGray(image.Rect(0, 0, 8, 8))), ErrTooSmall},
		"png no data":     {pngHeader(100, 100), ErrCorrupt},
		"over 32 MiB":     {append([]byte("\xff\xd8"), make([]byte, MaxFileBytes)...), ErrTooLarge},
	} {
		img, err := DecodeImage(tc.b)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v (image %v), want %v", name, err, img != nil, tc.want)
		}
	}
	if _, err := DecodeImage(jpg); err != nil {
		t.Errorf("good jpeg: %v", err)
	}
}

// TestReadFileBadInput runs bad files through the whole reader: each is an
// error, nothing reaches gocv, no Mat is left open.
func TestReadFileBadInput(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := openMats()
	dir := t.TempDir()
	jpg := encodeJPEG(t, 64, 48)
	files := map[string][]byte{
		"empty.jpg":     nil,
		"text.jpg":      []byte("not a picture"),
		"truncated.jpg": jpg[:len(jpg)*2/3],
		"huge.png":      pngHeader(20000, 20000),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if ps, err := r.ReadFile(p); err == nil {
			t.Errorf("%s: no error (%d plates)", name, len(ps))
		}
	}
	if _, err := r.ReadFile(filepath.Join(dir, "missing.jpg")); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := r.ReadFile(dir); err == nil {
		t.Error("directory: no error")
	}
	// A plain picture with no plate reads as no plates.
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	img.Set(10, 10, color.Black)
	if ps, err := r.ReadImage(img); err != nil || len(ps) != 0 {
		t.Errorf("blank picture: %v, %d plates", err, len(ps))
	}
	if n := openMats(); n != start {
		t.Errorf("open Mats %d, started with %d", n, start)
	}
}

func FuzzDecodeImage(f *testing.F) {
	f.Add(encodeJPEG(f, 16, 16))
	f.Add(encodePNG(f, image.NewGray(image.Rect(0, 0, 16, 16))))
	f.Add(pngHeader(20000, 20000))
	f.Add([]byte("\xff\xd8\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := DecodeImage(b)
		if err != nil {
			return
		}
		r := img.Bounds()
		if r.Dx() < MinSide || r.Dy() < MinSide || r.Dx() > MaxSide || r.Dy() > MaxSide {
			t.Fatalf("accepted %v", r)
		}
		m, err := imageToBGR(img)
		if err != nil {
			t.Fatal(err)
		}
		if m.Cols() != r.Dx() || m.Rows() != r.Dy() {
			t.Fatalf("Mat %dx%d for %v", m.Cols(), m.Rows(), r)
		}
		m.Close()
	})
}
