package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/analytics"
	"github.com/vigil-cctv/vigil/ingest/cluster"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
	"github.com/vigil-cctv/vigil/ui"
)

// registry keeps the camera store and the ingest supervisor in step: every
// write goes to the store first, then restarts only the camera written.
type registry struct {
	store *store.Store
	sup   *ingest.Supervisor
	rec   *recorder.Recorder // nil when recording is off
	// analytics follows each camera's analysed stream (nil when off).
	analytics      *analytics.Engine
	analysedStream string

	// cluster, when several nodes share the store, is told of every
	// change: the owner of a camera applies it at its next round (Own).
	// nil on a single node, which runs every camera itself.
	cluster interface{ Kick() }
	// owned: in a cluster, the cameras this node runs, and the lease
	// epoch it runs each under.
	owned map[string]int64
	// node and reported: in a cluster, this node's id, and every camera's
	// health as its node last reported it (refreshed each round), for the
	// cameras run elsewhere; a report older than staleAfter is a node
	// that stopped reporting.
	node       string
	staleAfter time.Duration
	reportMu   sync.Mutex
	reported   map[string]store.ReportedStatus

	mu sync.Mutex // serializes writes so store and supervisor agree
}

var _ ui.Cameras = (*registry)(nil)

func ingestCamera(c store.Camera) ingest.Camera {
	return ingest.Camera{
		ID:      c.ID,
		Enabled: c.Enabled,
		Main:    ingest.Target{URL: c.MainURL, User: c.Username, Pass: c.Password},
		Sub:     ingest.Target{URL: c.SubURL, User: c.Username, Pass: c.Password},
	}
}

func (r *registry) List(ctx context.Context) ([]store.Camera, error) {
	return r.store.ListCameras(ctx)
}

func (r *registry) Get(ctx context.Context, id string) (store.Camera, error) {
	return r.store.GetCamera(ctx, id)
}

func (r *registry) Create(ctx context.Context, c *store.Camera) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.store.CreateCamera(ctx, c); err != nil {
		return err
	}
	r.apply(*c)
	return nil
}

func (r *registry) Update(ctx context.Context, c *store.Camera) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.writable(ctx, c.ID); err != nil {
		return err
	}
	if err := r.store.UpdateCamera(ctx, c); err != nil {
		return err
	}
	r.apply(*c)
	return nil
}

func (r *registry) Delete(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.writable(ctx, id); err != nil {
		return err
	}
	if err := r.store.DeleteCamera(ctx, id); err != nil {
		return err
	}
	if r.cluster != nil {
		r.cluster.Kick()
		return nil
	}
	r.sup.Remove(id)
	if r.rec != nil {
		r.rec.Stop(id)
	}
	if r.analytics != nil {
		r.analytics.Stop(id)
	}
	return nil
}

// apply runs a camera just written: at once on a single node; in a
// cluster, its owner (maybe this node) applies it at its next round.
func (r *registry) apply(c store.Camera) {
	if r.cluster != nil {
		r.cluster.Kick()
		return
	}
	r.sup.Upsert(ingestCamera(c))
	r.record(c, movedHere{})
}

// record makes the recorder follow a camera: enabled cameras are recorded
// from their main stream's hub (which survives ingest restarts). moved
// says why a camera recorded by another node until now came here.
func (r *registry) record(c store.Camera, moved movedHere) {
	r.analyse(c)
	if r.rec == nil {
		return
	}
	hub := r.sup.Hub(c.ID, ingest.StreamMain)
	if !c.Enabled || hub == nil {
		r.rec.Stop(c.ID)
		return
	}
	if moved.why != "" {
		r.rec.TakeOver(c.ID, hub, moved.why, moved.cut)
		return
	}
	r.rec.Record(c.ID, hub)
}

