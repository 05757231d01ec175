package main_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
	bin, verify := filepath.Join(tmp, "vigil"), filepath.Join(tmp, "vigil-verify")
	for out, pkg := range map[string]string{bin: ".", verify: "../vigil-verify"} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
	}
	cams := simtest.Start(t, 1)
	data := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(data, "vigil.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:%d
data_dir: %s
log_level: warn
ingest: {read_timeout: 3s, reconnect_min: 200ms, reconnect_max: 1s}
recorder: {segment_duration: 2s, sync_interval: 500ms, min_free_bytes: 0}
evidence: {origin: vigil.test-council.gov.uk/evidence, checkpoint_interval: 1s, verifier_dir: %s}
cameras:
  - {id: cam001, name: High Street, main_url: %q}
`, port, data, filepath.Join(tmp, "none"), cams.URL(1, "main"))), 0o600)
	cmd := exec.Command(bin, "serve", "-config", cfg)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHTTP(t, port)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

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
		getJSON(t, port, "/api/v1/cameras/cam001/recordings?from="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), &list)
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

	post := func(path string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		res, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

	// A legal hold, placed and logged.
	if code, out := post("/api/v1/holds", map[string]any{"camera": "cam001", "from": rfc(from), "to": rfc(to),
		"reason": "Investigation 01/555/26", "requested_by": "DC Patel", "placed_by": "Supervisor Jones",
		"review_at": rfc(time.Now().Add(30 * 24 * time.Hour))}); code != 201 {
		t.Fatalf("place hold: %d %v", code, out)
	}
	// A playback: logged before footage leaves.
	q := url.Values{"from": {rfc(from)}, "to": {rfc(to)}, "reason": {"Reviewing the incident"}}
	res, err := http.Get(base + "/api/v1/cameras/cam001/playback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Vigil-Evidence-Seq") == "" {
		t.Fatalf("playback: %d, evidence seq %q", res.StatusCode, res.Header.Get("X-Vigil-Evidence-Seq"))
	}

	// An export through the API, then its download.
	code, job := post("/api/v1/exports", map[string]any{"cameras": []string{"cam001"}, "from": rfc(from), "to": rfc(to),
		"crime_reference": "01/555/26", "officer": "DC Patel", "reason": "Assault, High Street",
		"requested_by": "DC Patel", "approved_by": "Supervisor Jones"})
	if code != 202 {
		t.Fatalf("export: %d %v", code, job)
	}
	for job["state"] != "done" {
		if job["state"] == "failed" || time.Now().After(deadline.Add(60*time.Second)) {
			t.Fatalf("export: %v", job)
		}
		time.Sleep(200 * time.Millisecond)
		getJSON(t, port, "/api/v1/exports/"+job["id"].(string), &job)
	}
	res, err = http.Get(base + "/api/v1/exports/" + job["id"].(string) + "/download?by=DC+Patel")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("download: %v %v", err, res.Status)
	}
	zipPath := filepath.Join(tmp, "api-export.zip")
	zf, _ := os.Create(zipPath)
	io.Copy(zf, res.Body)
	zf.Close()
	res.Body.Close()

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
