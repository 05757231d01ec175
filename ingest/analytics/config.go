package analytics

import (
	"fmt"
	"runtime"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

// Config tunes the engine; zero fields take the documented defaults.
type Config struct {
	// Rate is how many pictures a second each camera is analysed at
	// (default 5). Pictures in between are decoded (H.264 needs them) but
	// not analysed.
	Rate float64
	// Workers bounds how many cameras decode or analyse at once (default:
	// the number of CPUs).
	Workers int
	// Width is the width pictures are analysed at (default 160: a person on a 640x360 sub stream is still a blob of dozens of pixels, and the background model costs a quarter of 320); the height
	// keeps the picture's shape.
	Width int
	// Stream is the stream analysed (default "sub").
	Stream string
	// Queue is how many access units a camera may lag behind before it
	// skips to the next keyframe (default 64).
	Queue int
	// EventHold is how long a zone must be still before its motion event
	// ends (default 2s).
	EventHold time.Duration
	// Tamper conditions must hold this long before they are reported.
	CoveredAfter  time.Duration // default 10s
	MovedAfter    time.Duration // default 10s
	DefocusAfter  time.Duration // default 10s
	FrozenAfter   time.Duration // default 2m
	RelearnAfter  time.Duration // a moved view becomes the new reference after this (default 15m)
	FlushInterval time.Duration // activity is written this often (default 1m)
	// PlateCameras reports whether a camera's number plates are read
	// (nil: none); PlateRegion is the plate syntax, gb or any.
	PlateCameras func(camera string) bool
	PlateRegion  string
	// PlateMainHub is a camera's main-stream hub, where plates too small
	// to read in the analysed stream are read in its keyframes (nil, or a
	// nil hub: the analysed stream only).
	PlateMainHub func(camera string) *ingest.Hub
}

func (c *Config) defaults() {
	if c.Rate == 0 {
		c.Rate = 5
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Width == 0 {
		c.Width = 160
	}
	if c.Stream == "" {
		c.Stream = "sub"
	}
	if c.Queue == 0 {
		c.Queue = 64
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.EventHold, 2*time.Second)
	def(&c.CoveredAfter, 10*time.Second)
	def(&c.MovedAfter, 10*time.Second)
	def(&c.DefocusAfter, 10*time.Second)
	def(&c.FrozenAfter, 2*time.Minute)
	def(&c.RelearnAfter, 15*time.Minute)
	def(&c.FlushInterval, time.Minute)
}

// Validate checks the configuration after defaults; messages name the field.
func (c Config) Validate() error {
	c.defaults()
	switch {
	case c.Rate < 0.2 || c.Rate > 30:
		return fmt.Errorf("rate: %g is not between 0.2 and 30 pictures a second", c.Rate)
	case c.Workers < 1 || c.Workers > 256:
		return fmt.Errorf("workers: %d is not between 1 and 256", c.Workers)
	case c.Width < 64 || c.Width > 1280 || c.Width%2 != 0:
		return fmt.Errorf("width: %d is not an even number between 64 and 1280", c.Width)
	case c.Stream != "main" && c.Stream != "sub":
		return fmt.Errorf("stream: %q is not main or sub", c.Stream)
	case c.Queue < 4 || c.Queue > 4096:
		return fmt.Errorf("queue: %d is not between 4 and 4096", c.Queue)
	}
	for name, d := range map[string]time.Duration{"event_hold": c.EventHold, "covered_after": c.CoveredAfter,
		"moved_after": c.MovedAfter, "defocus_after": c.DefocusAfter, "frozen_after": c.FrozenAfter,
		"relearn_after": c.RelearnAfter, "flush_interval": c.FlushInterval} {
		if d < 0 || d > 24*time.Hour {
			return fmt.Errorf("%s: %v is not between 0 and 24h", name, d)
		}
	}
	return nil
}
