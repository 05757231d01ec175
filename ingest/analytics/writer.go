package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// op is one write the analysers hand to the engine's writer goroutine, so
// that a slow database never holds a worker: an event starting (start), an
// event ending (end), or activity rows.
type op struct {
	start    *store.Event
	end      *store.Event
	endAt    time.Time
	peak     float64
	objects  int
	detail   string
	thumb    []byte
	alert    bool // raise an alert for this start (tamper)
	activity []store.Activity
	plate    *store.PlateRead // a vehicle passage read
}

// writerQueue bounds the writes waiting; analysers never block on it.
const writerQueue = 4096

// write stores one op. Events are pointers shared with the analyser that
// made them: only this goroutine writes their fields after the start op.
func (e *Engine) write(ctx context.Context, o op) {
	switch {
	case o.start != nil:
		ev := o.start
		ev.Thumbnail = o.thumb
		if err := e.Store.AddEvent(ctx, ev); err != nil {
			e.warn("write event", err)
			return
		}
		ev.Thumbnail = nil
		e.metrics.events.WithLabelValues(ev.Camera, ev.Kind).Inc()
		if o.alert && e.Alerts != nil {
			a := store.Alert{At: ev.Start, Camera: ev.Camera, Kind: store.AlertTamper, Rule: ev.Kind,
				Severity: store.SeverityWarning, Message: tamperMessage(ev), EventID: ev.ID, Thumbnail: o.thumb}
			if _, err := e.Alerts.Raise(ctx, a); err != nil {
				e.warn("raise alert", err)
			}
		}
	case o.end != nil:
		ev := o.end
		if ev.ID == 0 {
			return // its start was not written
		}
		ev.End = o.endAt
		if o.peak != 0 {
			ev.Peak = o.peak
		}
		if o.objects != 0 {
			ev.Objects = o.objects
		}
		if o.detail != "" {
			ev.Detail = o.detail
		}
		ev.Thumbnail = o.thumb
		if err := e.Store.UpdateEvent(ctx, *ev); err != nil {
			e.warn("end event", err)
		}
		ev.Thumbnail = nil
	case len(o.activity) > 0:
		if err := e.Store.AddActivity(ctx, o.activity); err != nil {
			e.warn("write activity", err)
		}
	case o.plate != nil:
		if err := e.Store.AddPlateRead(ctx, o.plate); err != nil {
			e.warn("write plate read", err)
			return
		}
		e.metrics.plates.WithLabelValues(o.plate.Camera).Inc()
		if e.Plates != nil {
			e.Plates.Observe(ctx, *o.plate)
		}
	}
}

func tamperMessage(ev *store.Event) string {
	what := map[string]string{
		store.EventTamperCovered:   "is covered or black",
		store.EventTamperMoved:     "has been moved: the view no longer matches its reference",
		store.EventTamperDefocused: "is out of focus",
		store.EventTamperFrozen:    "shows a frozen picture while its stream still flows",
	}[ev.Kind]
	return fmt.Sprintf("Camera %s %s (since %s).", ev.Camera, what, ev.Start.UTC().Format(time.RFC3339))
}

// send queues an op without blocking; a full queue loses it (counted).
func (e *Engine) send(o op) {
	select {
	case e.ops <- o:
	default:
		e.metrics.lost.Inc()
		e.warn("writer queue full", fmt.Errorf("%d writes waiting", writerQueue))
	}
}

// runWriter writes ops until the engine closes, then what is left.
func (e *Engine) runWriter() {
	defer close(e.writerDone)
	ctx := context.Background()
	for o := range e.ops {
		e.write(ctx, o)
	}
}
