package ingest

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// rateTick is how often a worker refreshes its rates and age gauges.
const rateTick = time.Second

// Worker keeps one camera stream connected: it runs the source, reconnects
// with backoff forever, accounts outages and publishes into the hub.
type Worker struct {
	Target  Target
	Source  SourceFunc
	Hub     *Hub
	Backoff Backoff
	Outages OutageStore // may be nil
	Metrics *Metrics
	Logger  *slog.Logger

	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	started time.Time

	// online is signalled by the packet path when the first access unit of
	// a connection arrives; the run goroutine does the bookkeeping.
	online chan time.Time

	// Written on the packet path, read by status readers.
	frames, bytes, lost, decodeErrs, jumps atomic.Uint64
	lastFrameNs, lastKeyPTS, keyInterval   atomic.Int64
	clockOffsetNs                          atomic.Int64
	clockFromCamera                        atomic.Bool
	lastDecodeErr                          atomic.Pointer[string]
	connFrames                             atomic.Uint64 // frames in the current connection
	session                                atomic.Pointer[Session]

	// Owned by the run goroutine, read under mu by Status.
	mu         sync.Mutex
	state      State
	lastErr    string
	reconnects uint64
	outage     *Outage
	fps, bps   float64

	samples []rateSample // owned by the run goroutine

	// Decode errors are logged as a summary, not per packet.
	loggedDecodeErrs uint64
	lastErrSummary   time.Time

	m workerMetrics
}

// workerMetrics are the worker's series, resolved once so the packet path
// does no label lookups.
type workerMetrics struct {
	up, age, keyInterval, clockOffset prometheus.Gauge
	frames, bytes, reconnects, lost   prometheus.Counter
	decodeErrs, jumps                 prometheus.Counter
}

// Initialize starts the worker.
func (w *Worker) Initialize() {
	t := w.Target
	w.m = workerMetrics{
		up:          w.Metrics.Up.WithLabelValues(t.Camera, t.Stream),
		age:         w.Metrics.LastFrameAge.WithLabelValues(t.Camera, t.Stream),
		keyInterval: w.Metrics.KeyframeInterval.WithLabelValues(t.Camera, t.Stream),
		clockOffset: w.Metrics.ClockOffset.WithLabelValues(t.Camera, t.Stream),
		frames:      w.Metrics.Frames.WithLabelValues(t.Camera, t.Stream),
		bytes:       w.Metrics.Bytes.WithLabelValues(t.Camera, t.Stream),
		reconnects:  w.Metrics.Reconnects.WithLabelValues(t.Camera, t.Stream),
		lost:        w.Metrics.PacketsLost.WithLabelValues(t.Camera, t.Stream),
		decodeErrs:  w.Metrics.DecodeErrors.WithLabelValues(t.Camera, t.Stream),
		jumps:       w.Metrics.TimestampJumps.WithLabelValues(t.Camera, t.Stream),
	}
	w.Logger = w.Logger.With("camera", t.Camera, "stream", t.Stream)
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.done = make(chan struct{})
	w.online = make(chan time.Time, 1)
	w.started = time.Now()
	w.lastErrSummary = w.started
	w.setState(StateConnecting, "")
	go w.run()
}

// Close stops the worker and waits for it. An ongoing outage is closed: the
// stream is no longer monitored.
func (w *Worker) Close() {
	w.cancel()
	<-w.done
}

func (w *Worker) run() {
	defer close(w.done)
	ticker := time.NewTicker(rateTick)
	defer ticker.Stop()
	attempt := 0

	for {
		w.connFrames.Store(0)
		// Keep the last error visible while retrying.
		w.mu.Lock()
		lastErr := w.lastErr
		w.mu.Unlock()
		w.setState(StateConnecting, lastErr)
		errC := make(chan error, 1)
		go func() { errC <- w.Source(w.ctx, w.Target, w) }()

		var err error
	connected:
		for {
			select {
			case at := <-w.online:
				attempt = 0
				w.endOutage(at)
				w.setState(StateOnline, "")
			case now := <-ticker.C:
				w.updateRates(now)
			case err = <-errC:
				break connected
			}
		}
		// The connection may have died right after its first frame, before
		// the online signal was taken.
		select {
		case at := <-w.online:
			attempt = 0
			w.endOutage(at)
		default:
		}

		if w.ctx.Err() != nil {
			w.endOutage(time.Now())
			w.m.up.Set(0)
			return
		}
		w.failed(err)
		attempt++

		wait := time.NewTimer(w.Backoff.Delay(attempt - 1))
	waiting:
		for {
			select {
			case <-w.ctx.Done():
				wait.Stop()
				w.endOutage(time.Now())
				w.m.up.Set(0)
				return
			case now := <-ticker.C:
				w.updateRates(now)
			case <-wait.C:
				break waiting
			}
		}
	}
}

