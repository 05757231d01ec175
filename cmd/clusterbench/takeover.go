package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/cluster"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
)

// nodeCount is how many nodes share the cameras.
const nodeCount = 3

// trial is one takeover: three nodes share n cameras, one dies.
type trial struct {
	n        int
	ttl      time.Duration
	placed   time.Duration            // new cameras, at the start: max of made -> running on its node
	spread   []int                    // cameras per node before the kill
	victim   string                   // the node killed
	lost     int                      // the cameras it ran
	left     time.Duration            // the life its latest lease had left at the kill: the floor
	leftMin  time.Duration            // its earliest lease's
	takeover []time.Duration          // per camera lost: the kill -> a live node runs it, sorted
	beyond   time.Duration            // max per camera of: a live node runs it - its old lease expired
	to       map[string]int           // cameras taken, per survivor
	toAt     map[string]time.Duration // the kill -> the survivor runs its last one
	// Round and Heartbeat timings of a survivor after the takeover.
	heartbeat, steady, taking []time.Duration
	steadyRenews, placing     int // cameras a steady round renews, a taking round places
}

func (t trial) max() time.Duration    { return t.takeover[len(t.takeover)-1] }
func (t trial) median() time.Duration { return median(t.takeover) }

func (t trial) summary() string {
	var to []string
	for _, id := range slices.Sorted(maps.Keys(t.to)) {
		to = append(to, fmt.Sprintf("%s %d by %s", id, t.to[id], secs(t.toAt[id])))
	}
	left := secs(t.left)
	if t.leftMin != t.left {
		left = secs(t.leftMin) + "-" + left
	}
	return fmt.Sprintf("%s died running %d cameras (spread %v); its leases had %s left; taken over in %s max, %s median (%s), %s beyond the leases' expiry; at the start, a new camera ran %s after it was made, at most",
		t.victim, t.lost, t.spread, left, secs(t.max()), secs(t.median()), strings.Join(to, ", "),
		secs(t.beyond), secs(t.placed))
}

// benchNode is one node of a trial: its own store connections, its
// recording owner.
type benchNode struct {
	node  *cluster.Node
	owner *owner
	st    *store.Store
}

// takeover runs one trial on a new database of pg: three nodes, n cameras
// made once all three are up (so they spread), then node i%3 abandoned at
// a random point of its renewal cycle, then the survivors' rounds timed.
func takeover(ctx context.Context, o options, pg *pgtest.Server, n, i int, p *progress) (trial, error) {
	t := trial{n: n, ttl: o.ttl, to: map[string]int{}, toAt: map[string]time.Duration{}}
	db := fmt.Sprintf("takeover_%d_%d", n, i)
	if err := pg.CreateDB(db); err != nil {
		return t, err
	}
	admin, err := store.Open(pg.DSN(db))
	if err != nil {
		return t, err
	}
	defer admin.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	var nodes []benchNode
	defer func() {
		for _, bn := range nodes {
			bn.node.Close() // after Abandon: nothing
			bn.st.Close()
		}
	}()
	// Nodes start at random points of a round, as nodes started one by one
	// do: started together, their rounds would run in step, and a
	// survivor's round would always fall just after (or just before) the
	// dead node's leases expire.
	rng := rand.New(rand.NewPCG(o.seed, uint64(n*100+i)))
	for k := range nodeCount {
		if k > 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(o.ttl / 3))))
		}
		st, err := store.Open(pg.DSN(db))
		if err != nil {
			return t, err
		}
		bn := benchNode{st: st, owner: &owner{}}
		bn.node = &cluster.Node{ID: fmt.Sprintf("vigil-%d", k), URL: fmt.Sprintf("https://vigil-%d:8443", k),
			Capacity: n, LeaseTTL: o.ttl, Store: st, Owner: bn.owner, Logger: logger}
		if err := bn.node.Initialize(ctx); err != nil {
			st.Close()
			return t, err
		}
		nodes = append(nodes, bn)
	}

	// Cameras are added as through the API, which kicks the node that
	// served the request; the node they are given to starts them at its
	// own next round. They come at a random point of the last node's
	// round, not just after its first.
	time.Sleep(time.Duration(rng.Int64N(int64(o.ttl / 3))))
	made := map[string]time.Time{}
	for c := range n {
		cam := store.Camera{ID: cameraID(c), MainURL: fmt.Sprintf("rtsp://10.0.%d.%d:554/main", c/250, c%250+1),
			Enabled: true, ManagedBy: store.ManagedByAPI}
		cam.Normalize()
		if err := admin.CreateCamera(ctx, &cam); err != nil {
			return t, err
		}
		made[cam.ID] = time.Now()
		nodes[0].node.Kick()
	}
	if err := waitFor(ctx, 5*o.ttl, "every camera to run", func() bool { return running(nodes) == n }); err != nil {
		return t, err
	}
	for _, bn := range nodes {
		cams := bn.owner.cameras()
		for cam, since := range cams {
			t.placed = max(t.placed, since.Sub(made[cam]))
		}
		t.spread = append(t.spread, len(cams))
	}
	if slices.Contains(t.spread, 0) {
		return t, fmt.Errorf("cameras per node %v: not spread", t.spread)
	}

	// A full renewal cycle so that every node renews what it runs, then
	// the kill at a random point of the victim's next cycle.
	time.Sleep(o.ttl/3 + time.Duration(rng.Int64N(int64(o.ttl/3))))
	victim := nodes[i%nodeCount]
	killed := time.Now()
	victim.node.Abandon()
	t.victim = victim.node.ID
	leases, err := admin.Leases(ctx)
	if err != nil {
		return t, err
	}
	lost := map[string]store.Lease{}
	for _, l := range leases {
		if l.Node == t.victim {
			lost[l.Camera] = l
		}
	}
	if ran := victim.owner.cameras(); len(ran) != len(lost) {
		return t, fmt.Errorf("%s ran %d cameras but holds %d leases", t.victim, len(ran), len(lost))
	}
	t.lost = len(lost)
	t.leftMin = o.ttl * 100
	for _, l := range lost {
		t.left = max(t.left, l.Expires.Sub(killed))
		t.leftMin = min(t.leftMin, l.Expires.Sub(killed))
	}
	var survivors []benchNode
	for _, bn := range nodes {
		if bn.node != victim.node {
			survivors = append(survivors, bn)
		}
	}
	// Poll what the survivors run; the times are the owners' own.
	taken := map[string]time.Time{}
	err = waitFor(ctx, 5*o.ttl, "the survivors to run the dead node's cameras", func() bool {
		for _, bn := range survivors {
			for cam, since := range bn.owner.cameras() {
				if _, ok := lost[cam]; ok && since.After(killed) {
					if _, seen := taken[cam]; !seen {
						taken[cam] = since
						t.to[bn.node.ID]++
						t.toAt[bn.node.ID] = max(t.toAt[bn.node.ID], since.Sub(killed))
					}
				}
			}
		}
		return len(taken) == len(lost)
	})
	if err != nil {
		return t, err
	}
	t.beyond = -o.ttl
	for cam, since := range taken {
		if since.Before(lost[cam].Expires) {
			return t, fmt.Errorf("camera %s ran on a survivor %v before its lease on %s expired", cam, lost[cam].Expires.Sub(since), t.victim)
		}
		t.takeover = append(t.takeover, since.Sub(killed))
		t.beyond = max(t.beyond, since.Sub(lost[cam].Expires))
	}
	slices.Sort(t.takeover)
	// No camera has two owners, and none is lost.
	owners := map[string]string{}
	for _, bn := range survivors {
		for cam := range bn.owner.cameras() {
			if other, ok := owners[cam]; ok {
				return t, fmt.Errorf("camera %s runs on %s and %s", cam, other, bn.node.ID)
			}
			owners[cam] = bn.node.ID
		}
	}
	if len(owners) != n {
		return t, fmt.Errorf("after the takeover %d cameras run, of %d", len(owners), n)
	}

	for _, bn := range survivors {
		bn.node.Abandon() // from here on the benchmark calls its rounds
	}
	if err := timeRounds(ctx, o, admin, survivors[0], survivors[1], &t); err != nil {
		return t, fmt.Errorf("rounds: %w", err)
	}
	return t, nil
}

