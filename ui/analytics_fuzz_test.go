package ui

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// FuzzAnalyticsQuery drives query strings through the events and hotspots
// parsers: whatever they accept is a window the store and the report can
// serve (from before to, at most 31 days) and kinds and groupings they
// know.
func FuzzAnalyticsQuery(f *testing.F) {
	for _, seed := range []string{
		"", "kind=motion", "kind=tamper,motion", "kind=tamper.frozen&from=2026-10-25T00:00:00Z",
		"from=2026-10-25T00:30:00%2B01:00&to=2026-10-26T00:00:00Z&by=ward", "by=hour", "by=street", "kind=",
		"from=2026-03-29T01:30:00Z&to=2026-03-29T01:30:00Z", "to=0001-01-01T00:00:00Z", "from=9999-12-31T23:59:59Z",
		"from=2026-01-01T00:00:00.999999999-23:59&to=2026-01-31T00:00:00Z", "kind=motion&kind=fire", "%zz",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if ef, errs := eventQuery(q, "cam001", now); len(errs) == 0 {
			checkWindow(t, ef.From, ef.To)
			for _, k := range ef.Kinds {
				if k != store.EventMotion && !strings.HasPrefix(k, "tamper") {
					t.Fatalf("kind %q accepted", k)
				}
			}
		}
		if hq, errs := hotspotQuery(q, now); len(errs) == 0 {
			checkWindow(t, hq.From, hq.To)
			if !hq.By.Valid() {
				t.Fatalf("by %q accepted", hq.By)
			}
		}
	})
}

func checkWindow(t *testing.T, from, to time.Time) {
	if !from.Before(to) || to.Sub(from) > maxAnalyticsSpan || from.Location() != time.UTC || to.Location() != time.UTC {
		t.Fatalf("window %s to %s accepted", from, to)
	}
}

// FuzzAnalyticsSettings drives a body through what PUT
// /api/v1/cameras/{id}/analytics does before the store: strict decoding,
// defaults, validation. Whatever passes has every point inside the frame,
// settings in range, and masks that read back as written.
func FuzzAnalyticsSettings(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"enabled":false,"sensitivity":10,"min_area":0.25}`,
		`{"zones":[` + doorway + `],"exclusions":[[[0,0],[0.2,0],[0.2,0.2]]],"privacy":[[[0.6,0.6],[0.9,0.6],[0.9,0.9]]]}`,
		`{"zones":[{"name":"A","points":[[0,0],[1,1],[1,0],[0,1]]}]}`, // crossing edges
		`{"privacy":[[[0,0],[1,0],[1,1],[0,1]]]}`,                     // the whole frame
		`{"zones":[{"name":"A","points":[[1e309,0],[1,0],[1,1]]}]}`,
		`{"camera":"cam001","updated":"x","updated_by":null}`, `{"camera":"cam002"}`,
		`{"zones":[{"name":"A","points":[[0.1,0.1],[0.2,0.1],[0.2,0.2]]},{"name":"A","points":[[0.5,0.5],[0.6,0.5],[0.6,0.6]]}]}`,
		`{"min_area":-0}`, `{"sensitivity":1.5}`, `[]`, `{"zones":null}`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPut, "/api/v1/cameras/cam001/analytics", strings.NewReader(body))
		var in analyticsInput
		if err := decodeBody(httptest.NewRecorder(), req, &in); err != nil {
			return
		}
		a, err := in.settings("cam001")
		if err != nil || a.Validate() != nil {
			return
		}
		if a.Sensitivity < store.MinSensitivity || a.Sensitivity > store.MaxSensitivity || !(a.MinArea >= store.MinMinArea && a.MinArea <= store.MaxMinArea) {
			t.Fatalf("settings out of range passed: %+v", a)
		}
		polys := append(append([]zones.Polygon{}, a.Exclusions...), a.Privacy...)
		for _, z := range a.Zones {
			polys = append(polys, z.Points)
		}
		for _, p := range polys {
			for _, q := range p {
				if math.IsNaN(q.X) || math.IsNaN(q.Y) || q.X < 0 || q.X > 1 || q.Y < 0 || q.Y > 1 {
					t.Fatalf("point %v outside the frame passed", q)
				}
			}
		}
		var back []zones.Polygon
		if err := json.Unmarshal(masksJSON(a.Privacy), &back); err != nil || !bytes.Equal(masksJSON(back), masksJSON(a.Privacy)) {
			t.Fatalf("privacy masks do not read back: %v", err)
		}
	})
}

// FuzzAlertRuleInput drives a body through what POST /api/v1/alert-rules
// does before the store: whatever passes has hours a day has, a factor of
// at least 1 and a known severity.
func FuzzAlertRuleInput(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Doorway at night","camera":"cam001","zone":"Doorway","factor":4,"hour_from":22,"hour_to":6,"severity":"critical"}`,
		`{"name":"x","camera":"cam001"}`, `{"name":"x","camera":"cam001","hour_from":6,"hour_to":6}`,
		`{"name":"x","camera":"cam001","factor":"NaN"}`, `{"name":" ","camera":""}`, `{"id":3,"created":"x"}`,
		`{"name":"x","camera":"cam001","min_share":1e-320,"hour_to":24,"enabled":false}`, `{}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/alert-rules", strings.NewReader(body))
		var in alertRuleInput
		if err := decodeBody(httptest.NewRecorder(), req, &in); err != nil {
			return
		}
		r := in.rule()
		if r.Validate() != nil {
			return
		}
		if r.HourFrom < 0 || r.HourFrom > 23 || r.HourTo < 1 || r.HourTo > 24 || r.HourFrom == r.HourTo ||
			!(r.Factor >= 1) || !(r.MinShare >= 0 && r.MinShare <= 1) || strings.TrimSpace(r.Name) == "" {
			t.Fatalf("rule passed: %+v", r)
		}
		switch r.Severity {
		case store.SeverityInfo, store.SeverityWarning, store.SeverityCritical:
		default:
			t.Fatalf("severity %q passed", r.Severity)
		}
	})
}
