package ui

import (
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/ptz"
)

// FuzzPTZInput drives a request body through what POST
// /api/v1/cameras/{id}/ptz does before a camera is told: strict decoding
// and the command's checks. Whatever passes is a known action with every
// number inside ONVIF's generic spaces.
func FuzzPTZInput(f *testing.F) {
	for _, seed := range []string{
		`{"action":"continuous","pan":0.5,"tilt":-0.25}`,
		`{"action":"absolute","pan":1,"tilt":-1,"zoom":0.5}`,
		`{"action":"relative","zoom":-0.1}`,
		`{"action":"set_preset","name":"Market cross"}`,
		`{"action":"goto_preset","preset":"preset1"}`,
		`{"action":"home"}`, `{"action":"stop"}`,
		`{"action":"absolute","zoom":-1}`, `{"action":"continuous","pan":1e309}`,
		`{"action":"spin"}`, `{"action":"set_preset","name":"   "}`, `[]`, `{}`, ``,
	} {
		f.Add(seed)
	}
	actions := []string{ptz.Continuous, ptz.Stop, ptz.Relative, ptz.Absolute, ptz.Home, ptz.GotoPreset, ptz.SetPreset}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/cameras/cam001/ptz", strings.NewReader(body))
		var in ptzInput
		if err := decodeBody(httptest.NewRecorder(), req, &in); err != nil {
			return
		}
		c := ptz.Command{Action: in.Action, Pan: in.Pan, Tilt: in.Tilt, Zoom: in.Zoom, Preset: in.Preset, Name: in.Name}
		if c.Validate() != nil {
			return
		}
		if !slices.Contains(actions, c.Action) {
			t.Fatalf("unknown action %q passed", c.Action)
		}
		for _, v := range []float64{c.Pan, c.Tilt, c.Zoom} {
			if math.IsNaN(v) || v < -1 || v > 1 {
				t.Fatalf("%v passed the range checks: %+v", v, c)
			}
		}
		if c.Action == ptz.Absolute && c.Zoom < 0 {
			t.Fatalf("an absolute zoom below 0 passed: %+v", c)
		}
		if len(strings.TrimSpace(c.Name)) > 64 || len(c.Preset) > 64 {
			t.Fatalf("an over-long name or token passed: %+v", c)
		}
	})
}
