package main_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
	"github.com/vigil-cctv/vigil/recorder/s3store/s3test"
)

// TestSharedStorageEndToEnd runs two vigil serve nodes as processes
// sharing PostgreSQL and a real S3 server (SeaweedFS). Each node uploads
// its sealed segments to the bucket once their sealing is logged, and
// they leave its disk; then one node is killed with SIGKILL, and the
// other plays back, snapshots and exports the dead node's footage from
// the bucket: an export that the real vigil-verify accepts.
func TestSharedStorageEndToEnd(t *testing.T) {
	tmp := t.TempDir()
	bin, verify := buildVigil(t, tmp)
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	dsn := pg.DSN("vigil")
	s3 := s3test.Start(t)
	cams := simtest.Start(t, 6)

	// The object store, as an operator would set it: keys from the
	// environment.
	for k, v := range map[string]string{"ENDPOINT": s3.Endpoint, "BUCKET": "borough-recordings", "TLS": "false",
		"ACCESS_KEY": s3.AccessKey, "SECRET_KEY": s3.SecretKey, "CREATE_BUCKET": "true", "UPLOAD_INTERVAL": "1s"} {
		t.Setenv("VIGIL_RECORDER_S3_"+k, v)
	}
	nodes, pub := startNodes(t, bin, tmp, dsn, []int{0, 1})
	admin := firstAdmin(t, nodes[0].port, nodes[0].data, nodes[0].stdout)
	addCameras(t, admin, cams, 6)
	st, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()

	// A camera of vigil-1's with three segments in a row in the bucket,
	// each gone from vigil-1's disk; and vigil-0's uploads too.
	var cam string
	var uploaded []store.Segment
	waitFor(t, 120*time.Second, "three segments in a row of a vigil-1 camera in the bucket, and vigil-0's uploading", func() bool {
		leases, err := st.Leases(ctx)
		if err != nil {
			return false
		}
		zeroUploads := false
		for _, l := range leases {
			segs, _ := st.Segments(ctx, l.Camera, time.Time{}, time.Time{})
			run := uploadedRun(segs)
			if l.Node == "vigil-0" && len(run) > 0 {
				zeroUploads = true
			}
			if l.Node == "vigil-1" && len(run) >= 3 && cam == "" {
				cam, uploaded = l.Camera, run
			}
		}
		return cam != "" && zeroUploads
	})
	for _, s := range uploaded {
		if s.Node != "vigil-1" || !strings.HasPrefix(s.Object, "borough-recordings/recordings/"+cam+"/") {
			t.Fatalf("segment %s indexed as %q on %s", s.Path, s.Object, s.Node)
		}
		if _, err := os.Stat(filepath.Join(nodes[1].data, "recordings", filepath.FromSlash(s.Path))); !os.IsNotExist(err) {
			t.Fatalf("uploaded segment %s still on vigil-1's disk: %v", s.Path, err)
		}
	}

	// vigil-1 dies, without a word to the others.
	if err := nodes[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	nodes[1].cmd.Wait()

	// An operator on vigil-0 plays the dead node's footage, from the bucket.
	op := admin.person(t, nodes[0].port, "olly.op", "Olly Operator", "operator")
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	from, to := uploaded[0].Start, uploaded[len(uploaded)-1].End
	q := url.Values{"from": {rfc(from)}, "to": {rfc(to)}, "reason": {"shared storage test"}, "format": {"mp4"}}
	code, mp4 := op.do(t, "GET", "/api/v1/cameras/"+cam+"/playback?"+q.Encode(), nil)
	if code != 200 {
		t.Fatalf("playback of dead vigil-1's footage on vigil-0: %d %.300s", code, mp4)
	}
	clip := filepath.Join(tmp, "from-s3.mp4")
	os.WriteFile(clip, mp4, 0o600)
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", clip).CombinedOutput()
	frames := 0
	for _, s := range uploaded {
		frames += s.Frames
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || n < frames*9/10 {
		t.Fatalf("playback from the bucket has %q packets (%v), the segments %d frames", out, err, frames)
	}
	at := uploaded[1].Start.Add(500 * time.Millisecond)
	code, jpeg := op.do(t, "GET", "/api/v1/cameras/"+cam+"/snapshot?"+url.Values{"at": {rfc(at)}, "reason": {"shared storage test"}}.Encode(), nil)
	if code != 200 || len(jpeg) < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8 {
		t.Fatalf("snapshot of dead vigil-1's footage on vigil-0: %d %.200s", code, jpeg)
	}

	// A police export of it, built on vigil-0 from the bucket, verifies.
	exportAcrossNodes(t, admin, nodes[0], nodes[0], verify, pub, cam, from, to, len(uploaded), tmp)

	// The engineer's view: vigil-0's uploads are counted.
	code, metrics := admin.do(t, "GET", "/metrics", nil)
	m := regexp.MustCompile(`(?m)^vigil_s3_uploaded_segments_total (\d+)`).FindSubmatch(metrics)
	if code != 200 || m == nil {
		t.Fatalf("metrics: %d, no vigil_s3_uploaded_segments_total", code)
	}
	if n, _ := strconv.Atoi(string(m[1])); n == 0 {
		t.Fatal("vigil-0 counts no uploads")
	}
}

// uploadedRun is the first run of consecutive segments in the object
// store (each starting where the one before ended, as the recorder cuts
// them).
func uploadedRun(segs []store.Segment) []store.Segment {
	var run []store.Segment
	for _, s := range segs {
		if s.Object == "" || len(run) > 0 && s.Start.Sub(run[len(run)-1].End).Abs() > 100*time.Millisecond {
			if len(run) >= 3 {
				return run
			}
			run = run[:0]
			if s.Object == "" {
				continue
			}
		}
		run = append(run, s)
	}
	return run
}
