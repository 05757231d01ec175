package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/zones"
)

var square = zones.Polygon{{X: 0.1, Y: 0.1}, {X: 0.4, Y: 0.1}, {X: 0.4, Y: 0.4}, {X: 0.1, Y: 0.4}}

func TestCameraAnalyticsDefaultsAndPut(t *testing.T) {
	bothBackends(t, testCameraAnalyticsDefaultsAndPut)
}

func testCameraAnalyticsDefaultsAndPut(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	a, err := s.CameraAnalytics(ctx, "cam1")
	if err != nil || !a.Enabled || a.Sensitivity != DefaultSensitivity || a.MinArea != DefaultMinArea ||
		a.Zones == nil || a.Privacy == nil || a.Exclusions == nil {
		t.Fatalf("defaults: %+v, %v", a, err)
	}
	if l, _ := s.ListCameraAnalytics(ctx); len(l) != 0 {
		t.Errorf("defaults are not rows: %+v", l)
	}
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	a = CameraAnalytics{Camera: "cam1", Sensitivity: 7, MinArea: 0.01, Zones: []zones.Zone{{Name: "Doorway", Points: square}},
		Privacy: []zones.Polygon{square}, Updated: at, UpdatedBy: "eng1"}
	if err := s.PutCameraAnalytics(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.CameraAnalytics(ctx, "cam1")
	if err != nil || got.Enabled || got.Sensitivity != 7 || len(got.Zones) != 1 || got.Zones[0].Points[2] != square[2] ||
		len(got.Privacy) != 1 || len(got.Exclusions) != 0 || got.Exclusions == nil || !got.Updated.Equal(at) || got.UpdatedBy != "eng1" {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	a.Enabled, a.Privacy = true, nil
	if err := s.PutCameraAnalytics(ctx, a); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.ListCameraAnalytics(ctx); len(l) != 1 || !l[0].Enabled || len(l[0].Privacy) != 0 {
		t.Errorf("replaced: %+v", l)
	}
}

func TestCameraAnalyticsRefusesBadSettings(t *testing.T) {
	bothBackends(t, testCameraAnalyticsRefusesBadSettings)
}

func testCameraAnalyticsRefusesBadSettings(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	ok := CameraAnalytics{Camera: "cam1", Sensitivity: 5, MinArea: 0.01}
	full := zones.Polygon{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}, {X: 0, Y: 1}}
	cases := []struct {
		field string
		edit  func(*CameraAnalytics)
	}{
		{"camera", func(a *CameraAnalytics) { a.Camera = "Cam 1" }},
		{"sensitivity", func(a *CameraAnalytics) { a.Sensitivity = 11 }},
		{"sensitivity", func(a *CameraAnalytics) { a.Sensitivity = 0 }},
		{"min_area", func(a *CameraAnalytics) { a.MinArea = 0.5 }},
		{"min_area", func(a *CameraAnalytics) { a.MinArea = 0 }},
		{"zones[0].name", func(a *CameraAnalytics) { a.Zones = []zones.Zone{{Name: "", Points: square}} }},
		{"zones[0]", func(a *CameraAnalytics) { a.Zones = []zones.Zone{{Name: "Road", Points: square[:2]}} }},
		{"privacy[0]", func(a *CameraAnalytics) { a.Privacy = []zones.Polygon{{{X: 2, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}}} }},
		{"privacy", func(a *CameraAnalytics) { a.Privacy = []zones.Polygon{full} }},
	}
	for _, c := range cases {
		a := ok
		c.edit(&a)
		err := s.PutCameraAnalytics(ctx, a)
		var fe FieldErrors
		if !errors.As(err, &fe) || fe[0].Field != c.field {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	if l, _ := s.ListCameraAnalytics(ctx); len(l) != 0 {
		t.Errorf("bad settings stored: %+v", l)
	}
}

func TestEventsOverlapKindsAndThumbnails(t *testing.T) {
	bothBackends(t, testEventsOverlapKindsAndThumbnails)
}

func testEventsOverlapKindsAndThumbnails(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)
	add := func(cam, kind string, start, end time.Duration) *Event {
		e := &Event{Camera: cam, Kind: kind, Zone: "Road", Start: t0.Add(start), Peak: 0.2, Objects: 1}
		if end > 0 {
			e.End = t0.Add(end)
		}
		if err := s.AddEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	motion := add("cam1", EventMotion, 0, time.Minute)
	open := add("cam1", EventTamperCovered, 10*time.Minute, 0)
	add("cam1", EventTamperFrozen, 20*time.Minute, 21*time.Minute)
	add("cam2", EventMotion, 0, time.Minute)
	add("cam1", "tamperish", 0, time.Minute) // not a tamper.* kind

	cases := []struct {
		f    EventFilter
		want int
	}{
		{EventFilter{}, 5},
		{EventFilter{Camera: "cam1"}, 4},
		{EventFilter{Camera: "cam1", Kinds: []string{"tamper"}}, 2},
		{EventFilter{Kinds: []string{EventMotion}}, 2},
		{EventFilter{Kinds: []string{"tamper", EventMotion}}, 4},
		{EventFilter{From: t0.Add(30 * time.Second), To: t0.Add(2 * time.Minute)}, 3}, // overlaps the minute-long ones
		{EventFilter{From: t0.Add(time.Hour)}, 1},                                     // only the open one
		{EventFilter{To: t0.Add(10 * time.Minute)}, 3},                                // To is exclusive
		{EventFilter{Limit: 2}, 2},
	}
	for _, c := range cases {
		got, err := s.Events(ctx, c.f)
		if err != nil || len(got) != c.want {
			t.Errorf("%+v: %d events, %v; want %d", c.f, len(got), err, c.want)
		}
	}
	if _, _, err := s.EventThumbnail(ctx, motion.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("no thumbnail yet: %v", err)
	}
	jpeg := []byte{0xff, 0xd8, 0xff, 0xd9}
	motion.Thumbnail, motion.Objects = jpeg, 3
	if err := s.UpdateEvent(ctx, *motion); err != nil {
		t.Fatal(err)
	}
	open.End, open.Detail = t0.Add(15*time.Minute), "covered 5 min"
	if err := s.UpdateEvent(ctx, *open); err != nil { // nil thumbnail: keeps none
		t.Fatal(err)
	}
	motion.Thumbnail = nil
	if err := s.UpdateEvent(ctx, *motion); err != nil { // nil thumbnail: keeps the one stored
		t.Fatal(err)
	}
	if cam, got, err := s.EventThumbnail(ctx, motion.ID); err != nil || cam != "cam1" || !bytes.Equal(got, jpeg) {
		t.Errorf("thumbnail: %s %x %v", cam, got, err)
	}
	if got, _ := s.Events(ctx, EventFilter{Kinds: []string{"tamper"}}); len(got) != 2 || got[0].Thumbnail != nil {
		t.Errorf("events without thumbnails: %+v", got)
	}
	if got, _ := s.Events(ctx, EventFilter{From: t0.Add(time.Hour)}); len(got) != 0 {
		t.Errorf("closed event still open: %+v", got)
	}
	got, _ := s.Events(ctx, EventFilter{Camera: "cam1", Kinds: []string{EventMotion}})
	if len(got) != 1 || got[0].Objects != 3 || got[0].Thumbnail == nil || len(got[0].Thumbnail) != 0 || !got[0].End.Equal(t0.Add(time.Minute)) {
		t.Errorf("listed: %+v", got)
	}
	if e, err := s.Event(ctx, motion.ID); err != nil || e.Kind != EventMotion || e.Thumbnail == nil {
		t.Errorf("one event: %+v, %v", e, err)
	}
	if _, err := s.Event(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("event of nothing: %v", err)
	}
	if err := s.UpdateEvent(ctx, Event{ID: 999}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of nothing: %v", err)
	}
	if _, _, err := s.EventThumbnail(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("thumbnail of nothing: %v", err)
	}
}

func TestActivityAddsUpAndPrunes(t *testing.T) { bothBackends(t, testActivityAddsUpAndPrunes) }

func testActivityAddsUpAndPrunes(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	b0 := time.Date(2026, 3, 29, 0, 45, 0, 0, time.UTC)
	err := s.AddActivity(ctx, []Activity{
		{Camera: "cam1", Bucket: b0, Frames: 100, MotionFrames: 10, Objects: 2},
		{Camera: "cam1", Zone: "Road", Bucket: b0, Frames: 100, MotionFrames: 5},
		{Camera: "cam2", Bucket: b0.Add(ActivityBucket), Frames: 50, MotionFrames: 50, Objects: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second report of the same bucket, stamped inside it, adds up.
	if err := s.AddActivity(ctx, []Activity{{Camera: "cam1", Bucket: b0.Add(7 * time.Minute), Frames: 20, MotionFrames: 4, Objects: 1}}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Activity(ctx, ActivityFilter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("%+v, %v", all, err)
	}
	if a := all[0]; a.Camera != "cam1" || a.Zone != "" || !a.Bucket.Equal(b0) || a.Frames != 120 || a.MotionFrames != 14 || a.Objects != 3 {
		t.Errorf("summed: %+v", a)
	}
	cases := []struct {
		f    ActivityFilter
		want int
	}{
		{ActivityFilter{Cameras: []string{"cam2"}}, 1},
		{ActivityFilter{Cameras: []string{"cam1", "cam2", "cam1"}}, 3},
		{ActivityFilter{Cameras: []string{}}, 0},
		{ActivityFilter{From: b0.Add(time.Minute)}, 1},
		{ActivityFilter{To: b0.Add(ActivityBucket)}, 2},
		{ActivityFilter{Zones: []string{""}}, 2},
		{ActivityFilter{Zones: []string{"Road"}}, 1},
		{ActivityFilter{Zones: []string{}}, 0},
		{ActivityFilter{Hourly: true}, 3}, // 00:45 and 01:00 are different hours
	}
	for _, c := range cases {
		if got, err := s.Activity(ctx, c.f); err != nil || len(got) != c.want {
			t.Errorf("%+v: %d rows, %v; want %d", c.f, len(got), err, c.want)
		}
	}
	// Two buckets of one hour add up.
	s.AddActivity(ctx, []Activity{{Camera: "cam2", Bucket: b0.Add(2 * ActivityBucket), Frames: 10, MotionFrames: 1, Objects: 1}})
	hourly, err := s.Activity(ctx, ActivityFilter{Cameras: []string{"cam2"}, Hourly: true})
	if err != nil || len(hourly) != 1 || !hourly[0].Bucket.Equal(b0.Add(ActivityBucket)) || hourly[0].Frames != 60 ||
		hourly[0].MotionFrames != 51 || hourly[0].Objects != 2 {
		t.Errorf("hourly: %+v, %v", hourly, err)
	}
	old := Event{Camera: "cam1", Kind: EventMotion, Start: b0, End: b0.Add(time.Minute)}
	still := Event{Camera: "cam1", Kind: EventTamperCovered, Start: b0}
	s.AddEvent(ctx, &old)
	s.AddEvent(ctx, &still)
	n, err := s.PruneActivity(ctx, b0.Add(ActivityBucket))
	if err != nil || n != 3 { // two cam1 rows and the closed event
		t.Errorf("pruned %d, %v", n, err)
	}
	if left, _ := s.Events(ctx, EventFilter{}); len(left) != 1 || left[0].ID != still.ID {
		t.Errorf("events left: %+v", left)
	}
	if left, _ := s.Activity(ctx, ActivityFilter{}); len(left) != 2 || left[0].Camera != "cam2" {
		t.Errorf("activity left: %+v", left)
	}
}

func TestAlertRules(t *testing.T) { bothBackends(t, testAlertRules) }

func testAlertRules(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	r := AlertRule{Name: "Late night park", Camera: "cam1", Zone: "Road", Factor: 3, MinShare: 0.05,
		HourFrom: 22, HourTo: 6, Severity: SeverityWarning, Enabled: true, CreatedBy: "sup1"}
	if err := s.CreateAlertRule(ctx, &r); err != nil || r.ID == 0 {
		t.Fatalf("%+v, %v", r, err)
	}
	dup := r
	if err := s.CreateAlertRule(ctx, &dup); !errors.Is(err, ErrExists) {
		t.Errorf("same name: %v", err)
	}
	r.Factor, r.Enabled = 4, false
	if err := s.UpdateAlertRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.AlertRuleByID(ctx, r.ID)
	if err != nil || got.Factor != 4 || got.Enabled || got.HourFrom != 22 || got.CreatedBy != "sup1" || got.Created.IsZero() {
		t.Errorf("read back: %+v, %v", got, err)
	}
	other := AlertRule{Name: "Day", Camera: "cam2", Factor: 2, HourFrom: 0, HourTo: 24, Severity: SeverityInfo}
	if err := s.CreateAlertRule(ctx, &other); err != nil {
		t.Fatal(err)
	}
	other.Name = r.Name
	if err := s.UpdateAlertRule(ctx, other); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto another: %v", err)
	}
	if l, _ := s.ListAlertRules(ctx); len(l) != 2 || l[0].Name != "Day" {
		t.Errorf("list: %+v", l)
	}
	for _, bad := range []func(*AlertRule){
		func(r *AlertRule) { r.Name = " " },
		func(r *AlertRule) { r.Camera = "" },
		func(r *AlertRule) { r.Zone = "bad/zone" },
		func(r *AlertRule) { r.Factor = 0.5 },
		func(r *AlertRule) { r.MinShare = 1.5 },
		func(r *AlertRule) { r.HourFrom = 24 },
		func(r *AlertRule) { r.HourTo = 0 },
		func(r *AlertRule) { r.HourFrom, r.HourTo = 5, 5 },
		func(r *AlertRule) { r.Severity = "loud" },
	} {
		b := AlertRule{Name: "x", Camera: "cam1", Factor: 2, HourTo: 24, Severity: SeverityInfo}
		bad(&b)
		var fe FieldErrors
		if err := s.CreateAlertRule(ctx, &b); !errors.As(err, &fe) {
			t.Errorf("%+v: %v", b, err)
		}
	}
	if err := s.DeleteAlertRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlertRule(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := s.UpdateAlertRule(ctx, r); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "alert rule") {
		t.Errorf("update deleted: %v", err)
	}
}
