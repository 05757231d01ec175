package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// TestCrashLosesAtMostTwoSecondsPerKill kills the service with SIGKILL at
// random points, ten times, restarting it each time. After every restart
// all earlier footage is listed and every fragment of it parses, and each
// kill loses at most 2 s of footage per camera.
func TestCrashLosesAtMostTwoSecondsPerKill(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "vigil")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cams := simtest.Start(t, 2)
	data := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(data, "vigil.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:%d
data_dir: %s
log_level: warn
ingest: {read_timeout: 3s, reconnect_min: 200ms, reconnect_max: 1s}
recorder: {segment_duration: 3s, sync_interval: 500ms, min_free_bytes: 0}
cameras:
  - {id: cam001, main_url: %q}
  - {id: cam002, main_url: %q}
`, port, data, cams.URL(1, "main"), cams.URL(2, "main"))), 0o600)

	rng := rand.New(rand.NewPCG(1, 2))
	// For each kill, the last frame the service had received from each
	// camera: footage must reach to within 2 s of it. (Measuring from the
	// kill itself would blame the recorder for a camera that hiccuped.)
	var kills []map[string]time.Time
	stdout := &syncBuffer{}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "-config", cfg)
		cmd.Stderr, cmd.Stdout = os.Stderr, stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// A failing check must not leave the service running.
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	var api *site // a token for the recordings index, kept across restarts
	for round := range 10 {
		cmd := start()
		started := time.Now()
		waitHTTP(t, port)
		if api == nil {
			api = firstAdmin(t, port, data, stdout).machine(t, port, "crash-test", "cameras.read", "health.read")
		}
		checkFootage(t, data, api, kills)
		// The 2 s bound is about the kill, not start-up: wait until both
		// cameras record again (from their first keyframe) before counting
		// the run time.
		waitRecording(t, api, started)
		// Run for 2.5-6 s, so kills land inside segments and fragments.
		time.Sleep(2500*time.Millisecond + time.Duration(rng.IntN(3500))*time.Millisecond)
		kills = append(kills, lastFrames(t, api))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		t.Logf("round %d: killed", round+1)
	}
	// One last start to repair and index what the tenth kill left.
	cmd := start()
	waitHTTP(t, port)
	checkFootage(t, data, api, kills)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	// The evidence log survived every kill: it matches its last signed
	// checkpoint, and every indexed segment has its segment.sealed entry.
	if out, err := exec.Command(bin, "evidence", "check", "-config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("vigil evidence check after the kills: %v\n%s", err, out)
	}
	st, err := store.Open(filepath.Join(data, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, cam := range []string{"cam001", "cam002"} {
		segs, _ := st.Segments(context.Background(), cam, time.Time{}, time.Time{})
		for _, s := range segs {
			if s.SealedSeq < 0 {
				t.Errorf("%s: segment %s has no segment.sealed entry after the kills", cam, s.Path)
			}
		}
	}
}

// checkFootage verifies, through the running service, that footage exists
// up to within 2 s of every kill, and that every indexed segment parses.
func checkFootage(t *testing.T, data string, port *site, kills []map[string]time.Time) {
	t.Helper()
	if len(kills) == 0 {
		return
	}
	for _, cam := range []string{"cam001", "cam002"} {
		var list struct {
			Spans []struct{ Start, End time.Time }
			Gaps  []struct {
				Start, End time.Time
				Reason     string
			}
		}
		getJSON(t, port, "/api/v1/cameras/"+cam+"/recordings?from="+kills[0][cam].Add(-time.Hour).UTC().Format(time.RFC3339), &list)
		for i, lf := range kills {
			k := lf[cam]
			// Footage must reach to within 2 s of the kill: find the span
			// covering k-2s.
			covered := false
			for _, s := range list.Spans {
				if !s.Start.After(k.Add(-2*time.Second)) && !s.End.Before(k.Add(-2*time.Second)) {
					covered = true
				}
			}
			if !covered {
				st, _ := store.Open(filepath.Join(data, "vigil.db"))
				segs, _ := st.Segments(context.Background(), cam, time.Time{}, time.Time{})
				st.Close()
				var rows []string
				for _, s := range segs {
					rows = append(rows, fmt.Sprintf("%s-%s frames=%d repaired=%v %s", s.Start.Format("05.000"), s.End.Format("05.000"), s.Frames, s.Repaired, s.Path))
				}
				entries, _ := filepath.Glob(filepath.Join(data, "recordings", cam, "*", "*", "*", "*.mp4"))
				t.Fatalf("%s: kill %d at %s lost more than 2 s: spans %+v gaps %+v\nindex:\n%s\nfiles: %v", cam, i+1, k.Format("15:04:05.000"),
					list.Spans, list.Gaps, strings.Join(rows, "\n"), entries)
			}
		}
	}
	// Every indexed segment is whole: each fragment parses.
	st, err := store.Open(filepath.Join(data, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, cam := range []string{"cam001", "cam002"} {
		segs, err := st.Segments(context.Background(), cam, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			f, err := os.Open(filepath.Join(data, "recordings", filepath.FromSlash(s.Path)))
			if err != nil {
				t.Fatalf("indexed segment missing: %v", err)
			}
			fi, _ := f.Stat()
			idx, err := segment.Scan(f, fi.Size())
			if err == nil {
				for i := range idx.Fragments {
					if _, err = segment.ReadSamples(f, idx, i); err != nil {
						break
					}
				}
			}
			f.Close()
			if err != nil || idx.Torn {
				t.Fatalf("%s does not parse whole: %v", s.Path, err)
			}
		}
	}
}

// lastFrames asks the running service when it last received a frame from
// each camera.
func lastFrames(t *testing.T, port *site) map[string]time.Time {
	out := map[string]time.Time{}
	for _, cam := range []string{"cam001", "cam002"} {
		var c struct {
			Streams []struct {
				Stream    string
				LastFrame time.Time `json:"last_frame"`
			}
		}
		getJSON(t, port, "/api/v1/cameras/"+cam, &c)
		for _, s := range c.Streams {
			if s.Stream == "main" {
				out[cam] = s.LastFrame
			}
		}
		if out[cam].IsZero() {
			t.Fatalf("%s: no frame received before the kill", cam)
		}
	}
	return out
}

// waitRecording waits until every camera has footage recorded after
// since (the open segment is listed too).
func waitRecording(t *testing.T, port *site, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, cam := range []string{"cam001", "cam002"} {
			var list struct {
				Spans []struct{ Start, End time.Time }
			}
			getJSON(t, port, "/api/v1/cameras/"+cam+"/recordings?from="+since.Add(-time.Minute).UTC().Format(time.RFC3339), &list)
			n := len(list.Spans)
			ok = ok && n > 0 && list.Spans[n-1].End.After(since)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("cameras recorded nothing within 20 s of the service starting")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitHTTP waits until the port answers HTTP at all (a redirect to HTTPS
// will do).
func waitHTTP(t *testing.T, port int) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
		if err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the service did not come up")
}

func getJSON(t *testing.T, s *site, path string, v any) {
	t.Helper()
	s.json(t, "GET", path, nil, 200, v)
}
