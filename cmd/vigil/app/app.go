package app

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigil-cctv/vigil/evidence/custody"
	"github.com/vigil-cctv/vigil/evidence/export"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/analytics"
	"github.com/vigil-cctv/vigil/ingest/cluster"
	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/nuisance"
	"github.com/vigil-cctv/vigil/ingest/ptz"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/tasking"
	"github.com/vigil-cctv/vigil/recorder"
	"github.com/vigil-cctv/vigil/recorder/s3store"
	"github.com/vigil-cctv/vigil/ui"
	"github.com/vigil-cctv/vigil/ui/live"
)

// App is the running service.
type App struct {
	Config Config
	// ConfigPath is re-read by Reload; empty for the demo site.
	ConfigPath string
	// LogOutput receives the logs (os.Stderr in the service).
	LogOutput io.Writer
	// Banner receives what is shown once to whoever starts the service:
	// the first administrator's password on a new store (os.Stdout).
	Banner io.Writer

	logger   *slog.Logger
	metrics  *prometheus.Registry
	store    *store.Store
	sup      *ingest.Supervisor
	live     *live.Server
	registry *registry
	rec      *recorder.Recorder
	ret      *recorder.Retention
	server   *ui.Server
	demo     *demoSite
	evlog    *locker.Log
	feeder   *custody.Feeder
	exports  *export.Jobs
	workflow *workflow
	// alerts, rules and analytics: issue 7.
	alerts    *alerts.Service
	rules     *hotspots.Evaluator
	analytics *analytics.Engine
	// nuisance: issue 8 (watch-list and behaviour rules over plate reads).
	nuisance *nuisance.Service
	// tasking: issue 9 (BJAG's mobile camera deployments).
	tasking *tasking.Service
	// node: issue 10, this process's place among several (nil: alone),
	// and router, how it reaches the others.
	node   *cluster.Node
	router *nodeRouter
	// onvif and ptz: issue 11 (ONVIF cameras, steering domes).
	onvif *onvifService
	ptz   *ptz.Controller
	// readiness: issue 10 (GET /readyz).
	readiness readiness
	// objects: issue 10, the shared object store for recordings (nil:
	// they stay on the nodes' disks), uploader, what moves them there,
	// and opener, how every reader of footage finds a segment.
	objects  *s3store.Store
	uploader *recorder.Uploader
	opener   *segmentOpener
	// clocks records the cameras' clock offsets as they change, for
	// exports of their footage.
	clocks *clockLog
}

