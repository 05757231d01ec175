package analytics

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/ratelog"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Store is what the engine needs of the store (*store.Store).
type Store interface {
	CameraAnalytics(ctx context.Context, camera string) (store.CameraAnalytics, error)
	AddEvent(ctx context.Context, ev *store.Event) error
	UpdateEvent(ctx context.Context, ev store.Event) error
	AddActivity(ctx context.Context, rows []store.Activity) error
	AddPlateRead(ctx context.Context, r *store.PlateRead) error
}

// PlateObserver judges each stored plate read (*nuisance.Service: the
// watch-list and behaviour rules).
type PlateObserver interface {
	Observe(ctx context.Context, r store.PlateRead)
}

// Raiser raises alerts (*alerts.Service).
type Raiser interface {
	Raise(ctx context.Context, a store.Alert) (store.Alert, error)
}

// Engine analyses cameras: one pump goroutine per camera reads its hub,
// and a bounded pool of worker slots limits how many decode or analyse at
// once. Events and activity go to the store through one writer goroutine.
type Engine struct {
	Config     Config
	Store      Store
	Alerts     Raiser        // may be nil
	Plates     PlateObserver // may be nil
	Registerer prometheus.Registerer
	Logger     *slog.Logger

	metrics    *Metrics
	warns      ratelog.Logger // a broken stream or database must not flood the log
	slots      chan struct{}
	ops        chan op
	writerDone chan struct{}

	mu      sync.Mutex
	cameras map[string]*pump
	closed  bool
}

// Initialize checks the configuration and starts the writer.
func (e *Engine) Initialize() error {
	if e.Store == nil {
		return errors.New("analytics: Store is nil")
	}
	if err := e.Config.Validate(); err != nil {
		return err
	}
	e.Config.defaults()
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	e.warns.Logger = e.Logger
	e.metrics = NewMetrics(e.Registerer)
	e.slots = make(chan struct{}, e.Config.Workers)
	e.ops = make(chan op, writerQueue)
	e.writerDone = make(chan struct{})
	e.cameras = map[string]*pump{}
	go e.runWriter()
	return nil
}

// Close stops every camera's analysis (open events are ended), then writes
// what is queued.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	pumps := make([]*pump, 0, len(e.cameras))
	for id, p := range e.cameras {
		pumps = append(pumps, p)
		delete(e.cameras, id)
	}
	e.mu.Unlock()
	for _, p := range pumps {
		p.stop()
	}
	close(e.ops)
	<-e.writerDone
}

// Analyse starts analysing a camera from its hub (the analysed stream's);
// a camera already analysed from the same hub is left alone, one on another
// hub is restarted.
func (e *Engine) Analyse(camera string, hub *ingest.Hub) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	if p, ok := e.cameras[camera]; ok {
		if p.hub == hub {
			return
		}
		p.stop()
	}
	e.cameras[camera] = e.startPump(camera, hub)
	e.metrics.cameras.Set(float64(len(e.cameras)))
}

// Stop ends a camera's analysis.
func (e *Engine) Stop(camera string) {
	e.mu.Lock()
	p, ok := e.cameras[camera]
	delete(e.cameras, camera)
	e.metrics.cameras.Set(float64(len(e.cameras)))
	e.mu.Unlock()
	if ok {
		p.stop()
		e.metrics.forget(camera)
	}
}

// Steered says a camera (a PTZ dome) is being steered until until: its
// view is meant to change, so it is not judged moved, and the view it
// settles on becomes its reference.
func (e *Engine) Steered(camera string, until time.Time) {
	e.mu.Lock()
	p := e.cameras[camera]
	e.mu.Unlock()
	if p == nil {
		return
	}
	for {
		old := p.steeredUntil.Load()
		if old >= until.UnixNano() || p.steeredUntil.CompareAndSwap(old, until.UnixNano()) {
			return
		}
	}
}

// Analysing lists the cameras being analysed.
func (e *Engine) Analysing() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.cameras))
	for id := range e.cameras {
		ids = append(ids, id)
	}
	return ids
}

// Reload makes a camera's analysis pick up its changed settings (zones,
// masks, sensitivity); its background model starts again.
func (e *Engine) Reload(ctx context.Context, camera string) error {
	set, err := e.Store.CameraAnalytics(ctx, camera)
	if err != nil {
		return err
	}
	e.mu.Lock()
	p, ok := e.cameras[camera]
	e.mu.Unlock()
	if ok {
		p.reload(set)
	}
	return nil
}

// warn logs a failure, at most once per 10 s for each kind of failure.
func (e *Engine) warn(what string, err error, attrs ...any) {
	e.warns.Warn("analytics: "+what, append([]any{"error", err}, attrs...)...)
}

// gauge sets a camera's tamper gauge.
func (e *Engine) gauge(camera string) func(string, bool) {
	return func(kind string, on bool) {
		v := 0.0
		if on {
			v = 1
		}
		e.metrics.tamper.WithLabelValues(camera, kind).Set(v)
	}
}

// now is the analysis clock for pictures without a wall time.
func now() time.Time { return time.Now() }
