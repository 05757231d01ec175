package ui

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// deploymentUsers makes a BJAG member, a supervisor, an engineer and an
// operator, and a mobile camera mob01.
func deploymentUsers(t *testing.T, rg *rig) {
	t.Helper()
	rg.user(t, "bea.bjag", "bjag", auth.Scope{})
	rg.user(t, "sue.super", "supervisor", auth.Scope{})
	rg.user(t, "eddie.eng", "engineer", auth.Scope{})
	rg.user(t, "olly.op", "operator", auth.Scope{})
	c := store.Camera{ID: "mob01", Name: "Mobile 1 (depot)", Kind: store.KindMobile, MainURL: "rtsp://10.0.0.9/mob01", ManagedBy: store.ManagedByAPI}
	c.Normalize()
	if err := rg.st.CreateCamera(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
}

func requestBody(from string, signage bool) string {
	return fmt.Sprintf(`{"latitude": 51.539, "longitude": 0.081, "ward": "Abbey", "address": "Market Square",
		"problem": "street-drinking", "incidents": ["CAD 1234/24NOV26"], "wanted_from": %q, "wanted_to": "2027-01-31",
		"purpose": "Deter nightly street drinking", "less_intrusive": "Patrols and the PSPO have not stopped it",
		"privacy": {"dwellings_in_view": false, "masks_needed": false}, "signage_confirmed": %v}`, from, signage)
}

// TestDeploymentAPI walks a deployment through the API as the people who
// may take each step, refusing those who may not, and checks the fleet,
// the camera's places, and that BJAG sees no footage.
func TestDeploymentAPI(t *testing.T) {
	rg := newRig(t)
	deploymentUsers(t, rg)
	bea, sue, eddie, olly := rg.login(t, "bea.bjag"), rg.login(t, "sue.super"), rg.login(t, "eddie.eng"), rg.login(t, "olly.op")

	var fe struct {
		Fields []store.FieldError `json:"fields"`
	}
	code, body := bea.do(t, "POST", "/api/v1/deployments", requestBody("2026-11-25", false), nil)
	if code != 422 || !strings.Contains(body, "signage_confirmed") {
		t.Fatalf("a request without signage: %d %s", code, body)
	}
	if code, body = bea.do(t, "POST", "/api/v1/deployments", requestBody("2026-10-01", true), &fe); code != 422 || !strings.Contains(body, "wanted_from") {
		t.Fatalf("a request in the past: %d %s", code, body)
	}
	if code, _ = olly.do(t, "POST", "/api/v1/deployments", requestBody("2026-11-25", true), nil); code != 403 {
		t.Fatalf("an operator asked for a camera: %d", code)
	}
	var d deploymentJSON
	if code, body = bea.do(t, "POST", "/api/v1/deployments", requestBody("2026-11-25", true), &d); code != 201 || d.State != "requested" ||
		strings.Join(d.Actions, ",") != "cancel" {
		t.Fatalf("request: %d %s", code, body)
	}
	path := fmt.Sprintf("/api/v1/deployments/%d", d.ID)
	if code, _ = bea.do(t, "POST", path+"/approve", `{"reason":"mine","review_date":"2026-12-24"}`, nil); code != 403 {
		t.Fatalf("BJAG approved their own request: %d", code)
	}
	steps := []struct {
		who        *client
		act, body  string
		code       int
		state      string
		wantInBody string
	}{
		{sue, "approve", `{"reason":"evidence is clear","review_date":"2026-12-24"}`, 200, "approved", ""},
		{sue, "approve", `{"reason":"again","review_date":"2026-12-24"}`, 409, "", "approved"},
		{sue, "schedule", `{"reason":"free","camera":"cam001","install_date":"2026-11-26"}`, 422, "", "mobile"},
		{sue, "schedule", `{"reason":"free","camera":"mob01","install_date":"2026-11-26"}`, 200, "scheduled", ""},
		{sue, "confirm-install", `{"reason":"up","latitude":51.5391,"longitude":0.0812}`, 403, "", ""},
		{eddie, "confirm-install", `{"reason":"up","latitude":51.9,"longitude":0.0812}`, 422, "", "borough"},
		{eddie, "confirm-install", `{"reason":"on the lamp post","latitude":51.5391,"longitude":0.0812,"site":"Town centre","main_url":"rtsp://10.0.0.9/mob01-new"}`, 200, "live", ""},
	}
	for _, s := range steps {
		var got deploymentJSON
		code, body := s.who.do(t, "POST", path+"/"+s.act, s.body, &got)
		if code != s.code || (s.state != "" && got.State != s.state) || !strings.Contains(body, s.wantInBody) {
			t.Fatalf("%s: %d %s", s.act, code, body)
		}
	}
	cam, _ := rg.st.GetCamera(context.Background(), "mob01")
	if !cam.Enabled || cam.Name != "Market Square (mobile)" || cam.MainURL != "rtsp://10.0.0.9/mob01-new" {
		t.Fatalf("the camera after install: %+v", cam)
	}
	var whole deploymentJSON
	if code, body = olly.do(t, "GET", path, "", &whole); code != 200 || len(whole.Events) != 4 || whole.Figures == nil ||
		whole.Events[3].Actor != "eddie.eng" || whole.Events[3].Reason != "on the lamp post" || len(whole.Actions) != 0 {
		t.Fatalf("the deployment as an operator sees it: %d %s", code, body)
	}
	var fleet struct{ Fleet []fleetJSON }
	if code, body = bea.do(t, "GET", "/api/v1/fleet", "", &fleet); code != 200 || len(fleet.Fleet) != 1 || fleet.Fleet[0].Location == nil ||
		fleet.Fleet[0].Location.Address != "Market Square" || fleet.Fleet[0].Deployment == nil || *fleet.Fleet[0].Deployment != d.ID {
		t.Fatalf("fleet: %d %s", code, body)
	}
	var places struct{ Locations []locationJSON }
	if code, body = bea.do(t, "GET", "/api/v1/cameras/mob01/locations", "", &places); code != 200 || len(places.Locations) != 1 ||
		places.Locations[0].DeploymentID != d.ID || places.Locations[0].To != nil {
		t.Fatalf("places: %d %s", code, body)
	}
	// The operator's recordings index of the camera says where it stood.
	q := "from=" + rg.clock.Now().Add(-time.Hour).Format(time.RFC3339) + "&to=" + rg.clock.Now().Add(time.Hour).Format(time.RFC3339)
	if code, body = olly.do(t, "GET", "/api/v1/cameras/mob01/recordings?"+q, "", nil); code != 200 || !strings.Contains(body, `"address": "Market Square"`) {
		t.Fatalf("recordings index: %d %s", code, body)
	}
	// BJAG sees no footage.
	for _, p := range []string{"/api/v1/cameras/mob01/playback?" + q, "/api/v1/cameras/mob01/snapshot", "/api/v1/cameras/mob01/recordings?" + q} {
		if code, _ := bea.do(t, "GET", p, "", nil); code != 403 {
			t.Errorf("BJAG GET %s: %d, want 403", p, code)
		}
	}
	// Every step is in the evidence log, with who and why.
	var logged []string
	for _, e := range rg.entries(t) {
		if strings.HasPrefix(string(e.Action), "deployment.") {
			logged = append(logged, string(e.Action)+": "+e.Reason)
		}
	}
	if got := strings.Join(logged, "; "); got != "deployment.requested: Deter nightly street drinking; deployment.approved: evidence is clear; "+
		"deployment.scheduled: free; deployment.live: on the lamp post" {
		t.Errorf("evidence log: %s", got)
	}
	if es := rg.withAction(t, evidence.Action("deployment.live")); len(es) != 1 || es[0].Actor != rg.pseudonym(t, "eddie.eng") || es[0].Camera != "mob01" {
		t.Errorf("the install's entry: %+v", es)
	}

	// Its review date comes: due; a week later undecided: overdue, with an
	// alert on the wall; extended: neither.
	rg.clock.add(31 * 24 * time.Hour)
	rg.tasking.Sweep(context.Background())
	sue = rg.login(t, "sue.super") // a month on: a new session
	var due struct{ Deployments []deploymentJSON }
	if code, body = sue.do(t, "GET", "/api/v1/deployments?due=1", "", &due); code != 200 || len(due.Deployments) != 1 ||
		due.Deployments[0].State != "under_review" || due.Deployments[0].ReviewOverdue ||
		strings.Join(due.Deployments[0].Actions, ",") != "extend,schedule-removal" {
		t.Fatalf("reviews due: %d %s", code, body)
	}
	rg.clock.add(8 * 24 * time.Hour)
	rg.tasking.Sweep(context.Background())
	sue = rg.login(t, "sue.super")
	var alerts struct{ Alerts []alertJSON }
	if code, body = sue.do(t, "GET", "/api/v1/alerts", "", &alerts); code != 200 || len(alerts.Alerts) != 1 ||
		alerts.Alerts[0].Kind != "deployment" || alerts.Alerts[0].Rule != "review-overdue" || !strings.Contains(alerts.Alerts[0].Message, "review was due") {
		t.Fatalf("overdue review alert: %d %s", code, body)
	}
	if code, body = sue.do(t, "POST", path+"/extend", `{"reason":"reports continue","review_date":"2027-01-31"}`, &whole); code != 200 ||
		whole.State != "live" || whole.ReviewDue {
		t.Fatalf("extend: %d %s", code, body)
	}
}

// TestBJAGPack: the month's pack as JSON, CSV and a PDF that poppler reads.
func TestBJAGPack(t *testing.T) {
	rg := newRig(t)
	deploymentUsers(t, rg)
	bea, sue := rg.login(t, "bea.bjag"), rg.login(t, "sue.super")
	var d deploymentJSON
	if code, body := bea.do(t, "POST", "/api/v1/deployments", requestBody("2026-11-25", true), &d); code != 201 {
		t.Fatalf("request: %d %s", code, body)
	}
	if code, body := sue.do(t, "POST", fmt.Sprintf("/api/v1/deployments/%d/refuse", d.ID), `{"reason":"a patrol first"}`, nil); code != 200 {
		t.Fatalf("refuse: %d %s", code, body)
	}
	var p struct {
		Month  string
		Counts struct{ Requested int }
		Rows   []struct{ ID int64 } `json:"deployments"`
	}
	if code, body := bea.do(t, "GET", "/api/v1/bjag/pack?month=2026-11", "", &p); code != 200 || p.Month != "2026-11" ||
		p.Counts.Requested != 1 || len(p.Rows) != 1 {
		t.Fatalf("pack: %d %s", code, body)
	}
	resp, csvBody := bea.raw(t, "GET", "/api/v1/bjag/pack?month=2026-11&format=csv", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(csvBody, "deployment,state,this month") || !strings.Contains(csvBody, "refused,requested,street-drinking,Market Square") {
		t.Fatalf("csv: %d %s", resp.StatusCode, csvBody)
	}
	resp, pdfBody := bea.raw(t, "GET", "/api/v1/bjag/pack?month=2026-11&format=pdf", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %d %s", resp.StatusCode, resp.Header)
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is needed (Debian poppler-utils; make deps installs it)")
	}
	file := filepath.Join(t.TempDir(), "pack.pdf")
	os.WriteFile(file, []byte(pdfBody), 0o600)
	text, err := exec.Command(bin, "-layout", file, "-").CombinedOutput()
	if err != nil || !strings.Contains(string(text), "BJAG monthly pack: November 2026") || !strings.Contains(string(text), "Market Square") {
		t.Fatalf("pdftotext: %v\n%s", err, text)
	}
	for _, bad := range []string{"month=2026-13", "month=2027-01", "format=xls"} {
		if resp, _ := bea.raw(t, "GET", "/api/v1/bjag/pack?"+bad, "", nil); resp.StatusCode == http.StatusOK {
			t.Errorf("pack?%s: %d", bad, resp.StatusCode)
		}
	}
}