// Initialize starts everything; on error, whatever started is stopped.
func (a *App) Initialize() (err error) {
	a.logger = newLogger(a.LogOutput, &a.Config)
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	a.metrics = prometheus.NewRegistry()
	a.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if a.store, err = store.Open(a.Config.StoreTarget()); err != nil {
		return err
	}
	// A node's recordings are indexed as on its disk, and its start-up
	// reconciling sees only those: set before the recorder starts.
	a.store.SetNode(a.Config.Cluster.NodeID)
	ctx := context.Background()
	if err = a.newRouter(ctx); err != nil {
		return err
	}
	if err = a.openObjects(ctx); err != nil {
		return err
	}
	a.opener = &segmentOpener{dir: filepath.Join(a.Config.DataDir, "recordings"), store: a.store, objects: a.objects, router: a.router}
	if a.router != nil {
		a.router.open = a.opener.Open
	}
	if err = a.openEvidence(); err != nil {
		return err
	}
	if err = a.firstAdmin(ctx); err != nil {
		return fmt.Errorf("first administrator: %w", err)
	}
	if n, cerr := a.store.CloseDanglingOutages(ctx, time.Now()); cerr != nil {
		return cerr
	} else if n > 0 {
		a.logger.Warn("closed outages left open by the previous run", "count", n)
	}

	in := a.Config.Ingest
	a.sup = &ingest.Supervisor{
		Source: rtsp.Read,
		Defaults: ingest.Defaults{
			Transport:     in.Transport,
			ReadTimeout:   in.ReadTimeout,
			Backoff:       ingest.Backoff{Min: in.ReconnectMin, Max: in.ReconnectMax},
			GOPCacheBytes: in.GOPCacheBytes,
		},
		Outages: a.store,
		Metrics: ingest.NewMetrics(a.metrics),
		Logger:  a.logger.With("component", "ingest"),
	}
	a.sup.Initialize()
	a.registry = &registry{store: a.store, sup: a.sup}
	if err = a.startAlerts(); err != nil {
		return err
	}
	if err = a.startANPR(); err != nil {
		return err
	}
	if err = a.startAnalytics(); err != nil {
		return err
	}
	if a.Config.Recorder.Enabled {
		if err = a.startRecorder(ctx); err != nil {
			return err
		}
		a.registry.rec = a.rec
	}

	if a.Config.Demo.Enabled {
		a.demo = &demoSite{Config: a.Config.Demo, DataDir: a.Config.DataDir, Logger: a.logger.With("component", "camsim")}
		if err = a.demo.Initialize(ctx, a.registry); err != nil {
			return fmt.Errorf("demo site: %w", err)
		}
		if err = a.seedWatchlist(ctx); err != nil {
			return fmt.Errorf("demo site: watch-list: %w", err)
		}
	}
	if _, err = a.syncConfigCameras(ctx); err != nil {
		return err
	}
	tlsConfig, err := a.serverTLS()
	if err != nil {
		return err
	}
	if err = a.startCameras(ctx, tlsConfig); err != nil {
		return err
	}

	a.startClockLog()
	if err = a.startLive(); err != nil {
		return err
	}
	ac := a.Config.Access
	a.server = &ui.Server{
		Listen:     a.Config.Listen,
		TLS:        tlsConfig,
		Cameras:    a.registry,
		Gatherer:   a.metrics,
		Registerer: a.metrics,
		Logger:     a.logger.With("component", "http"),
		// Every request is signed in; every hold, access to footage, sign-in
		// and refusal is logged under a pseudonym from the store.
		Identity: a.store, Holds: a.store, Audit: a.evlog, AuditLog: a.evlog, People: a.store, Checkpoints: a.evlog,
		Records: a.store, GrafanaURL: a.Config.GrafanaURL, Live: a.live, Ready: a.ready,
		Analytics: a.store, Alerts: a.alerts, Plates: a.store,
		Auth: ui.AuthConfig{SessionIdle: ac.SessionIdle, SessionMax: ac.SessionMax,
			LockAfter: ac.LockAfter, LockFor: ac.LockFor, LockMax: ac.LockMax},
		ExportPolicy: ui.ExportPolicy{RequestMaxAge: ac.ExportRequestMaxAge, GrantFor: ac.PoliceGrant, LinkTTL: ac.DownloadLinkTTL},
	}
	router := a.router
	if router != nil {
		a.server.Nodes, a.server.Internal = router, router
	}
	a.startONVIF()
	if a.rec != nil {
		a.startExports()
		a.server.Exports, a.server.ExportRequests = a.exports, a.store
		a.server.Recordings = a.rec // the index plus the segments being written
		a.server.Snapshots = a.rec
		// Footage on other nodes' disks is read from them, and footage in
		// the object store from there.
		a.server.Player = &player{rec: a.rec, dir: a.rec.Dir, open: a.opener.Open}
	}
	if a.analytics != nil {
		a.server.AnalyticsEngine = a.analytics
	}
	if a.nuisance != nil {
		a.server.WatchlistChanged = a.nuisance.WatchlistChanged
	}
	if err = a.startTasking(); err != nil {
		return err
	}
	if err = a.seedDeployment(ctx); err != nil {
		return fmt.Errorf("demo site: deployment: %w", err)
	}
	a.startWorkflow()
	if err = a.server.Initialize(); err != nil {
		a.server = nil
		return fmt.Errorf("http: listen %s: %w", a.Config.Listen, err)
	}
	cams, _ := a.store.ListCameras(ctx)
	a.logger.Info("vigil is running", "url", a.URL(), "cameras", len(cams), "data_dir", a.Config.DataDir)
	return nil
}

