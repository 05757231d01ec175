package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/tasking"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// demoSite runs the camera simulator in-process and registers its cameras,
// so `make run` shows a working control room with no hardware.
type demoSite struct {
	Config  DemoConfig
	DataDir string
	Logger  *slog.Logger

	sim  *sim.Server
	tune func(*sim.Config) // tests: smaller streams
	// fresh are the cameras this start added, with their scenes ("" for
	// the street).
	fresh map[string]sim.Scene
}

// demoPlaces are plausible spots in a London borough for the demo cameras.
var demoPlaces = []struct {
	name, site, ward string
	lat, lon         float64
	kind             string
}{
	{"High Street / Market Square", "Town centre", "Abbey", 51.5390, 0.0810, store.KindFixed},
	{"Station Parade", "Town centre", "Abbey", 51.5395, 0.0805, store.KindFixed},
	{"Ripple Road junction", "Ripple Road", "Thames", 51.5330, 0.0870, store.KindFixed},
	{"Longbridge Road shops", "Longbridge", "Longbridge", 51.5470, 0.0950, store.KindFixed},
	{"Park entrance (mobile)", "Barking Park", "Longbridge", 51.5440, 0.0860, store.KindMobile},
	{"Bus garage forecourt", "Ripple Road", "Thames", 51.5310, 0.0920, store.KindFixed},
	{"Estate car park (mobile)", "Gascoigne estate", "Gascoigne", 51.5350, 0.0760, store.KindMobile},
	{"Riverside walk", "Town quay", "Gascoigne", 51.5360, 0.0730, store.KindFixed},
}

// Initialize starts the simulator and registers any demo camera the store
// does not have yet (an operator's edits to demo cameras are kept).
func (d *demoSite) Initialize(ctx context.Context, reg *registry) error {
	cfg := sim.DefaultConfig()
	cfg.Listen = d.Config.RTSPListen
	cfg.Cameras = d.Config.Cameras
	cfg.ClipDir = d.Config.ClipDir
	if cfg.ClipDir == "" {
		cfg.ClipDir = filepath.Join(d.DataDir, "clips")
	}
	cfg.Logger = d.Logger
	cfg.Scenes = map[string]sim.Scene{}
	for i := 1; i <= cfg.Cameras; i++ {
		if sc, ok := d.Config.Scenes[sim.CameraName(i)]; ok {
			cfg.Scenes[sim.CameraName(i)] = sim.Scene(sc)
		}
	}
	for _, id := range d.Config.PTZ {
		if n, err := strconv.Atoi(strings.TrimPrefix(id, "cam")); err == nil && n >= 1 && n <= cfg.Cameras && cfg.Scenes[id] == "" {
			cfg.PTZ = append(cfg.PTZ, id)
		}
	}
	if cfg.ONVIFListen = d.Config.ONVIFListen; cfg.ONVIFListen != "" {
		cfg.DiscoveryListen = "127.0.0.1:0"
	}
	if d.tune != nil {
		d.tune(&cfg)
	}
	d.sim = &sim.Server{Config: cfg}
	if err := d.sim.Initialize(); err != nil {
		d.sim = nil
		return err
	}
	for i := 1; i <= d.Config.Cameras; i++ {
		c := store.Camera{
			ID:        fmt.Sprintf("cam%03d", i),
			MainURL:   d.sim.URL(i, "main"),
			SubURL:    d.sim.URL(i, "sub"),
			Enabled:   true,
			ManagedBy: store.ManagedByDemo,
			ONVIFURL:  d.sim.ONVIFURL(i),
		}
		if slices.Contains(cfg.PTZ, c.ID) {
			c.PTZProfile = "main"
		}
		p := demoPlaces[(i-1)%len(demoPlaces)]
		c.Name, c.Site, c.Ward, c.Kind = p.name, p.site, p.ward, p.kind
		lat, lon := p.lat+float64((i-1)/len(demoPlaces))*0.002, p.lon
		c.Latitude, c.Longitude = &lat, &lon
		if i > len(demoPlaces) {
			c.Name = fmt.Sprintf("%s %d", p.name, 1+(i-1)/len(demoPlaces))
		}
		c.Normalize()
		if c.PTZProfile != "" {
			c.Name += " (PTZ dome)"
		}
		if sc := cfg.Scenes[c.ID]; sc != "" {
			c.Name = fmt.Sprintf("%s (test scene: %s)", c.Name, sc)
			if err := d.drawZones(ctx, reg.store, c.ID, sc); err != nil {
				return err
			}
		}
		err := reg.Create(ctx, &c)
		switch {
		case err == nil:
			if d.fresh == nil {
				d.fresh = map[string]sim.Scene{}
			}
			d.fresh[c.ID] = cfg.Scenes[c.ID]
		case errors.Is(err, store.ErrExists):
			// The simulator's ONVIF ports may differ from the last start.
			if err := d.moveONVIF(ctx, reg, c); err != nil {
				return err
			}
		default:
			return err
		}
	}
	d.Logger.Info("demo cameras simulated", "cameras", d.Config.Cameras, "rtsp", d.sim.Addr())
	return nil
}

