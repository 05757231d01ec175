// Package cluster lets several Vigil nodes share the cameras of one
// PostgreSQL store: each node says it is alive, every enabled camera is
// leased to one node, which ingests and records it and renews the lease,
// and the cameras of a node that stops renewing (a crash, a network cut)
// go to the others once its leases expire.
package cluster

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// DefaultLeaseTTL is how long a lease lasts unrenewed. Nodes renew every
// third of it, so a dead node's cameras are taken over within about
// TTL + TTL/3 + the time a camera takes to connect: 9 s or so.
const DefaultLeaseTTL = 6 * time.Second

// Owner runs the cameras a node owns.
type Owner interface {
	// Own makes the node record exactly the cameras of owned (a lease's
	// Reason says why a camera is new here, and Cut where a rebalance's
	// previous owner stopped), and ingest without recording those of
	// warm: cameras a rebalance is bringing here or taking away.
	Own(ctx context.Context, owned, warm []store.Lease) error
	// HandOff ends a camera's recording before its next keyframe and
	// gives the keyframe's wall time, where the next owner begins.
	HandOff(ctx context.Context, camera string) time.Time
	// Ready says whether a warm camera's picture is here (a keyframe
	// came): it can take the camera over from that keyframe on.
	Ready(camera string) bool
}

// Node is this process's membership of the cluster.
type Node struct {
	ID       string
	URL      string // where the other nodes reach this one
	Cert     string // its TLS certificate (PEM), which they pin; "" without TLS
	Capacity int    // how many cameras it may own
	LeaseTTL time.Duration
	Store    *store.Store
	Owner    Owner
	Logger   *slog.Logger
	// Registerer takes the cluster's metrics; may be nil.
	Registerer prometheus.Registerer
	Now        func() time.Time // nil is time.Now

	metrics *metrics
	started time.Time
	life    context.Context // until Close: the hand-offs'
	roundMu sync.Mutex      // one round at a time; guards renewed and fast
	renewed time.Time       // when the leases were last renewed
	// handing: cameras this node is handing over (rounds run on run's
	// goroutine only; the hand-offs on their own, hence the lock).
	mu      sync.Mutex
	handing map[string]bool
	busy    sync.WaitGroup // hand-offs under way
	fast    bool           // a camera is coming in: round again soon
	leaving bool           // draining: no heartbeat, cameras handed off
	kick    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

// Initialize joins the cluster: a first round of heartbeat, placement and
// renewal before it returns (the node's cameras start at once), then one
// every LeaseTTL/3.
func (n *Node) Initialize(ctx context.Context) error {
	if n.ID == "" || n.Store == nil || n.Owner == nil || n.Capacity <= 0 {
		return errors.New("cluster: a node needs an id, a capacity, the store and an owner")
	}
	if n.LeaseTTL <= 0 {
		n.LeaseTTL = DefaultLeaseTTL
	}
	if n.Logger == nil {
		n.Logger = slog.Default()
	}
	if n.Now == nil {
		n.Now = time.Now
	}
	n.metrics = newMetrics()
	if n.Registerer != nil {
		if err := n.metrics.register(n.Registerer); err != nil {
			return err
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n.life, n.cancel, n.done = runCtx, cancel, make(chan struct{})
	n.started = n.Now()
	n.kick = make(chan struct{}, 1)
	n.handing = map[string]bool{}
	n.Store.SetNode(n.ID)
	if err := n.Round(ctx); err != nil {
		cancel()
		return err
	}
	go n.run(runCtx)
	return nil
}

// Close leaves the cluster: the node's leases are given up at once, so
// the others take its cameras at their next round. The caller stops the
// cameras themselves (closing the supervisor and recorder).
func (n *Node) Close() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	<-n.done
	n.busy.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Store.StopNode(ctx, n.ID, n.Now()); err != nil {
		n.Logger.Error("cluster: could not give up this node's cameras; the others take them when the leases expire", "error", err)
	}
}

// Abandon stops the node's rounds without leaving the cluster, as a crash
// looks to the others: its heartbeat and leases are left to expire, and the
// others take its cameras then. For tests and benchmarks; a service leaves
// with Close. A Close after Abandon does nothing.
func (n *Node) Abandon() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	<-n.done
	n.busy.Wait()
	n.cancel = nil
}

// Kick asks for a round soon: a camera was added, changed or removed.
func (n *Node) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

func (n *Node) run(ctx context.Context) {
	defer close(n.done)
	t := time.NewTicker(n.LeaseTTL / 3)
	defer t.Stop()
	for {
		var soon <-chan time.Time
		n.roundMu.Lock()
		if n.fast {
			soon = time.After(fastRound)
		}
		n.roundMu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-soon:
		case <-n.kick:
		}
		if err := n.Round(ctx); err != nil && ctx.Err() == nil {
			n.metrics.errors.Inc()
			n.Logger.Error("cluster round", "error", err)
			n.fence(ctx)
		}
	}
}

