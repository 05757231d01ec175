package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
)

// running is an Owner that keeps what it was told to run (the service's
// owner is the camera registry, tested end to end in cmd/vigil).
type running struct {
	mu        sync.Mutex
	leases    map[string]store.Lease
	warm      map[string]bool
	handedOff []string
}

func (r *running) Own(_ context.Context, ls, warm []store.Lease) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leases = map[string]store.Lease{}
	for _, l := range ls {
		r.leases[l.Camera] = l
	}
	r.warm = map[string]bool{}
	for _, l := range warm {
		r.warm[l.Camera] = true
	}
	return nil
}

// Ready: the picture is here at once (there is no stream in this test).
func (r *running) Ready(string) bool { return true }

// HandOff cuts "now": there is no stream in this test.
func (r *running) HandOff(_ context.Context, camera string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handedOff = append(r.handedOff, camera)
	return time.Now()
}

func (r *running) cameras() map[string]store.Lease {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leases
}

// clock is a settable time shared by the test's nodes.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// addCameras adds enabled cameras cam001 to camNNN (n of them) to st.
func addCameras(t *testing.T, st *store.Store, n int) {
	t.Helper()
	for i := range n {
		c := store.Camera{ID: fmt.Sprintf("cam%03d", i+1), MainURL: "rtsp://127.0.0.1/cam", Enabled: true, ManagedBy: store.ManagedByAPI}
		c.Normalize()
		if err := st.CreateCamera(context.Background(), &c); err != nil {
			t.Fatal(err)
		}
	}
}

