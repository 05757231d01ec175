package cluster

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Grant is a lease to write: the camera to a node, on the epoch read (0:
// the camera had no lease).
type Grant struct {
	Lease     store.Lease
	ReadEpoch int64
}

// Plan is what placement decided: leases to grant and to drop, and at
// most one camera to move for balance.
type Plan struct {
	Grants []Grant
	Drops  []store.Lease
	// Move, when not nil, is a camera to move to a less loaded node (its
	// MovingTo set): a rebalance, one camera at a time.
	Move *store.Lease
	// Unmarks are moves whose target is no longer live.
	Unmarks []store.Lease
	// Unowned are enabled cameras no node can take (none alive, or all
	// full): they are not recorded.
	Unowned []string
}

// Place gives every enabled camera without a valid lease to the least
// loaded live node with room, and drops the leases of cameras disabled or
// gone. A lease is valid until it expires; a node is live while its last
// heartbeat is younger than ttl and it has not stopped. Load is leases
// held over capacity; ties go to the lower node id, so every node placing
// the same state decides the same.
func Place(now time.Time, ttl time.Duration, nodes []store.NodeRecord, cams []store.Camera, leases []store.Lease) Plan {
	var plan Plan
	byNode := map[string]store.NodeRecord{}
	load := map[string]int{}
	var live []store.NodeRecord
	for _, n := range nodes {
		byNode[n.ID] = n
		if n.Stopped.IsZero() && n.Seen.After(now.Add(-ttl)) && n.Capacity > 0 {
			live = append(live, n)
		}
	}
	enabled := map[string]bool{}
	for _, c := range cams {
		if c.Enabled {
			enabled[c.ID] = true
		}
	}
	lease := map[string]store.Lease{}
	var kept []store.Lease // of enabled cameras
	for _, l := range leases {
		if !enabled[l.Camera] {
			plan.Drops = append(plan.Drops, l)
			continue
		}
		lease[l.Camera] = l
		kept = append(kept, l)
		if l.Expires.After(now) {
			load[l.Node]++
		}
	}
	ids := make([]string, 0, len(enabled))
	for id := range enabled {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		old, had := lease[id]
		if had && old.Expires.After(now) {
			continue
		}
		target, ok := leastLoaded(live, load)
		if !ok {
			plan.Unowned = append(plan.Unowned, id)
			continue
		}
		load[target]++
		g := Grant{Lease: store.Lease{Camera: id, Node: target, Acquired: now, Expires: now.Add(ttl), Reason: ReasonNew}}
		if had {
			g.ReadEpoch = old.Epoch
			g.Lease.Reason = whyMoved(old, byNode[old.Node])
		}
		plan.Grants = append(plan.Grants, g)
	}
	if len(plan.Grants) == 0 && len(plan.Unowned) == 0 {
		plan.Move, plan.Unmarks = rebalance(now, live, kept, load)
	}
	return plan
}

// rebalance picks one camera to move from the most loaded live node to
// the least loaded, when that evens them out, and none is moving yet.
func rebalance(now time.Time, live []store.NodeRecord, leases []store.Lease, load map[string]int) (*store.Lease, []store.Lease) {
	isLive := map[string]store.NodeRecord{}
	for _, n := range live {
		isLive[n.ID] = n
	}
	var unmarks []store.Lease
	moving := false
	for _, l := range leases {
		if l.MovingTo == "" {
			continue
		}
		if _, ok := isLive[l.MovingTo]; !ok {
			unmarks = append(unmarks, l)
			continue
		}
		moving = true
	}
	if moving || len(live) < 2 {
		return nil, unmarks
	}
	// most: the largest share of its capacity (ties: the higher id).
	most := live[0]
	for _, n := range live[1:] {
		if load[n.ID]*most.Capacity > load[most.ID]*n.Capacity ||
			load[n.ID]*most.Capacity == load[most.ID]*n.Capacity && n.ID > most.ID {
			most = n
		}
	}
	to, ok := leastLoaded(live, load)
	// Worth it when the move leaves the target's share below the source's:
	// load[most]/cap[most] > (load[to]+1)/cap[to].
	if !ok || to == most.ID || load[most.ID]*isLive[to].Capacity <= (load[to]+1)*most.Capacity {
		return nil, unmarks
	}
	var pick *store.Lease
	for i, l := range leases {
		if l.Node == most.ID && l.Expires.After(now) && (pick == nil || l.Camera > pick.Camera) {
			pick = &leases[i]
		}
	}
	if pick == nil {
		return nil, unmarks
	}
	m := *pick
	m.MovingTo = to
	return &m, unmarks
}

// leastLoaded is the live node with room whose load after one more camera
// is the smallest share of its capacity.
func leastLoaded(live []store.NodeRecord, load map[string]int) (string, bool) {
	best, found := store.NodeRecord{}, false
	for _, n := range live {
		if load[n.ID] >= n.Capacity {
			continue
		}
		// a/b < c/d without division: a*d < c*b.
		if !found || (load[n.ID]+1)*best.Capacity < (load[best.ID]+1)*n.Capacity ||
			(load[n.ID]+1)*best.Capacity == (load[best.ID]+1)*n.Capacity && n.ID < best.ID {
			best, found = n, true
		}
	}
	return best.ID, found
}

// whyMoved says why a camera left the node of its lease: a clean stop
// hands it over; anything else is a failover.
func whyMoved(old store.Lease, from store.NodeRecord) string {
	if !from.Stopped.IsZero() {
		return fmt.Sprintf("%s: node %s stopped at %s", ReasonHandOver, old.Node, from.Stopped.Format(time.RFC3339))
	}
	return fmt.Sprintf("%s: node %s stopped renewing its lease (it expired at %s)", ReasonFailover, old.Node, old.Expires.Format(time.RFC3339))
}

// Why a camera came to its node: a lease's Reason starts with one of these.
const (
	ReasonNew       = "new"
	ReasonFailover  = "failover"
	ReasonHandOver  = "hand-over"
	ReasonRebalance = "rebalance"
)
