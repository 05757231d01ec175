package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/nuisance"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// The demo's scene cameras show their scene (the simulator says so), are
// named for it and have its zones drawn; a scene for a camera beyond the
// demo's count is left out, and a restart keeps an operator's zones.
func TestDemoSceneCameras(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sup := &ingest.Supervisor{Source: rtsp.Read, Outages: st, Metrics: ingest.NewMetrics(nil), Logger: slog.New(slog.DiscardHandler),
		Defaults: ingest.Defaults{Transport: "tcp", ReadTimeout: 3 * time.Second, Backoff: ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second}}}
	sup.Initialize()
	defer sup.Close()
	reg := &registry{store: st, sup: sup}
	start := func() *demoSite {
		d := &demoSite{Config: DemoConfig{Cameras: 2, RTSPListen: "127.0.0.1:0", ClipDir: simtest.ClipDir(t),
			Scenes: map[string]string{"cam002": "covered", "cam009": "zone"}}, Logger: slog.New(slog.DiscardHandler),
			tune: func(c *sim.Config) { c.Main, c.Sub = simtest.Main, simtest.Sub }}
		if err := d.Initialize(ctx, reg); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := start()
	if sc, _, ok := d.sim.SceneClock("cam002"); !ok || sc != sim.SceneCovered {
		t.Fatalf("cam002 shows %q, want covered", sc)
	}
	if sc, _, _ := d.sim.SceneClock("cam001"); sc != sim.SceneStreet {
		t.Fatalf("cam001 shows %q, want the street", sc)
	}
	c2, err := st.GetCamera(ctx, "cam002")
	if err != nil || !strings.Contains(c2.Name, "test scene: covered") {
		t.Fatalf("cam002 is %q (%v)", c2.Name, err)
	}
	set, _ := st.CameraAnalytics(ctx, "cam002")
	if got := zoneNames(set); got != "Doorway Road" {
		t.Fatalf("cam002 zones %q, want the scene's", got)
	}
	if set, _ := st.CameraAnalytics(ctx, "cam001"); len(set.Zones) != 0 {
		t.Fatalf("cam001 has zones %q", zoneNames(set))
	}
	if _, err := st.GetCamera(ctx, "cam009"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cam009 (beyond the 2 demo cameras): %v", err)
	}
	d.Close()

	set.Zones = set.Zones[:1]
	if err := st.PutCameraAnalytics(ctx, set); err != nil {
		t.Fatal(err)
	}
	start().Close()
	if set, _ := st.CameraAnalytics(ctx, "cam002"); zoneNames(set) != "Doorway" {
		t.Fatalf("a restart redrew the operator's zones: %q", zoneNames(set))
	}
}

func zoneNames(set store.CameraAnalytics) string {
	var names []string
	for _, z := range set.Zones {
		names = append(names, z.Name)
	}
	return strings.Join(names, " ")
}

// A new demo site whose plates camera is read starts with one watch-list
// entry, logged in the evidence log as any change to the list; a restart
// (the camera no longer new) lists nothing again.
func TestDemoSeedsWatchlist(t *testing.T) {
	ctx := context.Background()
	cfg := DemoSiteConfig()
	cfg.DataDir = t.TempDir()
	a := &App{Config: cfg}
	a.logger = newLogger(io.Discard, &a.Config)
	a.metrics = prometheus.NewRegistry()
	st, err := store.Open(filepath.Join(cfg.DataDir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a.store = st
	if err := a.openEvidence(); err != nil {
		t.Fatal(err)
	}
	defer a.evlog.Close()
	a.nuisance = &nuisance.Service{}
	a.demo = &demoSite{fresh: map[string]sim.Scene{"cam001": sim.SceneStreet, "cam006": sim.ScenePlates}}
	if err := a.seedWatchlist(ctx); err != nil {
		t.Fatal(err)
	}
	a.demo.fresh = nil // restarted
	if err := a.seedWatchlist(ctx); err != nil {
		t.Fatal(err)
	}
	ws, err := st.Watches(ctx, time.Now())
	if err != nil || len(ws) != 1 || ws[0].Plate != "YD68HMV" || ws[0].AddedBy != evidence.ActorDemo {
		t.Fatalf("watch-list %+v (%v): want the demo's one listing", ws, err)
	}
	logged := 0
	if err := a.evlog.Scan(0, a.evlog.Size(), func(e evidence.Entry, _ []byte) bool {
		if e.Action == evidence.ActionWatchlistChanged && e.Actor == evidence.ActorDemo && strings.Contains(e.Detail, "YD68HMV") {
			logged++
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if logged != 1 {
		t.Errorf("%d evidence entries for the demo listing, want 1", logged)
	}
}