// newRouter makes, for a node of a cluster, what reaches the other nodes
// (requests, footage, the evidence log's writer).
func (a *App) newRouter(ctx context.Context) error {
	cl := a.Config.Cluster
	if cl.NodeID == "" {
		return nil
	}
	secret, err := a.store.ClusterSecret(ctx)
	if err != nil {
		return err
	}
	a.router = &nodeRouter{self: cl.NodeID, store: a.store, leaseTTL: cl.LeaseTTL, secret: secret,
		logger: a.logger.With("component", "cluster")}
	return nil
}

// drainFor bounds how long a stopping node spends handing its cameras
// over (within Kubernetes' 60 s grace, with time to seal and log).
const drainFor = 20 * time.Second

// startCameras runs the cameras: every one on a single node; in a
// cluster, those this node leases, from its first round on.
func (a *App) startCameras(ctx context.Context, tlsConfig *tls.Config) error {
	cl := a.Config.Cluster
	if cl.NodeID == "" {
		return a.registry.startAll(ctx)
	}
	var cert string // the others pin it when they forward requests here
	if tlsConfig != nil && len(tlsConfig.Certificates) > 0 {
		cert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsConfig.Certificates[0].Certificate[0]}))
	}
	a.node = &cluster.Node{ID: cl.NodeID, URL: cl.AdvertiseURL, Cert: cert, Capacity: cl.Capacity, LeaseTTL: cl.LeaseTTL,
		Store: a.store, Owner: a.registry, Registerer: a.metrics, Logger: a.logger.With("component", "cluster")}
	a.registry.node, a.registry.staleAfter = cl.NodeID, 2*cl.LeaseTTL
	if err := a.node.Initialize(ctx); err != nil {
		a.node = nil
		return fmt.Errorf("cluster: %w", err)
	}
	a.registry.cluster = a.node
	return nil
}

// startRecorder reconciles the recordings with the index (a crash's torn
// segment is repaired and indexed), then starts retention and the recorder.
func (a *App) startRecorder(ctx context.Context) error {
	rc := a.Config.Recorder
	dir := filepath.Join(a.Config.DataDir, "recordings")
	log := a.logger.With("component", "recorder")
	a.ret = &recorder.Retention{
		Store: a.store, Dir: dir, QuotaBytes: rc.QuotaBytes, MinFreeBytes: rc.MinFreeBytes,
		Interval: rc.RetentionInterval, Logger: log, Metrics: recorder.NewRetentionMetrics(a.metrics),
	}
	if a.objects != nil {
		a.ret.Objects = a.objects
	}
	a.rec = &recorder.Recorder{
		Dir: dir, SegmentDuration: rc.SegmentDuration, SyncInterval: rc.SyncInterval, Queue: rc.QueueFrames,
		Store: a.store, Retention: a.ret, Metrics: recorder.NewMetrics(a.metrics), Logger: log, Open: a.opener.openForRecorder,
	}
	if err := a.rec.Initialize(); err != nil {
		return err
	}
	if _, err := a.rec.Reconcile(ctx); err != nil {
		return err
	}
	if err := a.startCustody(ctx); err != nil {
		return err
	}
	a.rec.Custody, a.ret.Custody = a.feeder, a.feeder
	a.ret.Initialize()
	a.startUploads()
	return nil
}

// Addr is the HTTP address.
func (a *App) Addr() string { return a.server.Addr() }

// URL is where a browser reaches the service.
func (a *App) URL() string {
	u := browsable(a.server.Addr())
	if a.server.TLS != nil {
		u = "https" + u[len("http"):]
	}
	return u
}

