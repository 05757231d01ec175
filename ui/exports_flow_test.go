package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// exportRig is the rig with a police officer, a second one, a supervisor
// and a person holding both the police and supervisor roles.
func exportRig(t *testing.T) *rig {
	t.Helper()
	rg := newRig(t)
	rg.user(t, "police1", "police", auth.Scope{})
	rg.user(t, "police2", "police", auth.Scope{})
	rg.user(t, "sup1", "supervisor", auth.Scope{})
	rg.user(t, "north.sup", "supervisor", auth.Scope{Sites: []string{"north"}})
	rg.user(t, "polsup", "police,supervisor", auth.Scope{})
	return rg
}

// exportWindow is the requested footage: the two hours before an hour ago.
func exportWindow(rg *rig) (from, to time.Time) {
	now := rg.clock.Now()
	return now.Add(-3 * time.Hour), now.Add(-time.Hour)
}

// request files an export request for cameras as c.
func (c *client) request(t *testing.T, cameras ...string) exportJSON {
	t.Helper()
	from, to := exportWindow(c.rg)
	in, _ := json.Marshal(exportInput{Cameras: cameras, From: from.Format(time.RFC3339), To: to.Format(time.RFC3339),
		CrimeRef: "01/123456/26", Reason: "assault outside the station"})
	var x exportJSON
	code, body := c.do(t, "POST", "/api/v1/exports", string(in), &x)
	wantCode(t, "request", code, body, 201)
	return x
}

func (rg *rig) exportEntries(t *testing.T, a evidence.Action, id string) []evidence.Entry {
	t.Helper()
	var out []evidence.Entry
	for _, e := range rg.withAction(t, a) {
		if e.Ref == "export/"+id {
			out = append(out, e)
		}
	}
	return out
}

