package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-cctv/vigil/evidence/export"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// firstAdmin creates the first administrator on a new store and prints its
// password once, to Banner: it is not in any log.
func (a *App) firstAdmin(ctx context.Context) error {
	name, password, err := ui.EnsureFirstAdmin(ctx, a.store, auth.Hasher{})
	if err != nil || password == "" {
		return err
	}
	w := a.Banner
	if w == nil {
		w = io.Discard
	}
	fmt.Fprintf(w, "\n"+
		"  ┌──────────────────────────────────────────────────────────────┐\n"+
		"  │ First administrator created. This is shown once, now only.   │\n"+
		"  │   username: %-48s │\n"+
		"  │   password: %-48s │\n"+
		"  │ Sign in and set a new password before anything else.         │\n"+
		"  └──────────────────────────────────────────────────────────────┘\n\n", name, password)
	a.logger.Warn("first administrator created; its one-time password was printed on the console", "username", name)
	return nil
}

// serverTLS is the HTTPS configuration: the configured certificate, or a
// self-signed one kept in DATA_DIR/tls.
func (a *App) serverTLS() (*tls.Config, error) {
	c := a.Config.TLS
	if c.Mode == "off" {
		a.logger.Warn("TLS is off: serving plain HTTP; only do this behind a TLS-terminating proxy")
		return nil, nil
	}
	hosts := []string{}
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	if host, _, err := net.SplitHostPort(a.Config.Listen); err == nil && host != "" {
		hosts = append(hosts, host)
	}
	cert, selfSigned, err := ui.LoadOrCreateCertificate(c.CertFile, c.KeyFile, filepath.Join(a.Config.DataDir, "tls"), hosts)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if selfSigned {
		a.logger.Warn("TLS uses a self-signed certificate (browsers will warn); set tls.cert_file and tls.key_file for a real one",
			"dir", filepath.Join(a.Config.DataDir, "tls"))
	}
	return ui.ServerTLSConfig(cert), nil
}

// workflow keeps the police export workflow moving: undecided requests
// expire (logged), approved ones whose bundle is not built are queued
// (after a restart, or when the queue was full), stale sessions go.
type workflow struct {
	app   *App
	sweep *ticking
}

const workflowEvery = time.Minute

func (a *App) startWorkflow() {
	w := &workflow{app: a}
	a.workflow = w
	w.sweepOnce(context.Background())
	w.sweep = tick(workflowEvery, func(ctx context.Context, _ time.Time) { w.sweepOnce(ctx) })
}

func (w *workflow) close() { w.sweep.stop() }

func (w *workflow) sweepOnce(ctx context.Context) {
	a := w.app
	now, ac := time.Now(), a.Config.Access
	expired, err := a.store.ExpireExportRequests(ctx, now, ac.ExportRequestMaxAge)
	if err != nil {
		a.logger.Error("expiring export requests", "error", err)
	}
	for _, x := range expired {
		if _, err := a.evlog.Append(ctx, export.ExpiredEntry(x, ac.ExportRequestMaxAge)); err != nil {
			a.logger.Error("evidence log cannot record an expired export request", "export", x.ID, "error", err)
		}
	}
	if a.exports != nil {
		if a.node != nil {
			// A node gone for two lease TTLs builds no more: its approved
			// exports are built here.
			if n, err := a.store.AdoptPendingBuilds(ctx, now.Add(-2*a.Config.Cluster.LeaseTTL)); err != nil {
				a.logger.Error("adopting a dead node's exports", "error", err)
			} else if n > 0 {
				a.logger.Warn("building exports approved on a node that is gone", "exports", n)
			}
		}
		pending, err := a.store.PendingBuilds(ctx)
		if err != nil {
			a.logger.Error("listing exports to build", "error", err)
		}
		for _, x := range pending {
			if _, err := a.exports.Start(export.Approved(x)); err != nil {
				a.logger.Warn("approved export not queued yet; retrying in a minute", "export", x.ID, "error", err)
				break
			}
		}
	}
	if _, err := a.store.DeleteStaleSessions(ctx, now, now.Add(-ac.SessionIdle)); err != nil {
		a.logger.Error("removing stale sessions", "error", err)
	}
	// Activity and analytics events are kept a year (small rows, no footage).
	if _, err := a.store.PruneActivity(ctx, now.Add(-store.ActivityRetention)); err != nil {
		a.logger.Error("pruning analytics activity", "error", err)
	}
	a.prunePlateReads(ctx, now)
}

// exportDone records a finished bundle (or why it failed) on its request.
func (a *App) exportDone(j export.Job) {
	dir, msg := j.Result.Dir, ""
	if j.State != "done" {
		dir, msg = "", j.Error
	}
	if err := a.store.SetExportBuilt(context.Background(), j.ID, dir, msg); err != nil && !isNotFound(err) {
		a.logger.Error("recording a finished export", "export", j.ID, "error", err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
