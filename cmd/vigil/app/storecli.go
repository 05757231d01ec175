package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Migrate brings the configured store's schema up to date (what serve
// does on start) and says what it did.
func Migrate(c Config, out io.Writer) error {
	st, err := store.Open(c.StoreTarget())
	if err != nil {
		return err
	}
	defer st.Close()
	from, to := st.Migrated()
	if from == to {
		fmt.Fprintf(out, "store %s (%s): schema version %d, up to date\n", st, st.Backend(), to)
	} else {
		fmt.Fprintf(out, "store %s (%s): schema version %d, was %d (%d migrations applied)\n", st, st.Backend(), to, from, to-from)
	}
	return nil
}

// MigrateStore copies a site's store into a new, empty one: from SQLite
// (sqlite:PATH, or a path) to PostgreSQL (postgres://…), or back. The
// service must be stopped; recordings stay in data_dir. Into PostgreSQL,
// the evidence log in c's data_dir moves too, for the nodes of a cluster
// to share (with its key, which every node then needs).
func MigrateStore(c Config, from, to string, out io.Writer) error {
	if !store.IsPostgresURL(from) {
		// A mistyped path would otherwise open a new, empty database.
		if _, err := os.Stat(strings.TrimPrefix(from, "sqlite:")); err != nil {
			return fmt.Errorf("from: %w", err)
		}
	}
	if from == to {
		return fmt.Errorf("from and to are the same store")
	}
	src, err := store.Open(from)
	if err != nil {
		return fmt.Errorf("from: %w", err)
	}
	defer src.Close()
	dst, err := store.Open(to)
	if err != nil {
		return fmt.Errorf("to: %w", err)
	}
	defer dst.Close()
	fmt.Fprintf(out, "copying %s (%s) to %s (%s)\n", src, src.Backend(), dst, dst.Backend())
	var total int64
	_, err = store.Copy(context.Background(), dst, src, func(table string, n int64) {
		total += n
		fmt.Fprintf(out, "  %-20s %d rows\n", table, n)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "done: %d rows in %d tables. Point store.dsn (VIGIL_STORE_DSN) at %s; recordings stay in data_dir.\n",
		total, len(store.Tables), dst)
	return moveEvidenceLog(c, src, dst, out)
}

// moveEvidenceLog moves the site's evidence log into PostgreSQL, where a
// cluster keeps it: a cluster that began a new log under the same name
// would look like a fork of the old one to whoever holds its checkpoints.
func moveEvidenceLog(c Config, src, dst *store.Store, out io.Writer) error {
	db := dst.SharedDB()
	if db == nil {
		if src.SharedDB() != nil {
			fmt.Fprintf(out, "note: a cluster's evidence log stays in %s; this single node starts its own in %s\n", src, c.evidenceDir())
		}
		return nil
	}
	n, err := locker.CopyToShared(c.evidenceDir(), c.evidenceKeyDir(), c.Evidence.Origin, db)
	if errors.Is(err, locker.ErrNoLog) {
		fmt.Fprintf(out, "no evidence log in %s to move\n", c.evidenceDir())
		return nil
	}
	if err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	fmt.Fprintf(out, "evidence log: %d entries and the last checkpoint moved from %s into %s. Every node of the cluster needs its signing key (%s): set evidence.key_dir.\n",
		n, c.evidenceDir(), dst, c.evidenceKeyDir())
	return nil
}
