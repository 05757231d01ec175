package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

var testJPEG = []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0xff, 0xd9}

// raise raises a tamper alert on camera through the rig's service.
func (rg *rig) raise(t *testing.T, camera string, thumb []byte) store.Alert {
	t.Helper()
	a, err := rg.alerts.Raise(context.Background(), store.Alert{Camera: camera, Kind: store.AlertTamper,
		Rule: store.EventTamperCovered, Severity: store.SeverityWarning, Message: camera + " is covered", EventID: 3, Thumbnail: thumb})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// alertUsers makes an operator who sees every camera, one who sees site
// "north" (cam002) only, and a police officer.
func alertUsers(t *testing.T, rg *rig) {
	rg.user(t, "op.all", "operator", auth.Scope{})
	rg.user(t, "op.north", "operator", auth.Scope{Sites: []string{"north"}})
	rg.user(t, "pc.smith", "police", auth.Scope{})
}

func listAlerts(t *testing.T, c *client, query string) []alertJSON {
	t.Helper()
	var out struct{ Alerts []alertJSON }
	if code, body := c.do(t, "GET", "/api/v1/alerts"+query, "", &out); code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	return out.Alerts
}

func TestAlertListAndAck(t *testing.T) {
	rg := newRig(t)
	alertUsers(t, rg)
	a1 := rg.raise(t, "cam001", testJPEG)
	rg.clock.add(time.Minute)
	a2 := rg.raise(t, "cam002", nil)
	all, north := rg.login(t, "op.all"), rg.login(t, "op.north")

	got := listAlerts(t, all, "")
	if len(got) != 2 || got[0].ID != a2.ID || got[1].ID != a1.ID {
		t.Fatalf("list %+v: want both, newest first", got)
	}
	if got[1].Thumbnail == nil || *got[1].Thumbnail != fmt.Sprintf("/api/v1/alerts/%d/thumbnail", a1.ID) || got[0].Thumbnail != nil {
		t.Fatalf("thumbnails %v %v", got[1].Thumbnail, got[0].Thumbnail)
	}
	if got[1].EventID == nil || *got[1].EventID != 3 || got[1].Acked != nil || got[1].Severity != store.SeverityWarning {
		t.Fatalf("alert %+v", got[1])
	}
	if got := listAlerts(t, north, ""); len(got) != 1 || got[0].Camera != "cam002" {
		t.Fatalf("north sees %+v: want cam002's only", got)
	}
	if code, _ := all.do(t, "GET", "/api/v1/alerts?limit=0", "", nil); code != 422 {
		t.Fatalf("limit=0: %d, want 422", code)
	}

	ack := func(c *client, id int64, note string) (int, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"note": note})
		return c.do(t, "POST", fmt.Sprintf("/api/v1/alerts/%d/ack", id), string(body), nil)
	}
	denied := len(rg.withAction(t, evidence.ActionAccessDenied))
	if code, body := ack(north, a1.ID, "not mine"); code != 403 {
		t.Fatalf("ack outside scope: %d %s", code, body)
	}
	if len(rg.withAction(t, evidence.ActionAccessDenied)) != denied+1 {
		t.Fatal("the refusal is not in the evidence log")
	}
	if code, _ := ack(all, a1.ID, "  "); code != 422 {
		t.Fatalf("ack without a note: %d, want 422", code)
	}
	if code, _ := ack(all, a1.ID, strings.Repeat("x", store.MaxAckNote+1)); code != 422 {
		t.Fatalf("ack with a long note: %d, want 422", code)
	}
	if code, _ := ack(all, 999, "ok"); code != 404 {
		t.Fatalf("ack of no alert: %d, want 404", code)
	}
	if code, body := ack(all, a1.ID, "lens cleaned by the engineer"); code != 200 ||
		!strings.Contains(body, `"acked_by": "op.all"`) || !strings.Contains(body, `"ack_note": "lens cleaned by the engineer"`) {
		t.Fatalf("ack: %d %s", code, body)
	}
	if code, body := ack(all, a1.ID, "again"); code != 409 {
		t.Fatalf("second ack: %d %s, want 409", code, body)
	}
	entries := rg.withAction(t, evidence.ActionAlertAcked)
	if len(entries) != 1 || entries[0].Camera != "cam001" || entries[0].Reason != "lens cleaned by the engineer" ||
		entries[0].Ref != fmt.Sprintf("alert/%d", a1.ID) || !strings.HasPrefix(entries[0].Actor, "person:") {
		t.Fatalf("evidence entries %+v", entries)
	}
	if got := listAlerts(t, all, "?unacked=1"); len(got) != 1 || got[0].ID != a2.ID {
		t.Fatalf("unacked %+v: want cam002's only", got)
	}
}

