package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

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
// service must be stopped; recordings and the evidence log stay in
// data_dir.
func MigrateStore(from, to string, out io.Writer) error {
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
	fmt.Fprintf(out, "done: %d rows in %d tables. Point store.dsn (VIGIL_STORE_DSN) at %s; recordings and the evidence log stay in data_dir.\n",
		total, len(store.Tables), dst)
	return nil
}