// analyse makes analytics follow a camera's analysed stream (the sub
// stream by default); a camera without one is not analysed.
func (r *registry) analyse(c store.Camera) {
	if r.analytics == nil {
		return
	}
	hub := r.sup.Hub(c.ID, r.analysedStream)
	if !c.Enabled || hub == nil {
		r.analytics.Stop(c.ID)
		return
	}
	r.analytics.Analyse(c.ID, hub)
}

func (r *registry) writable(ctx context.Context, id string) error {
	old, err := r.store.GetCamera(ctx, id)
	if err != nil {
		return err
	}
	if old.ManagedBy == store.ManagedByConfig {
		return fmt.Errorf("%s: %w", id, ui.ErrManaged)
	}
	return nil
}

// Status is a camera's health: from this node's ingest when it runs the
// camera, else as the node that runs it last reported (in a cluster). A
// report gone stale says that node is not reporting.
func (r *registry) Status(id string) (ingest.CameraStatus, bool) {
	if st, ok := r.sup.Status(id); ok || r.cluster == nil {
		return st, ok
	}
	r.reportMu.Lock()
	rep, ok := r.reported[id]
	r.reportMu.Unlock()
	if !ok || rep.Node == r.node {
		return ingest.CameraStatus{}, false
	}
	if since := time.Since(rep.At); since > r.staleAfter {
		st := ingest.CameraStatus{ID: id, Enabled: true}
		for _, s := range rep.Status.Streams {
			st.Streams = append(st.Streams, ingest.StreamStatus{Stream: s.Stream, State: ingest.StateOffline,
				Error: fmt.Sprintf("node %s has not reported since %s", rep.Node, rep.At.UTC().Format(time.RFC3339)), LastFrame: s.LastFrame})
		}
		return st, true
	}
	return rep.Status, true
}

func (r *registry) Outages(ctx context.Context, id string, from, to time.Time) ([]ingest.Outage, error) {
	return r.store.ListOutages(ctx, id, from, to)
}

// syncConfig makes the config-managed cameras in the store equal to the
// config file's list, and returns how many were added, changed and removed.
// A camera of the same id that the API created is taken over by the file.
func (r *registry) syncConfig(ctx context.Context, cams []CameraConfig) (added, changed, removed int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inFile := map[string]bool{}
	for _, cc := range cams {
		c := cc.Camera()
		inFile[c.ID] = true
		old, gerr := r.store.GetCamera(ctx, c.ID)
		switch {
		case errors.Is(gerr, store.ErrNotFound):
			err = r.store.CreateCamera(ctx, &c)
			if errors.Is(err, store.ErrExists) {
				err = nil // another node of the cluster, starting too, made it
				continue
			}
			if err != nil {
				return
			}
			added++
		case gerr != nil:
			return added, changed, removed, gerr
		case !sameCamera(old, c):
			if err = r.store.UpdateCamera(ctx, &c); err != nil {
				return
			}
			changed++
		}
	}
	all, err := r.store.ListCameras(ctx)
	if err != nil {
		return
	}
	for _, c := range all {
		if c.ManagedBy == store.ManagedByConfig && !inFile[c.ID] {
			if err = r.store.DeleteCamera(ctx, c.ID); err != nil {
				return
			}
			removed++
		}
	}
	return added, changed, removed, nil
}

