package app

import (
	"context"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// clockLog records the clock offset of each camera this node runs as it
// changes, so that an export says the offset in effect when its footage
// was recorded rather than the one at export time.
type clockLog struct {
	app  *App
	mu   sync.Mutex // one sample at a time
	last map[string]store.ClockOffset

	ticks *ticking
}

const (
	// clockEvery is how often the offsets are looked at.
	clockEvery = 30 * time.Second
	// clockChange is the change in offset worth recording; clockRefresh
	// is how old the last record may grow before the same offset is
	// recorded again (an export then finds one near its footage).
	clockChange  = 2 * time.Millisecond
	clockRefresh = time.Hour
)

func (a *App) startClockLog() {
	a.clocks = &clockLog{app: a, last: map[string]store.ClockOffset{}}
	a.clocks.ticks = tick(clockEvery, a.clocks.sample)
}

func (c *clockLog) close() { c.ticks.stop() }

// sample records every camera's offset that changed (or whose source
// did) by clockChange or more, or was last recorded clockRefresh ago.
func (c *clockLog) sample(ctx context.Context, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.app.sup.IDs() {
		secs, source, ok := c.app.clockOffset(id)
		if !ok {
			continue
		}
		o := store.ClockOffset{Camera: id, At: now, Offset: time.Duration(secs * float64(time.Second)), Source: source}
		if last, seen := c.last[id]; seen && last.Source == o.Source && (last.Offset-o.Offset).Abs() < clockChange &&
			now.Sub(last.At) < clockRefresh {
			continue
		}
		if err := c.app.store.AddClockOffset(ctx, o); err != nil {
			if ctx.Err() == nil {
				c.app.logger.Warn("cannot record a camera's clock offset", "camera", id, "error", err)
			}
			continue
		}
		c.last[id] = o
	}
}
