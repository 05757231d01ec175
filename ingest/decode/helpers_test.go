package decode

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
)

// testClips returns the simulator's small clips (main 320x180, sub 160x96),
// generating them into data/clips when missing.
func testClips(t testing.TB) (mainPath, subPath string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	paths, err := sim.GenerateClips(ctx, simtest.Config(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	return paths[0], paths[1]
}

// clipDir is the repository's data/clips.
func clipDir(t testing.TB) string { return simtest.ClipDir(t) }

// readAUs splits an Annex-B file into access units on AUD NALUs (type 9),
// dropping the AUDs.
func readAUs(t testing.TB, path string) [][][]byte {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	aus, err := SplitAnnexB(buf)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return aus
}

// isIDR reports whether au holds an IDR slice.
func isIDR(au [][]byte) bool {
	for _, n := range au {
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeIDR {
			return true
		}
	}
	return false
}

// splitParams returns au's SPS, PPS and the remaining NALUs.
func splitParams(au [][]byte) (sps, pps []byte, rest [][]byte) {
	for _, n := range au {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			sps = n
		case h264.NALUTypePPS:
			pps = n
		default:
			rest = append(rest, n)
		}
	}
	return sps, pps, rest
}
