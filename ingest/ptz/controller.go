package ptz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/onvif"
)

// Device is how to reach a camera's PTZ service: its ONVIF device
// service, credentials, and the media profile that carries the PTZ
// configuration.
type Device struct {
	XAddr, Username, Password, Profile string
}

// Dome is what steering needs of an ONVIF client (*onvif.Client).
type Dome interface {
	ContinuousMove(ctx context.Context, profile string, v onvif.Vector, timeout time.Duration) error
	RelativeMove(ctx context.Context, profile string, t onvif.Vector) error
	AbsoluteMove(ctx context.Context, profile string, p onvif.Vector) error
	Stop(ctx context.Context, profile string, axes onvif.Axes) error
	GetStatus(ctx context.Context, profile string) (onvif.PTZStatus, error)
	GetPresets(ctx context.Context, profile string) ([]onvif.Preset, error)
	GotoPreset(ctx context.Context, profile, preset string) error
	SetPreset(ctx context.Context, profile, name, token string) (string, error)
	GotoHomePosition(ctx context.Context, profile string) error
	Close()
}

// Cameras finds a camera's PTZ device; an error wrapping ErrNotPTZ for a
// camera that has none.
type Cameras interface {
	PTZDevice(ctx context.Context, camera string) (Device, error)
}

// Audit is the evidence log (*locker.Log).
type Audit interface {
	Append(ctx context.Context, e *evidence.Entry) (uint64, error)
}

// ErrNotLogged: the evidence log could not record an action, which was
// therefore not carried out.
var ErrNotLogged = errors.New("the evidence log cannot record this PTZ action, so it was not carried out")

// ErrNotPTZ: the camera cannot be steered.
var ErrNotPTZ = errors.New("the camera has no pan-tilt-zoom control")

// Person is who steers: Username tells holders apart, Actor and Role go
// in the evidence log, Display is shown to others, and Override (a
// supervisor) may take a dome someone else holds.
type Person struct {
	Username, Display, Actor, Role string
	Override                       bool
}

// Controller steers the PTZ cameras: one state per camera, made at its
// first command.
type Controller struct {
	Cameras Cameras
	Audit   Audit
	// Dial makes a client for a device (default: an onvif.Client).
	Dial func(Device) (Dome, error)
	// DeadMan stops a continuous move not repeated within it (default
	// 1 s): a browser that went away never leaves a dome spinning.
	DeadMan time.Duration
	// LockIdle frees a dome its holder stopped steering for that long
	// (default 60 s).
	LockIdle time.Duration
	// CommandTimeout bounds one call to a camera (default 5 s).
	CommandTimeout time.Duration
	Logger         *slog.Logger
	Metrics        *Metrics // may be nil
	// Steered, if set, hears of every command a camera carried out (and
	// every dead-man stop): its view is meant to change (analytics must not
	// take it for a camera knocked out of place).
	Steered func(camera string)
	Now     func() time.Time

	mu     sync.Mutex
	domes  map[string]*dome
	closed bool
	wg     sync.WaitGroup // dead-man stops under way
}

// dome is one camera's state. Its mutex orders the commands to it.
type dome struct {
	camera string
	mu     sync.Mutex
	dev    Device
	client Dome
	lock   Lock
	// moving is the continuous velocity last asked for (nil: still), and
	// gen tells a dead-man timer whether it is still the current one.
	moving *Command
	gen    uint64
	timer  *time.Timer
}

// Lock is who holds a dome, from when, until when (if they stop
// steering). A zero Holder: nobody.
type Lock struct {
	Holder  string    `json:"holder,omitempty"`
	Display string    `json:"display,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Until   time.Time `json:"until,omitzero"`
	actor   string    // the holder's pseudonym, for the log
}

// LockedError is a command refused because someone else holds the dome.
type LockedError struct{ Lock Lock }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is steering this camera until %s (a supervisor can take it)", e.Lock.Display, e.Lock.Until.UTC().Format(time.RFC3339))
}

func (c *Controller) defaults() {
	if c.Dial == nil {
		c.Dial = dialONVIF
	}
	if c.DeadMan <= 0 {
		c.DeadMan = time.Second
	}
	if c.LockIdle <= 0 {
		c.LockIdle = time.Minute
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func dialONVIF(d Device) (Dome, error) {
	return onvif.New(onvif.Config{XAddr: d.XAddr, Username: d.Username, Password: d.Password})
}

// open returns camera's state locked (the caller unlocks d.mu), with a
// client for the camera's current device.
func (c *Controller) open(ctx context.Context, camera string) (*dome, error) {
	dev, err := c.Cameras.PTZDevice(ctx, camera)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.defaults()
	if c.closed {
		c.mu.Unlock()
		return nil, errors.New("PTZ control is shutting down")
	}
	if c.domes == nil {
		c.domes = map[string]*dome{}
	}
	d := c.domes[camera]
	if d == nil {
		d = &dome{camera: camera}
		c.domes[camera] = d
	}
	c.mu.Unlock()
	d.mu.Lock()
	if d.client == nil || d.dev != dev {
		if d.client != nil {
			d.client.Close()
			d.client = nil
		}
		if d.client, err = c.Dial(dev); err != nil {
			d.mu.Unlock()
			return nil, fmt.Errorf("camera %s: %w", camera, err)
		}
		d.dev = dev
	}
	return d, nil
}