func TestExportRequestIsThePolicesOwn(t *testing.T) {
	rg := exportRig(t)
	p1, p2 := rg.login(t, "police1"), rg.login(t, "police2")
	x := p1.request(t, "cam001")
	if x.State != store.ExportRequested || x.RequestedBy != "police1" || x.Officer != "POLICE1" || x.EvidenceSeq == nil ||
		x.ExpiresAt == nil || !x.ExpiresAt.Equal(rg.clock.Now().Add(7*24*time.Hour)) {
		t.Fatalf("new request: %+v", x)
	}
	logged := rg.exportEntries(t, evidence.ActionExportRequested, x.ID)
	if len(logged) != 1 {
		t.Fatalf("%d export.requested entries", len(logged))
	}
	if e := logged[0]; e.Actor != rg.pseudonym(t, "police1") || e.Role != "police" || e.Camera != "cam001" ||
		e.Reason != "assault outside the station" || !strings.Contains(e.Detail, "01/123456/26") {
		t.Fatalf("export.requested entry %+v", e)
	}

	code, body := p1.do(t, "GET", "/api/v1/exports/"+x.ID, "", nil)
	wantCode(t, "the requester reads it", code, body, 200)
	code, body = p2.do(t, "GET", "/api/v1/exports/"+x.ID, "", nil)
	wantCode(t, "another officer reads it", code, body, 404)
	code, body = p2.do(t, "POST", "/api/v1/exports/"+x.ID+"/links", "{}", nil)
	wantCode(t, "another officer asks for a link", code, body, 404)
	var list struct {
		Exports []exportJSON `json:"exports"`
	}
	code, body = p2.do(t, "GET", "/api/v1/exports", "", &list)
	wantCode(t, "another officer's list", code, body, 200)
	if len(list.Exports) != 0 {
		t.Fatalf("police2 lists %s", body)
	}
	code, body = p1.do(t, "GET", "/api/v1/exports", "", &list)
	wantCode(t, "own list", code, body, 200)
	if len(list.Exports) != 1 || list.Exports[0].ID != x.ID {
		t.Fatalf("police1 lists %s", body)
	}
	code, body = rg.login(t, "sup1").do(t, "GET", "/api/v1/exports?state=requested", "", &list)
	wantCode(t, "supervisor's list", code, body, 200)
	if len(list.Exports) != 1 {
		t.Fatalf("supervisor lists %s", body)
	}
	// Police may not decide, even their own.
	code, body = p1.do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"mine"}`, nil)
	wantCode(t, "police approve", code, body, 403)

	// Bad requests.
	from, to := exportWindow(rg)
	for _, tc := range []struct {
		name string
		in   exportInput
	}{
		{"no camera", exportInput{From: from.Format(time.RFC3339), To: to.Format(time.RFC3339), CrimeRef: "01/1/26", Reason: "r"}},
		{"unknown camera", exportInput{Cameras: []string{"cam404"}, From: from.Format(time.RFC3339), To: to.Format(time.RFC3339), CrimeRef: "01/1/26", Reason: "r"}},
		{"no crime reference", exportInput{Cameras: []string{"cam001"}, From: from.Format(time.RFC3339), To: to.Format(time.RFC3339), Reason: "r"}},
		{"no reason", exportInput{Cameras: []string{"cam001"}, From: from.Format(time.RFC3339), To: to.Format(time.RFC3339), CrimeRef: "01/1/26"}},
		{"backwards", exportInput{Cameras: []string{"cam001"}, From: to.Format(time.RFC3339), To: from.Format(time.RFC3339), CrimeRef: "01/1/26", Reason: "r"}},
		{"not a time", exportInput{Cameras: []string{"cam001"}, From: "yesterday", To: to.Format(time.RFC3339), CrimeRef: "01/1/26", Reason: "r"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, _ := json.Marshal(tc.in)
			code, body := p1.do(t, "POST", "/api/v1/exports", string(in), nil)
			wantCode(t, tc.name, code, body, 422)
		})
	}
}

func TestExportRefusal(t *testing.T) {
	rg := exportRig(t)
	p1, sup := rg.login(t, "police1"), rg.login(t, "sup1")
	x := p1.request(t, "cam001")
	var got exportJSON
	code, body := sup.do(t, "POST", "/api/v1/exports/"+x.ID+"/refuse", `{"reason":"no crime reference on file"}`, &got)
	wantCode(t, "refuse", code, body, 200)
	if got.State != store.ExportRefused || got.DecidedBy != "sup1" || got.DecisionReason != "no crime reference on file" ||
		got.GrantUntil != nil || got.Build != nil {
		t.Fatalf("refused: %s", body)
	}
	logged := rg.exportEntries(t, evidence.ActionExportRefused, x.ID)
	if len(logged) != 1 || logged[0].Actor != rg.pseudonym(t, "sup1") || logged[0].Role != "supervisor" ||
		logged[0].Reason != "no crime reference on file" {
		t.Fatalf("export.refused entries %+v", logged)
	}
	for _, verb := range []string{"refuse", "approve"} {
		code, body := sup.do(t, "POST", "/api/v1/exports/"+x.ID+"/"+verb, `{"reason":"again"}`, nil)
		wantCode(t, verb+" again", code, body, 409)
	}
	code, body = p1.do(t, "GET", "/api/v1/exports/"+x.ID, "", &got)
	wantCode(t, "read", code, body, 200)
	if got.State != store.ExportRefused {
		t.Fatalf("state %s after the refusal", got.State)
	}
	// A refusal grants nothing.
	code, body = p1.do(t, "GET", "/api/v1/cameras/cam001/recordings?from="+x.From.Format(time.RFC3339)+"&to="+x.To.Format(time.RFC3339), "", nil)
	wantCode(t, "footage of a refused request", code, body, 403)
	code, body = sup.do(t, "POST", "/api/v1/exports/no-such-id/approve", `{"reason":"x"}`, nil)
	wantCode(t, "approve an unknown request", code, body, 404)
}

func TestExportTwoPersonRule(t *testing.T) {
	rg := exportRig(t)
	both := rg.login(t, "polsup")
	x := both.request(t, "cam001")
	code, body := both.do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"my own"}`, nil)
	wantCode(t, "approve one's own request", code, body, 409)
	code, body = both.do(t, "POST", "/api/v1/exports/"+x.ID+"/refuse", `{"reason":"my own"}`, nil)
	wantCode(t, "refuse one's own request", code, body, 409)
	if n := len(rg.exportEntries(t, evidence.ActionExportApproved, x.ID)); n != 0 {
		t.Fatalf("%d export.approved entries for a refused self-approval", n)
	}
	// A supervisor outside the cameras' scope may not decide either.
	code, body = rg.login(t, "north.sup").do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"ok"}`, nil)
	wantCode(t, "approve outside one's scope", code, body, 403)
	var got exportJSON
	code, body = rg.login(t, "sup1").do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"ok"}`, &got)
	wantCode(t, "someone else approves", code, body, 200)
	if got.State != store.ExportApproved {
		t.Fatalf("state %s", got.State)
	}
}