// join starts n as a node of the cluster on the database at dsn (its own
// connection, a quiet logger unless set), left when the test ends.
func join(t *testing.T, dsn string, n *Node) *Node {
	t.Helper()
	n.Store = openStore(t, dsn)
	if n.Logger == nil {
		n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := n.Initialize(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Three nodes share 30 cameras on one PostgreSQL; one dies and the other
// two take its cameras once its leases expire; one stops cleanly and the
// last takes the rest at once. Rounds are driven by hand on a test clock.
func TestNodesShareAndTakeOverCameras(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	ctx := context.Background()
	admin := openStore(t, pg.DSN("vigil"))
	addCameras(t, admin, 30)
	clk := &clock{t: time.Now().UTC()}
	var nodes []*Node
	var owners []*running
	regs := []*prometheus.Registry{}
	for i := range 3 {
		o := &running{}
		reg := prometheus.NewRegistry()
		n := join(t, pg.DSN("vigil"), &Node{ID: fmt.Sprintf("vigil-%d", i), URL: fmt.Sprintf("https://vigil-%d:8080", i),
			Capacity: 100, Owner: o, Now: clk.now, Registerer: reg})
		nodes, owners, regs = append(nodes, n), append(owners, o), append(regs, reg)
	}
	round := func(which ...int) {
		t.Helper()
		for _, i := range which {
			if err := nodes[i].Round(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	counts := func() (a, b, c int) {
		return len(owners[0].cameras()), len(owners[1].cameras()), len(owners[2].cameras())
	}
	// vigil-0 started first and took every camera; rounds then move them
	// one at a time to the others, each handed off, until balanced.
	if a, _, _ := counts(); a != 30 {
		t.Fatalf("the first node owns %d, want all 30", a)
	}
	for i := 0; ; i++ {
		round(0, 1, 2)
		if a, b, c := counts(); a == 10 && b == 10 && c == 10 {
			break
		}
		if i == 500 {
			a, b, c := counts()
			t.Fatalf("not balanced after %d rounds: %d, %d, %d", i, a, b, c)
		}
		time.Sleep(5 * time.Millisecond)
	}
	owners[0].mu.Lock()
	handed := len(owners[0].handedOff)
	owners[0].mu.Unlock()
	if handed != 20 {
		t.Fatalf("vigil-0 handed off %d cameras, want 20", handed)
	}
	for _, l := range owners[1].cameras() {
		if l.Reason != "rebalance: from node vigil-0" || l.Cut.IsZero() || l.Epoch != 2 {
			t.Fatalf("a rebalanced lease: %+v", l)
		}
	}

	// vigil-0 dies: its loop stops, it never leaves the cluster.
	nodes[0].Abandon()
	clk.add(4 * time.Second)
	round(1, 2)
	if _, b, c := counts(); b+c != 20 {
		t.Fatal("cameras moved before the dead node's leases expired")
	}
	clk.add(3 * time.Second)
	round(1, 2, 1)
	b, c := owners[1].cameras(), owners[2].cameras()
	if len(b) != 15 || len(c) != 15 {
		t.Fatalf("after vigil-0 died: vigil-1 %d, vigil-2 %d; want 15 each", len(b), len(c))
	}
	failovers := 0
	for _, m := range []map[string]store.Lease{b, c} {
		for _, l := range m {
			if strings.HasPrefix(l.Reason, "failover: node vigil-0") {
				failovers++
			}
		}
	}
	if failovers != 10 {
		t.Fatalf("%d leases say failover from vigil-0, want 10", failovers)
	}
	placed := testutil.ToFloat64(nodes[1].metrics.placed.WithLabelValues(ReasonFailover)) +
		testutil.ToFloat64(nodes[2].metrics.placed.WithLabelValues(ReasonFailover))
	if placed != 10 {
		t.Fatalf("vigil_cluster_placements_total{reason=failover}: %v", placed)
	}
	// vigil-2 stops cleanly: vigil-1 takes its cameras at its next round.
	nodes[2].Close()
	round(1)
	got := owners[1].cameras()
	handOvers := 0
	for _, l := range got {
		if strings.HasPrefix(l.Reason, "hand-over: node vigil-2 stopped") {
			handOvers++
		}
	}
	if len(got) != 30 || handOvers != 15 {
		t.Fatalf("after vigil-2 stopped: vigil-1 owns %d, %d handed over", len(got), handOvers)
	}
	if n, _ := testutil.GatherAndCount(regs[1], "vigil_cluster_cameras_owned"); n != 1 || testutil.ToFloat64(nodes[1].metrics.owned) != 30 {
		t.Fatalf("vigil_cluster_cameras_owned: %v", testutil.ToFloat64(nodes[1].metrics.owned))
	}
}

// A node that cannot reach the store for a whole TTL stops its cameras:
// the others may have taken them.
func TestANodeCutOffFromTheStoreStopsItsCameras(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	ctx := context.Background()
	st := openStore(t, pg.DSN("vigil"))
	addCameras(t, st, 1)
	clk := &clock{t: time.Now().UTC()}
	o := &running{}
	n := &Node{ID: "vigil-0", Capacity: 10, Store: st, Owner: o, Now: clk.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := n.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if len(o.cameras()) != 1 {
		t.Fatal("the camera is not owned")
	}
	st.Close() // the store is out of reach from here on
	clk.add(2 * time.Second)
	if err := n.Round(ctx); err == nil {
		t.Fatal("a round without the store succeeded")
	}
	n.fence(ctx)
	if len(o.cameras()) != 1 {
		t.Fatal("cameras stopped before the leases could have expired")
	}
	clk.add(5 * time.Second)
	n.fence(ctx)
	if len(o.cameras()) != 0 {
		t.Fatal("a node cut off from the store for a whole TTL still runs its cameras")
	}
}

// A node abandoned (a crash, as the others see it) runs no more rounds and
// does not leave: its cameras move to the other node as failovers once its
// leases expire, and its record is not marked stopped, even by a Close
// after. Rounds run on the nodes' own loops, in real time, on a short TTL.
func TestAbandonedNodeIsTakenOverOnItsLeasesExpiry(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	ctx := context.Background()
	admin := openStore(t, pg.DSN("vigil"))
	const ttl = 600 * time.Millisecond
	var owners []*counted
	var nodes []*Node
	for i := range 2 {
		o := &counted{}
		n := join(t, pg.DSN("vigil"), &Node{ID: fmt.Sprintf("vigil-%d", i), Capacity: 10, LeaseTTL: ttl, Owner: o})
		owners, nodes = append(owners, o), append(nodes, n)
	}
	addCameras(t, admin, 6)
	nodes[0].Kick()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * ttl); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("the cameras to spread", func() bool { return len(owners[0].cameras()) == 3 && len(owners[1].cameras()) == 3 })

	abandoned := time.Now()
	nodes[0].Abandon()
	calls := owners[0].rounds()
	lost, err := admin.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var expires time.Time
	for _, l := range lost {
		if l.Node == "vigil-0" && l.Expires.After(expires) {
			expires = l.Expires
		}
	}
	waitFor("vigil-1 to take every camera", func() bool { return len(owners[1].cameras()) == 6 })
	if took := time.Now(); took.Before(expires) {
		t.Fatalf("taken over %v after the abandon, before vigil-0's leases expired (%v after)", took.Sub(abandoned), expires.Sub(abandoned))
	}
	failovers := 0
	for _, l := range owners[1].cameras() {
		if strings.HasPrefix(l.Reason, "failover: node vigil-0") {
			failovers++
		}
	}
	nodes[0].Close()
	if more := owners[0].rounds() - calls; more != 0 {
		t.Fatalf("the abandoned node ran %d more rounds", more)
	}
	if failovers != 3 {
		t.Fatalf("%d cameras moved as failovers from vigil-0, want 3", failovers)
	}
	all, err := admin.Nodes(ctx)
	if err != nil || len(all) != 2 || !all[0].Stopped.IsZero() {
		t.Fatalf("nodes %+v (%v): vigil-0 must not be stopped, even after Close", all, err)
	}
}

// counted is running that also counts its Own calls: the node's rounds.
type counted struct {
	running
	mu    sync.Mutex
	calls int
}

func (c *counted) Own(ctx context.Context, ls, warm []store.Lease) error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.running.Own(ctx, ls, warm)
}

func (c *counted) rounds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// blind is an owner whose warm cameras never show a picture (the camera is
// out of its reach).
type blind struct{ running }

func (b *blind) Ready(string) bool { return false }

// A move waits for its target to have the camera's picture: a target that
// never gets it takes nothing, and the owner goes on recording.
func TestAMoveWaitsForItsTargetsPicture(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	ctx := context.Background()
	admin := openStore(t, pg.DSN("vigil"))
	addCameras(t, admin, 2)
	clk := &clock{t: time.Now().UTC()}
	owner, target := &running{}, &blind{}
	a := join(t, pg.DSN("vigil"), &Node{ID: "vigil-0", Capacity: 10, Owner: owner, Now: clk.now})
	b := join(t, pg.DSN("vigil"), &Node{ID: "vigil-1", Capacity: 10, Owner: target, Now: clk.now})
	marked := false
	for range 12 { // 24 s of rounds: past the move's timeout (18 s)
		for _, n := range []*Node{b, a} {
			if err := n.Round(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if l, _ := admin.Lease(ctx, "cam002"); l.MovingTo == "vigil-1" {
			marked = true
		}
		clk.add(2 * time.Second)
	}
	owner.mu.Lock()
	handed := len(owner.handedOff)
	owner.mu.Unlock()
	if !marked || handed != 0 || len(owner.cameras()) != 2 || len(target.cameras()) != 0 {
		t.Fatalf("marked %v, handed off %d; vigil-0 records %d, vigil-1 %d", marked, handed, len(owner.cameras()), len(target.cameras()))
	}
}

// A node stopping hands its cameras to the others first, each on a
// keyframe (its owner's HandOff), then leaves.
func TestDrainHandsEveryCameraOver(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	ctx := context.Background()
	admin := openStore(t, pg.DSN("vigil"))
	var nodes []*Node
	var owners []*running
	for i := range 3 {
		o := &running{}
		n := join(t, pg.DSN("vigil"), &Node{ID: fmt.Sprintf("vigil-%d", i), Capacity: 10, LeaseTTL: 3 * time.Second, Owner: o})
		nodes, owners = append(nodes, n), append(owners, o)
	}
	addCameras(t, admin, 6)
	nodes[0].Kick()
	deadline := time.Now().Add(20 * time.Second)
	for len(owners[0].cameras()) == 0 || len(owners[1].cameras())+len(owners[2].cameras()) != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("cameras not spread: %d %d %d", len(owners[0].cameras()), len(owners[1].cameras()), len(owners[2].cameras()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	mine := owners[0].cameras()
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	nodes[0].Drain(dctx)
	if dctx.Err() != nil {
		t.Fatal("the drain did not finish")
	}
	nodes[0].Close()
	owners[0].mu.Lock()
	handed := len(owners[0].handedOff)
	owners[0].mu.Unlock()
	if handed != len(mine) {
		t.Fatalf("vigil-0 handed off %d of its %d cameras", handed, len(mine))
	}
	for id := range mine {
		l, err := admin.Lease(ctx, id)
		if err != nil || l.Node == "vigil-0" || !strings.HasPrefix(l.Reason, "hand-over: node vigil-0 stopping, cut on a keyframe") || l.Cut.IsZero() {
			t.Fatalf("%s after the drain: %+v %v", id, l, err)
		}
	}
}
