package main_test

import (
	"archive/zip"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
)

// TestEvidenceEndToEnd runs the service on camsim cameras and uses the
// locker as people would: a hold, a playback, an export through the API
// and its download, then, with the service stopped, the CLI: key, log
// check, an export; both bundles verify with the real vigil-verify.
func TestEvidenceEndToEnd(t *testing.T) {
	tmp := t.TempDir()
	bin, verify := buildVigil(t, tmp)
	cams := simtest.Start(t, 1)
	srv := serveVigil(t, bin, fmt.Sprintf("cameras:\n  - {id: cam001, name: High Street, main_url: %q}\n", cams.URL(1, "main")))
	port, cfg, cmd := srv.port, srv.cfg, srv.cmd
	admin := srv.admin(t)
	sup1 := admin.person(t, port, "sup.jones", "Supervisor Jones", "supervisor")
	sup2 := admin.person(t, port, "sup.khan", "Supervisor Khan", "supervisor")
	op := admin.person(t, port, "op.smith", "Operator Smith", "operator")
	police := admin.person(t, port, "dc.patel", "DC Patel", "police")
	started := time.Now().UTC()

	// Wait for three sealed segments, and for the feeder to log them.
	var from, to time.Time
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct {
			Spans []struct {
				Start    time.Time
				Segments int
			}
		}
		getJSON(t, op, "/api/v1/cameras/cam001/recordings?from="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), &list)
		if len(list.Spans) > 0 && list.Spans[0].Segments >= 4 { // the first three sealed (2 s each)
			from = list.Spans[0].Start
			to = from.Add(4 * time.Second)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no footage recorded in 60 s: %+v", list)
		}
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(time.Second)
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

	// A legal hold, placed and logged.
	sup1.json(t, "POST", "/api/v1/holds", map[string]any{"camera": "cam001", "from": rfc(from), "to": rfc(to),
		"reason": "Investigation 01/555/26", "requested_by": "DC Patel",
		"review_at": rfc(time.Now().Add(30 * 24 * time.Hour))}, 201, nil)
	// A playback by an operator: logged before footage leaves.
	playback := func(s *site, from, to time.Time, reason string) (int, string) {
		q := url.Values{"from": {rfc(from)}, "to": {rfc(to)}, "reason": {reason}}
		code, body := s.do(t, "GET", "/api/v1/cameras/cam001/playback?"+q.Encode(), nil)
		return code, string(body[:min(len(body), 200)])
	}
	if code, body := playback(op, from, to, "Reviewing the incident"); code != 200 {
		t.Fatalf("operator playback: %d %s", code, body)
	}
	// The officer sees no footage before a request of theirs is approved.
	if code, body := playback(police, from, to, "Checking before asking"); code != 403 {
		t.Fatalf("police playback without a grant: %d %s", code, body)
	}

	// The police export workflow: request, a refusal, an approval by
	// someone else, the build, a one-time link used twice.
	request := func(reason string) string {
		var x struct{ ID string }
		police.json(t, "POST", "/api/v1/exports", map[string]any{"cameras": []string{"cam001"}, "from": rfc(from), "to": rfc(to),
			"crime_reference": "01/555/26", "reason": reason}, 201, &x)
		return x.ID
	}
	refused := request("Duplicate request")
	sup1.json(t, "POST", "/api/v1/exports/"+refused+"/refuse", map[string]string{"reason": "Duplicate of another request"}, 200, nil)
	if code, body := sup2.do(t, "POST", "/api/v1/exports/"+refused+"/approve", map[string]string{"reason": "ok"}); code != 409 {
		t.Fatalf("approving a refused request: %d %s", code, body)
	}
	id := request("Assault, High Street")
	sup2.json(t, "POST", "/api/v1/exports/"+id+"/approve", map[string]string{"reason": "Proportionate: assault investigation"}, 200, nil)
	var x struct {
		Build struct{ State, Error string }
	}
	for x.Build.State != "done" {
		if x.Build.State == "failed" || time.Now().After(deadline.Add(60*time.Second)) {
			t.Fatalf("export build: %+v", x)
		}
		time.Sleep(200 * time.Millisecond)
		getJSON(t, police, "/api/v1/exports/"+id, &x)
	}
	var link struct{ URL string }
	police.json(t, "POST", "/api/v1/exports/"+id+"/links", map[string]any{}, 201, &link)
	code, zipBody := police.do(t, "GET", link.URL, nil)
	if code != 200 || len(zipBody) < 1000 {
		t.Fatalf("download: %d, %d bytes", code, len(zipBody))
	}
	if code, body := police.do(t, "GET", link.URL, nil); code != 410 {
		t.Fatalf("second use of a one-time link: %d %s", code, body)
	}
	zipPath := filepath.Join(tmp, "api-export.zip")
	os.WriteFile(zipPath, zipBody, 0o600)
	// Now the officer may view the footage of the grant, and only that.
	if code, body := playback(police, from, to, "Reviewing the export"); code != 200 {
		t.Fatalf("police playback inside the grant: %d %s", code, body)
	}
	if code, body := playback(police, from.Add(-time.Hour), to, "Wider look"); code != 403 {
		t.Fatalf("police playback outside the grant: %d %s", code, body)
	}

	// The data-protection officer's question: who looked at cam001's
	// footage, when and why, answered from the evidence log.
	var audit struct {
		Entries []struct {
			Action, Person, Role, Reason, Camera string
		}
	}
	q := url.Values{"camera": {"cam001"}, "action": {"footage."}, "from": {rfc(started)}, "to": {rfc(time.Now().Add(time.Minute))}}
	sup1.json(t, "GET", "/api/v1/audit?"+q.Encode(), nil, 200, &audit)
	var got []string
	for _, e := range audit.Entries {
		got = append(got, e.Person+"/"+e.Role+"/"+e.Reason)
	}
	want := []string{"op.smith/operator/Reviewing the incident", "dc.patel/police/Reviewing the export"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("who looked at cam001: %q, want %q", got, want)
	}
	code, csvBody := sup1.do(t, "GET", "/api/v1/audit?"+q.Encode()+"&format=csv", nil)
	if code != 200 || !strings.Contains(string(csvBody), "op.smith") || !strings.Contains(string(csvBody), "Reviewing the export") {
		t.Fatalf("audit CSV: %d %s", code, csvBody)
	}
	// The refused police look was logged as a refusal, not as a view.
	q.Set("action", "access.denied")
	q.Del("camera")
	sup1.json(t, "GET", "/api/v1/audit?"+q.Encode(), nil, 200, &audit)
	if len(audit.Entries) < 2 || audit.Entries[0].Person != "dc.patel" {
		t.Fatalf("refusals in the audit: %+v", audit.Entries)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	run := func(args ...string) string {
		out, err := exec.Command(bin, append(args, "-config", cfg)...).CombinedOutput()
		if err != nil {
			t.Fatalf("vigil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	pub := strings.TrimSpace(run("evidence", "pubkey"))
	keyFile := filepath.Join(tmp, "council.pub")
	os.WriteFile(keyFile, []byte(pub+"\n"), 0o644)
	if out := run("evidence", "check"); !strings.Contains(out, "matches the last signed checkpoint") {
		t.Fatalf("check: %s", out)
	}
	outDir := filepath.Join(tmp, "out")
	out := run("evidence", "export", "-camera", "cam001", "-from", rfc(from), "-to", rfc(to), "-ref", "01/555/26",
		"-officer", "DC Patel", "-reason", "Second copy for the CPS", "-approved-by", "Supervisor Jones", "-out", outDir)
	dirs, _ := filepath.Glob(filepath.Join(outDir, "01-555-26_*"))
	if len(dirs) != 2 { // the folder and its zip
		t.Fatalf("CLI export wrote %v\n%s", dirs, out)
	}
	// Police keep the API bundle's checkpoint; both bundles verify with the
	// real verifier, the CLI one also against that checkpoint (the log only
	// grew in between: not forked, not rolled back).
	apiCheckpoint := filepath.Join(tmp, "api.checkpoint")
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/checkpoint") {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			os.WriteFile(apiCheckpoint, b, 0o644)
		}
	}
	zr.Close()
	for _, args := range [][]string{
		{"-key", keyFile, zipPath},
		{"-key", keyFile, "-prior", apiCheckpoint, strings.TrimSuffix(dirs[1], ".zip")},
	} {
		vout, err := exec.Command(verify, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("vigil-verify %s: %v\n%s", strings.Join(args, " "), err, vout)
		}
	}
}
