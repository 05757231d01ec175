package ui

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// reloads records the cameras the analytics engine was told about.
type reloads struct {
	mu      sync.Mutex
	cameras []string
}

func (r *reloads) Reload(_ context.Context, camera string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cameras = append(r.cameras, camera)
	return nil
}

const doorway = `{"name":"Doorway","points":[[0.1,0.1],[0.4,0.1],[0.4,0.4],[0.1,0.4]]}`

func TestAnalyticsSettings(t *testing.T) {
	rg := newRig(t)
	engine := &reloads{}
	rg.srv.AnalyticsEngine = engine
	rg.rebuild(t)
	rg.user(t, "eng1", "engineer", auth.Scope{})
	rg.user(t, "op1", "operator", auth.Scope{})
	rg.user(t, "north.op", "operator", auth.Scope{Sites: []string{"north"}})
	eng, op, north := rg.login(t, "eng1"), rg.login(t, "op1"), rg.login(t, "north.op")

	var got analyticsJSON
	code, body := op.do(t, "GET", "/api/v1/cameras/cam001/analytics", "", &got)
	if code != 200 || !got.Enabled || got.Sensitivity != store.DefaultSensitivity || got.Updated != nil ||
		!strings.Contains(body, `"zones": []`) || !strings.Contains(body, `"privacy": []`) {
		t.Fatalf("defaults: %d %s", code, body)
	}
	put := `{"enabled":true,"sensitivity":7,"min_area":0.01,"zones":[` + doorway + `],
		"exclusions":[],"privacy":[[[0.6,0.6],[0.9,0.6],[0.9,0.9]]]}`
	code, body = eng.do(t, "PUT", "/api/v1/cameras/cam001/analytics", put, &got)
	if code != 200 || got.Sensitivity != 7 || len(got.Zones) != 1 || got.Zones[0].Points[1].X != 0.4 || len(got.Privacy) != 1 ||
		got.UpdatedBy != "eng1" || got.Updated == nil || !got.Updated.Equal(rg.clock.Now()) {
		t.Fatalf("put: %d %s", code, body)
	}
	changed, masks := rg.withAction(t, evidence.ActionAnalyticsChanged), rg.withAction(t, evidence.ActionMaskChanged)
	if len(changed) != 1 || changed[0].Camera != "cam001" || !strings.Contains(changed[0].Detail, "Doorway") || changed[0].Role != "engineer" {
		t.Errorf("analytics.changed: %+v", changed)
	}
	want := sha256.Sum256([]byte(`[[[0.6,0.6],[0.9,0.6],[0.9,0.9]]]`))
	if len(masks) != 1 || masks[0].ObjectSHA256 != want || !strings.Contains(masks[0].Detail, "1 privacy masks (was 0") {
		t.Errorf("privacy.mask_changed: %+v", masks)
	}
	if engine.cameras == nil || engine.cameras[0] != "cam001" {
		t.Errorf("engine not told: %v", engine.cameras)
	}
	// The GET answer, edited and sent back, is a valid PUT; the same masks
	// are no mask change.
	code, body = eng.do(t, "GET", "/api/v1/cameras/cam001/analytics", "", nil)
	edited := strings.Replace(body, `"sensitivity": 7`, `"sensitivity": 3`, 1)
	if code, body := eng.do(t, "PUT", "/api/v1/cameras/cam001/analytics", edited, &got); code != 200 || got.Sensitivity != 3 {
		t.Fatalf("round trip: %d %s", code, body)
	}
	if n := len(rg.withAction(t, evidence.ActionMaskChanged)); n != 1 {
		t.Errorf("%d mask changes for unchanged masks", n)
	}

	for _, c := range []struct{ body, field string }{
		{`{"sensitivity":11}`, "sensitivity"},
		{`{"min_area":0.9}`, "min_area"},
		{`{"zones":[{"name":"Bad/name","points":[[0,0],[1,0],[1,1]]}]}`, "zones[0].name"},
		{`{"privacy":[[[0,0],[1,0],[1,1],[0,1]]]}`, "privacy"},
		{`{"camera":"cam002"}`, "camera"},
	} {
		code, body := eng.do(t, "PUT", "/api/v1/cameras/cam001/analytics", c.body, nil)
		if code != 400 || !strings.Contains(body, `"field": "`+c.field) {
			t.Errorf("%s: %d %s", c.body, code, body)
		}
	}
	for _, bad := range []string{`{"zones":[{"name":"A","points":[[0,0]]}]`, `{"sensitivity":"high"}`, `{"colour":1}`, `{"zones":[{"name":"A","points":[[0,0,1]]}]}`} {
		if code, body := eng.do(t, "PUT", "/api/v1/cameras/cam001/analytics", bad, nil); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	if code, _ := op.do(t, "PUT", "/api/v1/cameras/cam001/analytics", put, nil); code != 403 {
		t.Errorf("an operator changed analytics: %d", code)
	}
	if code, _ := north.do(t, "GET", "/api/v1/cameras/cam001/analytics", "", nil); code != 403 {
		t.Errorf("outside scope: %d", code)
	}
	if code, _ := eng.do(t, "GET", "/api/v1/cameras/nope/analytics", "", nil); code != 404 {
		t.Errorf("unknown camera: %d", code)
	}
	if n := len(rg.withAction(t, evidence.ActionAnalyticsChanged)); n != 2 {
		t.Errorf("%d analytics.changed entries, want 2 (refused changes are not changes)", n)
	}
}

// addEvent stores an event for the rig's cameras.
func (rg *rig) addEvent(t *testing.T, camera, kind string, start time.Time, thumb []byte) int64 {
	t.Helper()
	e := store.Event{Camera: camera, Kind: kind, Zone: "Doorway", Start: start, End: start.Add(time.Minute), Peak: 0.2, Objects: 1, Thumbnail: thumb}
	if err := rg.st.AddEvent(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func TestAnalyticsEvents(t *testing.T) {
	rg := exportRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})
	rg.user(t, "bjag1", "bjag", auth.Scope{})
	now := rg.clock.Now()
	jpeg := []byte{0xff, 0xd8, 0xff, 0xd9}
	from, _ := exportWindow(rg)
	inGrant := rg.addEvent(t, "cam001", store.EventMotion, from.Add(time.Minute), jpeg)
	outside := rg.addEvent(t, "cam001", store.EventTamperCovered, now.Add(-30*time.Minute), jpeg)
	rg.addEvent(t, "cam001", store.EventMotion, now.Add(-48*time.Hour), nil) // before the default 24 h
	other := rg.addEvent(t, "cam002", store.EventMotion, from, jpeg)

	op, bj := rg.login(t, "op1"), rg.login(t, "bjag1")
	list := func(c *client, query string) ([]eventJSON, int, string) {
		t.Helper()
		var out struct{ Events []eventJSON }
		code, body := c.do(t, "GET", "/api/v1/cameras/cam001/events?"+query, "", &out)
		return out.Events, code, body
	}
	if evs, code, body := list(op, ""); code != 200 || len(evs) != 2 || evs[0].ID != inGrant || evs[0].End == nil ||
		evs[0].Thumbnail == nil || *evs[0].Thumbnail != fmt.Sprintf("/api/v1/cameras/cam001/events/%d/thumbnail", inGrant) {
		t.Fatalf("last 24 h: %d %s", code, body)
	}
	if evs, code, body := list(op, "kind=tamper"); code != 200 || len(evs) != 1 || evs[0].Kind != store.EventTamperCovered {
		t.Errorf("tamper: %d %s", code, body)
	}
	if evs, _, body := list(bj, "from="+url.QueryEscape(now.Add(-72*time.Hour).Format(time.RFC3339))); len(evs) != 3 || evs[0].Thumbnail != nil {
		t.Errorf("bjag, 72 h: %s", body)
	}
	for _, bad := range []string{"kind=fire", "from=yesterday", "from=2026-11-24T10:00:00Z&to=2026-11-24T09:00:00Z",
		"from=2026-09-01T00:00:00Z&to=2026-11-01T00:00:00Z"} {
		if _, code, body := list(op, bad); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}

	// Police: events and thumbnails only inside an approved request.
	x := rg.login(t, "police1").request(t, "cam001")
	if code, body := rg.login(t, "sup1").do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"crime reference checked"}`, nil); code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	pc := rg.login(t, "police1")
	q := "from=" + url.QueryEscape(from.Add(-time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(now.Format(time.RFC3339))
	if evs, code, body := list(pc, q); code != 200 || len(evs) != 1 || evs[0].ID != inGrant {
		t.Errorf("police events: %d %s", code, body)
	}
	thumb := func(c *client, camera string, id int64, query string) (int, string) {
		t.Helper()
		resp, body := c.raw(t, "GET", fmt.Sprintf("/api/v1/cameras/%s/events/%d/thumbnail%s", camera, id, query), "", nil)
		if resp.StatusCode == 200 && resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("content type %q", resp.Header.Get("Content-Type"))
		}
		return resp.StatusCode, body
	}
	if code, body := thumb(pc, "cam001", inGrant, ""); code != 200 || body != string(jpeg) {
		t.Errorf("police thumbnail in grant: %d %q", code, body)
	}
	if code, _ := thumb(pc, "cam001", outside, ""); code != 403 {
		t.Errorf("police thumbnail outside the grant's time: %d", code)
	}
	if code, _ := thumb(pc, "cam002", other, ""); code != 403 {
		t.Errorf("police thumbnail of another camera: %d", code)
	}
	if code, _ := thumb(op, "cam001", outside, "?reason=tamper+alert"); code != 200 {
		t.Errorf("operator thumbnail: %d", code)
	}
	if code, _ := thumb(op, "cam001", other, ""); code != 404 {
		t.Errorf("event of another camera under this one: %d", code)
	}
	if code, _ := thumb(bj, "cam001", inGrant, ""); code != 403 {
		t.Errorf("bjag saw a picture: %d", code)
	}
	logged := rg.withAction(t, evidence.ActionEventThumbnail)
	if len(logged) != 2 || logged[0].Role != "police" || logged[0].Ref != fmt.Sprintf("event/%d", inGrant) ||
		!logged[0].From.Equal(from.Add(time.Minute)) || logged[1].Reason != "tamper alert" || logged[1].Camera != "cam001" {
		t.Errorf("thumbnail entries: %+v", logged)
	}
}

func TestHotspotsAPI(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "bjag1", "bjag", auth.Scope{})
	rg.user(t, "north.op", "operator", auth.Scope{Sites: []string{"north"}})
	rg.user(t, "pc1", "police", auth.Scope{})
	now := rg.clock.Now().Truncate(store.ActivityBucket)
	var acts []store.Activity
	for _, cam := range []string{"cam001", "cam002"} {
		acts = append(acts, store.Activity{Camera: cam, Bucket: now.Add(-time.Hour), Frames: 100, MotionFrames: 30, Objects: 2})
		for week := 1; week <= 4; week++ {
			acts = append(acts, store.Activity{Camera: cam, Bucket: now.Add(-time.Hour).AddDate(0, 0, -7*week), Frames: 100, MotionFrames: 10})
		}
	}
	if err := rg.st.AddActivity(context.Background(), acts); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		By   string
		Rows []struct {
			Key           string
			Score         float64
			MotionShare   float64 `json:"motion_share"`
			BaselineShare float64 `json:"baseline_share"`
		}
		Heat    []struct{ Dow, Hour int }
		Cameras []struct{ ID string }
	}
	code, body := rg.login(t, "bjag1").do(t, "GET", "/api/v1/hotspots", "", &rep)
	if code != 200 || rep.By != "camera" || len(rep.Rows) != 4 || len(rep.Heat) != 168 || len(rep.Cameras) != 4 ||
		rep.Rows[0].MotionShare != 0.3 || rep.Rows[0].BaselineShare != 0.1 || rep.Rows[0].Score < 2 {
		t.Fatalf("bjag: %d %s", code, body)
	}
	north := rg.login(t, "north.op")
	code, body = north.do(t, "GET", "/api/v1/hotspots?by=ward", "", &rep)
	if code != 200 || len(rep.Cameras) != 1 || rep.Cameras[0].ID != "cam002" || len(rep.Rows) != 1 {
		t.Errorf("scoped: %d %s", code, body)
	}
	for _, bad := range []string{"by=street", "to=2026-11-24T08:00:00Z&from=2026-11-24T09:00:00Z", "from=2026-01-01T00:00:00Z"} {
		if code, body := north.do(t, "GET", "/api/v1/hotspots?"+bad, "", nil); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	if code, _ := rg.login(t, "pc1").do(t, "GET", "/api/v1/hotspots", "", nil); code != 403 {
		t.Errorf("police: %d", code)
	}
}
