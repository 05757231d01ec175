package analytics

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/decode"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// recorded is what an analyser handed to its writer, kept for assertions.
type recorded struct {
	mu       sync.Mutex
	events   []*store.Event // in start order; End set when ended
	activity []store.Activity
	alerts   int
	gauges   map[string]bool
	plates   []*store.PlateRead
}

func (r *recorded) out(o op) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case o.start != nil:
		ev := *o.start
		ev.Thumbnail = o.thumb
		r.events = append(r.events, &ev)
		if o.alert {
			r.alerts++
		}
		o.start.ID = int64(len(r.events)) // as the writer would
	case o.end != nil:
		ev := r.events[o.end.ID-1]
		ev.End = o.endAt
		if o.peak != 0 {
			ev.Peak = o.peak
		}
		ev.Objects = o.objects
	case o.plate != nil:
		r.plates = append(r.plates, o.plate)
	default:
		r.activity = append(r.activity, o.activity...)
	}
}

func (r *recorded) gauge(kind string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gauges == nil {
		r.gauges = map[string]bool{}
	}
	r.gauges[kind] = on
}

// kind returns the recorded events of one kind and zone.
func (r *recorded) kind(kind, zone string) []*store.Event {
	var out []*store.Event
	for _, ev := range r.events {
		if ev.Kind == kind && ev.Zone == zone {
			out = append(out, ev)
		}
	}
	return out
}

// clipAUs reads a clip's access units.
func clipAUs(t testing.TB, path string) [][][]byte {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	aus, err := decode.SplitAnnexB(buf)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return aus
}

// runClip decodes a clip loops times and analyses every picture at fps,
// with wall times from t0, as the pump would; it returns what was recorded
// and closes the analyser at the end.
func runClip(t testing.TB, aus [][][]byte, fps, loops int, cfg Config, set store.CameraAnalytics, t0 time.Time) *recorded {
	t.Helper()
	cfg.defaults()
	rec := &recorded{}
	dec, err := decode.NewForAnalysis()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	an := newAnalyser("cam001", cfg, set, rec.out, rec.gauge)
	at := t0
	for range loops {
		at = playAUs(t, dec, aus, fps, at, an, nil, nil)
	}
	an.close(at)
	return rec
}

func defaultSettings() store.CameraAnalytics {
	return store.CameraAnalytics{Camera: "cam001", Enabled: true, Sensitivity: store.DefaultSensitivity, MinArea: store.DefaultMinArea}
}

// playAUs decodes aus once, as the pump does, one picture every 1/fps of
// wall time from at: each picture goes through an, then plates (when not
// nil); before (when not nil) is told each access unit's wall time first.
// It returns the wall time after the last.
func playAUs(t testing.TB, dec *decode.Decoder, aus [][][]byte, fps int, at time.Time, an *analyser, plates *plateStage,
	before func(at time.Time)) time.Time {
	t.Helper()
	frame := time.Second / time.Duration(fps)
	for _, au := range aus {
		if before != nil {
			before(at)
		}
		f, err := dec.Decode(au)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if f != nil {
			if err := an.analyse(f, at); err != nil {
				t.Fatal(err)
			}
			if plates != nil {
				if err := plates.observe(f, at, an); err != nil {
					t.Fatal(err)
				}
			}
		}
		at = at.Add(frame)
	}
	return at
}
