package main_test

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
)

// failoverWithin is the promise: a dead node's cameras record
// again on the others within 15 s.
const failoverWithin = 15 * time.Second

// TestFailoverEndToEnd runs three vigil serve nodes as processes (their
// own data directories, one PostgreSQL) over 30 simulated cameras, kills
// one with SIGKILL, and checks that all its cameras record again on the
// others within 15 s, that each has a failover gap, that playback across
// the failover works, and that every node's evidence log checks.
func TestFailoverEndToEnd(t *testing.T) {
	tmp := t.TempDir()
	bin, verify := buildVigil(t, tmp)
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	dsn := pg.DSN("vigil")
	cams := simtest.Start(t, 30)

	// vigil-1 starts first: it creates the first administrator and
	// becomes the evidence log's writer, the node killed below.
	nodes, pub := startNodes(t, bin, tmp, dsn, []int{1, 0, 2})
	admin := firstAdmin(t, nodes[0].port, nodes[0].data, nodes[1].stdout)
	addCameras(t, admin, cams, 30)

	st, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if w := logWriter(t, st); w != "vigil-1" {
		t.Fatalf("the evidence log's writer is %q, want vigil-1 (started first)", w)
	}
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = fmt.Sprintf("cam%03d", i+1)
	}
	// Every camera recorded by its node: a sealed segment each, and the
	// cameras spread over the three nodes.
	owner := map[string]string{}
	waitFor(t, 90*time.Second, "every camera recording, spread over three nodes", func() bool {
		leases, err := st.Leases(ctx)
		if err != nil || len(leases) != 30 {
			return false
		}
		perNode := map[string]int{}
		for _, l := range leases {
			owner[l.Camera] = l.Node
			perNode[l.Node]++
		}
		if len(perNode) != 3 || perNode["vigil-1"] < 5 {
			return false
		}
		for _, id := range ids {
			segs, _ := st.Segments(ctx, id, time.Time{}, time.Time{})
			if len(segs) == 0 || segs[len(segs)-1].Node != owner[id] {
				return false
			}
		}
		return true
	})

	// Any node shows every camera's health, as its node reports it.
	allOnline := func(ids []string) func() bool {
		return func() bool {
			for _, id := range ids {
				var cam struct{ Status string }
				getJSON(t, admin, "/api/v1/cameras/"+id, &cam)
				if cam.Status != "online" {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, 20*time.Second, "vigil-0 shows every camera online", allOnline(ids))

	// The operator, on vigil-0, sees a camera that vigil-2 runs: a live
	// view (forwarded to vigil-2, whose picture reaches a real WebRTC
	// peer) and a snapshot of its footage on vigil-2's disk.
	var u struct {
		Temp string `json:"temporary_password"`
	}
	admin.json(t, "POST", "/api/v1/users", map[string]any{"username": "olly.op", "display_name": "Olly Operator", "roles": []string{"operator"}}, 201, &u)
	op0 := newSite(t, nodes[0].port, nodes[0].data)
	op0.signIn(t, "olly.op", u.Temp)
	opPassword := op0.newPassword(t, u.Temp)
	var far string
	for _, id := range ids {
		if owner[id] == "vigil-2" {
			far = id
		}
	}
	liveViewElsewhere(t, op0, far, "vigil-2")
	// Its recordings, asked of vigil-0, come from vigil-2, which alone has
	// the segment it is writing: the last second plays.
	res, body := op0.raw(t, "GET", "/api/v1/cameras/"+far+"/recordings")
	if res.StatusCode != 200 || res.Header.Get("X-Vigil-Node") != "vigil-2" {
		t.Fatalf("recordings of %s asked of vigil-0: %d from %q: %.200s", far, res.StatusCode, res.Header.Get("X-Vigil-Node"), body)
	}
	recent := url.Values{"from": {time.Now().Add(-1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)},
		"to": {time.Now().Add(-500 * time.Millisecond).UTC().Format(time.RFC3339Nano)}, "reason": {"cluster test"}, "format": {"mp4"}}
	if res, body := op0.raw(t, "GET", "/api/v1/cameras/"+far+"/playback?"+recent.Encode()); res.StatusCode != 200 || len(body) < 1000 {
		t.Fatalf("the last second of %s asked of vigil-0: %d from %q: %.200s", far, res.StatusCode, res.Header.Get("X-Vigil-Node"), body)
	}
	segs, _ := st.Segments(ctx, far, time.Time{}, time.Time{})
	at := segs[0].Start.Add(500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	code, jpeg := op0.do(t, "GET", "/api/v1/cameras/"+far+"/snapshot?"+url.Values{"at": {at}, "reason": {"cluster test"}}.Encode(), nil)
	if code != 200 || len(jpeg) < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8 {
		t.Fatalf("snapshot of %s's footage on vigil-2, asked of vigil-0: %d %.200s", far, code, jpeg)
	}

	// vigil-1 dies, without a word to the others.
	var victims []string
	for _, id := range ids {
		if owner[id] == "vigil-1" {
			victims = append(victims, id)
		}
	}
	killed := time.Now().UTC()
	if err := nodes[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	nodes[1].cmd.Wait()

	// Each of its cameras records again on another node: a segment of the
	// new owner's that begins within 15 s of the kill.
	resumed := map[string]time.Time{}
	waitFor(t, 60*time.Second, "vigil-1's cameras recording on the others", func() bool {
		for _, id := range victims {
			if _, ok := resumed[id]; ok {
				continue
			}
			segs, _ := st.Segments(ctx, id, killed, time.Time{})
			for _, s := range segs {
				if s.Node != "vigil-1" && s.Start.After(killed) {
					resumed[id] = s.Start
					break
				}
			}
		}
		return len(resumed) == len(victims)
	})
	var slowest time.Duration
	for _, id := range victims {
		d := resumed[id].Sub(killed)
		slowest = max(slowest, d)
		if d > failoverWithin {
			t.Errorf("%s recorded again %v after the kill, more than %v", id, d.Round(time.Millisecond), failoverWithin)
		}
		gaps, _ := st.Gaps(ctx, id, killed.Add(-time.Minute), time.Time{})
		found := false
		for _, g := range gaps {
			found = found || strings.HasPrefix(g.Reason, "failover: node vigil-1")
		}
		if !found {
			t.Errorf("%s has no failover gap: %+v", id, gaps)
		}
	}
	t.Logf("%d cameras of the dead node recording again on the others after %v at the most", len(victims), slowest.Round(time.Millisecond))
	// The evidence log's writer died with it: another node writes now,
	// and took over the recordings' custody entries from where it stopped.
	if w := logWriter(t, st); w == "vigil-1" || w == "" {
		t.Fatalf("the evidence log's writer is %q after vigil-1 was killed", w)
	}
	waitFor(t, 20*time.Second, "vigil-0 shows the dead node's cameras online again", allOnline(victims))

	// Playback over the failover, on the camera's new node: the index
	// shows the gap; the footage after it plays.
	cam := victims[0]
	lease, err := st.Lease(ctx, cam)
	if err != nil {
		t.Fatal(err)
	}
	var now *served
	for i, n := range nodes {
		if fmt.Sprintf("vigil-%d", i) == lease.Node {
			now = n
		}
	}
	// Sessions and people are in the shared store: the operator made on
	// vigil-0 signs in on the camera's node.
	op := newSite(t, now.port, now.data)
	op.signIn(t, "olly.op", opPassword)
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	var index struct {
		Spans []struct{ Start, End time.Time }
		Gaps  []struct {
			Start, End time.Time
			Reason     string
		}
	}
	getJSON(t, op, "/api/v1/cameras/"+cam+"/recordings?from="+url.QueryEscape(rfc(killed.Add(-time.Minute))), &index)
	gapShown := false
	for _, g := range index.Gaps {
		gapShown = gapShown || strings.HasPrefix(g.Reason, "failover")
	}
	if len(index.Spans) < 2 || !gapShown {
		t.Fatalf("recordings over the failover: %+v", index)
	}
	q := url.Values{"from": {rfc(resumed[cam])}, "to": {rfc(resumed[cam].Add(time.Second))}, "reason": {"failover test"}, "format": {"mp4"}}
	if code, body := op.do(t, "GET", "/api/v1/cameras/"+cam+"/playback?"+q.Encode(), nil); code != 200 || len(body) < 1000 {
		t.Fatalf("playback after the failover: %d, %d bytes: %.200s", code, len(body), body)
	}

	// vigil-1 comes back: rebalancing hands cameras back to it one at a
	// time, each cut on a keyframe: the footage runs on without a gap.
	rejoined := time.Now().UTC()
	nodes[1].restart(t, bin)
	var back []string
	waitFor(t, 90*time.Second, "three cameras handed back to vigil-1 and recorded there", func() bool {
		leases, _ := st.Leases(ctx)
		back = back[:0]
		for _, l := range leases {
			if l.Node != "vigil-1" || !strings.HasPrefix(l.Reason, "rebalance") {
				continue
			}
			segs, _ := st.Segments(ctx, l.Camera, rejoined, time.Time{})
			for _, s := range segs {
				if s.Node == "vigil-1" {
					back = append(back, l.Camera)
					break
				}
			}
		}
		return len(back) >= 3
	})
	for _, id := range back {
		segs, _ := st.Segments(ctx, id, rejoined, time.Time{})
		for i := 1; i < len(segs); i++ {
			if segs[i].Node == "vigil-1" && segs[i-1].Node != "vigil-1" {
				if d := segs[i].Start.Sub(segs[i-1].End); d < -600*time.Millisecond || d > 600*time.Millisecond {
					t.Errorf("%s: %s's footage ends at %v, vigil-1's begins %v later", id, segs[i-1].Node, segs[i-1].End, d)
				}
			}
		}
		gaps, _ := st.Gaps(ctx, id, rejoined, time.Time{})
		if len(gaps) > 0 {
			t.Errorf("%s: gaps at the hand-over: %+v", id, gaps)
		}
	}

	// Back, vigil-1 has indexed the segment it was writing when killed
	// (repaired). Playback over the failover, asked of vigil-0: footage
	// from vigil-1's disk up to the kill, the gap, then the new owner's,
	// read from the nodes that hold it.
	before, _ := st.Segments(ctx, cam, killed.Add(-3*time.Second), killed)
	if len(before) == 0 || before[len(before)-1].Node != "vigil-1" {
		t.Fatalf("%s's footage before the kill: %+v", cam, before)
	}
	q = url.Values{"from": {rfc(killed.Add(-3 * time.Second))}, "to": {rfc(resumed[cam].Add(3 * time.Second))},
		"reason": {"failover test"}, "format": {"mp4"}}
	code, mp4 := op0.do(t, "GET", "/api/v1/cameras/"+cam+"/playback?"+q.Encode(), nil)
	if code != 200 {
		t.Fatalf("playback over the failover on vigil-0: %d %.300s", code, mp4)
	}
	clip := filepath.Join(tmp, "failover.mp4")
	os.WriteFile(clip, mp4, 0o600)
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", clip).CombinedOutput()
	if n, _ := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || n < 100 {
		t.Fatalf("the failover's playback has %q packets (%v): want both sides of the gap", out, err)
	}

	// A police export over the failover, built on vigil-0, gathers the
	// footage from vigil-1's disk and the new owner's, with proofs from
	// the one log; it verifies with the real verifier.
	xFrom, xTo := killed.Add(-3*time.Second), resumed[cam].Add(3*time.Second)
	xSegs, _ := st.Segments(ctx, cam, xFrom, xTo)
	holders := map[string]bool{}
	for _, s := range xSegs {
		holders[s.Node] = true
	}
	if len(holders) < 2 {
		t.Fatalf("%s's footage over the failover is on %v, want two nodes", cam, holders)
	}
	exportAcrossNodes(t, admin, nodes[0], nodes[2], verify, pub, cam, xFrom, xTo, len(xSegs), tmp)

	// vigil-0 is stopped for an upgrade (SIGTERM): it hands each of its
	// cameras to the others on a keyframe before it goes, without a gap.
	leases, _ := st.Leases(ctx)
	var drained []string
	for _, l := range leases {
		if l.Node == "vigil-0" {
			drained = append(drained, l.Camera)
		}
	}
	if len(drained) == 0 {
		t.Fatal("vigil-0 records no camera to hand over")
	}
	stopping := time.Now().UTC()
	if !nodes[0].stop(40 * time.Second) {
		t.Fatal("vigil-0 did not stop within 40 s of SIGTERM")
	}
	for _, id := range drained {
		l, err := st.Lease(ctx, id)
		if err != nil || !strings.HasPrefix(l.Reason, "hand-over: node vigil-0 stopping, cut on a keyframe") {
			t.Errorf("%s after vigil-0 stopped: %+v %v", id, l, err)
		}
	}
	waitFor(t, 20*time.Second, "vigil-0's cameras recorded on the others", func() bool {
		for _, id := range drained {
			segs, _ := st.Segments(ctx, id, stopping, time.Time{})
			if len(segs) == 0 || segs[len(segs)-1].Node == "vigil-0" {
				return false
			}
		}
		return true
	})
	for _, id := range drained {
		if gaps, _ := st.Gaps(ctx, id, stopping.Add(-time.Second), time.Time{}); len(gaps) > 0 {
			t.Errorf("%s: gaps when vigil-0 stopped: %+v", id, gaps)
		}
	}

	// The cluster's one evidence log checks, and holds every node's
	// segments, each at its own place.
	for i, n := range nodes {
		if i > 0 && !n.stop(30*time.Second) {
			t.Errorf("vigil-%d did not stop within 30 s of SIGTERM", i)
		}
	}
	if out, err := exec.Command(bin, "evidence", "check", "-config", nodes[2].cfg).CombinedOutput(); err != nil {
		t.Errorf("vigil evidence check: %v\n%s", err, out)
	}
	seqs := map[int64]string{}
	perNode := map[string]int{}
	for _, id := range ids {
		segs, _ := st.Segments(ctx, id, time.Time{}, time.Time{})
		for _, s := range segs {
			if s.SealedSeq < 0 {
				t.Errorf("segment %s of %s is not in the evidence log", s.Path, s.Node)
			} else if other, dup := seqs[s.SealedSeq]; dup {
				t.Errorf("segments %s and %s are both entry %d", other, s.Path, s.SealedSeq)
			}
			seqs[s.SealedSeq] = s.Path
			perNode[s.Node]++
		}
	}
	t.Logf("one evidence log holds the sealing of %d segments recorded by %v", len(seqs), perNode)
}

// logWriter is the node that writes the cluster's evidence log.
func logWriter(t *testing.T, st *store.Store) string {
	t.Helper()
	var node string
	if err := st.SharedDB().QueryRow(`SELECT node FROM evidence_writer WHERE id = 1`).Scan(&node); err != nil {
		t.Fatal(err)
	}
	return node
}

// exportAcrossNodes has a police officer ask on node n for camera's
// footage from from to to, a supervisor approve it there, and checks that
// the bundle, followed and downloaded through another node (forwarded to
// n, which built it), holds all the masters, from several nodes' disks,
// and verifies with the real verifier against the council's key pub.
func exportAcrossNodes(t *testing.T, admin *site, n, other *served, verify, pub, camera string, from, to time.Time, masters int, tmp string) {
	t.Helper()
	police := admin.person(t, n.port, "dc.patel", "DC Patel", "police")
	sup := admin.person(t, n.port, "sup.jones", "Supervisor Jones", "supervisor")
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	var x struct{ ID string }
	police.json(t, "POST", "/api/v1/exports", map[string]any{"cameras": []string{camera}, "from": rfc(from), "to": rfc(to),
		"crime_reference": "01/999/26", "reason": "Assault during the outage"}, 201, &x)
	sup.json(t, "POST", "/api/v1/exports/"+x.ID+"/approve", map[string]string{"reason": "Proportionate"}, 200, nil)
	police = police.at(t, other.port, other.data)
	var st struct{ Build struct{ State, Error string } }
	waitFor(t, 90*time.Second, "the export built", func() bool {
		getJSON(t, police, "/api/v1/exports/"+x.ID, &st)
		if st.Build.State == "failed" {
			t.Fatalf("export build: %+v", st)
		}
		return st.Build.State == "done"
	})
	var link struct{ URL string }
	police.json(t, "POST", "/api/v1/exports/"+x.ID+"/links", map[string]any{}, 201, &link)
	res, zipBody := police.raw(t, "GET", link.URL)
	if res.StatusCode != 200 || res.Header.Get("X-Vigil-Node") != "vigil-0" {
		t.Fatalf("export download asked of another node: %d from %q: %.200s", res.StatusCode, res.Header.Get("X-Vigil-Node"), zipBody)
	}
	zipPath := filepath.Join(tmp, "cluster-export.zip")
	keyFile := filepath.Join(tmp, "council.pub")
	os.WriteFile(zipPath, zipBody, 0o600)
	os.WriteFile(keyFile, []byte(pub+"\n"), 0o644)
	if out, err := exec.Command(verify, "-key", keyFile, zipPath).CombinedOutput(); err != nil {
		t.Fatalf("vigil-verify of an export gathered from several nodes: %v\n%s", err, out)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := 0
	for _, f := range zr.File {
		if strings.Contains(f.Name, "/media/"+camera+"/") {
			got++
		}
	}
	if got != masters {
		t.Fatalf("the export holds %d masters of %s, want the %d segments on the nodes", got, camera, masters)
	}
}

// startNodes starts len(order) vigil serve nodes, vigil-0 and on, in that
// order, sharing PostgreSQL at dsn and one evidence log, so one signing
// key (each node reads it from its copy: here, one directory); pub is the
// key's public half.
func startNodes(t *testing.T, bin, tmp, dsn string, order []int) (nodes []*served, pub string) {
	t.Helper()
	keys := filepath.Join(tmp, "evidence-keys")
	pub, err := locker.GenerateKey(keys, "vigil.test-council.gov.uk/evidence")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIL_EVIDENCE_KEY_DIR", keys)
	nodes = make([]*served, len(order))
	for _, i := range order {
		port := freePort(t)
		nodes[i] = serveVigilOn(t, bin, port, fmt.Sprintf(`analytics: {enabled: false}
store: {dsn: %q}
cluster: {node_id: vigil-%d, advertise_url: "https://127.0.0.1:%d", lease_ttl: 6s}
`, dsn, i, port))
	}
	return nodes, pub
}

// addCameras adds the simulator's first n cameras, cam001 and on.
func addCameras(t *testing.T, admin *site, cams *sim.Server, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		admin.json(t, "POST", "/api/v1/cameras", map[string]any{"id": fmt.Sprintf("cam%03d", i), "name": fmt.Sprintf("Camera %d", i),
			"main_url": cams.URL(i, "main")}, 201, nil)
	}
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// liveViewElsewhere starts a live view of camera through s's node, which
// forwards it to node: the session is node's, and RTP packets reach a
// real pion peer. It then stops it through s's node.
func liveViewElsewhere(t *testing.T, s *site, camera, node string) {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	packets := make(chan struct{}, 1)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			select {
			case packets <- struct{}{}:
			default:
			}
		}
	})
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	req, _ := http.NewRequest("POST", s.base+"/api/v1/cameras/"+camera+"/whep", strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("X-CSRF-Token", s.csrf)
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != 201 || !strings.HasPrefix(loc, "/api/v1/live/"+node+".") {
		t.Fatalf("live view of %s: %d, session %q: %s", camera, res.StatusCode, loc, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-packets:
	case <-time.After(15 * time.Second):
		t.Fatalf("no RTP from %s's live view of %s in 15 s", node, camera)
	}
	if code, body := s.do(t, "DELETE", loc, nil); code != 204 {
		t.Fatalf("stopping %s through another node: %d %s", loc, code, body)
	}
}
