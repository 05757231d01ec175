package ui

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// FuzzDeploymentRequest drives a body through what POST
// /api/v1/deployments does before the workflow: JSON, the dates, the
// store's checks. Whatever passes is a request the store can keep: a point
// on the map, a known problem, a wanted period forwards, bounded texts, the
// justification and signage given.
func FuzzDeploymentRequest(f *testing.F) {
	for _, seed := range []string{
		requestBody("2026-11-25", true), requestBody("2026-11-25", false), requestBody("2026-13-01", true),
		requestBody("2026-11-25T09:00:00Z", true), `{}`, `{"latitude": 1e999}`, `{"incidents": [""]}`,
		`{"latitude": 51.5, "longitude": 0.1, "address": "x", "problem": "noise", "wanted_from": "2026-12-01",
		"wanted_to": "2026-11-01", "purpose": "p", "less_intrusive": "l", "signage_confirmed": true}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in requestInput
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		var fs fields
		r := in.request(&fs)
		if len(fs.es) > 0 || r.Validate() != nil {
			return
		}
		switch {
		case math.IsNaN(r.Latitude) || r.Latitude < -90 || r.Latitude > 90 || r.Longitude < -180 || r.Longitude > 180:
			t.Fatalf("point %v, %v accepted", r.Latitude, r.Longitude)
		case !slices.Contains(store.ASBProblems, r.Problem):
			t.Fatalf("problem %q accepted", r.Problem)
		case !r.WantedTo.After(r.WantedFrom):
			t.Fatalf("period %v to %v accepted", r.WantedFrom, r.WantedTo)
		case r.Purpose == "" || r.LessIntrusive == "" || !r.SignageConfirmed || r.Address == "":
			t.Fatalf("a request without its justification accepted: %+v", r)
		case len(r.Purpose) > store.MaxDeploymentText || len(r.LessIntrusive) > store.MaxDeploymentText:
			t.Fatal("an over-long text accepted")
		}
	})
}