// Round is one heartbeat: say the node is alive, place the cameras that
// need an owner, renew this node's leases and run what they name. Any
// node may place: grants are conditional on the lease read, so rounds on
// several nodes at once never give a camera two owners.
func (n *Node) Round(ctx context.Context) error {
	n.roundMu.Lock()
	defer n.roundMu.Unlock()
	now := n.Now()
	if n.leaving {
		// Leaving: no heartbeat (placement gives this node nothing), the
		// leases are still renewed while their moves complete.
		return n.renewAndRun(ctx, now)
	}
	if err := n.Store.Heartbeat(ctx, store.NodeRecord{ID: n.ID, URL: n.URL, Cert: n.Cert, Capacity: n.Capacity, Started: n.started, Seen: now}); err != nil {
		return err
	}
	if err := n.place(ctx, now); err != nil {
		return err
	}
	return n.renewAndRun(ctx, now)
}

// renewAndRun renews this node's leases, hands off those a move is ready
// for, and runs the rest, and the cameras coming here warm.
func (n *Node) renewAndRun(ctx context.Context, now time.Time) error {
	owned, err := n.Store.RenewLeases(ctx, n.ID, now, now.Add(n.LeaseTTL))
	if err != nil {
		return err
	}
	n.renewed = now
	incoming, err := n.Store.IncomingLeases(ctx, n.ID)
	if err != nil {
		return err
	}
	n.fast = len(incoming) > 0
	warm := incoming
	var keep []store.Lease
	var callOff []store.Lease
	n.mu.Lock()
	for _, l := range owned {
		switch {
		case n.handing[l.Camera]:
			warm = append(warm, l)
		case l.MovingTo != "" && l.MovingReady:
			// The target has the picture: cut on the next keyframe.
			n.handing[l.Camera] = true
			warm = append(warm, l)
			n.busy.Add(1)
			go n.handOff(n.life, l)
		case l.MovingTo != "" && now.Sub(l.MovingSince) > moveTimeout(n.LeaseTTL):
			callOff = append(callOff, l)
			keep = append(keep, l)
		default:
			keep = append(keep, l) // recorded here until the target is ready
		}
	}
	n.mu.Unlock()
	for _, l := range callOff {
		n.Logger.Warn("rebalance: the target never got the camera's picture; the camera stays", "camera", l.Camera, "to", l.MovingTo)
		if _, err := n.Store.MarkMove(ctx, l.Camera, l.Epoch, "", time.Time{}); err != nil {
			return err
		}
	}
	n.metrics.owned.Set(float64(len(keep)))
	if err := n.Owner.Own(ctx, keep, warm); err != nil {
		return err
	}
	// Cameras coming here: say so once their picture is here.
	for _, l := range incoming {
		if !l.MovingReady && n.Owner.Ready(l.Camera) {
			if err := n.Store.MoveReady(ctx, l.Camera, n.ID, l.Epoch); err != nil {
				return err
			}
		}
	}
	return nil
}

// fence stops every camera once the leases cannot have been renewed for
// a whole TTL (the store is out of reach): by then other nodes may have
// taken them, and two nodes must not record one camera as its owner.
func (n *Node) fence(ctx context.Context) {
	n.roundMu.Lock()
	defer n.roundMu.Unlock()
	if n.Now().Sub(n.renewed) < n.LeaseTTL {
		return
	}
	n.metrics.owned.Set(0)
	n.Logger.Error("cluster: leases not renewed for a whole TTL: stopping this node's cameras until the store answers",
		"since", n.renewed)
	if err := n.Owner.Own(ctx, nil, nil); err != nil {
		n.Logger.Error("cluster: stopping cameras", "error", err)
	}
}

func (n *Node) place(ctx context.Context, now time.Time) error {
	nodes, err := n.Store.Nodes(ctx)
	if err != nil {
		return err
	}
	cams, err := n.Store.ListCameras(ctx)
	if err != nil {
		return err
	}
	leases, err := n.Store.Leases(ctx)
	if err != nil {
		return err
	}
	plan := Place(now, n.LeaseTTL, nodes, cams, leases)
	for _, d := range plan.Drops {
		if err := n.Store.DropLease(ctx, d.Camera, d.Epoch); err != nil {
			return err
		}
	}
	for _, g := range plan.Grants {
		ok, err := n.Store.GrantLease(ctx, g.Lease, g.ReadEpoch)
		if err != nil {
			return err
		}
		if !ok {
			continue // another node placed it first
		}
		kind, _, _ := strings.Cut(g.Lease.Reason, ":")
		n.metrics.placed.WithLabelValues(kind).Inc()
		if kind != ReasonNew {
			n.Logger.Warn("camera moved", "camera", g.Lease.Camera, "to", g.Lease.Node, "reason", g.Lease.Reason)
		}
	}
	for _, u := range plan.Unmarks {
		if _, err := n.Store.MarkMove(ctx, u.Camera, u.Epoch, "", time.Time{}); err != nil {
			return err
		}
	}
	if m := plan.Move; m != nil {
		if _, err := n.Store.MarkMove(ctx, m.Camera, m.Epoch, m.MovingTo, now); err != nil {
			return err
		}
	}
	live := 0
	for _, nd := range nodes {
		if nd.Stopped.IsZero() && nd.Seen.After(now.Add(-n.LeaseTTL)) {
			live++
		}
	}
	n.metrics.live.Set(float64(live))
	n.metrics.unowned.Set(float64(len(plan.Unowned)))
	return nil
}
