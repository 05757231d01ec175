package main_test

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/evidence/bundle"
)

// TestDeploymentsEndToEnd runs a mobile camera through two BJAG
// deployments on a real vigil serve with real simulated cameras: put up at
// the park (its streams are camsim's cam001), taken down, put up at the
// estate (now camsim's cam002: the registry update reaches ingest without
// a restart); it records at both, the recordings index and a police export
// place each part of the footage where it was taken, the bundle verifies,
// and BJAG sees no footage.
func TestDeploymentsEndToEnd(t *testing.T) {
	tmp := t.TempDir()
	bin, verify := buildVigil(t, tmp)
	cams := simtest.Start(t, 2)
	srv := serveVigil(t, bin, "analytics: {enabled: false}\n")
	port := srv.port
	admin := srv.admin(t)
	bjag := admin.person(t, port, "bea.bjag", "Bea (ASB team)", "bjag")
	sup := admin.person(t, port, "sue.super", "Sue Supervisor", "supervisor")
	eng := admin.person(t, port, "eddie.eng", "Eddie Engineer", "engineer")
	op := admin.person(t, port, "olly.op", "Olly Operator", "operator")
	police := admin.person(t, port, "dc.patel", "DC Patel", "police")
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	today := time.Now().In(londonTZ(t)).Format("2006-01-02")
	later := func(days int) string { return time.Now().In(londonTZ(t)).AddDate(0, 0, days).Format("2006-01-02") }

	// The engineer registers the mobile camera, in the depot (disabled).
	eng.json(t, "POST", "/api/v1/cameras", map[string]any{"id": "mob01", "name": "Mobile 1", "kind": "mobile",
		"main_url": cams.URL(1, "main"), "enabled": false}, 201, nil)

	deploy := func(address string, lat, lon float64, stream int) int64 {
		var d struct {
			ID    int64
			State string
		}
		bjag.json(t, "POST", "/api/v1/deployments", map[string]any{"latitude": lat, "longitude": lon, "ward": "Abbey",
			"address": address, "problem": "drugs", "incidents": []string{"CAD 77/" + today}, "wanted_from": today,
			"wanted_to": later(60), "purpose": "Deter dealing at " + address, "less_intrusive": "Patrols have not stopped it",
			"privacy": map[string]any{"dwellings_in_view": false, "masks_needed": false}, "signage_confirmed": true}, 201, &d)
		path := fmt.Sprintf("/api/v1/deployments/%d", d.ID)
		sup.json(t, "POST", path+"/approve", map[string]any{"reason": "Hotspot evidence supports it", "review_date": later(30)}, 200, nil)
		sup.json(t, "POST", path+"/schedule", map[string]any{"reason": "mob01 is free", "camera": "mob01", "install_date": today}, 200, nil)
		eng.json(t, "POST", path+"/confirm-install", map[string]any{"reason": "Installed", "latitude": lat, "longitude": lon,
			"site": "Borough", "main_url": cams.URL(stream, "main")}, 200, &d)
		if d.State != "live" {
			t.Fatalf("deployment %d is %s after install", d.ID, d.State)
		}
		return d.ID
	}
	// sealed waits for n more sealed segments of mob01 after since.
	sealed := func(since time.Time, n int) time.Time {
		deadline := time.Now().Add(60 * time.Second)
		for {
			var list struct {
				Spans []struct {
					Start, End time.Time
					Segments   int
				}
			}
			getJSON(t, op, "/api/v1/cameras/mob01/recordings?from="+url.QueryEscape(rfc(since)), &list)
			count := 0
			var end time.Time
			for _, s := range list.Spans {
				count += s.Segments
				end = s.End
			}
			if count >= n+1 { // the newest is still being written
				return end
			}
			if time.Now().After(deadline) {
				t.Fatalf("mob01 recorded %d segments since %v in 60 s, want %d", count, since, n)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}

	began := time.Now().UTC()
	park := deploy("Park gates", 51.5440, 0.0860, 1)
	sealed(began, 2)
	sup.json(t, "POST", fmt.Sprintf("/api/v1/deployments/%d/schedule-removal", park), map[string]any{"reason": "Dealing has moved on",
		"removal_date": today}, 200, nil)
	eng.json(t, "POST", fmt.Sprintf("/api/v1/deployments/%d/confirm-removal", park), map[string]any{"reason": "Taken down"}, 200, nil)
	moved := time.Now().UTC()
	estate := deploy("Gascoigne estate car park", 51.5350, 0.0760, 2)
	end := sealed(moved, 2)

	// The recordings index says where the camera stood: both places.
	var index struct {
		Locations []struct {
			Address      string
			From         time.Time
			To           *time.Time
			DeploymentID int64 `json:"deployment_id"`
		}
	}
	getJSON(t, op, "/api/v1/cameras/mob01/recordings?from="+url.QueryEscape(rfc(began.Add(-time.Minute))), &index)
	if len(index.Locations) != 2 || index.Locations[0].Address != "Park gates" || index.Locations[0].To == nil ||
		index.Locations[1].Address != "Gascoigne estate car park" || index.Locations[1].To != nil || index.Locations[1].DeploymentID != estate {
		t.Fatalf("places in the recordings index: %+v", index.Locations)
	}
	// BJAG sees no footage.
	q := url.Values{"from": {rfc(began)}, "to": {rfc(end)}, "reason": {"curious"}}
	if code, _ := bjag.do(t, "GET", "/api/v1/cameras/mob01/playback?"+q.Encode(), nil); code != 403 {
		t.Fatalf("BJAG playback: %d, want 403", code)
	}

	// A police export over both deployments: the manifest places each part.
	var x struct{ ID string }
	police.json(t, "POST", "/api/v1/exports", map[string]any{"cameras": []string{"mob01"}, "from": rfc(began), "to": rfc(end),
		"crime_reference": "01/777/26", "reason": "Drug supply, two sites"}, 201, &x)
	sup.json(t, "POST", "/api/v1/exports/"+x.ID+"/approve", map[string]string{"reason": "Proportionate"}, 200, nil)
	var st struct{ Build struct{ State, Error string } }
	for deadline := time.Now().Add(90 * time.Second); st.Build.State != "done"; {
		if st.Build.State == "failed" || time.Now().After(deadline) {
			t.Fatalf("export build: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
		getJSON(t, police, "/api/v1/exports/"+x.ID, &st)
	}
	var link struct{ URL string }
	police.json(t, "POST", "/api/v1/exports/"+x.ID+"/links", map[string]any{}, 201, &link)
	code, zipBody := police.do(t, "GET", link.URL, nil)
	if code != 200 {
		t.Fatalf("download: %d", code)
	}
	zipPath := filepath.Join(tmp, "export.zip")
	os.WriteFile(zipPath, zipBody, 0o600)
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	var m bundle.Manifest
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/"+bundle.ManifestPath) {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
		}
	}
	zr.Close()
	if len(m.Cameras) != 1 || len(m.Cameras[0].Locations) != 2 || m.Cameras[0].Name != "Park gates (mobile)" ||
		m.Cameras[0].Locations[0].Deployment != park || m.Cameras[0].Locations[1].Address != "Gascoigne estate car park" {
		t.Fatalf("manifest cameras: %+v", m.Cameras)
	}
	code, pub := admin.do(t, "GET", "/api/v1/evidence/key", nil)
	if code != 200 {
		t.Fatalf("evidence key: %d", code)
	}
	keyFile := filepath.Join(tmp, "council.pub")
	os.WriteFile(keyFile, pub, 0o644)
	if out, err := exec.Command(verify, "-key", keyFile, zipPath).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "Camera mob01 stood at Gascoigne estate car park (mobile)") {
		t.Fatalf("vigil-verify: %v\n%s", err, out)
	}
}