// failed records the end of a connection attempt.
func (w *Worker) failed(err error) {
	state := StateOffline
	if _, ok := err.(*UnsupportedCodecError); ok {
		state = StateUnsupported
	}
	wasOnline := w.connFrames.Load() > 0
	// An outage starts at the last frame seen, not when the failure was
	// noticed (a read timeout notices ten seconds late).
	start := time.Now()
	if last := w.lastFrameNs.Load(); wasOnline && last > 0 {
		start = time.Unix(0, last)
	}
	w.mu.Lock()
	if wasOnline {
		w.reconnects++
		w.m.reconnects.Inc()
	}
	w.mu.Unlock()
	w.mu.Lock()
	repeated := w.lastErr == err.Error()
	w.mu.Unlock()
	w.setState(state, err.Error())
	if w.currentOutage() == nil {
		if !wasOnline && w.frames.Load() == 0 {
			start = w.started
		}
		w.startOutage(start, err)
		repeated = false
	}
	// A camera that stays down is retried forever: say so once, not on
	// every retry (300 cameras behind a failed link would flood the log).
	level := slog.LevelWarn
	if repeated {
		level = slog.LevelDebug
	}
	w.Logger.Log(w.ctx, level, "camera stream failed", "error", err, "state", state, "was_online", wasOnline)
}

func (w *Worker) startOutage(start time.Time, err error) {
	o := &Outage{Camera: w.Target.Camera, Stream: w.Target.Stream, Start: start.UTC(), Reason: err.Error()}
	w.Metrics.Outages.WithLabelValues(o.Camera, o.Stream, reasonClass(err)).Inc()
	if w.Outages != nil {
		if serr := w.Outages.OpenOutage(w.ctx, o); serr != nil {
			w.Logger.Error("cannot record outage start", "error", serr)
		}
	}
	w.mu.Lock()
	w.outage = o
	w.mu.Unlock()
}

func (w *Worker) endOutage(at time.Time) {
	w.mu.Lock()
	o := w.outage
	w.outage = nil
	w.mu.Unlock()
	if o == nil {
		return
	}
	end := at.UTC()
	o.End = &end
	if w.Outages != nil {
		// The worker's context may be cancelled already: closing the outage
		// must still be written.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.Outages.CloseOutage(ctx, o); err != nil {
			w.Logger.Error("cannot record outage end", "error", err)
		}
	}
	w.Logger.Info("camera stream outage ended", "duration", end.Sub(o.Start).Round(time.Millisecond), "reason", o.Reason)
}

func (w *Worker) currentOutage() *Outage {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.outage
}

func (w *Worker) setState(s State, errText string) {
	w.mu.Lock()
	w.state, w.lastErr = s, errText
	w.mu.Unlock()
	for _, st := range allStates {
		v := 0.0
		if st == s {
			v = 1
		}
		w.Metrics.Status.WithLabelValues(w.Target.Camera, w.Target.Stream, string(st)).Set(v)
	}
	if s == StateOnline {
		w.m.up.Set(1)
	} else {
		w.m.up.Set(0)
	}
}

// rateWindow is how far back fps and bitrate look: long enough to span a
// GOP's large keyframe, short enough to show a failing camera quickly.
const rateWindow = 5

// rateSample is the counters at one tick.
type rateSample struct {
	at            time.Time
	frames, bytes uint64
}

// updateRates refreshes fps, bitrate and the last-frame age; called by the
// run goroutine once per tick.
func (w *Worker) updateRates(now time.Time) {
	w.samples = append(w.samples, rateSample{now, w.frames.Load(), w.bytes.Load()})
	if len(w.samples) > rateWindow+1 {
		w.samples = w.samples[1:]
	}
	first, last := w.samples[0], w.samples[len(w.samples)-1]
	if secs := last.at.Sub(first.at).Seconds(); secs > 0 {
		w.mu.Lock()
		w.fps = float64(last.frames-first.frames) / secs
		w.bps = float64(last.bytes-first.bytes) * 8 / secs
		w.mu.Unlock()
	}

	since := w.started
	if lf := w.lastFrameNs.Load(); lf > 0 {
		since = time.Unix(0, lf)
	}
	w.m.age.Set(now.Sub(since).Seconds())
	w.summarizeDecodeErrors(now)
}