// startAll makes the supervisor run exactly the cameras in the store (on
// a single node; in a cluster, the node's next round does it).
func (r *registry) startAll(ctx context.Context) error {
	if r.cluster != nil {
		r.cluster.Kick()
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	all, err := r.store.ListCameras(ctx)
	if err != nil {
		return err
	}
	r.run(all, nil, nil)
	return nil
}

// Own implements cluster.Owner: the node records exactly the cameras it
// holds leases of, and ingests those a rebalance is moving (warm). A
// camera new here that another node had is recorded with the gap since
// that node's last segment and the lease's reason, or from the keyframe
// it was handed over at.
func (r *registry) Own(ctx context.Context, owned, warm []store.Lease) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	all, err := r.store.ListCameras(ctx)
	if err != nil && len(owned)+len(warm) > 0 {
		return err
	}
	// (With no leases, as when the store is out of reach, every camera
	// stops whatever the error.)
	now := make(map[string]int64, len(owned))
	moved := map[string]movedHere{}
	for _, l := range owned {
		now[l.Camera] = l.Epoch
		if _, ran := r.owned[l.Camera]; !ran && l.Reason != cluster.ReasonNew {
			moved[l.Camera] = movedHere{why: l.Reason, cut: l.Cut}
		}
	}
	warming := map[string]bool{}
	for _, l := range warm {
		warming[l.Camera] = true
	}
	var rec, ingestOnly []store.Camera
	for _, c := range all {
		if _, ok := now[c.ID]; ok {
			rec = append(rec, c)
		} else if warming[c.ID] {
			ingestOnly = append(ingestOnly, c)
		}
	}
	r.owned = now
	r.run(rec, ingestOnly, moved)
	r.report(ctx, rec)
	return nil
}

// report shares the health of the cameras this node records with the
// other nodes, and takes theirs.
func (r *registry) report(ctx context.Context, cams []store.Camera) {
	sts := make([]ingest.CameraStatus, 0, len(cams))
	for _, c := range cams {
		if st, ok := r.sup.Status(c.ID); ok {
			sts = append(sts, st)
		}
	}
	if err := r.store.ReportStatuses(ctx, r.node, time.Now(), sts); err != nil {
		return // the round's own store calls say why; health waits a round
	}
	all, err := r.store.ReportedStatuses(ctx)
	if err != nil {
		return
	}
	r.reportMu.Lock()
	r.reported = all
	r.reportMu.Unlock()
}

// HandOff implements cluster.Owner: the recording ends before the
// camera's next keyframe (ingest goes on until the lease has moved).
func (r *registry) HandOff(ctx context.Context, camera string) time.Time {
	if r.rec == nil {
		return time.Now()
	}
	return r.rec.HandOff(ctx, camera)
}

// Ready implements cluster.Owner: a camera being moved here has sent its
// main stream's first keyframe, so recording can begin from the cut.
func (r *registry) Ready(camera string) bool {
	hub := r.sup.Hub(camera, ingest.StreamMain)
	return hub != nil && hub.LatestKeyframe() != nil
}

// movedHere is why a camera came to this node, and where a rebalance's
// previous owner stopped recording it.
type movedHere struct {
	why string
	cut time.Time
}

// run makes the supervisor ingest exactly cams and ingestOnly, and the
// recorder and analytics follow cams (ingestOnly are being handed over:
// the hand-off stops their recording).
func (r *registry) run(cams, ingestOnly []store.Camera, moved map[string]movedHere) {
	ic := make([]ingest.Camera, 0, len(cams)+len(ingestOnly))
	for _, c := range cams {
		ic = append(ic, ingestCamera(c))
	}
	for _, c := range ingestOnly {
		ic = append(ic, ingestCamera(c))
	}
	r.sup.Apply(ic)
	known := map[string]bool{}
	for _, c := range ingestOnly {
		known[c.ID] = true
	}
	for _, c := range cams {
		known[c.ID] = true
		r.record(c, moved[c.ID])
	}
	if r.rec != nil {
		for _, id := range r.rec.Recording() {
			if !known[id] {
				r.rec.Stop(id)
			}
		}
	}
	if r.analytics != nil {
		for _, id := range r.analytics.Analysing() {
			if !known[id] {
				r.analytics.Stop(id)
			}
		}
	}
}

func sameCamera(a, b store.Camera) bool {
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	eq := func(x, y *float64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	if !eq(a.Latitude, b.Latitude) || !eq(a.Longitude, b.Longitude) {
		return false
	}
	a.Latitude, a.Longitude, b.Latitude, b.Longitude = nil, nil, nil, nil
	return a == b
}