// Close stops everything, newest first.
func (a *App) Close() {
	a.readiness.closing.Store(true)
	if a.node != nil {
		// A planned stop: hand every camera to another node on a
		// keyframe first, while this one still records and answers.
		ctx, cancel := context.WithTimeout(context.Background(), drainFor)
		a.node.Drain(ctx)
		cancel()
	}
	if a.server != nil {
		a.server.Close()
	}
	if a.clocks != nil {
		a.clocks.close()
	}
	if a.live != nil {
		a.live.Close() // every viewer's peer connection, before the hubs go
	}
	if a.ptz != nil {
		a.ptz.Close() // stops a dome still moving, and logs it
	}
	if a.onvif != nil {
		a.onvif.Close()
	}
	if a.analytics != nil {
		a.analytics.Close() // ends open events while the store is open
	}
	if a.tasking != nil {
		a.tasking.Close()
	}
	if a.rules != nil {
		a.rules.Close()
	}
	if a.nuisance != nil {
		a.nuisance.Close()
	}
	if a.alerts != nil {
		a.alerts.Close()
	}
	if a.rec != nil {
		a.rec.Close() // seal open segments while their hubs still exist
	}
	if a.ret != nil && a.ret.Running() {
		a.ret.Close()
	}
	if a.uploader != nil {
		a.uploader.Close()
	}
	if a.workflow != nil {
		a.workflow.close()
	}
	if a.exports != nil {
		a.exports.Close()
	}
	if a.feeder != nil {
		a.feeder.Close() // logs the segments sealed by the recorder's Close
	}
	if a.sup != nil {
		a.sup.Close()
	}
	if a.node != nil {
		a.node.Close() // cameras stopped: give their leases up to the others
	}
	if a.demo != nil {
		a.demo.Close()
	}
	if a.evlog != nil {
		if err := a.evlog.Close(); err != nil {
			a.logger.Error("closing the evidence log", "error", err)
		}
	}
	if a.store != nil {
		a.store.Close()
	}
}

// Reload re-reads the config file and applies its camera list; cameras
// that did not change keep running. Other settings need a restart.
func (a *App) Reload() error {
	if a.ConfigPath == "" {
		return fmt.Errorf("reload: no config file (the demo site runs on defaults)")
	}
	c, err := LoadConfig(a.ConfigPath)
	if err != nil {
		return fmt.Errorf("reload: %w (keeping the running configuration)", err)
	}
	old := a.Config
	a.Config.Cameras = c.Cameras
	n, err := a.syncConfigCameras(context.Background())
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if c.Listen != old.Listen || c.DataDir != old.DataDir || c.Ingest != old.Ingest || !reflect.DeepEqual(c.Demo, old.Demo) || c.Recorder != old.Recorder ||
		c.Evidence != old.Evidence || c.TLS != old.TLS || c.Access != old.Access {
		a.logger.Warn("reload: only the camera list is applied; restart Vigil for other settings")
	}
	a.logger.Info("configuration reloaded", "cameras_changed", n)
	return a.registry.startAll(context.Background())
}

func (a *App) syncConfigCameras(ctx context.Context) (int, error) {
	added, changed, removed, err := a.registry.syncConfig(ctx, a.Config.Cameras)
	if err != nil {
		return 0, fmt.Errorf("config cameras: %w", err)
	}
	if added+changed+removed > 0 {
		a.logger.Info("config cameras synced", "added", added, "changed", changed, "removed", removed)
	}
	return added + changed + removed, nil
}

func newLogger(w io.Writer, c *Config) *slog.Logger {
	if w == nil {
		w = io.Discard
	}
	opts := &slog.HandlerOptions{Level: c.slogLevel()}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// browsable turns a listen address into a URL a person can open: a
// wildcard host becomes localhost.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
