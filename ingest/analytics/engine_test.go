package analytics

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestEngineAnalysesACameraOverRTSP runs the whole path: the simulator
// serves the zone scene over RTSP, ingest pulls the sub stream into a hub,
// the engine decodes and analyses it, and motion events (with thumbnails
// and the camera's zones) and activity land in a real store.
func TestEngineAnalysesACameraOverRTSP(t *testing.T) {
	srv := simtest.Start(t, 1, func(c *sim.Config) {
		c.Sub = simtest.SceneSpec
		c.Scenes = map[string]sim.Scene{"cam001": sim.SceneZone}
	})
	_, truth := simtest.Scene(t, sim.SceneZone, simtest.SceneSpec)
	st := openStore(t)
	ctx := context.Background()
	set := defaultSettings()
	set.Zones = truth.Zones
	if err := st.PutCameraAnalytics(ctx, set); err != nil {
		t.Fatal(err)
	}
	sup := &ingest.Supervisor{Source: rtsp.Read, Defaults: ingest.Defaults{Transport: "tcp", ReadTimeout: 5 * time.Second,
		Backoff: ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second}}, Outages: st,
		Metrics: ingest.NewMetrics(prometheus.NewRegistry()), Logger: quiet()}
	sup.Initialize()
	defer sup.Close()
	sup.Apply([]ingest.Camera{{ID: "cam001", Enabled: true, Main: ingest.Target{URL: srv.URL(1, "main")}, Sub: ingest.Target{URL: srv.URL(1, "sub")}}})

	reg := prometheus.NewRegistry()
	e := &Engine{Store: st, Registerer: reg, Logger: quiet()}
	if err := e.Initialize(); err != nil {
		t.Fatal(err)
	}
	e.Analyse("cam001", sup.Hub("cam001", ingest.StreamSub))

	// The zone scene's first object crosses the Doorway from 3 s.
	deadline := time.Now().Add(40 * time.Second)
	var events []store.Event
	for time.Now().Before(deadline) {
		var err error
		events, err = st.Events(ctx, store.EventFilter{Camera: "cam001", From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) >= 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.Close() // ends open events and writes the activity counted so far
	if len(events) < 2 {
		t.Fatalf("no motion events after 40 s of the zone scene: %+v", events)
	}
	zonesSeen := map[string]bool{}
	for _, ev := range events {
		zonesSeen[ev.Zone] = true
		if ev.Kind != store.EventMotion {
			t.Errorf("unexpected %s event", ev.Kind)
		}
		if _, jpeg, err := st.EventThumbnail(ctx, ev.ID); err != nil || len(jpeg) < 100 {
			t.Errorf("event %d: thumbnail %d bytes, %v", ev.ID, len(jpeg), err)
		}
	}
	if !zonesSeen[""] {
		t.Errorf("no whole-frame event among %v", zonesSeen)
	}
	acts, err := st.Activity(ctx, store.ActivityFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	for _, a := range acts {
		if a.Zone == "" {
			frames += a.Frames
		}
	}
	if frames == 0 {
		t.Errorf("no activity written: %+v", acts)
	}
	if n := openMats(); n > 0 {
		t.Errorf("%d Mats open after Close", n)
	}
}

// TestTamperEventRaisesAnAlert checks the writer's path for a tamper event:
// the event is stored, then an alert on it with its thumbnail.
func TestTamperEventRaisesAnAlert(t *testing.T) {
	st := openStore(t)
	al := &alerts.Service{Store: st, Logger: quiet()}
	if err := al.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	msgs, cancel := al.Subscribe()
	defer cancel()
	e := &Engine{Store: st, Alerts: al, Logger: quiet()}
	if err := e.Initialize(); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	ev := &store.Event{Camera: "cam007", Kind: store.EventTamperCovered, Start: start, Peak: 1.5}
	e.send(op{start: ev, thumb: []byte("\xff\xd8 jpeg"), alert: true})
	e.send(op{end: ev, endAt: start.Add(time.Minute)})
	var got alerts.Message
	select {
	case got = <-msgs:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert raised")
	}
	e.Close()
	a := got.Alert
	if a.Kind != store.AlertTamper || a.Rule != store.EventTamperCovered || a.Camera != "cam007" || a.EventID == 0 || !a.At.Equal(start) {
		t.Errorf("alert %+v", a)
	}
	if _, jpeg, err := st.AlertThumbnail(context.Background(), a.ID); err != nil || string(jpeg) != "\xff\xd8 jpeg" {
		t.Errorf("alert thumbnail %q, %v", jpeg, err)
	}
	evs, err := st.Events(context.Background(), store.EventFilter{Camera: "cam007", From: start.Add(-time.Hour), To: start.Add(time.Hour)})
	if err != nil || len(evs) != 1 || !evs[0].End.Equal(start.Add(time.Minute)) {
		t.Errorf("events %+v, %v", evs, err)
	}
}
