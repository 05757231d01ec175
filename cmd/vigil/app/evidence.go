package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/vigil-cctv/vigil/evidence/custody"
	"github.com/vigil-cctv/vigil/evidence/export"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// evidenceDir is where the log, its checkpoints and keys live.
func (c *Config) evidenceDir() string { return filepath.Join(c.DataDir, "evidence") }

// evidenceKeyDir is where the signing key is.
func (c *Config) evidenceKeyDir() string {
	if c.Evidence.KeyDir != "" {
		return c.Evidence.KeyDir
	}
	return locker.KeyDir(c.evidenceDir())
}

// newEvidenceLog is the log as the service and the CLI open it: a node
// of a cluster shares one log, kept in the cluster's PostgreSQL, with the
// others (node names it; the directory keeps only its keys).
func newEvidenceLog(c *Config, st *store.Store, node string) *locker.Log {
	l := &locker.Log{Dir: c.evidenceDir(), KeyDir: c.evidenceKeyDir(), Origin: c.Evidence.Origin, CheckpointInterval: c.Evidence.CheckpointInterval}
	if c.Cluster.NodeID != "" && st.SharedDB() != nil {
		l.DB, l.Node = st.SharedDB(), node
	}
	return l
}

// openEvidence opens the evidence log (creating its key on first start)
// and the exporter.
func (a *App) openEvidence() error {
	a.evlog = newEvidenceLog(&a.Config, a.store, a.Config.Cluster.NodeID)
	if a.router != nil {
		a.evlog.Forward, a.router.evlog = a.router, a.evlog
	}
	a.evlog.CreateKey = true
	a.evlog.Logger = a.logger.With("component", "evidence")
	a.evlog.Metrics = locker.NewMetrics(a.metrics)
	if err := a.evlog.Open(); err != nil {
		a.evlog = nil
		return fmt.Errorf("evidence log: %w", err)
	}
	return nil
}

// startCustody logs, before recording starts, every segment sealed or
// deleted but not yet logged (a crash in between), then keeps logging.
func (a *App) startCustody(ctx context.Context) error {
	a.feeder = &custody.Feeder{Store: a.store, Log: a.evlog, Logger: a.logger.With("component", "evidence")}
	n, err := a.feeder.Sync(ctx)
	if err != nil {
		return fmt.Errorf("evidence log: catch up with the recordings: %w", err)
	}
	if n > 0 {
		a.logger.Info("evidence log caught up with the recordings", "entries", n)
	}
	a.feeder.Initialize()
	return nil
}

func (a *App) startExports() {
	a.exports = &export.Jobs{Exporter: &export.Exporter{
		Store: a.store, Log: a.evlog, RecordingsDir: filepath.Join(a.Config.DataDir, "recordings"),
		OutDir: filepath.Join(a.Config.DataDir, "exports"), VerifierDir: a.Config.Evidence.VerifierDir,
		ClockOffset: a.clockOffset, Logger: a.logger.With("component", "export"),
	}, OnDone: a.exportDone}
	// The footage on other nodes' disks is read from them, and footage in
	// the object store from there.
	a.exports.Exporter.Node, a.exports.Exporter.Open = a.Config.Cluster.NodeID, a.opener.Open
	a.exports.Initialize()
}

// clockOffset is a camera's measured clock offset and its source: its
// main stream's sender reports, else its clock read over ONVIF, else none
// (footage timed as it arrived).
func (a *App) clockOffset(camera string) (float64, string, bool) {
	st, ok := a.sup.Status(camera)
	if !ok {
		return 0, "", false
	}
	for _, s := range st.Streams {
		if s.Stream != ingest.StreamMain {
			continue
		}
		if s.ClockFromCamera {
			return s.ClockOffset, "rtcp-sr", true
		}
		if a.onvif != nil {
			if off, ok := a.onvif.ClockOffset(camera); ok {
				return off.Seconds(), "onvif", true
			}
		}
		return s.ClockOffset, "receive-time", true
	}
	return 0, "", false
}
