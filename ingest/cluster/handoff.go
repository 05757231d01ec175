package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Moving a camera between two live nodes (a rebalance, a drain): the
// target ingests it warm and says when its picture is there, the owner
// then cuts its recording before a keyframe and hands the lease over with
// that keyframe's time, where the target's recording begins.

// moveTimeout calls off a move whose target never got the camera's
// picture (it cannot reach the camera): the owner keeps recording it.
func moveTimeout(ttl time.Duration) time.Duration { return 3 * ttl }

// handOffWait bounds how long a hand-off waits for a keyframe: cameras
// send one every few seconds at most.
const handOffWait = 10 * time.Second

// fastRound is how soon the next round comes while a camera is on its
// way here, so its recording starts on the keyframe it was cut at (still
// in the hub's cache).
const fastRound = 250 * time.Millisecond

// handOff moves a camera to the node a rebalance chose: its recording
// here ends before a keyframe, and the lease goes over with that
// keyframe's time, where the new owner's recording begins.
func (n *Node) handOff(ctx context.Context, l store.Lease) {
	defer n.busy.Done()
	defer func() {
		n.mu.Lock()
		delete(n.handing, l.Camera)
		n.mu.Unlock()
		n.Kick() // stop ingesting it, or record it again if the move failed
	}()
	wctx, cancel := context.WithTimeout(ctx, handOffWait)
	cut := n.Owner.HandOff(wctx, l.Camera)
	cancel()
	now := n.Now()
	why := fmt.Sprintf("%s: from node %s", ReasonRebalance, n.ID)
	n.roundMu.Lock()
	if n.leaving {
		why = fmt.Sprintf("%s: node %s stopping, cut on a keyframe", ReasonHandOver, n.ID)
	}
	n.roundMu.Unlock()
	moved := store.Lease{Camera: l.Camera, Node: l.MovingTo, Acquired: now, Expires: now.Add(n.LeaseTTL), Reason: why, Cut: cut}
	ok, err := n.Store.GrantLease(ctx, moved, l.Epoch)
	switch {
	case err != nil:
		n.Logger.Error("rebalance: hand-over failed; the camera stays here", "camera", l.Camera, "to", l.MovingTo, "error", err)
	case !ok:
		n.Logger.Warn("rebalance: the lease changed meanwhile; the camera stays where placement put it", "camera", l.Camera)
	default:
		kind, _, _ := strings.Cut(why, ":")
		n.metrics.placed.WithLabelValues(kind).Inc()
		n.Logger.Info("camera handed over", "camera", l.Camera, "to", l.MovingTo, "cut", cut)
	}
}

// Drain hands every camera of this node to the others before it stops,
// each cut on a keyframe as in a rebalance, so that a planned stop (an
// upgrade, a node taken out) loses no footage. It returns when none is
// left here or ctx ends (Close then gives the rest up at once). With no
// other live node it does nothing.
func (n *Node) Drain(ctx context.Context) {
	if n.cancel == nil {
		return
	}
	n.roundMu.Lock()
	now := n.Now()
	nodes, err := n.Store.Nodes(ctx)
	var leases []store.Lease
	if err == nil {
		leases, err = n.Store.Leases(ctx)
	}
	if err != nil {
		n.roundMu.Unlock()
		n.Logger.Error("cluster: cannot plan the hand-over of this node's cameras", "error", err)
		return
	}
	var others []store.NodeRecord
	for _, nd := range nodes {
		if nd.ID != n.ID && nd.Stopped.IsZero() && nd.Seen.After(now.Add(-n.LeaseTTL)) {
			others = append(others, nd)
		}
	}
	load := map[string]int{}
	for _, l := range leases {
		if l.Expires.After(now) {
			load[l.Node]++
		}
	}
	moving := 0
	for _, l := range leases {
		if l.Node != n.ID || !l.Expires.After(now) {
			continue
		}
		to, ok := leastLoaded(others, load)
		if !ok {
			break
		}
		load[to]++
		if ok, err := n.Store.MarkMove(ctx, l.Camera, l.Epoch, to, now); err == nil && ok {
			moving++
		}
	}
	if moving > 0 {
		err = n.Store.LeaveNode(ctx, n.ID, now)
		n.leaving = err == nil
	}
	n.roundMu.Unlock()
	if moving == 0 || err != nil {
		return
	}
	n.Logger.Info("cluster: handing this node's cameras over before stopping", "cameras", moving)
	for {
		n.Kick()
		select {
		case <-ctx.Done():
			n.Logger.Warn("cluster: stopping before every camera was handed over; the others take the rest now")
			return
		case <-time.After(fastRound):
		}
		if left, err := n.Store.RenewLeases(ctx, n.ID, n.Now(), n.Now().Add(n.LeaseTTL)); err == nil && len(left) == 0 {
			n.busy.Wait()
			return
		}
	}
}
