package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/custody"
	"github.com/vigil-cctv/vigil/evidence/export"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const origin = "vigil.test/evidence"

// site is a recorded site at rest: store, log and recordings of camsim
// cameras, ready to export from.
type site struct {
	root  string
	store *store.Store
	log   *locker.Log
	from  time.Time // the recorded span, common to all cameras
	to    time.Time
}

// recordSite records n camsim cameras through real ingest and the real
// recorder until each has sealed a few segments, then stops recording.
func recordSite(t *testing.T, n int) *site {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lg := &locker.Log{Dir: filepath.Join(root, "evidence"), Origin: origin, CreateKey: true, CheckpointInterval: -1}
	if err := lg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	feeder := &custody.Feeder{Store: st, Log: lg, Logger: quiet}
	feeder.Initialize()

	s := simtest.Start(t, n)
	sup := &ingest.Supervisor{Source: rtsp.Read, Outages: st, Metrics: ingest.NewMetrics(nil), Logger: quiet,
		Defaults: ingest.Defaults{Transport: "tcp", ReadTimeout: 3 * time.Second, Backoff: ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second}}}
	sup.Initialize()
	defer sup.Close()
	for i := 1; i <= n; i++ {
		sup.Upsert(ingest.Camera{ID: sim.CameraName(i), Enabled: true, Main: ingest.Target{URL: s.URL(i, "main")}})
		c := store.Camera{ID: sim.CameraName(i), Name: "Test street " + sim.CameraName(i), Site: "Town Hall", Ward: "Central",
			Kind: "fixed", MainURL: s.URL(i, "main"), RetentionDays: 31, Enabled: true, ManagedBy: "api"}
		if err := st.CreateCamera(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder.Recorder{Dir: filepath.Join(root, "recordings"), SegmentDuration: 2 * time.Second,
		SyncInterval: 500 * time.Millisecond, Store: st, Custody: feeder, Logger: quiet}
	if err := rec.Initialize(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		rec.Record(sim.CameraName(i), sup.Hub(sim.CameraName(i), ingest.StreamMain))
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ready := true
		for i := 1; i <= n; i++ {
			segs, _ := st.Segments(ctx, sim.CameraName(i), time.Time{}, time.Time{})
			ready = ready && len(segs) >= 3
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cameras did not record 3 segments in 60 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	rec.Close()
	feeder.Close() // logs the last sealed segments

	out := &site{root: root, store: st, log: lg}
	for i := 1; i <= n; i++ {
		segs, _ := st.Segments(ctx, sim.CameraName(i), time.Time{}, time.Time{})
		if i == 1 || segs[0].Start.After(out.from) {
			out.from = segs[0].Start
		}
		if last := segs[len(segs)-1].End; i == 1 || last.Before(out.to) {
			out.to = last
		}
	}
	return out
}

func (s *site) exporter(t *testing.T, verifierDir string) *export.Exporter {
	return &export.Exporter{Store: s.store, Log: s.log, RecordingsDir: filepath.Join(s.root, "recordings"),
		OutDir: filepath.Join(s.root, "exports"), VerifierDir: verifierDir, Logger: quiet,
		ClockOffset: func(string) (float64, string, bool) { return 0.0125, "rtcp-sr", true }}
}

func request(cams ...string) export.Request {
	return export.Request{Cameras: cams, CrimeRef: "01/123456/26", Officer: "PC 123 Jane Smith",
		Reason: "Assault outside the Town Hall", RequestedBy: "PC 123 Jane Smith", ApprovedBy: "Supervisor Sam Jones"}
}

// buildVerifier builds the real verifier for this machine into a
// verifier directory laid out as `make build` lays it out.
func buildVerifier(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "linux-amd64", "vigil-verify")
	cmd := exec.Command("go", "build", "-o", out, "github.com/vigil-cctv/vigil/cmd/vigil-verify")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build verifier: %v\n%s", err, b)
	}
	return dir
}

func pinned(t *testing.T, s *site) []byte {
	t.Helper()
	pub, err := locker.PublicKey(locker.KeyDir(s.log.Dir))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(pub + "\n")
}

func verify(t *testing.T, dir string, key []byte, prior []byte) *bundle.Report {
	t.Helper()
	v, err := evidenceVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	return bundle.Verify(dir, v, bundle.Options{Prior: prior})
}

func TestExportOfCamsimFootageVerifies(t *testing.T) {
	s := recordSite(t, 2)
	ctx := context.Background()
	x := s.exporter(t, buildVerifier(t))
	x.Zip = true
	r := request(sim.CameraName(1), sim.CameraName(2))
	r.From, r.To = s.from.Add(500*time.Millisecond), s.to.Add(-500*time.Millisecond)
	res, err := x.Export(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	key := pinned(t, s)
	if rep := verify(t, res.Dir, key, nil); !rep.OK() {
		t.Fatalf("a fresh export does not verify:\n%s", rep.Summary())
	}
	// The masters are byte for byte the sealed segments.
	segs, _ := s.store.Segments(ctx, sim.CameraName(1), r.From, r.To)
	for _, seg := range segs {
		a, _ := os.ReadFile(filepath.Join(s.root, "recordings", filepath.FromSlash(seg.Path)))
		b, err := os.ReadFile(filepath.Join(res.Dir, "media", sim.CameraName(1), filepath.Base(seg.Path)))
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("master %s differs from the sealed segment: %v", seg.Path, err)
		}
	}
	// The working copy is a playable MP4 of about the range.
	if _, err := exec.LookPath("ffprobe"); err == nil {
		work, _ := filepath.Glob(filepath.Join(res.Dir, "working", "cam001_*_WORKING-COPY.mp4"))
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", work[0]).Output()
		if err != nil {
			t.Fatalf("ffprobe working copy: %v", err)
		}
		var d float64
		json.Unmarshal(bytes.TrimSpace(out), &d)
		if want := r.To.Sub(r.From).Seconds(); d < want-1.5 || d > want+2.5 {
			t.Fatalf("working copy lasts %.2f s, range is %.2f s", d, want)
		}
	}
	// The log: requested, approved, created, and a checkpoint for the export.
	var actions []string
	s.log.Scan(0, s.log.Size(), func(e evidence.Entry, _ []byte) bool {
		if e.Ref == res.ID || e.Ref == "export/"+res.ID {
			actions = append(actions, string(e.Action))
		}
		if strings.Contains(e.Detail, "Smith") || strings.Contains(e.Reason, "Smith") || strings.Contains(e.Actor, "Smith") {
			t.Fatalf("a name reached the log: %+v", e)
		}
		return true
	})
	if got := strings.Join(actions, " "); got != "export.requested export.approved export.created log.checkpoint" {
		t.Fatalf("export log entries: %s", got)
	}
	// The zip holds the same folder.
	if st, err := os.Stat(res.Zip); err != nil || st.Size() < res.Bytes {
		t.Fatalf("zip: %v", err)
	}
	// The real verifier binary from the bundle agrees.
	os.WriteFile(filepath.Join(s.root, "council.pub"), key, 0o644)
	cmd := exec.Command(filepath.Join(res.Dir, "verify", "linux-amd64", "vigil-verify"), "-key", filepath.Join(s.root, "council.pub"), res.Dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vigil-verify from the bundle: %v\n%s", err, out)
	}
}

func TestExportRefusesAlteredRecordingAndBadRequests(t *testing.T) {
	s := recordSite(t, 1)
	ctx := context.Background()
	x := s.exporter(t, "")
	r := request(sim.CameraName(1))
	r.From, r.To = s.from, s.to

	bad := r
	bad.CrimeRef, bad.Reason, bad.Cameras = "", "", nil
	if _, err := x.Export(ctx, bad); err == nil || !strings.Contains(err.Error(), "crime_reference") || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("bad request: %v", err)
	}
	none := r
	none.From, none.To = s.from.Add(-48*time.Hour), s.from.Add(-47*time.Hour)
	if _, err := x.Export(ctx, none); err == nil || !strings.Contains(err.Error(), "no sealed footage") {
		t.Fatalf("empty range: %v", err)
	}
	segs, _ := s.store.Segments(ctx, sim.CameraName(1), r.From, r.To)
	p := filepath.Join(s.root, "recordings", filepath.FromSlash(segs[1].Path))
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0x40
	os.WriteFile(p, b, 0o644)
	_, err := x.Export(ctx, r)
	if err == nil || !strings.Contains(err.Error(), "does not match what was sealed") {
		t.Fatalf("altered recording exported: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(s.root, "exports", "*")); len(left) != 0 {
		t.Fatalf("a failed export left %v", left)
	}
}

// reopenSite opens the store and log of a site directory.
func reopenSite(t *testing.T, root string) *site {
	t.Helper()
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lg := &locker.Log{Dir: filepath.Join(root, "evidence"), Origin: origin, CheckpointInterval: -1}
	if err := lg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	return &site{root: root, store: st, log: lg}
}
