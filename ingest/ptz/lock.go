package ptz

import (
	"context"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/onvif"
)

// Take gives p the dome: free, or p's already, or (for a supervisor,
// Override) taken from whoever holds it, whose move is stopped. Logged.
func (c *Controller) Take(ctx context.Context, p Person, camera string) (Lock, error) {
	d, err := c.open(ctx, camera)
	if err != nil {
		return Lock{}, err
	}
	defer d.mu.Unlock()
	now := c.Now()
	other := d.lock.Holder != "" && d.lock.Holder != p.Username && now.Before(d.lock.Until)
	if other && !p.Override {
		return d.lock, &LockedError{Lock: d.lock}
	}
	detail := "took control"
	if other {
		detail = "took control from " + d.lock.actor
	}
	if err := c.log(ctx, p.Actor, p.Role, camera, evidence.ActionPTZLock, detail); err != nil {
		return d.lock, err
	}
	if other && d.moving != nil {
		c.stopMove(ctx, d)
	}
	if other && c.Metrics != nil {
		c.Metrics.HoldsTakenOver.Inc()
	}
	if other || d.lock.Holder != p.Username || !now.Before(d.lock.Until) {
		d.lock = Lock{Holder: p.Username, Display: p.Display, Since: now, actor: p.Actor}
	}
	d.lock.Until = now.Add(c.LockIdle)
	return d.lock, nil
}

// Release gives the dome up: its holder, or a supervisor. A move under
// way stops. Logged.
func (c *Controller) Release(ctx context.Context, p Person, camera string) (Lock, error) {
	d, err := c.open(ctx, camera)
	if err != nil {
		return Lock{}, err
	}
	defer d.mu.Unlock()
	now := c.Now()
	if d.lock.Holder == "" || !now.Before(d.lock.Until) {
		d.lock = Lock{}
		return d.lock, nil
	}
	if d.lock.Holder != p.Username && !p.Override {
		return d.lock, &LockedError{Lock: d.lock}
	}
	detail := "released control"
	if d.lock.Holder != p.Username {
		detail = "released control held by " + d.lock.actor
	}
	if err := c.log(ctx, p.Actor, p.Role, camera, evidence.ActionPTZLock, detail); err != nil {
		return d.lock, err
	}
	if d.moving != nil {
		c.stopMove(ctx, d)
	}
	d.lock = Lock{}
	return d.lock, nil
}

// stopMove stops d's continuous move; the caller holds d.mu.
func (c *Controller) stopMove(ctx context.Context, d *dome) {
	c.disarm(d)
	ctx, cancel := context.WithTimeout(ctx, c.CommandTimeout)
	defer cancel()
	if err := d.client.Stop(ctx, d.dev.Profile, onvif.PanTiltAndZoom); err != nil {
		c.Logger.Warn("PTZ stop failed", "camera", d.camera, "error", err)
	}
}

// State is a dome as the wall shows it.
type State struct {
	Lock     Lock           `json:"lock"`
	Moving   bool           `json:"moving"`
	Position *onvif.Vector  `json:"position,omitempty"`
	Presets  []onvif.Preset `json:"presets"`
	// Error says what the camera did not answer (the rest is still shown).
	Error string `json:"error,omitempty"`
}

// State reads where the dome points and its presets.
func (c *Controller) State(ctx context.Context, camera string) (State, error) {
	d, err := c.open(ctx, camera)
	if err != nil {
		return State{}, err
	}
	defer d.mu.Unlock()
	st := State{Lock: d.lock, Moving: d.moving != nil, Presets: []onvif.Preset{}}
	if !c.Now().Before(st.Lock.Until) {
		st.Lock = Lock{}
	}
	ctx, cancel := context.WithTimeout(ctx, c.CommandTimeout)
	defer cancel()
	if s, err := d.client.GetStatus(ctx, d.dev.Profile); err != nil {
		st.Error = err.Error()
	} else if s.HasPosition {
		st.Position = &s.Position
	}
	if ps, err := d.client.GetPresets(ctx, d.dev.Profile); err != nil {
		st.Error = err.Error()
	} else {
		st.Presets = ps
	}
	return st, nil
}
