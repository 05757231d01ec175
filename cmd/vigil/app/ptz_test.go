package app

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/evidence"
)

// An engineer finds camsim's ONVIF cameras by WS-Discovery and imports
// its dome; it records. Operators steer it: the recorded picture shows
// where it was sent (decoded and compared with the view camsim draws
// there); one operator at a time, a supervisor takes over; a continuous
// move nobody repeats stops by itself; every action is in the evidence
// log; the clock offset read over ONVIF is a metric.
func TestONVIFImportAndPTZThroughTheService(t *testing.T) {
	cams := simtest.Start(t, 2, func(c *sim.Config) {
		c.PTZ = []string{"cam002"}
		c.ONVIFListen, c.DiscoveryListen = "127.0.0.1:0", "127.0.0.1:0"
		c.User, c.Pass = "onvif-user", "onvif-pass"
	})
	a, _ := startApp(t, fmt.Sprintf(`recorder: {segment_duration: 2s, sync_interval: 500ms, min_free_bytes: 0}
onvif: {discovery: true, probe_address: %q, poll_interval: 1s, ptz_dead_man: 500ms}
`, cams.DiscoveryAddr()))
	base := "http://" + a.Addr()
	people := team(t, a, base, nil, "engineer", "operator", "supervisor")
	eng, op, sup := people["engineer"], people["operator"], people["supervisor"]
	op2 := people["admin"].addUser("operator2", "operator")

	// Discovery lists both devices with what they are.
	code, out, raw := eng.do("POST", "/api/v1/onvif/discover", `{"username":"onvif-user","password":"onvif-pass"}`)
	devs, _ := out["devices"].([]any)
	if code != http.StatusOK || len(devs) != 2 {
		t.Fatalf("discover: %d %s", code, raw)
	}
	for _, d := range devs {
		if d := d.(map[string]any); d["manufacturer"] != "Vigil camsim" || d["firmware"] == "" || d["model"] == "" {
			t.Fatalf("a discovered device without make, model or firmware: %s", raw)
		}
	}
	if code, _, raw := op.do("POST", "/api/v1/onvif/discover", `{}`); code != http.StatusForbidden {
		t.Fatalf("an operator discovering: %d %s", code, raw)
	}
	// Wrong credentials: a clear refusal, no camera.
	xaddr := cams.ONVIFURL(2)
	if code, _, raw := eng.do("POST", "/api/v1/onvif/import", jsonBody(map[string]any{"xaddr": xaddr, "id": "dome1",
		"username": "onvif-user", "password": "wrong"})); code != http.StatusUnprocessableEntity || !strings.Contains(raw, "credentials") {
		t.Fatalf("import with a wrong password: %d %s", code, raw)
	}
	code, out, raw = eng.do("POST", "/api/v1/onvif/import", jsonBody(map[string]any{"xaddr": xaddr, "id": "dome1",
		"name": "Market Square dome", "username": "onvif-user", "password": "onvif-pass"}))
	cam, _ := out["camera"].(map[string]any)
	if code != http.StatusCreated || cam["ptz"] != true || cam["main_url"] != cams.URL(2, "main") || cam["sub_url"] != cams.URL(2, "sub") {
		t.Fatalf("import: %d %s", code, raw)
	}
	waitUntil(t, 60*time.Second, "the imported dome recording", func() bool {
		_, out, _ := op.do("GET", "/api/v1/cameras/dome1/recordings", "")
		spans, _ := out["spans"].([]any)
		return op.camera("dome1")["status"] == "online" && len(spans) > 0
	})

	// Steering moves the picture: where the dome was sent is what it
	// recorded.
	ptzDo := func(c *client, body string) (int, map[string]any, string) {
		return c.do("POST", "/api/v1/cameras/dome1/ptz", body)
	}
	views := []sim.PTZPosition{{Pan: -0.8, Tilt: 0.6, Zoom: 0.2}, {Pan: 0.7, Tilt: -0.5, Zoom: 0.6}}
	var at []time.Time
	for _, v := range views {
		if code, _, raw := ptzDo(op, fmt.Sprintf(`{"action":"absolute","pan":%g,"tilt":%g,"zoom":%g}`, v.Pan, v.Tilt, v.Zoom)); code != http.StatusOK {
			t.Fatalf("absolute move: %d %s", code, raw)
		}
		waitUntil(t, 10*time.Second, "the dome there", func() bool {
			st, _ := cams.PTZStatus("cam002")
			return !st.PanTiltMoving && !st.ZoomMoving
		})
		time.Sleep(1500 * time.Millisecond) // frames of the new view reach the recording
		at = append(at, time.Now().Add(-500*time.Millisecond))
	}
	waitUntil(t, 20*time.Second, "the views recorded", func() bool {
		_, out, _ := op.do("GET", "/api/v1/cameras/dome1/recordings?from="+url.QueryEscape(at[1].UTC().Format(time.RFC3339Nano)), "")
		spans, _ := out["spans"].([]any)
		return len(spans) > 0 && recordedPast(spans, at[1])
	})
	for i, v := range views {
		pic := snapshot(t, op, "dome1", at[i])
		here, other := viewDistance(pic, v), viewDistance(pic, views[1-i])
		t.Logf("recorded view %d: mean luma distance %.1f to where the dome was sent, %.1f to the other view", i, here, other)
		if here > 25 || other < 2*here {
			t.Fatalf("the recording at %v: distance %.1f to the view the dome was sent to, %.1f to the other", v, here, other)
		}
	}

	// One operator at a time; a supervisor takes the dome.
	code, out, raw = ptzDo(op2, `{"action":"home"}`)
	if lock, _ := out["lock"].(map[string]any); code != http.StatusConflict || lock["holder"] != "operator" || !strings.Contains(raw, "Test operator") {
		t.Fatalf("a second operator: %d %s", code, raw)
	}
	if code, _, raw := op.do("POST", "/api/v1/cameras/dome1/ptz/lock", `{"take":true}`); code != http.StatusOK {
		t.Fatalf("the holder takes again: %d %s", code, raw)
	}
	if code, _, raw := op2.do("POST", "/api/v1/cameras/dome1/ptz/lock", `{"take":true}`); code != http.StatusConflict {
		t.Fatalf("an operator taking a held dome: %d %s", code, raw)
	}
	if code, out, raw := sup.do("POST", "/api/v1/cameras/dome1/ptz/lock", `{"take":true}`); code != http.StatusOK || out["lock"].(map[string]any)["holder"] != "supervisor" {
		t.Fatalf("the supervisor takes the dome: %d %s", code, raw)
	}
	if code, _, _ := ptzDo(op, `{"action":"stop"}`); code != http.StatusConflict {
		t.Fatalf("the operator after the supervisor took it: %d", code)
	}

	// A continuous move, repeated while "held", then the browser goes
	// quiet: the dome stops on its own.
	for i := 0; i < 4; i++ {
		if code, _, raw := ptzDo(sup, `{"action":"continuous","pan":0.3}`); code != http.StatusOK {
			t.Fatalf("continuous: %d %s", code, raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st, _ := cams.PTZStatus("cam002"); !st.PanTiltMoving {
		t.Fatalf("while repeated: %+v", st)
	}
	waitUntil(t, 5*time.Second, "the dead-man stop", func() bool { st, _ := cams.PTZStatus("cam002"); return !st.PanTiltMoving })

	// State: holder, presets, position.
	if code, _, raw := ptzDo(sup, `{"action":"set_preset","name":"Market cross"}`); code != http.StatusOK {
		t.Fatalf("set preset: %d %s", code, raw)
	}
	code, out, raw = sup.do("GET", "/api/v1/cameras/dome1/ptz", "")
	if presets, _ := out["presets"].([]any); code != http.StatusOK || len(presets) != 1 || out["position"] == nil {
		t.Fatalf("state: %d %s", code, raw)
	}
	if code, _, _ := ptzDo(sup, `{"action":"spin"}`); code != http.StatusBadRequest {
		t.Fatalf("a bad action: %d", code)
	}
	if code, _, _ := sup.do("GET", "/api/v1/cameras/cam001/ptz", ""); code != http.StatusNotFound {
		t.Fatalf("a fixed camera's PTZ: %d", code)
	}

	// Every action is in the evidence log, the dead-man's stop too.
	var got []string
	a.evlog.Scan(0, a.evlog.Size(), func(e evidence.Entry, _ []byte) bool {
		if e.Camera == "dome1" && (e.Action == evidence.ActionPTZ || e.Action == evidence.ActionPTZLock) {
			got = append(got, e.Role+" "+e.Detail)
		}
		return true
	})
	log := strings.Join(got, "\n")
	for _, want := range []string{"operator absolute pan -0.80 tilt 0.60 zoom 0.20", "operator took control",
		"supervisor took control from person:", "supervisor continuous pan 0.30", " stop: dead-man", `supervisor set preset "Market cross"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "continuous pan 0.30"); n != 1 {
		t.Errorf("the repeated continuous move is logged %d times, want once", n)
	}

	// Reachability and clock drift are metrics.
	waitUntil(t, 10*time.Second, "ONVIF metrics", func() bool {
		res, body := eng.send("GET", "/metrics", "")
		return res.StatusCode == 200 && strings.Contains(string(body), `vigil_onvif_up{camera="dome1"} 1`) &&
			strings.Contains(string(body), `vigil_onvif_clock_offset_seconds{camera="dome1"}`)
	})
}

// recordedPast says whether the recordings index's spans reach past t.
func recordedPast(spans []any, t time.Time) bool {
	for _, s := range spans {
		end, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(s.(map[string]any)["end"]))
		if end.After(t) {
			return true
		}
	}
	return false
}

func snapshot(t *testing.T, c *client, camera string, at time.Time) image.Image {
	t.Helper()
	q := url.Values{"at": {at.UTC().Format(time.RFC3339Nano)}, "reason": {"PTZ test"}, "width": {"320"}}
	res, body := c.send("GET", "/api/v1/cameras/"+camera+"/snapshot?"+q.Encode(), "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("snapshot at %v: %d %s", at, res.StatusCode, body)
	}
	img, err := jpeg.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// viewDistance is the mean luma difference between a decoded picture and
// the view camsim draws at p (both at the picture's size).
func viewDistance(pic image.Image, p sim.PTZPosition) float64 {
	b := pic.Bounds()
	want := image.NewYCbCr(image.Rect(0, 0, b.Dx(), b.Dy()), image.YCbCrSubsampleRatio420)
	sim.RenderPTZView(want, p)
	var sum float64
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := pic.At(b.Min.X+x, b.Min.Y+y).RGBA()
			luma := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum += math.Abs(luma - float64(want.Y[y*want.YStride+x]))
		}
	}
	return sum / float64(b.Dx()*b.Dy())
}
