package recorder

import (
	"context"
	"time"
)

// passes runs a pass at start, then every interval and whenever kicked,
// until closed: retention's and the uploader's loop.
type passes struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	kick   chan struct{}
}

// start runs pass on its own goroutine.
func (p *passes) start(interval time.Duration, pass func(ctx context.Context)) {
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.done = make(chan struct{})
	p.kick = make(chan struct{}, 1)
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			pass(p.ctx)
			select {
			case <-p.ctx.Done():
				return
			case <-t.C:
			case <-p.kick:
			}
		}
	}()
}

// running says whether start has been called.
func (p *passes) running() bool { return p.done != nil }

// stop ends the passes and waits for the one under way.
func (p *passes) stop() {
	p.cancel()
	<-p.done
}

// Kick asks for a pass now; it never blocks.
func (p *passes) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}
