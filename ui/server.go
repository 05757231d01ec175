// Package ui serves Vigil over HTTP: the REST API, /metrics and (later) the
// web app and live video.
package ui

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-cctv/vigil/ui/auth"
	"github.com/vigil-cctv/vigil/ui/web"
)

// Server is the HTTP server.
type Server struct {
	Listen  string
	Cameras Cameras
	// Recordings and Snapshots may be nil (recording off).
	Recordings Recordings
	Snapshots  Snapshots
	Player     Player
	Gatherer   prometheus.Gatherer
	Logger     *slog.Logger

	// Holds, Audit and People serve the legal-hold API (/api/v1/holds):
	// set all three or none. Every hold change is an evidence-log entry.
	Holds  Holds
	Audit  Audit
	People People
	// Exports serves /api/v1/exports (needs Audit and People too); may be nil.
	Exports Exports
	// Checkpoints serves the log's public key and checkpoints; may be nil.
	Checkpoints Checkpoints

	// Identity holds users, sessions and tokens (*store.Store): every route
	// but the few public ones needs a signed-in person or a token.
	Identity Identity
	Auth     AuthConfig
	// AuditLog serves /api/v1/audit (*locker.Log); may be nil.
	AuditLog AuditLog
	// ExportRequests is the police export workflow (*store.Store); needed
	// with Exports.
	ExportRequests ExportRequests
	ExportPolicy   ExportPolicy
	// TLS, when set, serves HTTPS on Listen; plain HTTP arriving there is
	// redirected, and every answer carries HSTS. Session cookies are then
	// Secure.
	TLS *tls.Config
	// Live serves live views over WebRTC (*live.Server); may be nil.
	Live Live
	// PTZ steers domes from the wall, and ONVIF discovers and imports
	// cameras (issue 11); either may be nil.
	PTZ   PTZ
	ONVIF ONVIF
	// Nodes, in a cluster, forwards live views and snapshots of cameras
	// run by another node to it; nil on a single node.
	Nodes Nodes
	// Internal answers the other nodes of a cluster (their own signed
	// requests, under /internal/); nil on a single node.
	Internal http.Handler
	// Records are bookmarks and saved walls (*store.Store); may be nil.
	Records Records
	// Analytics serves analytics settings, events and hotspots (*store.Store);
	// may be nil. AnalyticsEngine is told when a camera's settings change.
	Analytics       AnalyticsStore
	AnalyticsEngine AnalyticsReloader
	// Alerts serves the alert list, stream and acknowledgements
	// (*alerts.Service); may be nil.
	Alerts AlertService
	// Plates serves number-plate reads and the watch-list (*store.Store);
	// may be nil. WatchlistChanged is told when the watch-list changes.
	Plates           PlateStore
	WatchlistChanged func()
	// Deployments is the BJAG deployment workflow (*tasking.Service) and
	// DeploymentRecords its records (*store.Store); both or neither.
	Deployments       Deployments
	DeploymentRecords DeploymentRecords
	// GrafanaURL is the camera-health dashboard the health page links to.
	GrafanaURL string
	// Registerer takes the server's own metrics; may be nil.
	Registerer prometheus.Registerer
	// Now is the clock (tests set it); nil is time.Now.
	Now func() time.Time
	// Ready is /readyz's check: nil when the service can serve requests,
	// else an error whose text (short, no secrets: anyone may read it) says
	// why. nil Ready: always ready. /healthz (liveness) never calls it, so
	// an outage of a dependency takes a node out of load balancing without
	// getting it restarted.
	Ready func(context.Context) error

	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	// live ends live views whose sign-in has ended, in its own goroutine.
	live       *liveAPI
	stopSweep  context.CancelFunc
	sweepGroup sync.WaitGroup
}

// Initialize starts listening and serving.
func (s *Server) Initialize() error {
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return err
	}
	handler := s.Handler()
	if s.Nodes != nil {
		handler = nodeHeader(s.Nodes.Self(), handler)
	}
	if s.TLS != nil {
		ln = NewRedirectListener(ln, s.TLS, s.Logger)
		handler = HSTS(handler)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan struct{})
	if s.live != nil {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopSweep = cancel
		s.sweepGroup.Add(1)
		go s.live.run(ctx, &s.sweepGroup)
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, giving requests in flight a few seconds.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	<-s.done
	if s.stopSweep != nil {
		s.stopSweep()
		s.sweepGroup.Wait()
	}
}

// Handler routes every request.
func (s *Server) Handler() http.Handler {
	h, _ := s.build()
	return h
}

