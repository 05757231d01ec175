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

// The offset is measured on every frame (its sender-report time less its
// arrival), so it carries the network's jitter: small changes are kept
// to one record in clockQuiet, a step is recorded at once.
const (
	// clockEvery is how often the offsets are looked at.
	clockEvery = 30 * time.Second
	// clockChange is the change worth recording (half a frame at 25 fps),
	// at most once in clockQuiet; clockStep, a step in the camera's clock,
	// is recorded at once.
	clockChange = 20 * time.Millisecond
	clockQuiet  = 5 * time.Minute
	clockStep   = 200 * time.Millisecond
	// clockRefresh is how old the last record may grow before the same
	// offset is recorded again (an export then finds one near its footage).
	clockRefresh = time.Hour
)

func (a *App) startClockLog() {
	a.clocks = &clockLog{app: a, last: map[string]store.ClockOffset{}}
	a.clocks.ticks = tick(clockEvery, a.clocks.sample)
}

func (c *clockLog) close() { c.ticks.stop() }

// sample records the offset of every camera seen for the first time,
// whose source changed, whose clock stepped, that changed by clockChange
// with none recorded for clockQuiet, or with none for clockRefresh.
func (c *clockLog) sample(ctx context.Context, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.app.sup.IDs() {
		secs, source, ok := c.app.clockOffset(id)
		if !ok {
			continue
		}
		o := store.ClockOffset{Camera: id, At: now, Offset: time.Duration(secs * float64(time.Second)), Source: source}
		if last, seen := c.last[id]; seen && !worthRecording(last, o) {
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

// worthRecording says whether measurement o should follow last.
func worthRecording(last, o store.ClockOffset) bool {
	change, since := (o.Offset - last.Offset).Abs(), o.At.Sub(last.At)
	return o.Source != last.Source || change >= clockStep || change >= clockChange && since >= clockQuiet ||
		since >= clockRefresh
}
