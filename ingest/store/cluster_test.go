package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

func TestNodesAndLeases(t *testing.T) { bothBackends(t, testNodesAndLeases) }

func testNodesAndLeases(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	for _, id := range []string{"vigil-1", "vigil-0"} {
		if err := s.Heartbeat(ctx, NodeRecord{ID: id, URL: "https://" + id + ":8080", Capacity: 100, Started: t0, Seen: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Heartbeat(ctx, NodeRecord{ID: "vigil-0", URL: "https://vigil-0:8080", Capacity: 120, Started: t0.Add(time.Second), Seen: t0.Add(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	nodes, err := s.Nodes(ctx)
	if err != nil || len(nodes) != 2 || nodes[0].ID != "vigil-0" || nodes[0].Capacity != 120 || !nodes[0].Started.Equal(t0) ||
		!nodes[0].Seen.Equal(t0.Add(2*time.Second)) || !nodes[0].Stopped.IsZero() {
		t.Fatalf("nodes: %+v %v", nodes, err)
	}

	// Two nodes placing the same camera at once: one lease, one owner.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, id := range []string{"vigil-0", "vigil-1"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.GrantLease(ctx, Lease{Camera: "cam001", Node: id, Acquired: t0, Expires: t0.Add(6 * time.Second), Reason: "new"}, 0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	l, err := s.Lease(ctx, "cam001")
	if wins.Load() != 1 || err != nil || l.Epoch != 1 || l.Reason != "new" {
		t.Fatalf("%d grants won; lease %+v %v", wins.Load(), l, err)
	}
	owner, other := l.Node, map[string]string{"vigil-0": "vigil-1", "vigil-1": "vigil-0"}[l.Node]

	// The owner renews; a lease past its expiry is not renewed.
	got, err := s.RenewLeases(ctx, owner, t0.Add(3*time.Second), t0.Add(9*time.Second))
	if err != nil || len(got) != 1 || !got[0].Expires.Equal(t0.Add(9*time.Second)) {
		t.Fatalf("renew: %+v %v", got, err)
	}
	if got, _ := s.RenewLeases(ctx, owner, t0.Add(10*time.Second), t0.Add(16*time.Second)); len(got) != 0 {
		t.Fatalf("an expired lease was renewed: %+v", got)
	}
	// Failover: granted on the epoch read; a stale epoch is refused.
	moved := Lease{Camera: "cam001", Node: other, Acquired: t0.Add(10 * time.Second), Expires: t0.Add(16 * time.Second), Reason: "failover: " + owner + " stopped renewing"}
	if ok, err := s.GrantLease(ctx, moved, 1); !ok || err != nil {
		t.Fatalf("failover grant: %v %v", ok, err)
	}
	if ok, _ := s.GrantLease(ctx, Lease{Camera: "cam001", Node: owner, Acquired: t0, Expires: t0.Add(time.Hour), Reason: "new"}, 1); ok {
		t.Fatal("a grant on a stale epoch won")
	}
	if l, _ := s.Lease(ctx, "cam001"); l.Node != other || l.Epoch != 2 || l.Reason != moved.Reason {
		t.Fatalf("after failover: %+v", l)
	}
	// A clean stop gives the leases up at once.
	if err := s.StopNode(ctx, other, t0.Add(12*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RenewLeases(ctx, other, t0.Add(12*time.Second), t0.Add(18*time.Second)); len(got) != 0 {
		t.Fatalf("a stopped node's lease was renewed: %+v", got)
	}
	nodes, _ = s.Nodes(ctx)
	for _, n := range nodes {
		if (n.ID == other) == n.Stopped.IsZero() {
			t.Fatalf("stopped: %+v", nodes)
		}
	}
	if err := s.DropLease(ctx, "cam001", 2); err != nil {
		t.Fatal(err)
	}
	if ls, _ := s.Leases(ctx); len(ls) != 0 {
		t.Fatalf("leases after drop: %+v", ls)
	}
}

// A node's retention and reconciling see only the segments on its disk;
// playback sees every node's.
func TestSegmentsBelongToTheirNode(t *testing.T) { bothBackends(t, testSegmentsBelongToTheirNode) }

func testSegmentsBelongToTheirNode(t *testing.T) {
	a, target := openTemp(t)
	b, err := Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.SetNode("vigil-0")
	b.SetNode("vigil-1")
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	for i, s := range []*Store{a, b} {
		seg := Segment{Camera: "cam001", Start: t0.Add(time.Duration(i) * time.Minute), End: t0.Add(time.Duration(i+1) * time.Minute),
			Path: "cam001/" + s.Node() + ".mp4", Bytes: int64(100 * (i + 1))}
		if err := s.AddSegment(ctx, &seg); err != nil {
			t.Fatal(err)
		}
	}
	if all, _ := a.Segments(ctx, "cam001", time.Time{}, time.Time{}); len(all) != 2 || all[0].Node != "vigil-0" || all[1].Node != "vigil-1" {
		t.Fatalf("playback's segments: %+v", all)
	}
	if n, _ := b.RecordedBytes(ctx); n != 200 {
		t.Fatalf("vigil-1's recorded bytes: %d", n)
	}
	if old, _ := a.OldestSegments(ctx, 0, 10); len(old) != 1 || old[0].Node != "vigil-0" {
		t.Fatalf("vigil-0's oldest: %+v", old)
	}
	if exp, _ := b.SegmentsEndingBefore(ctx, "cam001", t0.Add(time.Hour), 10); len(exp) != 1 || exp[0].Node != "vigil-1" {
		t.Fatalf("vigil-1's expired: %+v", exp)
	}
	if cams, _ := b.RecordedCameras(ctx); len(cams) != 1 {
		t.Fatalf("vigil-1's recorded cameras: %v", cams)
	}
	// Each node logs its own segments, and their deletions, in its evidence log.
	if un, _ := a.UnloggedSegments(ctx, 10); len(un) != 1 || un[0].Node != "vigil-0" {
		t.Fatalf("vigil-0's unlogged segments: %+v", un)
	}
	if err := b.DeleteSegment(ctx, onlySegment(t, b, "cam001"), "retention", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if un, _ := a.UnloggedDeletions(ctx, 10); len(un) != 0 {
		t.Fatalf("vigil-0 would log vigil-1's deletion: %+v", un)
	}
	if un, _ := b.UnloggedDeletions(ctx, 10); len(un) != 1 {
		t.Fatalf("vigil-1's unlogged deletions: %+v", un)
	}
}

func TestReportedStatuses(t *testing.T) { bothBackends(t, testReportedStatuses) }

func testReportedStatuses(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	online := ingest.CameraStatus{ID: "cam001", Enabled: true, Streams: []ingest.StreamStatus{{Stream: "main", State: ingest.StateOnline, FPS: 25, LastFrame: t0}}}
	if err := s.ReportStatuses(ctx, "vigil-0", t0, []ingest.CameraStatus{online}); err != nil {
		t.Fatal(err)
	}
	online.Streams[0].State = ingest.StateOffline
	if err := s.ReportStatuses(ctx, "vigil-1", t0.Add(time.Second), []ingest.CameraStatus{online}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReportedStatuses(ctx)
	r := got["cam001"]
	if err != nil || len(got) != 1 || r.Node != "vigil-1" || !r.At.Equal(t0.Add(time.Second)) || r.Status.Streams[0].State != ingest.StateOffline ||
		!r.Status.Streams[0].LastFrame.Equal(t0) {
		t.Fatalf("reported: %+v %v", got, err)
	}
}

func TestClusterSecretIsMadeOnce(t *testing.T) { bothBackends(t, testClusterSecretIsMadeOnce) }

func testClusterSecretIsMadeOnce(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	a, err := s.ClusterSecret(ctx)
	if err != nil || len(a) != 32 {
		t.Fatalf("secret %x %v", a, err)
	}
	if b, _ := s.ClusterSecret(ctx); string(a) != string(b) {
		t.Fatal("the secret changed")
	}
}

// onlySegment is the one segment of camera on s's node.
func onlySegment(t *testing.T, s *Store, camera string) Segment {
	t.Helper()
	segs, err := s.SegmentsEndingBefore(context.Background(), camera, time.Now().Add(24*365*time.Hour), 10)
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments of %s on %s: %+v %v", camera, s.Node(), segs, err)
	}
	return segs[0]
}
