package hotspots

import (
	"context"
	"math"
	"path/filepath"
	"slices"
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

// alert stores an alert at a local time.
func alert(t *testing.T, s *store.Store, cam, kind, rule string, local time.Time) {
	t.Helper()
	a := store.Alert{At: local.UTC(), Camera: cam, Kind: kind, Rule: rule, Severity: store.SeverityWarning, Message: rule + " at " + cam}
	if err := s.AddAlert(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
}

func TestBuildCountsNuisanceVehicleHits(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	loc := London()
	// The window is Sunday evening 1 November 2026, GMT; summer time ended
	// a week before, so its baseline weeks but the last were in BST, when
	// 21:00 local was 20:00 UTC.
	from := time.Date(2026, 11, 1, 18, 0, 0, 0, loc)
	to := time.Date(2026, 11, 2, 0, 0, 0, 0, loc)
	nine := time.Date(2026, 11, 1, 21, 0, 0, 0, loc)
	weeksAgo := func(n int, minutes int) time.Time {
		return nine.AddDate(0, 0, -7*n).Add(time.Duration(minutes) * time.Minute)
	}
	// cam1 and cam2 are as busy as each other, now and usually.
	for _, cam := range []string{"cam1", "cam2"} {
		activity(t, s, cam, nine, 20, 1)
		for week := 1; week <= BaselineWeeks; week++ {
			activity(t, s, cam, weeksAgo(week, 0), 10, 1)
		}
	}
	// cam2 has behaviour-rule hits; cam1 only alerts that are not.
	alert(t, s, "cam2", "anpr", "High St cruising", weeksAgo(0, 10))
	alert(t, s, "cam2", "anpr", "car meet", weeksAgo(0, 40))
	alert(t, s, "cam1", "anpr", "watch-list", weeksAgo(0, 20)) // a listed car: about the vehicle
	alert(t, s, "cam1", "anpr", "watch-list", weeksAgo(0, 25))
	alert(t, s, "cam1", store.AlertActivity, "busy square", weeksAgo(0, 30))
	alert(t, s, "cam1", store.AlertTamper, store.EventTamperCovered, weeksAgo(0, 35))
	// cam3 analyses no frames but reads plates: one dwell at 22:15.
	alert(t, s, "cam3", "anpr", "Depot dwell", weeksAgo(0, 75))
	alert(t, s, "cam9", "anpr", "car meet", weeksAgo(0, 5)) // not visible to the caller
	// Baseline hits, at 21:xx local in each week whatever its offset.
	alert(t, s, "cam2", "anpr", "High St cruising", weeksAgo(1, 5))  // GMT
	alert(t, s, "cam2", "anpr", "High St cruising", weeksAgo(2, 5))  // BST
	alert(t, s, "cam2", "anpr", "car meet", weeksAgo(2, 50))         // BST
	alert(t, s, "cam2", "anpr", "High St cruising", weeksAgo(3, 30)) // BST
	alert(t, s, "cam2", "anpr", "watch-list", weeksAgo(3, 31))
	alert(t, s, "cam2", "anpr", "car meet", weeksAgo(2, -240))            // 17:00: not an hour of the window
	alert(t, s, "cam2", "anpr", "car meet", weeksAgo(BaselineWeeks+1, 5)) // too old
	alert(t, s, "cam3", "anpr", "Depot dwell", weeksAgo(1, 75))

	cams := []store.Camera{
		{ID: "cam1", Name: "Park", Ward: "Central"},
		{ID: "cam2", Name: "High St", Ward: "Central"},
		{ID: "cam3", Name: "Depot", Ward: "Docks"},
	}
	motion := Score(0.2, 0.1) // cam1's and cam2's motion part, alone or together
	reports := map[By]Report{}
	for _, by := range []By{ByCamera, ByWard, ByHour} {
		r, err := Build(ctx, s, loc, Query{From: from, To: to, By: by, Cameras: cams})
		if err != nil {
			t.Fatal(err)
		}
		reports[by] = r
	}
	for _, tc := range []struct {
		name  string
		by    By
		key   string
		rank  int // -1: hours are not ranked
		hits  int
		base  float64
		score float64
	}{
		{"behaviour hits raise a camera above one as busy", ByCamera, "cam2", 0, 2, 1, motion + 2*RuleHitWeight},
		{"watch-list, activity and tamper alerts do not count", ByCamera, "cam1", 1, 0, 0, motion},
		{"hits without analysed frames score the hits", ByCamera, "cam3", 2, 1, 1, RuleHitWeight},
		{"a ward adds up its cameras' hits", ByWard, "Central", 0, 2, 1, motion + 2*RuleHitWeight},
		{"a ward of hits only", ByWard, "Docks", 1, 1, 1, RuleHitWeight},
		{"the local hour of the hits, baseline from BST and GMT weeks", ByHour, "21", -1, 2, 1, motion + 2*RuleHitWeight},
		{"an hour with hits and no frames", ByHour, "22", -1, 1, 1, RuleHitWeight},
		{"BST's 21:00 is not counted at 20:00 (168 hours is not a week)", ByHour, "20", -1, 0, 0, 0},
		{"hours outside the window", ByHour, "17", -1, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := reports[tc.by].Rows
			i := slices.IndexFunc(rows, func(r Row) bool { return r.Key == tc.key })
			if i < 0 {
				t.Fatalf("no row %s in %+v", tc.key, rows)
			}
			r := rows[i]
			if tc.rank >= 0 && i != tc.rank {
				t.Errorf("%s ranks %d, want %d: %+v", tc.key, i, tc.rank, rows)
			}
			if r.RuleHits != tc.hits || !near(r.BaselineRuleHits, tc.base) || !near(r.Score, tc.score) {
				t.Errorf("%s: hits %d, baseline %g, score %g; want %d, %g, %g", tc.key, r.RuleHits, r.BaselineRuleHits, r.Score, tc.hits, tc.base, tc.score)
			}
		})
	}

	r := reports[ByCamera]
	for i, want := range []struct {
		hits  int
		score float64
	}{{0, motion}, {2, motion + 2}, {1, 1}} {
		if c := r.Cameras[i]; c.RuleHits != want.hits || !near(c.Score, want.score) {
			t.Errorf("map camera %s: %+v, want %d hits, score %g", c.ID, c, want.hits, want.score)
		}
	}
	for _, c := range r.Heat {
		var hits int
		var score float64
		switch {
		case c.Dow == 6 && c.Hour == 21:
			hits, score = 2, motion+2
		case c.Dow == 6 && c.Hour == 22:
			hits, score = 1, 1
		}
		if c.RuleHits != hits || !near(c.Score, score) {
			t.Errorf("heat %d %02d:00: %+v, want %d hits, score %g", c.Dow, c.Hour, c, hits, score)
		}
	}
}