// Routes lists every route and who may call it.
func (s *Server) Routes() []Route {
	_, routes := s.build()
	return routes
}

func (s *Server) build() (http.Handler, []Route) {
	if s.TLS != nil {
		s.Auth.SecureCookies = true
	}
	if s.Identity == nil || s.Audit == nil || s.People == nil {
		panic("ui: Server needs Identity, Audit and People: every route is signed-in and every access logged")
	}
	rt := &router{mux: http.NewServeMux(), gate: newGate(s)}
	(&sessionAPI{id: s.Identity, audit: s.Audit, gate: rt.gate, logger: s.Logger}).routes(rt)
	(&userAPI{id: s.Identity, cameras: s.Cameras, audit: s.Audit, people: s.People, gate: rt.gate, logger: s.Logger}).routes(rt)
	api := &cameraAPI{cameras: s.Cameras, recs: s.Recordings, snaps: s.Snapshots, player: s.Player, audit: s.Audit, places: s.DeploymentRecords,
		gate: rt.gate, logger: s.Logger, onvif: s.ONVIF}
	api.routes(rt)
	if s.ONVIF != nil {
		api.onvifRoutes(rt)
	}
	if s.PTZ != nil {
		(&ptzAPI{ptz: s.PTZ, gate: rt.gate}).routes(rt)
	}
	if s.Exports != nil {
		if s.ExportRequests == nil {
			panic("ui: Server.Exports is set without ExportRequests")
		}
		policy := s.ExportPolicy
		policy.defaults()
		(&exportAPI{exports: s.Exports, requests: s.ExportRequests, audit: s.Audit, cameras: s.Cameras,
			policy: policy, gate: rt.gate, logger: s.Logger}).routes(rt)
	}
	if s.Checkpoints != nil {
		(&evidenceAPI{log: s.Checkpoints}).routes(rt)
	}
	if s.AuditLog != nil {
		a := &auditAPI{log: s.AuditLog, people: s.People, logger: s.Logger}
		rt.handle("GET /api/v1/audit", allow(auth.AuditRead), a.list)
	}
	if s.Holds != nil {
		holds := &holdAPI{holds: s.Holds, audit: s.Audit, people: s.People, cameras: s.Cameras, recs: s.Recordings, gate: rt.gate, logger: s.Logger}
		holds.routes(rt)
	}
	if s.Live != nil {
		s.live = &liveAPI{live: s.Live, id: s.Identity, audit: s.Audit, gate: rt.gate, logger: s.Logger}
		s.live.routes(rt)
		rt.gate.onLoginEnd = func(key string) { s.Live.EndLogin(key) }
	}
	if s.Records != nil {
		(&bookmarkAPI{records: s.Records, gate: rt.gate, logger: s.Logger}).routes(rt)
		(&wallAPI{records: s.Records, gate: rt.gate, logger: s.Logger}).routes(rt)
	}
	if s.Analytics != nil {
		s.analyticsRoutes(rt)
	}
	if s.Plates != nil {
		s.anprRoutes(rt)
	}
	if s.Alerts != nil {
		s.alertRoutes(rt)
	}
	if s.Deployments != nil && s.DeploymentRecords != nil {
		s.deploymentRoutes(rt)
	}
	rt.handle("GET /api/v1/health", allow(auth.HealthRead),
		(&healthAPI{cameras: s.Cameras, recs: s.Recordings, grafana: s.GrafanaURL, gate: rt.gate, logger: s.Logger}).list)
	metrics := promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	})
	rt.handle("GET /metrics", allow(auth.MetricsRead), metrics.ServeHTTP)
	rt.handle("GET /healthz", public, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	rt.handle("GET /readyz", public, s.readyz)
	// The web app's page and files hold no data (every datum comes from the
	// API, signed in), so they are public: the sign-in page must load.
	app := web.Handler()
	rt.handle("GET /{$}", public, app.ServeHTTP)
	rt.handle("GET /static/", public, app.ServeHTTP)
	if s.Internal != nil {
		rt.mux.Handle("/internal/", s.Internal)
	}
	rt.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path, nil)
	})
	return rt.mux, rt.routes
}

// readyTimeout bounds Ready: a probe waits no longer for an answer.
const readyTimeout = 3 * time.Second

// readyz answers 200 "ready" when Ready passes, 503 with its reason
// otherwise (one line, plain text).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			reason, _, _ := strings.Cut(err.Error(), "\n")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready: " + reason + "\n"))
			return
		}
	}
	w.Write([]byte("ready\n"))
}
