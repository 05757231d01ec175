package ui

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/vigil-cctv/vigil/ui/auth"
)

func TestBookmarksAPI(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})
	rg.user(t, "op2", "operator", auth.Scope{Sites: []string{"north"}}) // cam002 only
	rg.user(t, "sup1", "supervisor", auth.Scope{})
	rg.user(t, "pc1", "police", auth.Scope{})
	op1, op2, sup, pc := rg.login(t, "op1"), rg.login(t, "op2"), rg.login(t, "sup1"), rg.login(t, "pc1")

	var b bookmarkJSON
	code, body := op1.do(t, "POST", "/api/v1/bookmarks",
		`{"at":"2026-10-25T01:30:00Z","cameras":["cam001","cam002","cam001"],"note":"Fight at the taxi rank"}`, &b)
	if code != 201 || b.ID == 0 || len(b.Cameras) != 2 || b.CreatedBy != "op1" {
		t.Fatalf("create: %d %s", code, body)
	}
	// 01:30 UTC on the night the clocks go back is 01:30 GMT, after the
	// repeated hour.
	if b.AtLocal != "2026-10-25T01:30:00Z" {
		t.Errorf("at_local %q", b.AtLocal)
	}
	for _, bad := range []string{
		`{"at":"yesterday","cameras":["cam001"],"note":"x"}`,
		`{"at":"2026-10-25T01:30:00Z","cameras":[],"note":"x"}`,
		`{"at":"2026-10-25T01:30:00Z","cameras":["cam001"],"note":""}`,
		`{"at":"2026-10-25T01:30:00Z","cameras":["cam001"],"note":"x","extra":1}`,
	} {
		if code, body := op1.do(t, "POST", "/api/v1/bookmarks", bad, nil); code != 400 && code != 422 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	if code, _ := op2.do(t, "POST", "/api/v1/bookmarks", `{"at":"2026-10-25T01:30:00Z","cameras":["cam001"],"note":"x"}`, nil); code != 403 {
		t.Errorf("op2 bookmarked a camera outside their scope: %d", code)
	}
	op2.do(t, "POST", "/api/v1/bookmarks", `{"at":"2026-10-25T02:30:00Z","cameras":["cam002"],"note":"Moped, no plates"}`, nil)

	list := func(c *client, query string) []bookmarkJSON {
		t.Helper()
		var out struct{ Bookmarks []bookmarkJSON }
		if code, body := c.do(t, "GET", "/api/v1/bookmarks?"+query, "", &out); code != 200 {
			t.Fatalf("list %s: %d %s", query, code, body)
		}
		return out.Bookmarks
	}
	if got := list(op1, ""); len(got) != 2 || got[0].Note != "Moped, no plates" {
		t.Errorf("newest first: %+v", got)
	}
	if got := list(op1, "q=TAXI"); len(got) != 1 {
		t.Errorf("search: %+v", got)
	}
	if got := list(op1, "camera=cam002&from="+url.QueryEscape("2026-10-25T02:00:00Z")); len(got) != 1 {
		t.Errorf("camera and from: %+v", got)
	}
	// op2 sees only cam002 of the first bookmark.
	if got := list(op2, "q=taxi"); len(got) != 1 || len(got[0].Cameras) != 1 || got[0].Cameras[0] != "cam002" {
		t.Errorf("scope filter: %+v", got)
	}
	if got := list(pc, ""); len(got) != 2 {
		t.Errorf("police read bookmarks: %+v", got)
	}
	if code, _ := pc.do(t, "POST", "/api/v1/bookmarks", `{"at":"2026-10-25T01:30:00Z","cameras":["cam001"],"note":"x"}`, nil); code != 403 {
		t.Errorf("police wrote a bookmark: %d", code)
	}
	if code, _ := op1.do(t, "GET", "/api/v1/bookmarks?limit=0", "", nil); code != 422 {
		t.Errorf("limit=0: %d", code)
	}
	del := fmt.Sprintf("/api/v1/bookmarks/%d", b.ID)
	if code, _ := op2.do(t, "DELETE", del, "", nil); code != 403 {
		t.Errorf("another operator deleted op1's bookmark: %d", code)
	}
	if code, _ := sup.do(t, "DELETE", del, "", nil); code != 204 {
		t.Errorf("supervisor delete: %d", code)
	}
	if code, _ := op1.do(t, "DELETE", del, "", nil); code != 404 {
		t.Errorf("second delete: %d", code)
	}
}