func TestAlertThumbnail(t *testing.T) {
	rg := newRig(t)
	alertUsers(t, rg)
	a1 := rg.raise(t, "cam001", testJPEG)
	a2 := rg.raise(t, "cam002", nil)
	all, north := rg.login(t, "op.all"), rg.login(t, "op.north")

	resp, body := all.raw(t, "GET", fmt.Sprintf("/api/v1/alerts/%d/thumbnail", a1.ID), "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || body != string(testJPEG) {
		t.Fatalf("thumbnail: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	entries := rg.withAction(t, evidence.ActionEventThumbnail)
	if len(entries) != 1 || entries[0].Camera != "cam001" || !entries[0].From.Equal(a1.At) ||
		entries[0].Ref != fmt.Sprintf("alert/%d", a1.ID) || entries[0].Reason == "" {
		t.Fatalf("evidence entries %+v", entries)
	}
	if code, _ := north.do(t, "GET", fmt.Sprintf("/api/v1/alerts/%d/thumbnail", a1.ID), "", nil); code != 403 {
		t.Fatalf("thumbnail outside scope: %d, want 403", code)
	}
	if code, _ := all.do(t, "GET", fmt.Sprintf("/api/v1/alerts/%d/thumbnail", a2.ID), "", nil); code != 404 {
		t.Fatalf("no thumbnail: %d, want 404", code)
	}
	if code, _ := rg.login(t, "pc.smith").do(t, "GET", fmt.Sprintf("/api/v1/alerts/%d/thumbnail", a1.ID), "", nil); code != 403 {
		t.Fatalf("police: %d, want 403", code)
	}
	if n := len(rg.withAction(t, evidence.ActionEventThumbnail)); n != 1 {
		t.Fatalf("%d thumbnail entries, want only the one served", n)
	}
}

type sseEvent struct{ name, data string }

// eventStream is an open GET /api/v1/alerts/stream, read as EventSource does.
type eventStream struct {
	events chan sseEvent // closed at the end of the stream
	resp   *http.Response
}

func (c *client) stream(t *testing.T) *eventStream {
	t.Helper()
	req, err := http.NewRequest("GET", c.rg.url+"/api/v1/alerts/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &eventStream{events: make(chan sseEvent, 100), resp: resp}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return s
}

func (s *eventStream) next(t *testing.T) (string, alertJSON) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		var a alertJSON
		if ev.name != "end" {
			if err := json.Unmarshal([]byte(ev.data), &a); err != nil {
				t.Fatalf("event %s: %v", ev.data, err)
			}
		}
		return ev.name, a
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return "", alertJSON{}
}

// ends waits for the stream to end and returns its last event's name.
func (s *eventStream) ends(t *testing.T) string {
	t.Helper()
	last := ""
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return last
			}
			last = ev.name
		case <-timeout:
			t.Fatal("the stream did not end")
		}
	}
}

func TestAlertStream(t *testing.T) {
	rg := newRig(t)
	alertUsers(t, rg)
	all, north := rg.login(t, "op.all"), rg.login(t, "op.north")
	if code, body := all.do(t, "GET", "/api/v1/alerts/stream", "", nil); code != 406 {
		t.Fatalf("without Accept: text/event-stream: %d %s, want 406", code, body)
	}
	sAll, sNorth := all.stream(t), north.stream(t)

	a1 := rg.raise(t, "cam001", testJPEG)
	a2 := rg.raise(t, "cam002", nil)
	for _, want := range []int64{a1.ID, a2.ID} {
		if name, a := sAll.next(t); name != "alert" || a.ID != want {
			t.Fatalf("op.all got %s %+v, want alert %d", name, a, want)
		}
	}
	if name, a := sNorth.next(t); name != "alert" || a.ID != a2.ID || a.Thumbnail != nil {
		t.Fatalf("op.north got %s %+v, want only cam002's alert %d", name, a, a2.ID)
	}
	if code, body := all.do(t, "POST", fmt.Sprintf("/api/v1/alerts/%d/ack", a2.ID), `{"note":"patrol sent"}`, nil); code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}
	for _, s := range []*eventStream{sAll, sNorth} {
		if name, a := s.next(t); name != "ack" || a.ID != a2.ID || a.AckNote != "patrol sent" || a.Acked == nil {
			t.Fatalf("got %s %+v, want the acknowledgement", name, a)
		}
	}

	// Signing out ends the stream within a recheck.
	if code, body := all.do(t, "DELETE", "/api/v1/session", "", nil); code >= 300 {
		t.Fatalf("sign out: %d %s", code, body)
	}
	if last := sAll.ends(t); last != "end" {
		t.Fatalf("op.all's stream ended after %q, want an end event", last)
	}
	// So does the session's maximum age running out (the stream keeps it
	// from idling, not from expiring).
	rg.clock.add(13 * time.Hour)
	if last := sNorth.ends(t); last != "end" {
		t.Fatalf("op.north's stream ended after %q, want an end event", last)
	}
}

// A client that goes away takes its subscription with it.
func TestAlertStreamEndsWithRequest(t *testing.T) {
	rg := newRig(t)
	alertUsers(t, rg)
	reg := prometheus.NewRegistry()
	al := &alerts.Service{Store: rg.st, Registerer: reg, Now: rg.clock.Now}
	if err := al.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(al.Close)
	rg.srv.Alerts = al
	rg.rebuild(t)
	subscribers := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "vigil_alert_subscribers" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return -1
	}
	s := rg.login(t, "op.all").stream(t)
	if n := subscribers(); n != 1 {
		t.Fatalf("%v subscribers, want 1", n)
	}
	s.resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the subscription outlived its request")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
