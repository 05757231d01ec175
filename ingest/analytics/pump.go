package analytics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/decode"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// pump is one camera's analysis goroutine: hub reader → decoder → analyser.
type pump struct {
	e        *Engine
	camera   string
	hub      *ingest.Hub
	reader   *ingest.Reader
	cancel   context.CancelFunc
	done     chan struct{}
	settings chan store.CameraAnalytics // latest settings, newest wins
	// steeredUntil (Unix nanoseconds) is until when the camera is being
	// steered (a PTZ dome): its view is meant to change (Engine.Steered).
	steeredUntil atomic.Int64
}

// steered is until when the camera is being steered (zero: it is not).
func (p *pump) steered() time.Time {
	if ns := p.steeredUntil.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

func (e *Engine) startPump(camera string, hub *ingest.Hub) *pump {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pump{e: e, camera: camera, hub: hub, cancel: cancel, done: make(chan struct{}),
		settings: make(chan store.CameraAnalytics, 1),
		reader:   hub.Attach(ingest.ReaderOptions{Name: "analytics", Queue: e.Config.Queue, Start: ingest.StartNextKeyframe})}
	go p.run(ctx)
	return p
}

func (p *pump) stop() {
	p.cancel()
	p.reader.Close()
	<-p.done
}

// reload hands the pump new settings; an older pending set is replaced.
func (p *pump) reload(set store.CameraAnalytics) {
	for {
		select {
		case p.settings <- set:
			return
		default:
		}
		select {
		case <-p.settings:
		default:
		}
	}
}

func (p *pump) run(ctx context.Context) {
	defer close(p.done)
	e := p.e
	set, err := e.Store.CameraAnalytics(ctx, p.camera)
	if err != nil {
		e.warn("read settings", err, "camera", p.camera)
		set = store.CameraAnalytics{Camera: p.camera, Enabled: true, Sensitivity: store.DefaultSensitivity, MinArea: store.DefaultMinArea}
	}
	dec, err := decode.NewForAnalysis()
	if err != nil {
		e.warn("start decoder", err, "camera", p.camera)
		return
	}
	defer dec.Close()
	an := newAnalyser(p.camera, e.Config, set, e.send, e.gauge(p.camera))
	an.steered = p.steered
	defer func() { an.close(now()) }()
	var plates *plateStage
	if e.Config.PlateCameras != nil && e.Config.PlateCameras(p.camera) {
		if plates, err = newPlateStage(p.camera, e.Config.PlateRegion, e.send); err != nil {
			e.warn("start plate reader", err, "camera", p.camera)
		} else {
			if e.Config.PlateMainHub != nil {
				looks := e.metrics.looks.WithLabelValues(p.camera)
				plates.main = newMainLook(func() *ingest.Hub {
					if h := e.Config.PlateMainHub(p.camera); h != p.hub {
						return h
					}
					return nil
				}, looks.Inc)
			}
			defer plates.close()
		}
	}

	interval := time.Duration(float64(time.Second) / e.Config.Rate)
	var session uuid.UUID
	var next time.Duration // PTS of the next picture to analyse
	var dropped uint64
	analysed := e.metrics.analysed.WithLabelValues(p.camera)
	for {
		var au *ingest.AccessUnit
		var ok bool
		select {
		case <-ctx.Done():
			return
		case set = <-p.settings:
			an.close(now())
			an = newAnalyser(p.camera, e.Config, set, e.send, e.gauge(p.camera))
			an.steered = p.steered
			continue
		case au, ok = <-p.reader.C():
			if !ok {
				return
			}
		}
		if d := p.reader.Dropped(); d != dropped {
			e.metrics.dropped.WithLabelValues(p.camera).Add(float64(d - dropped))
			dropped = d
		}
		if !set.Enabled {
			continue
		}
		if au.Session != nil && au.Session.ID != session {
			// A new ingest session: the decoder starts again at its keyframe.
			session = au.Session.ID
			dec.Flush()
			next = 0
		}
		// One worker slot for the decode (and the analysis): waiting here
		// lets the hub's queue fill, and it then drops to the next keyframe.
		select {
		case e.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		frame, err := dec.Decode(au.NALUs)
		if err != nil {
			e.metrics.errors.WithLabelValues(p.camera).Inc()
			e.warn("decode", err, "camera", p.camera)
		}
		if frame != nil && au.PTS+interval/4 >= next { // a quarter interval of jitter allowed
			if next == 0 || au.PTS-next > interval {
				next = au.PTS // behind, or the first: pace from here
			}
			next += interval
			at := au.WallTime
			if at.IsZero() {
				at = now()
			}
			if err := an.analyse(frame, at); err != nil {
				e.warn("analyse", err, "camera", p.camera)
			} else if plates != nil {
				if err := plates.observe(frame, at, an); err != nil {
					e.warn("read plates", err, "camera", p.camera)
				}
			}
			analysed.Inc()
		}
		<-e.slots
	}
}
