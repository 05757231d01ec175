package app

import (
	"context"
	"time"
)

// ticking runs a task every interval on its own goroutine until stopped.
type ticking struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// tick starts calling task(ctx, now) every interval.
func tick(interval time.Duration, task func(ctx context.Context, now time.Time)) *ticking {
	ctx, cancel := context.WithCancel(context.Background())
	k := &ticking{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(k.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				task(ctx, now)
			}
		}
	}()
	return k
}

// stop ends the calls, waiting for one under way.
func (k *ticking) stop() {
	k.cancel()
	<-k.done
}
