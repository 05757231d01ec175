package ptz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/onvif"
)

// Result is what a command left: the dome's hold, and a preset's token
// for set_preset.
type Result struct {
	Lock   Lock   `json:"lock"`
	Preset string `json:"preset,omitempty"`
}

// Do carries out cmd on camera for p: it checks p may steer the dome
// (taking or extending p's hold), logs the action, then tells the camera.
// A continuous move repeated unchanged (the browser's heartbeat while a
// key or the pad is held) is logged once, when it starts or changes.
func (c *Controller) Do(ctx context.Context, p Person, camera string, cmd Command) (res Result, err error) {
	var repeat bool // a heartbeat of a continuous move: counted once
	defer func() {
		if !repeat || err != nil {
			c.count(cmd, err)
		}
	}()
	if err := cmd.Validate(); err != nil {
		return Result{}, err
	}
	if cmd.Action == Continuous && cmd.still() {
		cmd = Command{Action: Stop}
	}
	d, err := c.open(ctx, camera)
	if err != nil {
		return Result{}, err
	}
	defer d.mu.Unlock()
	if err := c.hold(d, p); err != nil {
		return Result{Lock: d.lock}, err
	}
	repeat = cmd.Action == Continuous && d.moving != nil && *d.moving == cmd
	if !repeat {
		if err := c.log(ctx, p.Actor, p.Role, camera, evidence.ActionPTZ, cmd.describe()); err != nil {
			return Result{Lock: d.lock}, err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, c.CommandTimeout)
	defer cancel()
	res.Preset, err = c.send(cctx, d, cmd)
	if err == nil && cmd.Action != SetPreset && c.Steered != nil {
		c.Steered(camera)
	}
	if cmd.Action == Continuous && err == nil {
		d.moving = &cmd
		c.arm(d)
	} else if cmd.Action != Continuous {
		// Any other command ends a continuous move, on the camera too.
		c.disarm(d)
	}
	res.Lock = d.lock
	if err != nil {
		// Named here: the refusal metric has no camera label.
		c.Logger.Warn("PTZ command failed at the camera", "camera", camera, "action", cmd.Action, "error", err)
		return res, fmt.Errorf("camera %s: %s: %w", camera, cmd.Action, err)
	}
	return res, nil
}

// count counts a command carried out, or why not.
func (c *Controller) count(cmd Command, err error) {
	m := c.Metrics
	if m == nil {
		return
	}
	var locked *LockedError
	switch {
	case err == nil:
		m.Commands.WithLabelValues(cmd.Action).Inc()
	case errors.As(err, &locked):
		m.Refused.WithLabelValues("held").Inc()
	case errors.Is(err, ErrBadCommand):
		m.Refused.WithLabelValues("bad").Inc()
	case errors.Is(err, ErrNotLogged):
		m.Refused.WithLabelValues("log").Inc()
	case errors.Is(err, ErrNotPTZ):
	default:
		m.Refused.WithLabelValues("camera").Inc()
	}
}

// send tells the camera; the caller holds d.mu.
func (c *Controller) send(ctx context.Context, d *dome, cmd Command) (string, error) {
	prof, cl := d.dev.Profile, d.client
	v := onvif.Vector{Pan: cmd.Pan, Tilt: cmd.Tilt, Zoom: cmd.Zoom}
	switch cmd.Action {
	case Continuous:
		// The camera's own timeout stops it should Vigil itself be gone.
		return "", cl.ContinuousMove(ctx, prof, v, 2*c.DeadMan)
	case Stop:
		return "", cl.Stop(ctx, prof, onvif.PanTiltAndZoom)
	case Relative:
		return "", cl.RelativeMove(ctx, prof, v)
	case Absolute:
		return "", cl.AbsoluteMove(ctx, prof, v)
	case Home:
		return "", cl.GotoHomePosition(ctx, prof)
	case GotoPreset:
		return "", cl.GotoPreset(ctx, prof, cmd.Preset)
	case SetPreset:
		return cl.SetPreset(ctx, prof, strings.TrimSpace(cmd.Name), cmd.Preset)
	}
	return "", fmt.Errorf("%w: %q", ErrBadCommand, cmd.Action)
}

// hold lets p steer d: a dome nobody holds (or whose holder stopped
// steering LockIdle ago) becomes p's; p's own hold is extended. The
// caller holds d.mu.
func (c *Controller) hold(d *dome, p Person) error {
	now := c.Now()
	if d.lock.Holder != "" && d.lock.Holder != p.Username && now.Before(d.lock.Until) {
		return &LockedError{Lock: d.lock}
	}
	if d.lock.Holder != p.Username || !now.Before(d.lock.Until) {
		d.lock = Lock{Holder: p.Username, Display: p.Display, Since: now, actor: p.Actor}
	}
	d.lock.Until = now.Add(c.LockIdle)
	return nil
}

// arm (re)starts the dead-man of d's continuous move.
func (c *Controller) arm(d *dome) {
	d.gen++
	gen := d.gen
	if d.timer != nil {
		d.timer.Stop()
	}
	d.timer = time.AfterFunc(c.DeadMan, func() { c.deadManStop(d, gen) })
}

// disarm forgets d's continuous move.
func (c *Controller) disarm(d *dome) {
	d.gen++
	d.moving = nil
	if d.timer != nil {
		d.timer.Stop()
	}
}

// deadManStop stops a continuous move nobody repeated within DeadMan.
func (c *Controller) deadManStop(d *dome, gen uint64) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen != gen || d.moving == nil {
		return // repeated, changed or stopped meanwhile
	}
	c.disarm(d)
	ctx, cancel := context.WithTimeout(context.Background(), c.CommandTimeout)
	defer cancel()
	// The stop is logged by Vigil, naming the holder only by pseudonym.
	if err := c.log(ctx, evidence.ActorPTZ, "", d.camera, evidence.ActionPTZ,
		fmt.Sprintf("stop: dead-man, no command within %s from %s", c.DeadMan, d.lock.actor)); err != nil {
		c.Logger.Error("PTZ dead-man stop not logged; stopping the camera all the same", "camera", d.camera, "error", err)
	}
	if err := d.client.Stop(ctx, d.dev.Profile, onvif.PanTiltAndZoom); err != nil {
		c.Logger.Error("PTZ dead-man stop failed: the camera's own timeout is the last guard", "camera", d.camera, "error", err)
		return
	}
	c.Logger.Info("PTZ dead-man stop", "camera", d.camera, "holder", d.lock.Holder)
	if c.Metrics != nil {
		c.Metrics.DeadManStops.Inc()
	}
}

// log writes a PTZ entry before anything is done: an action the log
// cannot record is not carried out.
func (c *Controller) log(ctx context.Context, actor, role, camera string, action evidence.Action, detail string) error {
	_, err := c.Audit.Append(ctx, &evidence.Entry{Action: action, Actor: actor, Role: role, Camera: camera, Detail: detail})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotLogged, err)
	}
	return nil
}

// Close stops every dome still moving and closes the clients.
func (c *Controller) Close() {
	c.mu.Lock()
	c.closed = true
	domes := c.domes
	c.mu.Unlock()
	c.wg.Wait()
	for _, d := range domes {
		d.mu.Lock()
		if d.moving != nil {
			ctx, cancel := context.WithTimeout(context.Background(), c.CommandTimeout)
			d.client.Stop(ctx, d.dev.Profile, onvif.PanTiltAndZoom)
			cancel()
		}
		c.disarm(d)
		if d.client != nil {
			d.client.Close()
			d.client = nil
		}
		d.mu.Unlock()
	}
}