// timeRounds times a's Heartbeat and its Round, steady and taking over a
// third of the cameras, with b kept alive (untimed) as a live node would.
func timeRounds(ctx context.Context, o options, admin *store.Store, a, b benchNode, t *trial) error {
	keepAlive := func() error {
		now := time.Now()
		if err := b.st.Heartbeat(ctx, store.NodeRecord{ID: b.node.ID, URL: b.node.URL, Capacity: b.node.Capacity, Started: now, Seen: now}); err != nil {
			return err
		}
		_, err := b.st.RenewLeases(ctx, b.node.ID, now, now.Add(o.ttl))
		return err
	}
	rec := store.NodeRecord{ID: a.node.ID, URL: a.node.URL, Capacity: a.node.Capacity}
	for range o.rounds {
		rec.Started, rec.Seen = time.Now(), time.Now()
		start := time.Now()
		if err := a.st.Heartbeat(ctx, rec); err != nil {
			return err
		}
		t.heartbeat = append(t.heartbeat, time.Since(start))
	}
	for range o.rounds {
		if err := keepAlive(); err != nil {
			return err
		}
		before := a.owner.cameras()
		start := time.Now()
		if err := a.node.Round(ctx); err != nil {
			return err
		}
		t.steady = append(t.steady, time.Since(start))
		if after := a.owner.cameras(); len(after) != len(before) {
			return fmt.Errorf("a steady round changed %s's cameras from %d to %d", a.node.ID, len(before), len(after))
		}
		t.steadyRenews = len(before)
	}
	for range o.rounds {
		// A third of the cameras lose their lease (untimed), as a dead
		// node's would, for a's round to place them.
		leases, err := admin.Leases(ctx)
		if err != nil {
			return err
		}
		dropped := 0
		for k, l := range leases {
			if k%nodeCount == 0 {
				if err := admin.DropLease(ctx, l.Camera, l.Epoch); err != nil {
					return err
				}
				dropped++
			}
		}
		if err := keepAlive(); err != nil {
			return err
		}
		start := time.Now()
		if err := a.node.Round(ctx); err != nil {
			return err
		}
		t.taking = append(t.taking, time.Since(start))
		if leases, err = admin.Leases(ctx); err != nil {
			return err
		}
		if len(leases) != t.n {
			return fmt.Errorf("a round placing %d cameras left %d of %d leased", dropped, len(leases), t.n)
		}
		t.placing = dropped
	}
	return nil
}

// running is how many cameras run on the nodes, or -1 when a camera runs
// on two.
func running(nodes []benchNode) int {
	seen := map[string]bool{}
	for _, bn := range nodes {
		for cam := range bn.owner.cameras() {
			if seen[cam] {
				return -1
			}
			seen[cam] = true
		}
	}
	return len(seen)
}

// waitFor polls ok every 5 ms until it holds, for at most d.
func waitFor(ctx context.Context, d time.Duration, what string, ok func() bool) error {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s after %v", what, d)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), fmt.Errorf("waiting for %s", what))
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func cameraID(i int) string { return fmt.Sprintf("cam%03d", i+1) }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
