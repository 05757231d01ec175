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
	"github.com/vigil-cctv/vigil/ingest/tasking"
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

// demoApp is the demo site's App with its store and evidence log open (on
// a fresh data directory), and nothing else started.
func demoApp(t *testing.T) *App {
	t.Helper()
	cfg := DemoSiteConfig()
	cfg.DataDir = t.TempDir()
	a := &App{Config: cfg}
	a.logger = newLogger(io.Discard, &a.Config)
	a.metrics = prometheus.NewRegistry()
	st, err := store.Open(filepath.Join(cfg.DataDir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a.store = st
	if err := a.openEvidence(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.evlog.Close() })
	return a
}

// A new demo site whose plates camera is read starts with one watch-list
// entry, logged in the evidence log as any change to the list; a restart
// (the camera no longer new) lists nothing again.
func TestDemoSeedsWatchlist(t *testing.T) {
	ctx := context.Background()
	a := demoApp(t)
	st := a.store
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

// storeCameras changes camera records in the store alone (the registry
// also restarts ingest; the demo's deployment needs only the record).
type storeCameras struct{ *store.Store }

func (c storeCameras) Get(ctx context.Context, id string) (store.Camera, error) {
	return c.GetCamera(ctx, id)
}
func (c storeCameras) Update(ctx context.Context, cam *store.Camera) error {
	return c.UpdateCamera(ctx, cam)
}

// A new demo site's first mobile camera (cam005, at the park entrance) is
// live on a BJAG deployment, put there through the workflow, with its
// place recorded; a restart adds no other.
func TestDemoSeedsDeployment(t *testing.T) {
	ctx := context.Background()
	a := demoApp(t)
	st := a.store
	c := store.Camera{ID: "cam005", Name: "Park entrance (mobile)", Kind: store.KindMobile, MainURL: "rtsp://127.0.0.1:8554/cam005/main",
		Enabled: true, ManagedBy: store.ManagedByDemo}
	c.Normalize()
	if err := st.CreateCamera(ctx, &c); err != nil {
		t.Fatal(err)
	}
	a.tasking = &tasking.Service{Store: st, Cameras: storeCameras{st}, Audit: a.evlog, Logger: a.logger, Interval: time.Hour}
	if err := a.tasking.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer a.tasking.Close()
	a.demo = &demoSite{fresh: map[string]sim.Scene{"cam001": sim.SceneStreet, "cam005": sim.SceneStreet}}
	if err := a.seedDeployment(ctx); err != nil {
		t.Fatal(err)
	}
	a.demo.fresh = nil // restarted
	if err := a.seedDeployment(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Deployments(ctx, store.DeploymentFilter{})
	if err != nil || len(ds) != 1 || ds[0].State != store.DeploymentLive || ds[0].Camera != "cam005" || ds[0].RequestedBy != evidence.ActorDemo {
		t.Fatalf("deployments %+v (%v): want cam005 live", ds, err)
	}
	locs, _ := st.CameraLocations(ctx, "cam005", time.Time{}, time.Time{})
	cam, _ := st.GetCamera(ctx, "cam005")
	if len(locs) != 1 || locs[0].Name != "Park entrance (mobile)" || cam.Name != "Park entrance (mobile)" || !cam.Enabled {
		t.Fatalf("cam005 %+v at %+v", cam, locs)
	}
}