func TestWallsAPI(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})
	rg.user(t, "op2", "operator", auth.Scope{})
	rg.user(t, "eng1", "engineer", auth.Scope{})
	op1, op2 := rg.login(t, "op1"), rg.login(t, "op2")

	var w wallJSON
	code, body := op1.do(t, "POST", "/api/v1/walls",
		`{"name":"Town centre","layout":"2x2","tiles":["cam001","cam002","","cam003"],"tour":["cam001","cam009"],"tour_seconds":10}`, &w)
	if code != 201 || w.ID == 0 || len(w.Tiles) != 4 {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, _ := op1.do(t, "POST", "/api/v1/walls", `{"name":"Town centre","layout":"1x1","tiles":[]}`, nil); code != 409 {
		t.Errorf("same name: %d", code)
	}
	if code, body := op1.do(t, "POST", "/api/v1/walls", `{"name":"Big","layout":"7x7","tiles":[]}`, nil); code != 422 {
		t.Errorf("bad layout: %d %s", code, body)
	}
	path := fmt.Sprintf("/api/v1/walls/%d", w.ID)
	if code, body := op1.do(t, "PUT", path, `{"name":"Town centre","layout":"1x1","tiles":["cam002"],"tour":[],"tour_seconds":0}`, &w); code != 200 || w.Layout != "1x1" {
		t.Errorf("replace: %d %s", code, body)
	}
	if code, _ := op2.do(t, "PUT", path, `{"name":"Mine now","layout":"1x1","tiles":[]}`, nil); code != 404 {
		t.Errorf("op2 replaced op1's wall: %d", code)
	}
	if code, _ := op2.do(t, "DELETE", path, "", nil); code != 404 {
		t.Errorf("op2 deleted op1's wall: %d", code)
	}
	var out struct{ Walls []wallJSON }
	op2.do(t, "GET", "/api/v1/walls", "", &out)
	if len(out.Walls) != 0 {
		t.Errorf("op2 sees op1's walls: %+v", out.Walls)
	}
	op1.do(t, "GET", "/api/v1/walls", "", &out)
	if len(out.Walls) != 1 || out.Walls[0].Tiles[0] != "cam002" {
		t.Errorf("op1's walls: %+v", out.Walls)
	}
	if code, _ := rg.login(t, "eng1").do(t, "GET", "/api/v1/walls", "", nil); code != 403 {
		t.Errorf("an engineer (no footage) has walls: %d", code)
	}
	if code, _ := op1.do(t, "DELETE", path, "", nil); code != 204 {
		t.Errorf("delete: %d", code)
	}
}

func TestHealthTable(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "eng1", "engineer", auth.Scope{})
	rg.user(t, "op2", "operator", auth.Scope{Sites: []string{"north"}})
	var out struct {
		GrafanaURL string `json:"grafana_url"`
		Cameras    []healthRow
	}
	if code, body := rg.login(t, "eng1").do(t, "GET", "/api/v1/health", "", &out); code != 200 || len(out.Cameras) != 4 {
		t.Fatalf("health: %d %s", code, body)
	}
	if out.Cameras[0].GapsToday == nil || out.Cameras[0].Status != "disabled" {
		t.Errorf("row: %+v", out.Cameras[0])
	}
	rg.login(t, "op2").do(t, "GET", "/api/v1/health", "", &out)
	if len(out.Cameras) != 1 || out.Cameras[0].ID != "cam002" {
		t.Errorf("scope: %+v", out.Cameras)
	}
}
