package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-cctv/vigil/evidence/custody"
	"github.com/vigil-cctv/vigil/evidence/export"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// The `vigil evidence` commands work on a stopped service's data: the log
// allows one process at a time (a running service holds it; use its API).
// A cluster's shared log can be read while the cluster runs; it is
// written by these commands only while no node writes it.

// KeyGen creates the evidence signing key and returns its public key.
func KeyGen(c Config) (string, error) {
	return locker.GenerateKey(c.evidenceKeyDir(), c.Evidence.Origin)
}

// PublicKey returns the current public key.
func PublicKey(c Config) (string, error) {
	return locker.PublicKey(c.evidenceKeyDir())
}

// RotateKey replaces the signing key (logged, co-signed by the old key).
func RotateKey(c Config, who string) (string, error) {
	var pub string
	err := withEvidence(c, func(l *locker.Log, st *store.Store) error {
		actor, err := st.Pseudonym(context.Background(), who)
		if err != nil {
			return err
		}
		pub, err = l.RotateKey(context.Background(), actor)
		return err
	})
	return pub, err
}

// CheckLog re-reads the whole log, recomputes the tree and checks it
// against the last checkpoint (what start-up does), and reports the size.
func CheckLog(c Config) (int64, error) {
	var n int64
	err := withEvidence(c, func(l *locker.Log, _ *store.Store) error {
		n = l.Size()
		return nil
	})
	return n, err
}

// Export writes a police bundle under outDir from the recordings.
func Export(c Config, r export.Request, outDir string) (export.Result, error) {
	var res export.Result
	err := withEvidence(c, func(l *locker.Log, st *store.Store) error {
		ctx := context.Background()
		// Segments sealed just before a crash may not be logged yet.
		if _, err := (&custody.Feeder{Store: st, Log: l}).Sync(ctx); err != nil {
			return err
		}
		x := &export.Exporter{Store: st, Log: l, RecordingsDir: filepath.Join(c.DataDir, "recordings"),
			OutDir: outDir, VerifierDir: c.Evidence.VerifierDir, Zip: true}
		// Footage in the shared object store is read from there.
		objects, err := newObjects(ctx, c)
		if err != nil {
			return err
		}
		if objects != nil {
			o := &segmentOpener{dir: x.RecordingsDir, store: st, objects: objects}
			x.Node, x.Open = c.Cluster.NodeID, o.Open
		}
		res, err = x.Export(ctx, r)
		return err
	})
	return res, err
}

func withEvidence(c Config, f func(*locker.Log, *store.Store) error) error {
	st, err := store.Open(c.StoreTarget())
	if err != nil {
		return err
	}
	defer st.Close()
	// In a cluster the command is a member of the log's own, which writes
	// only when no node does (a stopped cluster).
	host, _ := os.Hostname()
	l := newEvidenceLog(&c, st, "cli@"+host)
	l.CheckpointInterval = -1
	if err := l.Open(); err != nil {
		if errors.Is(err, locker.ErrNoKey) {
			return fmt.Errorf("%w (or start vigil serve once, which creates it)", err)
		}
		return err
	}
	err = f(l, st)
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	return err
}