// moveONVIF points a demo camera the store has at the simulator's ONVIF
// service as it is now; the operator's other edits stay.
func (d *demoSite) moveONVIF(ctx context.Context, reg *registry, c store.Camera) error {
	old, err := reg.store.GetCamera(ctx, c.ID)
	if err != nil || old.ManagedBy != store.ManagedByDemo || old.ONVIFURL == c.ONVIFURL {
		return err
	}
	if old.ONVIFURL == "" { // a demo site from before ONVIF: its domes too
		old.PTZProfile = c.PTZProfile
	}
	old.ONVIFURL = c.ONVIFURL
	return reg.store.UpdateCamera(ctx, &old)
}

// DiscoveryAddr is where the simulator answers WS-Discovery probes ("":
// nowhere).
func (d *demoSite) DiscoveryAddr() string {
	if d.sim == nil {
		return ""
	}
	return d.sim.DiscoveryAddr()
}

// drawZones gives a new demo camera showing a test scene that scene's
// zones, before its analytics starts; a camera the store already has keeps
// the settings it has.
func (d *demoSite) drawZones(ctx context.Context, st *store.Store, camera string, sc sim.Scene) error {
	if _, err := st.GetCamera(ctx, camera); !errors.Is(err, store.ErrNotFound) {
		return err
	}
	set, err := st.CameraAnalytics(ctx, camera)
	if err != nil {
		return err
	}
	set.Zones, set.UpdatedBy = sc.Zones(), "system:demo"
	return st.PutCameraAnalytics(ctx, set)
}

// Close stops the simulator.
func (d *demoSite) Close() {
	if d.sim != nil {
		d.sim.Close()
	}
}

// demoWatch is the watch-list entry a new demo site starts with: a
// vehicle of the plates scene, so that its passages raise watch-list alerts.
var demoWatch = store.Watch{Plate: "YD68HMV", Category: "nuisance",
	Reason: "Demo listing: reported for anti-social driving round the bus garage (remove it in Plates > Watch-list)"}

// seedWatchlist lists demoWatch when the plates scene's camera was added
// by this start and its plates are read; the listing is recorded in the
// evidence log as any other change to the watch-list.
func (a *App) seedWatchlist(ctx context.Context) error {
	if a.demo == nil || a.nuisance == nil {
		return nil
	}
	read := a.Config.ANPR.plateCameras()
	for id, sc := range a.demo.fresh {
		if sc != sim.ScenePlates || !read(id) {
			continue
		}
		now := time.Now().UTC()
		w := demoWatch
		w.AddedBy, w.Added, w.Expires = evidence.ActorDemo, now, now.Add(store.MaxWatchTerm)
		if err := a.store.AddWatch(ctx, &w); err != nil {
			return err
		}
		a.nuisance.WatchlistChanged()
		_, err := a.evlog.Append(ctx, &evidence.Entry{Action: evidence.ActionWatchlistChanged, Actor: evidence.ActorDemo,
			Reason: w.Reason, Ref: fmt.Sprintf("watchlist/%d", w.ID),
			Detail: fmt.Sprintf("added %s (%s) until %s", w.Plate, w.Category, w.Expires.Format(time.RFC3339))})
		return err
	}
	return nil
}

// seedDeployment puts a new demo site's first mobile camera on a BJAG
// deployment, through the workflow (each step logged as system:demo), so
// that the deployments, fleet and pack pages show one: a mobile camera at
// the park entrance for drug dealing reported there.
func (a *App) seedDeployment(ctx context.Context) error {
	if a.demo == nil || a.tasking == nil {
		return nil
	}
	for i := 1; i <= a.Config.Demo.Cameras; i++ {
		id := sim.CameraName(i)
		p := demoPlaces[(i-1)%len(demoPlaces)]
		if _, fresh := a.demo.fresh[id]; !fresh || p.kind != store.KindMobile || i > len(demoPlaces) {
			continue
		}
		if _, scene := a.Config.Demo.Scenes[id]; scene {
			continue // a test scene's camera stays as it is
		}
		by := tasking.Actor{Name: evidence.ActorDemo, Role: "system"}
		now := time.Now().In(hotspots.London())
		d, err := a.tasking.Request(ctx, by, store.DeploymentRequest{Latitude: p.lat, Longitude: p.lon, Ward: p.ward,
			Address: p.name, Problem: "drugs", Evidence: store.DeploymentEvidence{Incidents: []string{"Demo CAD 0001"}},
			WantedFrom: now, WantedTo: now.AddDate(0, 3, 0), Purpose: "Demo: deter drug dealing reported at the park entrance",
			LessIntrusive: "Demo: patrols and lighting have not stopped it", SignageConfirmed: true})
		if err != nil {
			return err
		}
		steps := []func() error{
			func() error {
				_, err := a.tasking.Approve(ctx, by, d.ID, now.AddDate(0, 0, 30), "Demo: approved")
				return err
			},
			func() error { _, err := a.tasking.Schedule(ctx, by, d.ID, id, now, "Demo: scheduled"); return err },
			func() error {
				_, err := a.tasking.Confirm(ctx, by, d.ID, tasking.Install{Latitude: p.lat, Longitude: p.lon, Name: p.name,
					Address: p.name, Site: p.site, Ward: p.ward}, "Demo: installed")
				return err
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("deployment %d: %w", d.ID, err)
			}
		}
		return nil
	}
	return nil
}
