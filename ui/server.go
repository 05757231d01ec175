// Package ui serves Vigil over HTTP: the REST API, /metrics and (later) the
// web app and live video.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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

	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// Initialize starts listening and serving.
func (s *Server) Initialize() error {
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan struct{})
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
}

// Handler routes every request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if (s.Player != nil || s.Snapshots != nil) && s.Audit == nil {
		panic("ui: footage endpoints without Audit: every access to footage must be logged")
	}
	api := &cameraAPI{cameras: s.Cameras, recs: s.Recordings, snaps: s.Snapshots, player: s.Player, audit: s.Audit, logger: s.Logger}
	api.routes(mux)
	if s.Exports != nil {
		if s.Audit == nil || s.People == nil {
			panic("ui: Server.Exports is set without Audit and People: downloads must be logged")
		}
		(&exportAPI{exports: s.Exports, audit: s.Audit, people: s.People, logger: s.Logger}).routes(mux)
	}
	if s.Checkpoints != nil {
		(&evidenceAPI{log: s.Checkpoints}).routes(mux)
	}
	if s.Holds != nil {
		if s.Audit == nil || s.People == nil {
			panic("ui: Server.Holds is set without Audit and People: hold changes must be logged")
		}
		holds := &holdAPI{holds: s.Holds, audit: s.Audit, people: s.People, cameras: s.Cameras, recs: s.Recordings, logger: s.Logger}
		holds.routes(mux)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path, nil)
	})
	return mux
}