func TestExportRequestExpires(t *testing.T) {
	rg := exportRig(t)
	x := rg.login(t, "police1").request(t, "cam001")
	rg.clock.add(8 * 24 * time.Hour)
	sup := rg.login(t, "sup1")
	code, body := sup.do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"late"}`, nil)
	wantCode(t, "approve after 8 days", code, body, 409)
	var got exportJSON
	code, body = rg.login(t, "police1").do(t, "GET", "/api/v1/exports/"+x.ID, "", &got)
	wantCode(t, "read", code, body, 200)
	if got.State != store.ExportExpired || got.ExpiresAt != nil {
		t.Fatalf("after expiry: %s", body)
	}
	// The expiry is on the record even though no sweeper ran.
	logged := rg.exportEntries(t, evidence.ActionExportExpired, x.ID)
	if len(logged) != 1 || logged[0].Actor != evidence.ActorWorkflow {
		t.Fatalf("export.expired entries %+v", logged)
	}
	code, body = sup.do(t, "POST", "/api/v1/exports/"+x.ID+"/refuse", `{"reason":"late"}`, nil)
	wantCode(t, "refuse after expiry", code, body, 409)
	if n := len(rg.exportEntries(t, evidence.ActionExportExpired, x.ID)); n != 1 {
		t.Fatalf("expiry logged %d times", n)
	}
}

func TestExportApprovalGrantsFootage(t *testing.T) {
	rg := exportRig(t)
	p1 := rg.login(t, "police1")
	x := p1.request(t, "cam001")
	code, body := p1.do(t, "POST", "/api/v1/exports/"+x.ID+"/links", "{}", nil)
	wantCode(t, "link before approval", code, body, 409)

	sup := rg.login(t, "sup1")
	var got exportJSON
	code, body = sup.do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"crime reference checked"}`, &got)
	wantCode(t, "approve", code, body, 200)
	if got.State != store.ExportApproved || got.GrantUntil == nil || !got.GrantUntil.Equal(rg.clock.Now().Add(30*24*time.Hour)) ||
		got.Build == nil || got.EvidenceSeq == nil {
		t.Fatalf("approved: %s", body)
	}
	logged := rg.exportEntries(t, evidence.ActionExportApproved, x.ID)
	if len(logged) != 1 || logged[0].Actor != rg.pseudonym(t, "sup1") || logged[0].Role != "supervisor" {
		t.Fatalf("export.approved entries %+v", logged)
	}
	code, body = sup.do(t, "POST", "/api/v1/exports/"+x.ID+"/approve", `{"reason":"twice"}`, nil)
	wantCode(t, "approve again", code, body, 409)

	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	recs := func(camera string, from, to time.Time) string {
		return "/api/v1/cameras/" + camera + "/recordings?from=" + rfc(from) + "&to=" + rfc(to)
	}
	for _, tc := range []struct {
		name, who, path string
		want            int
	}{
		{"the whole range", "police1", recs("cam001", x.From, x.To), 200},
		{"inside", "police1", recs("cam001", x.From.Add(time.Minute), x.To.Add(-time.Minute)), 200},
		{"starts before", "police1", recs("cam001", x.From.Add(-time.Minute), x.To), 403},
		{"ends after", "police1", recs("cam001", x.From, x.To.Add(time.Minute)), 403},
		{"another camera", "police1", recs("cam002", x.From, x.To), 403},
		{"another officer", "police2", recs("cam001", x.From, x.To), 403},
		{"default range (the last 24 h)", "police1", "/api/v1/cameras/cam001/recordings", 403},
		{"playback of another camera", "police1", "/api/v1/cameras/cam002/playback?reason=x&from=" + rfc(x.From) + "&to=" + rfc(x.To), 403},
		{"camera list", "police1", "/api/v1/cameras", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rg.withAction(t, evidence.ActionAccessDenied))
			code, body := rg.login(t, tc.who).do(t, "GET", tc.path, "", nil)
			wantCode(t, tc.name, code, body, tc.want)
			if n := len(rg.withAction(t, evidence.ActionAccessDenied)); tc.want == 403 && n != before+1 {
				t.Fatalf("refusal not logged")
			}
		})
	}

	// No bundle yet (the rig records no footage): no link.
	code, body = p1.do(t, "POST", "/api/v1/exports/"+x.ID+"/links", "{}", nil)
	wantCode(t, "link before the bundle is built", code, body, 409)
	code, body = p1.do(t, "GET", "/api/v1/downloads/vgl_nosuchlink", "", nil)
	wantCode(t, "unknown download link", code, body, 404)
	code, body = sup.do(t, "GET", "/api/v1/downloads/vgl_nosuchlink", "", nil)
	wantCode(t, "download as a supervisor", code, body, 403)

	// The grant ends.
	rg.clock.add(30*24*time.Hour - time.Minute)
	code, body = rg.login(t, "police1").do(t, "GET", recs("cam001", x.From, x.To), "", nil)
	wantCode(t, "a minute before the grant ends", code, body, 200)
	rg.clock.add(time.Minute)
	code, body = rg.login(t, "police1").do(t, "GET", recs("cam001", x.From, x.To), "", nil)
	wantCode(t, "when the grant ends", code, body, 403)
}
