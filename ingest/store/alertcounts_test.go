package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAlertCounts(t *testing.T) { bothBackends(t, testAlertCounts) }

func testAlertCounts(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	h0 := time.Date(2026, 10, 24, 21, 0, 0, 0, time.UTC) // a Saturday night
	add := func(camera, kind, rule string, at time.Time) int64 {
		t.Helper()
		a := Alert{At: at, Camera: camera, Kind: kind, Rule: rule, Severity: SeverityWarning, Message: rule + " on " + camera}
		if err := s.AddAlert(ctx, &a); err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	add("cam1", "anpr", "High St cruising", h0)                        // the hour's first microsecond
	add("cam1", "anpr", "High St cruising", h0.Add(59*time.Minute))    // same hour
	acked := add("cam1", "anpr", "car meet", h0.Add(time.Hour-1))      // still that hour
	add("cam1", "anpr", "car meet", h0.Add(time.Hour))                 // the next
	add("cam2", "anpr", "Depot dwell", h0.Add(30*time.Minute))         // another camera
	add("cam1", "anpr", "watch-list", h0.Add(10*time.Minute))          // a listed car: about a vehicle
	add("cam1", AlertActivity, "night doorway", h0.Add(5*time.Minute)) // other kinds
	add("cam1", AlertTamper, EventTamperCovered, h0.Add(6*time.Minute))
	add("cam3", "anpr", "car meet", h0.Add(20*time.Minute))    // not asked for
	add("cam1", "anpr", "car meet", h0.Add(-time.Microsecond)) // before the window
	add("cam1", "anpr", "car meet", h0.Add(2*time.Hour))       // at its end: out
	if _, err := s.AckAlert(ctx, acked, "op.sam", "Looked: cars parked up", h0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}

	text := func(cs []AlertCount) string {
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%s %s %d", c.Hour.Format("15:04"), c.Camera, c.Alerts))
		}
		return strings.Join(out, "; ")
	}
	window := AlertCountFilter{Cameras: []string{"cam2", "cam1", "cam2"}, Kind: "anpr", ExceptRules: []string{"watch-list"},
		From: h0, To: h0.Add(2 * time.Hour)}
	for _, tc := range []struct {
		name string
		edit func(*AlertCountFilter)
		want string
	}{
		{"behaviour hits by camera and hour, acknowledged or not", func(*AlertCountFilter) {}, "21:00 cam1 3; 21:00 cam2 1; 22:00 cam1 1"},
		{"watch-list too", func(f *AlertCountFilter) { f.ExceptRules = nil }, "21:00 cam1 4; 21:00 cam2 1; 22:00 cam1 1"},
		{"two rules left out", func(f *AlertCountFilter) { f.ExceptRules = []string{"watch-list", "car meet"} },
			"21:00 cam1 2; 21:00 cam2 1"},
		{"every camera", func(f *AlertCountFilter) { f.Cameras = nil }, "21:00 cam1 3; 21:00 cam2 1; 21:00 cam3 1; 22:00 cam1 1"},
		{"no camera", func(f *AlertCountFilter) { f.Cameras = []string{} }, ""},
		{"every kind", func(f *AlertCountFilter) { f.Kind = "" }, "21:00 cam1 5; 21:00 cam2 1; 22:00 cam1 1"},
		{"tamper", func(f *AlertCountFilter) { f.Kind = AlertTamper }, "21:00 cam1 1"},
		{"one hour", func(f *AlertCountFilter) { f.To = h0.Add(time.Hour) }, "21:00 cam1 3; 21:00 cam2 1"},
		{"no bounds", func(f *AlertCountFilter) { f.From, f.To = time.Time{}, time.Time{} },
			"20:00 cam1 1; 21:00 cam1 3; 21:00 cam2 1; 22:00 cam1 1; 23:00 cam1 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := window
			f.Cameras, f.ExceptRules = slices.Clone(f.Cameras), slices.Clone(f.ExceptRules)
			tc.edit(&f)
			got, err := s.AlertCounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if text(got) != tc.want {
				t.Errorf("got %q, want %q", text(got), tc.want)
			}
			for _, c := range got {
				if c.Hour.Location() != time.UTC || !c.Hour.Equal(c.Hour.Truncate(time.Hour)) {
					t.Errorf("%+v: not a UTC hour's start", c)
				}
			}
		})
	}
}
