package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Tables are the store's tables, each after those it refers to: the order
// Copy fills them in. A test holds it to the schema.
var Tables = []string{
	"cameras", "outages", "segments", "gaps", "holds", "deletions", "evidence_people",
	"users", "sessions", "api_tokens", "export_requests", "download_links",
	"bookmarks", "walls",
	"camera_analytics", "analytics_events", "activity", "alert_rules", "alerts",
	"plate_reads", "watchlist",
	"deployments", "deployment_events", "camera_locations",
	"nodes", "camera_leases", "camera_status", "cluster_secret", "object_deletes",
	"clock_offsets",
}

// maxCopyParams keeps one INSERT's parameters under both backends' limits
// (SQLite 32766, PostgreSQL 65535).
const maxCopyParams = 30000

// Copy copies every row of src into dst, an empty store at the same
// schema version (a site moving from SQLite to PostgreSQL, or back), one
// transaction a table, ids kept. progress, if not nil, is told each
// table's count when it is done. It returns the rows copied per table.
func Copy(ctx context.Context, dst, src *Store, progress func(table string, rows int64)) (map[string]int64, error) {
	if _, a := dst.Migrated(); a != len(migrations) {
		return nil, fmt.Errorf("copy: %s is at schema version %d, not %d", dst, a, len(migrations))
	}
	for _, t := range Tables {
		var any bool
		if err := dst.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
			return nil, fmt.Errorf("copy: %s: %w", dst, err)
		}
		if any {
			return nil, fmt.Errorf("copy: %s already has %s: a store is copied into an empty one only", dst, t)
		}
	}
	counts := map[string]int64{}
	for _, t := range Tables {
		n, err := copyTable(ctx, dst, src, t)
		if err != nil {
			return counts, fmt.Errorf("copy %s from %s to %s: %w", t, src, dst, err)
		}
		counts[t] = n
		if progress != nil {
			progress(t, n)
		}
	}
	return counts, nil
}

func copyTable(ctx context.Context, dst, src *Store, table string) (int64, error) {
	rows, err := src.db.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	tx, err := dst.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	batch := max(1, maxCopyParams/len(cols))
	var n int64
	var args []any
	for rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			return n, err
		}
		args = append(args, vals...)
		n++
		if len(args) == batch*len(cols) {
			if err := insertBatch(ctx, tx, table, cols, args); err != nil {
				return n, err
			}
			args = args[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := insertBatch(ctx, tx, table, cols, args); err != nil {
		return n, err
	}
	if dst.pg && slices.Contains(cols, "id") {
		if err := restartIdentity(ctx, tx, table); err != nil {
			return n, err
		}
	}
	return n, tx.Commit()
}

// scanRow reads a row of n columns as the driver gives them.
func scanRow(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, rows.Scan(ptrs...)
}

// insertBatch inserts rows of cols, their values one after the other.
func insertBatch(ctx context.Context, tx *sql.Tx, table string, cols []string, vals []any) error {
	if len(vals) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, insertRows(table, cols, len(vals)/len(cols)), vals...)
	return err
}

// insertRows is an INSERT of n rows of cols.
func insertRows(table string, cols []string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	p := 0
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			p++
			fmt.Fprintf(&b, "$%d", p)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// restartIdentity sets a PostgreSQL table's id sequence past the ids
// copied in, so the next row inserted gets a new one. (SQLite's
// AUTOINCREMENT follows inserted ids by itself.)
func restartIdentity(ctx context.Context, tx *sql.Tx, table string) error {
	var seq sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil || !seq.Valid {
		return err
	}
	_, err := tx.ExecContext(ctx, `SELECT setval($1, (SELECT COALESCE(max(id), 0) + 1 FROM `+table+`), false)`, seq.String)
	return err
}

// columns lists each table's columns in order, from the database's own
// catalogue.
func (s *Store) columns(ctx context.Context) (map[string][]string, error) {
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	if s.pg {
		q = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name <> 'vigil_schema' ORDER BY table_name, ordinal_position`
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}
