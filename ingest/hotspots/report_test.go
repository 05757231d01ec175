package hotspots

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScoreIsFiniteWithoutHistory(t *testing.T) {
	if s := Score(0.1, 0); !near(s, 6) {
		t.Errorf("10%% motion, no history: %g, want 6", s)
	}
	if s := Score(0.3, 0.1); !near(s, 0.32/0.12) {
		t.Errorf("3x usual: %g", s)
	}
	if s := Score(0, 0); s != 1 {
		t.Errorf("quiet as usual: %g", s)
	}
}

// activity puts one whole-frame bucket at a local time: frames 100, motion
// share as given.
func activity(t *testing.T, s *store.Store, cam string, local time.Time, motion, objects int) {
	t.Helper()
	err := s.AddActivity(context.Background(), []store.Activity{{Camera: cam, Bucket: local.UTC(), Frames: 100, MotionFrames: motion, Objects: objects}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBuildAcrossTheClockChange(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	loc := London()
	// Summer time ends at 02:00 BST on Sunday 25 October 2026. The window
	// is the week after; its baseline weeks are in BST, when Sunday 21:00
	// local was 20:00 UTC.
	from := time.Date(2026, 10, 26, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 7)
	sunday9pm := time.Date(2026, 11, 1, 21, 0, 0, 0, loc)
	for week := 1; week <= BaselineWeeks; week++ {
		activity(t, s, "cam1", sunday9pm.AddDate(0, 0, -7*week), 5*week, 2) // 12.5% on average
		activity(t, s, "cam2", sunday9pm.AddDate(0, 0, -7*week), 10, 0)
	}
	activity(t, s, "cam1", sunday9pm, 50, 6)
	activity(t, s, "cam2", sunday9pm, 10, 1)
	activity(t, s, "cam3", sunday9pm, 90, 9)                                      // not visible to the caller
	activity(t, s, "cam1", sunday9pm.AddDate(0, 0, -7*(BaselineWeeks+1)), 100, 0) // too old for the baseline
	s.AddActivity(ctx, []store.Activity{{Camera: "cam1", Zone: "Road", Bucket: sunday9pm, Frames: 100, MotionFrames: 100}})

	lat1, lon1, lat2, lon2 := 51.5, -0.1, 51.6, -0.2
	cams := []store.Camera{
		{ID: "cam1", Name: "High St", Ward: "Central", Latitude: &lat1, Longitude: &lon1},
		{ID: "cam2", Name: "Park", Ward: "Central", Latitude: &lat2, Longitude: &lon2},
		{ID: "cam4", Name: "Depot", Ward: ""},
	}
	r, err := Build(ctx, s, loc, Query{From: from, To: to, By: ByCamera, Cameras: cams})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Heat) != 7*24 {
		t.Fatalf("heat has %d cells", len(r.Heat))
	}
	for _, c := range r.Heat {
		switch {
		case c.Dow == 6 && c.Hour == 21:
			if !near(c.MotionShare, 0.3) || c.Objects != 7 || !near(c.Score, Score(0.3, 0.1125)) {
				t.Errorf("Sunday 21:00: %+v", c)
			}
		case c.Score != 0 || c.Objects != 0:
			t.Errorf("activity in the wrong hour of the week (168 hours is not a week across the change?): %+v", c)
		}
	}
	if len(r.Rows) != 3 || r.Rows[0].Key != "cam1" || r.Rows[1].Key != "cam2" || r.Rows[2].Key != "cam4" {
		t.Fatalf("rows by score: %+v", r.Rows)
	}
	c1 := r.Rows[0]
	if c1.Frames != 100 || !near(c1.MotionShare, 0.5) || !near(c1.BaselineShare, 0.125) || c1.Objects != 6 ||
		!near(c1.BaselineObjects, 2) || !near(c1.Score, Score(0.5, 0.125)) || *c1.Lat != lat1 || c1.Label != "High St" {
		t.Errorf("cam1: %+v", c1)
	}
	if r.Rows[2].Score != 0 || r.Rows[2].Frames != 0 {
		t.Errorf("a camera without data: %+v", r.Rows[2])
	}
	if len(r.Cameras) != 3 || r.Cameras[0].ID != "cam1" || !near(r.Cameras[0].Score, c1.Score) {
		t.Errorf("cameras: %+v", r.Cameras)
	}

	r, err = Build(ctx, s, loc, Query{From: from, To: to, By: ByWard, Cameras: cams})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 2 || r.Rows[0].Key != "Central" || len(r.Rows[0].Cameras) != 2 || !near(r.Rows[0].MotionShare, 0.3) ||
		!near(*r.Rows[0].Lat, (lat1+lat2)/2) || r.Rows[1].Label != "No ward" || r.Rows[1].Lat != nil {
		t.Errorf("by ward: %+v", r.Rows)
	}

	r, err = Build(ctx, s, loc, Query{From: from, To: to, By: ByHour, Cameras: cams})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 24 || r.Rows[21].Key != "21" || r.Rows[21].Frames != 200 || !near(r.Rows[21].BaselineShare, 0.1125) ||
		!near(r.Rows[21].BaselineObjects, 2) || r.Rows[20].Frames != 0 || r.Rows[20].BaselineShare != 0 {
		t.Errorf("by hour: %+v", r.Rows[20:22])
	}
}

func TestBuildRefusesBadQueries(t *testing.T) {
	s := openStore(t)
	now := time.Now()
	for _, q := range []Query{
		{From: now, To: now.Add(time.Hour), By: "street"},
		{From: now, To: now, By: ByCamera},
		{From: now, To: now.Add(32 * 24 * time.Hour), By: ByCamera},
	} {
		if _, err := Build(context.Background(), s, London(), q); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
	at := time.Date(2026, 11, 24, 9, 7, 0, 0, time.UTC)
	r, err := Build(context.Background(), s, London(), Query{From: at, To: at.Add(time.Hour), By: ByCamera})
	if err != nil || len(r.Rows) != 0 || r.Rows == nil || len(r.Cameras) != 0 || r.Cameras == nil {
		t.Errorf("no cameras: %+v, %v", r, err)
	}
	if !r.From.Equal(at.Truncate(time.Hour)) || !r.To.Equal(at.Truncate(time.Hour).Add(2*time.Hour)) {
		t.Errorf("window %s to %s, want widened to whole hours", r.From, r.To)
	}
}
