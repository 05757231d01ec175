package decode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// FuzzDecode feeds arbitrary bytes, read as an Annex-B stream (or as one NAL
// unit when they are not one), to a decoder: as one access unit, then NAL
// unit by NAL unit, then a flush. Any picture that comes out is converted.
// Nothing may crash, hang or leak across inputs.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var nalus h264.AnnexB
		if err := nalus.Unmarshal(data); err != nil {
			if len(data) == 0 {
				return
			}
			nalus = h264.AnnexB{data}
		}
		d, err := newDecoder(640*480, false)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		use := func(fr *Frame) {
			if fr == nil {
				return
			}
			if fr.Width <= 0 || fr.Height <= 0 || fr.Width*fr.Height > 640*480 {
				t.Fatalf("picture %dx%d", fr.Width, fr.Height)
			}
			if g := fr.Gray(); g == nil || g.Bounds().Dx() != fr.Width {
				t.Fatal("no Gray view")
			}
			if fr.RGBA() == nil || fr.Thumbnail(32) == nil {
				t.Fatal("conversion failed")
			}
		}
		fr, _ := d.Decode(nalus)
		use(fr)
		for _, n := range nalus {
			fr, _ := d.Decode([][]byte{n})
			use(fr)
		}
		fr, err = d.Flush()
		if err != nil {
			t.Fatalf("Flush: %v", err)
		}
		use(fr)
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzDecode from the small sub
// clip when VIGIL_WRITE_FUZZ_SEEDS=1: SPS+PPS+IDR (no SEI, to stay small),
// truncated copies, parameter sets alone and a P-frame.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set VIGIL_WRITE_FUZZ_SEEDS=1 to regenerate the seed corpus")
	}
	_, subPath := testClips(t)
	aus := readAUs(t, subPath)
	sps, pps, rest := splitParams(aus[0])
	var idr []byte
	for _, n := range rest {
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeIDR {
			idr = n
		}
	}
	var p []byte
	for _, n := range aus[1] {
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeNonIDR {
			p = n
		}
	}
	if idr == nil || p == nil {
		t.Fatal("sub clip lacks an IDR or a P slice")
	}
	annexB := func(nalus ...[]byte) []byte {
		b, err := h264.AnnexB(nalus).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	full := annexB(sps, pps, idr)
	seeds := map[string][]byte{
		"idr":           full,
		"idr-half":      full[:len(full)/2],
		"idr-quarter":   full[:len(full)/4],
		"params":        annexB(sps, pps),
		"sps-truncated": annexB(sps[:len(sps)/2]),
		"idr-then-p":    annexB(sps, pps, idr, p),
		"p-alone":       annexB(sps, pps, p),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", name, len(b))
	}
}

// TestFuzzSeedDecodes keeps the corpus meaningful: the "idr" seed is a real
// picture, so mutations start from the decoder's real paths.
func TestFuzzSeedDecodes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzDecode", "idr"))
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if _, err := fmt.Sscanf(strings.TrimPrefix(string(b), "go test fuzz v1\n"), "[]byte(%q)", &s); err != nil {
		t.Fatal(err)
	}
	var nalus h264.AnnexB
	if err := nalus.Unmarshal([]byte(s)); err != nil {
		t.Fatal(err)
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Decode(nalus)
	if err != nil || f == nil || f.Width != 160 || f.Height != 96 {
		t.Fatalf("idr seed: frame %v, err %v", f, err)
	}
}