// decodeErrorSummaryEvery rate-limits the decode error log of a stream.
const decodeErrorSummaryEvery = 10 * time.Second

func (w *Worker) summarizeDecodeErrors(now time.Time) {
	if now.Sub(w.lastErrSummary) < decodeErrorSummaryEvery {
		return
	}
	n := w.decodeErrs.Load()
	if n == w.loggedDecodeErrs {
		return
	}
	last := ""
	if p := w.lastDecodeErr.Load(); p != nil {
		last = *p
	}
	w.Logger.Warn("malformed packets discarded", "count", n-w.loggedDecodeErrs,
		"since", now.Sub(w.lastErrSummary).Round(time.Second), "last_error", last)
	w.loggedDecodeErrs, w.lastErrSummary = n, now
}

// Status returns a snapshot of the stream's health.
func (w *Worker) Status() StreamStatus {
	w.mu.Lock()
	st := StreamStatus{
		Stream:     w.Target.Stream,
		State:      w.state,
		Error:      w.lastErr,
		FPS:        round(w.fps, 2),
		BitrateBPS: round(w.bps, 0),
		Reconnects: w.reconnects,
	}
	if w.outage != nil {
		o := *w.outage
		st.CurrentOutage = &o
	}
	w.mu.Unlock()
	if s := w.session.Load(); s != nil {
		st.Codec, st.Width, st.Height = s.Codec, s.Width, s.Height
	}
	if last := w.lastFrameNs.Load(); last > 0 {
		st.LastFrame = time.Unix(0, last).UTC()
	}
	st.KeyframeInterval = round(time.Duration(w.keyInterval.Load()).Seconds(), 3)
	st.ClockOffset = round(time.Duration(w.clockOffsetNs.Load()).Seconds(), 3)
	st.ClockFromCamera = w.clockFromCamera.Load()
	st.Frames, st.Bytes = w.frames.Load(), w.bytes.Load()
	st.PacketsLost, st.DecodeErrors = w.lost.Load(), w.decodeErrs.Load()
	st.TimestampJumps = w.jumps.Load()
	st.Readers = w.Hub.Readers()
	return st
}

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

// The Sink methods run on the source's packet goroutine: they only update
// atomics and publish; anything slower happens on the run goroutine.

// SessionStarted implements Sink.
func (w *Worker) SessionStarted(s *Session) {
	w.session.Store(s)
	w.lastKeyPTS.Store(-1)
}

// AccessUnit implements Sink.
func (w *Worker) AccessUnit(au *AccessUnit) {
	size := uint64(au.Size())
	w.frames.Add(1)
	w.bytes.Add(size)
	w.m.frames.Inc()
	w.m.bytes.Add(float64(size))
	w.lastFrameNs.Store(au.Received.UnixNano())
	if au.Discontinuity {
		w.jumps.Add(1)
		w.m.jumps.Inc()
	}
	if au.Keyframe {
		if prev := w.lastKeyPTS.Swap(int64(au.PTS)); prev >= 0 && !au.Discontinuity {
			iv := au.PTS - time.Duration(prev)
			w.keyInterval.Store(int64(iv))
			w.m.keyInterval.Set(iv.Seconds())
		}
	}
	if au.WallFromSR {
		off := au.WallTime.Sub(au.Received)
		w.clockOffsetNs.Store(int64(off))
		w.clockFromCamera.Store(true)
		w.m.clockOffset.Set(off.Seconds())
	}
	if w.connFrames.Add(1) == 1 {
		select {
		case w.online <- au.Received:
		default:
		}
	}
	w.Hub.Publish(au)
}

// PacketsLost implements Sink.
func (w *Worker) PacketsLost(n uint64) {
	w.lost.Add(n)
	w.m.lost.Add(float64(n))
}

// DecodeError implements Sink.
func (w *Worker) DecodeError(err error) {
	w.decodeErrs.Add(1)
	w.m.decodeErrs.Inc()
	msg := err.Error()
	w.lastDecodeErr.Store(&msg)
}
