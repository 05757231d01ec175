package export_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// An export says the camera's clock offset as it was measured when the
// footage was recorded (the measurement in effect at its start, and the
// range over it), not the offset at export time; a camera never measured
// gets the offset now, said to be measured now. Both verify.
func TestExportSaysTheClockOffsetOfTheFootage(t *testing.T) {
	s := recordSite(t, 1)
	cam := sim.CameraName(1)
	_, m := exportVerified(t, s, cam)
	if c := m.Cameras[0]; c.ClockOffsetMS != 12.5 || c.ClockSource != "rtcp-sr" || c.ClockOffsetAt != m.Created || c.ClockOffsetRangeMS != nil {
		t.Fatalf("a camera never measured: %+v (created %s)", c, m.Created)
	}

	ctx := context.Background()
	at := s.from.Add(-time.Minute)
	mid := s.from.Add(s.to.Sub(s.from) / 2)
	for _, o := range []store.ClockOffset{
		{Camera: cam, At: at.Add(-time.Hour), Offset: 900 * time.Millisecond, Source: "onvif"}, // superseded
		{Camera: cam, At: at, Offset: 31250 * time.Microsecond, Source: "onvif"},
		{Camera: cam, At: mid, Offset: -4 * time.Millisecond, Source: "rtcp-sr"},
		{Camera: cam, At: s.to.Add(time.Hour), Offset: time.Second, Source: "rtcp-sr"}, // after
	} {
		if err := s.store.AddClockOffset(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	dir, m := exportVerified(t, s, cam)
	c := m.Cameras[0]
	if c.ClockOffsetMS != 31.25 || c.ClockSource != "onvif" || c.ClockOffsetAt != bundle.FormatTime(at) ||
		len(c.ClockOffsetRangeMS) != 2 || c.ClockOffsetRangeMS[0] != -4 || c.ClockOffsetRangeMS[1] != 31.25 {
		t.Fatalf("the clock offset of the footage: %+v", c)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.txt"))
	if err != nil || !strings.Contains(string(readme), "31.2 ms, measured from onvif at") || !strings.Contains(string(readme), "-4.0 to 31.2 ms over the footage") {
		t.Fatalf("README: %v\n%s", err, readme)
	}
}
