package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

var t0 = time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)

const ttl = 6 * time.Second

func cameras(n int) []store.Camera {
	out := make([]store.Camera, n)
	for i := range out {
		out[i] = store.Camera{ID: fmt.Sprintf("cam%03d", i+1), Enabled: true}
	}
	return out
}

func node(id string, capacity int, seen time.Time) store.NodeRecord {
	return store.NodeRecord{ID: id, Capacity: capacity, Started: t0, Seen: seen}
}

// apply is what the grants leave in the store.
func apply(leases []store.Lease, p Plan) []store.Lease {
	by := map[string]store.Lease{}
	for _, l := range leases {
		by[l.Camera] = l
	}
	for _, d := range p.Drops {
		delete(by, d.Camera)
	}
	for _, g := range p.Grants {
		l := g.Lease
		l.Epoch = g.ReadEpoch + 1
		by[l.Camera] = l
	}
	var out []store.Lease
	for _, l := range by {
		out = append(out, l)
	}
	return out
}

func loads(leases []store.Lease) map[string]int {
	m := map[string]int{}
	for _, l := range leases {
		m[l.Node]++
	}
	return m
}

func TestNewCamerasGoToTheLeastLoaded(t *testing.T) {
	nodes := []store.NodeRecord{node("vigil-0", 100, t0), node("vigil-1", 200, t0), node("vigil-2", 100, t0)}
	p := Place(t0, ttl, nodes, cameras(40), nil)
	if len(p.Grants) != 40 || len(p.Unowned) != 0 {
		t.Fatalf("%d grants, unowned %v", len(p.Grants), p.Unowned)
	}
	got := loads(apply(nil, p))
	if got["vigil-0"] != 10 || got["vigil-1"] != 20 || got["vigil-2"] != 10 {
		t.Fatalf("loads %v: want 10, 20, 10 (by capacity)", got)
	}
	for _, g := range p.Grants {
		if g.Lease.Reason != ReasonNew || g.ReadEpoch != 0 || !g.Lease.Expires.Equal(t0.Add(ttl)) {
			t.Fatalf("grant %+v", g)
		}
	}
	// One more camera later goes to a node with the smallest share.
	leases := apply(nil, p)
	p = Place(t0.Add(time.Second), ttl, nodes, cameras(41), leases)
	if len(p.Grants) != 1 || p.Grants[0].Lease.Camera != "cam041" || p.Grants[0].Lease.Node == "" {
		t.Fatalf("the 41st camera: %+v", p.Grants)
	}
}

func TestADeadNodesCamerasMoveOnceItsLeasesExpire(t *testing.T) {
	nodes := []store.NodeRecord{node("vigil-0", 100, t0), node("vigil-1", 100, t0), node("vigil-2", 100, t0)}
	leases := apply(nil, Place(t0, ttl, nodes, cameras(30), nil))
	// vigil-2 dies at t0: its leases run until t0+ttl.
	later := t0.Add(ttl - time.Second)
	nodes = []store.NodeRecord{node("vigil-0", 100, later), node("vigil-1", 100, later), node("vigil-2", 100, t0)}
	if p := Place(later, ttl, nodes, cameras(30), leases); len(p.Grants) != 0 {
		t.Fatalf("leases moved before they expired: %+v", p.Grants)
	}
	after := t0.Add(ttl + time.Second)
	for i, l := range leases {
		if l.Node != "vigil-2" { // the live nodes renewed theirs
			leases[i].Expires = after.Add(ttl)
		}
	}
	nodes = []store.NodeRecord{node("vigil-0", 100, after), node("vigil-1", 100, after), node("vigil-2", 100, t0)}
	p := Place(after, ttl, nodes, cameras(30), leases)
	if len(p.Grants) != 10 {
		t.Fatalf("%d cameras moved, want vigil-2's 10", len(p.Grants))
	}
	for _, g := range p.Grants {
		if g.Lease.Node == "vigil-2" || g.ReadEpoch != 1 || !strings.HasPrefix(g.Lease.Reason, "failover: node vigil-2") {
			t.Fatalf("failover grant %+v", g)
		}
	}
	if got := loads(apply(leases, p)); got["vigil-0"] != 15 || got["vigil-1"] != 15 {
		t.Fatalf("after failover: %v", got)
	}
}

