package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// addPlateRead stores a read on camera, ago before the rig's clock.
func (rg *rig) addPlateRead(t *testing.T, camera, plate string, ago time.Duration, crop []byte) store.PlateRead {
	t.Helper()
	at := rg.clock.Now().Add(-ago)
	r := store.PlateRead{Camera: camera, At: at, First: at.Add(-time.Second), Last: at.Add(time.Second), Plate: plate,
		Text: plate, Confidence: 0.9, CharConf: make([]float32, len(plate)), Frames: 5, Crop: crop}
	if err := rg.st.AddPlateRead(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func searchPlates(t *testing.T, c *client, query string) (int, []plateReadJSON, string) {
	t.Helper()
	var out struct{ Reads []plateReadJSON }
	code, body := c.do(t, "GET", "/api/v1/anpr/reads?"+query, "", &out)
	return code, out.Reads, body
}

func TestPlateSearchIsAuditedAndScoped(t *testing.T) {
	rg := newRig(t)
	alertUsers(t, rg)
	rg.addPlateRead(t, "cam001", "AB12CDE", time.Hour, testJPEG)
	rg.addPlateRead(t, "cam002", "AB12CDE", 30*time.Minute, nil)
	rg.addPlateRead(t, "cam002", "A812CDE", 20*time.Minute, nil)
	rg.addPlateRead(t, "cam001", "AB12CDE", 48*time.Hour, nil) // outside the default day
	all, north, police := rg.login(t, "op.all"), rg.login(t, "op.north"), rg.login(t, "pc.smith")
	reason := "reason=" + url.QueryEscape("Nuisance driving reported on Station Rd") + "&ref=INC-77"

	code, reads, body := searchPlates(t, all, "plate=ab12+cde&"+reason)
	if code != 200 || len(reads) != 2 || reads[0].Camera != "cam002" || reads[1].Crop == nil || reads[0].Crop != nil {
		t.Fatalf("exact search: %d %s", code, body)
	}
	e := rg.entries(t)
	last := e[len(e)-1]
	if last.Action != evidence.ActionPlateSearch || last.Reason != "Nuisance driving reported on Station Rd" || last.Ref != "INC-77" ||
		!strings.Contains(last.Detail, `"AB12CDE" (exact)`) || !strings.Contains(last.Detail, "2 reads") {
		t.Fatalf("search logged as %+v", last)
	}
	if code, reads, _ := searchPlates(t, all, "plate=AB12CDE&mode=fuzzy&"+reason); code != 200 || len(reads) != 3 ||
		reads[2].Plate != "A812CDE" || reads[2].Distance == nil || *reads[2].Distance != 0.2 {
		t.Fatalf("fuzzy search: %d %+v", code, reads)
	}
	if code, reads, _ := searchPlates(t, all, "plate=*CDE&mode=wildcard&from="+url.QueryEscape(rg.clock.Now().Add(-72*time.Hour).Format(time.RFC3339))+"&"+reason); code != 200 || len(reads) != 4 {
		t.Fatalf("wildcard over three days: %d %d", code, len(reads))
	}
	if code, reads, _ := searchPlates(t, north, "plate=AB12CDE&"+reason); code != 200 || len(reads) != 1 || reads[0].Camera != "cam002" {
		t.Fatalf("north operator sees %d %+v: want cam002's read only", code, reads)
	}
	if code, _, _ := searchPlates(t, north, "plate=AB12CDE&camera=cam001&"+reason); code != 403 {
		t.Fatalf("north operator asking for cam001: %d, want 403", code)
	}
	before := len(rg.entries(t))
	for q, want := range map[string]int{
		"plate=AB12CDE":                          400, // no reason
		"plate=AB12*&" + reason:                  422, // a pattern outside wildcard mode
		"plate=AB12CDE&mode=soundex&" + reason:   422,
		"plate=AB12CDE&limit=5000&" + reason:     422,
		"plate=AB12CDE&from=yesterday&" + reason: 422,
	} {
		if code, _, body := searchPlates(t, all, q); code != want {
			t.Errorf("%s: %d %s, want %d", q, code, body, want)
		}
	}
	if after := len(rg.entries(t)); after != before {
		t.Errorf("refused searches were logged as searches: %d entries, was %d", after, before)
	}
	if code, _, _ := searchPlates(t, police, "plate=AB12CDE&"+reason); code != 403 {
		t.Errorf("police searching reads: %d, want 403", code)
	}
}

func TestPlateReadPictureIsFootage(t *testing.T) {
	rg := newRig(t)
	alertUsers(t, rg)
	r := rg.addPlateRead(t, "cam001", "AB12CDE", time.Minute, testJPEG)
	all, north := rg.login(t, "op.all"), rg.login(t, "op.north")
	resp, body := all.raw(t, "GET", fmt.Sprintf("/api/v1/anpr/reads/%d/crop", r.ID), "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || body != string(testJPEG) {
		t.Fatalf("crop: %d %q", resp.StatusCode, body)
	}
	e := rg.entries(t)
	if last := e[len(e)-1]; last.Action != evidence.ActionPlateImage || last.Camera != "cam001" || last.Reason != fmt.Sprintf("reviewing plate read %d", r.ID) {
		t.Fatalf("crop logged as %+v", last)
	}
	for path, want := range map[string]int{
		fmt.Sprintf("/api/v1/anpr/reads/%d/thumbnail", r.ID): 404, // none stored
		fmt.Sprintf("/api/v1/anpr/reads/%d/plate", r.ID):     404,
		"/api/v1/anpr/reads/999/crop":                        404,
	} {
		if code, _ := all.do(t, "GET", path, "", nil); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
	if code, _ := north.do(t, "GET", fmt.Sprintf("/api/v1/anpr/reads/%d/crop", r.ID), "", nil); code != 403 {
		t.Errorf("out-of-scope crop: %d, want 403", code)
	}
}

func TestWatchlistManagement(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "sam", "supervisor", auth.Scope{})
	rg.user(t, "olivia", "operator", auth.Scope{})
	changes := 0
	rg.srv.WatchlistChanged = func() { changes++ }
	rg.rebuild(t)
	sup, op := rg.login(t, "sam"), rg.login(t, "olivia")

	var w watchJSON
	code, body := sup.do(t, "POST", "/api/v1/anpr/watchlist", `{"plate":"ab12 cde","category":"car-meet","reason":"Car meets at the retail park"}`, &w)
	if code != 201 || w.Plate != "AB12CDE" || w.AddedBy != "sam" || !w.Expires.Equal(rg.clock.Now().Add(90*24*time.Hour)) || w.Expired {
		t.Fatalf("add: %d %s", code, body)
	}
	if code, _ := sup.do(t, "POST", "/api/v1/anpr/watchlist", `{"plate":"AB12CDE","category":"other","reason":"again"}`, nil); code != 409 {
		t.Errorf("listing a listed plate: %d, want 409", code)
	}
	if code, body := sup.do(t, "POST", "/api/v1/anpr/watchlist", `{"plate":"XY12ABC","category":"speeding","reason":"x"}`, nil); code != 422 || !strings.Contains(body, "category") {
		t.Errorf("bad category: %d %s", code, body)
	}
	if code, _ := op.do(t, "POST", "/api/v1/anpr/watchlist", `{"plate":"XY12ABC","category":"other","reason":"x"}`, nil); code != 403 {
		t.Errorf("operator listing a vehicle: %d, want 403", code)
	}
	var list struct{ Watchlist []watchJSON }
	if code, _ := op.do(t, "GET", "/api/v1/anpr/watchlist", "", &list); code != 200 || len(list.Watchlist) != 1 {
		t.Fatalf("operator reads the list: %d %+v", code, list)
	}
	exp := rg.clock.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339)
	if code, body := sup.do(t, "PUT", fmt.Sprintf("/api/v1/anpr/watchlist/%d", w.ID), `{"category":"pspo","reason":"PSPO breach","expires":"`+exp+`"}`, &w); code != 200 || w.Category != "pspo" || w.Plate != "AB12CDE" {
		t.Fatalf("update: %d %s", code, body)
	}
	if code, _ := sup.do(t, "DELETE", fmt.Sprintf("/api/v1/anpr/watchlist/%d", w.ID), "", nil); code != 400 {
		t.Errorf("unlisting without a reason: %d, want 400", code)
	}
	if code, _ := sup.do(t, "DELETE", fmt.Sprintf("/api/v1/anpr/watchlist/%d?reason=Vehicle+sold", w.ID), "", nil); code != 204 {
		t.Fatalf("unlist: %d", code)
	}
	var logged []string
	for _, e := range rg.entries(t) {
		if e.Action == evidence.ActionWatchlistChanged {
			logged = append(logged, e.Detail+" / "+e.Reason)
		}
	}
	if len(logged) != 3 || !strings.HasPrefix(logged[0], "listed AB12CDE (car-meet)") || !strings.HasPrefix(logged[1], "changed AB12CDE (pspo)") ||
		!strings.HasPrefix(logged[2], "unlisted AB12CDE") || !strings.HasSuffix(logged[2], "/ Vehicle sold") {
		t.Fatalf("logged %q", logged)
	}
	if changes != 3 {
		t.Errorf("matcher told of %d changes, want 3", changes)
	}
}
