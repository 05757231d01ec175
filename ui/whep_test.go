package ui

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ui/auth"
	"github.com/vigil-cctv/vigil/ui/live"
)

// hubs is a camera's streams as ingest keeps them: a real hub per stream.
type hubs struct {
	mu sync.Mutex
	m  map[string]*ingest.Hub
}

func (h *hubs) Hub(camera, stream string) *ingest.Hub {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !strings.HasPrefix(camera, "cam") || stream != ingest.StreamMain && stream != ingest.StreamSub {
		return nil
	}
	key := camera + "/" + stream
	if h.m[key] == nil {
		h.m[key] = &ingest.Hub{Camera: camera, Stream: stream}
	}
	return h.m[key]
}

// liveRig is the auth rig and its live server.
func liveRig(t *testing.T) (*rig, *live.Server) {
	rg := newRig(t)
	return rg, rg.live
}

// offer is a browser-like SDP offer from a real pion peer: receive-only
// H.264 video.
func offer(t *testing.T) string {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-done
	return pc.LocalDescription().SDP
}

func (c *client) whep(t *testing.T, camera, sdp string) (*http.Response, string) {
	t.Helper()
	return c.raw(t, "POST", "/api/v1/cameras/"+camera+"/whep?stream=sub", sdp, http.Header{"Content-Type": {"application/sdp"}})
}

func TestWHEPStartsLogsAndStops(t *testing.T) {
	rg, lv := liveRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})
	rg.user(t, "op2", "operator", auth.Scope{Sites: []string{"north"}}) // cam002 only
	rg.user(t, "eng1", "engineer", auth.Scope{})
	op1, op2 := rg.login(t, "op1"), rg.login(t, "op2")

	resp, body := op1.whep(t, "cam001", offer(t))
	if resp.StatusCode != 201 || !strings.Contains(body, "v=0") || resp.Header.Get("Content-Type") != "application/sdp" {
		t.Fatalf("whep: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/api/v1/live/") || lv.Count() != 1 {
		t.Fatalf("location %q, %d sessions", loc, lv.Count())
	}
	views := rg.withAction(t, evidence.ActionLiveView)
	if len(views) != 1 || views[0].Camera != "cam001" || views[0].Role != "operator" || !strings.Contains(views[0].Detail, "stream sub") {
		t.Errorf("live view not logged: %+v", views)
	}
	if code, _ := op2.do(t, "DELETE", loc, "", nil); code != 404 {
		t.Errorf("op2 stopped op1's view: %d", code)
	}
	if code, _ := op1.do(t, "DELETE", loc, "", nil); code != 204 || lv.Count() != 0 {
		t.Errorf("stop: %d, %d sessions", code, lv.Count())
	}
	if code, _ := op1.do(t, "DELETE", loc, "", nil); code != 404 {
		t.Errorf("second stop: %d", code)
	}

	// Refusals: out of scope, no footage role, no such camera or stream,
	// not SDP, not an offer a browser would send.
	for _, c := range []struct {
		who    *client
		camera string
		body   string
		ctype  string
		want   int
	}{
		{op2, "cam001", offer(t), "application/sdp", 403},
		{rg.login(t, "eng1"), "cam001", offer(t), "application/sdp", 403},
		{op1, "nocam", offer(t), "application/sdp", 404},
		{op1, "cam001", offer(t), "application/json", 415},
		{op1, "cam001", "v=0\r\ngarbage", "application/sdp", 400},
		{op1, "cam001", strings.Replace(offer(t), "H264", "XYZW", -1), "application/sdp", 400},
	} {
		resp, body := c.who.raw(t, "POST", "/api/v1/cameras/"+c.camera+"/whep", c.body, http.Header{"Content-Type": {c.ctype}})
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d %s; want %d", c.camera, c.ctype, resp.StatusCode, body, c.want)
		}
	}
	if resp, _ := op1.raw(t, "POST", "/api/v1/cameras/cam001/whep?stream=third", offer(t), http.Header{"Content-Type": {"application/sdp"}}); resp.StatusCode != 400 {
		t.Errorf("stream=third: %d", resp.StatusCode)
	}
	// The per-user limit (3 here) answers 429.
	for i := range 4 {
		resp, body := op1.whep(t, "cam001", offer(t))
		if want := map[bool]int{true: 201, false: 429}[i < 3]; resp.StatusCode != want {
			t.Errorf("view %d: %d %s; want %d", i+1, resp.StatusCode, body, want)
		}
	}
}

// A live view ends with its sign-in: at once on sign-out, within the
// sweep on a password reset by an administrator.
func TestLiveViewsEndWithTheirSignIn(t *testing.T) {
	rg, lv := liveRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})
	u2 := rg.user(t, "op2", "operator", auth.Scope{})
	op1, op2 := rg.login(t, "op1"), rg.login(t, "op2")
	for _, c := range []*client{op1, op1, op2} {
		if resp, body := c.whep(t, "cam001", offer(t)); resp.StatusCode != 201 {
			t.Fatalf("whep: %d %s", resp.StatusCode, body)
		}
	}
	if code, _ := op1.do(t, "DELETE", "/api/v1/session", "", nil); code != 204 {
		t.Fatalf("sign out: %d", code)
	}
	if lv.Count() != 1 {
		t.Errorf("after op1 signed out: %d live views, want op2's 1", lv.Count())
	}
	// An administrator ends op2's sessions; the sweep ends the view.
	if _, err := rg.st.DeleteUserSessions(t.Context(), u2.ID); err != nil {
		t.Fatal(err)
	}
	rg.srv.live.sweep(t.Context())
	if lv.Count() != 0 {
		t.Errorf("after op2's sessions ended: %d live views", lv.Count())
	}
}
