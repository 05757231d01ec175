package app

import (
	"context"
	"errors"
	"sync/atomic"
)

// readiness is what GET /readyz reports (ui.Server.Ready): not ready while
// the store does not answer or the service is closing. Liveness (/healthz)
// does not depend on it, so a database outage takes nodes out of load
// balancing without getting them restarted.
type readiness struct {
	closing atomic.Bool // set first thing in Close
	failing atomic.Bool // the last check failed: log changes only
}

// ready is ui.Server.Ready. Its errors are shown to anyone: the store's
// own error (which may name hosts and users) goes to the log instead.
func (a *App) ready(ctx context.Context) error {
	if a.readiness.closing.Load() {
		return errors.New("shutting down")
	}
	if err := a.store.Ping(ctx); err != nil {
		if !a.readiness.failing.Swap(true) {
			a.logger.Warn("not ready: the store does not answer", "error", err)
		}
		return errors.New("store unreachable")
	}
	if a.readiness.failing.Swap(false) {
		a.logger.Info("ready: the store answers again")
	}
	return nil
}