func TestStoppedNodeHandsOverDisabledCamerasAreDroppedFullNodesLeaveCamerasUnowned(t *testing.T) {
	stopped := node("vigil-1", 100, t0)
	stopped.Stopped = t0
	leases := []store.Lease{
		{Camera: "cam001", Node: "vigil-1", Epoch: 3, Expires: t0},
		{Camera: "cam002", Node: "vigil-0", Epoch: 1, Expires: t0.Add(ttl)},
	}
	cams := cameras(4)
	cams[1].Enabled = false
	nodes := []store.NodeRecord{node("vigil-0", 2, t0), stopped}
	p := Place(t0.Add(time.Second), ttl, nodes, cams, leases)
	if len(p.Drops) != 1 || p.Drops[0].Camera != "cam002" {
		t.Fatalf("drops %+v", p.Drops)
	}
	// vigil-0 has room for two: cam001 (handed over) and cam003; cam004 waits.
	if len(p.Grants) != 2 || p.Grants[0].Lease.Camera != "cam001" || p.Grants[0].ReadEpoch != 3 ||
		!strings.HasPrefix(p.Grants[0].Lease.Reason, "hand-over: node vigil-1 stopped") || p.Grants[1].Lease.Camera != "cam003" {
		t.Fatalf("grants %+v", p.Grants)
	}
	if len(p.Unowned) != 1 || p.Unowned[0] != "cam004" {
		t.Fatalf("unowned %v", p.Unowned)
	}
	if p := Place(t0, ttl, nil, cams, nil); len(p.Unowned) != 3 || len(p.Grants) != 0 {
		t.Fatalf("no nodes: %+v", p)
	}
}

func TestRebalanceMovesOneCameraAtATime(t *testing.T) {
	nodes := []store.NodeRecord{node("vigil-0", 100, t0), node("vigil-1", 100, t0)}
	leases := apply(nil, Place(t0, ttl, nodes[:1], cameras(4), nil))
	p := Place(t0, ttl, nodes, cameras(4), leases)
	if len(p.Grants) != 0 || p.Move == nil || p.Move.Camera != "cam004" || p.Move.Node != "vigil-0" || p.Move.MovingTo != "vigil-1" {
		t.Fatalf("move %+v, grants %+v", p.Move, p.Grants)
	}
	// While one is moving, no other is.
	for i := range leases {
		if leases[i].Camera == "cam004" {
			leases[i].MovingTo = "vigil-1"
		}
	}
	if p := Place(t0, ttl, nodes, cameras(4), leases); p.Move != nil {
		t.Fatalf("a second move while one is under way: %+v", p.Move)
	}
	// The target died: the mark goes, and no move is made to it.
	nodes[1].Seen = t0.Add(-time.Minute)
	if p := Place(t0, ttl, nodes, cameras(4), leases); len(p.Unmarks) != 1 || p.Unmarks[0].Camera != "cam004" || p.Move != nil {
		t.Fatalf("unmarks %+v, move %+v", p.Unmarks, p.Move)
	}
	// Balanced enough: 3 against 2 stays.
	nodes[1].Seen = t0
	for i := range leases {
		leases[i].MovingTo = ""
		if leases[i].Camera >= "cam004" {
			leases[i].Node = "vigil-1"
		}
	}
	leases = append(leases, store.Lease{Camera: "cam005", Node: "vigil-1", Epoch: 1, Expires: t0.Add(ttl)})
	if p := Place(t0, ttl, nodes, cameras(5), leases); p.Move != nil {
		t.Fatalf("3 against 2 moved %+v", p.Move)
	}
}
