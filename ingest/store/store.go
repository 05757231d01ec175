// Package store keeps the domain records that several parts of Vigil share
// (cameras, recordings' index, people, analytics, deployments) in SQLite,
// the embedded default, or PostgreSQL, for several nodes. Both backends
// have the same schema (migrations.go) and pass the same tests.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating a record whose ID is taken.
var ErrExists = errors.New("already exists")

// Store is the store on one of its backends. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	pg bool // PostgreSQL; SQLite otherwise
	// where names the database in messages: the file, or the URL
	// without its password.
	where string
	// versionFound is the schema's version before Open migrated it.
	versionFound int
	// node is the node this process is (SetNode): the segments it indexes
	// are on its disk, and what retention and reconciling see.
	node string
}

// SetNode says which node of several this process is, before any segment
// is indexed: segments are indexed as on its disk, and the recordings'
// disk-local queries (OldestSegments, SegmentsEndingBefore, RecordedBytes,
// RecordedCameras) see only its own. Playback's lookups see every node's.
func (s *Store) SetNode(node string) { s.node = node }

// Node is the node set by SetNode ("" on a single node).
func (s *Store) Node() string { return s.node }

// Open opens the store at target and brings its schema up to date:
// a PostgreSQL URL (postgres://… or postgresql://…), or an SQLite
// file's path (created if needed; a "sqlite:" prefix is allowed).
func Open(target string) (*Store, error) {
	if IsPostgresURL(target) {
		return openPostgres(target)
	}
	return openSQLite(strings.TrimPrefix(target, "sqlite:"))
}

// IsPostgresURL says whether target names a PostgreSQL database.
func IsPostgresURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// SharedDB is the PostgreSQL database, for what a cluster's nodes share
// outside the store (the evidence log); nil on SQLite.
func (s *Store) SharedDB() *sql.DB {
	if !s.pg {
		return nil
	}
	return s.db
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers: the service's readiness check
// (GET /readyz) calls it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store %s: %w", s.where, err)
	}
	return nil
}

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string {
	if s.pg {
		return "postgres"
	}
	return "sqlite"
}

// String names the database: its file, or its URL without the password.
func (s *Store) String() string { return s.where }

// Migrated says which schema version Open found and which it left.
func (s *Store) Migrated() (from, to int) { return s.versionFound, len(migrations) }

// migrate applies the migrations not applied yet, each in its own
// transaction with the new version, so a failed one leaves the schema at
// the one before.
func (s *Store) migrate(ctx context.Context) error {
	version, err := s.schemaVersion(ctx, s.db)
	if err != nil {
		return err
	}
	s.versionFound = version
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this Vigil (%d): upgrade Vigil", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if err := s.applyMigration(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, i int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.pg {
		// Nodes starting together: one migrates, the others wait here
		// and then find the work done.
		if err := lockSchema(ctx, tx); err != nil {
			return err
		}
		if v, err := s.schemaVersion(ctx, tx); err != nil || v > i {
			return err
		}
	}
	stmt := migrations[i]
	if s.pg {
		stmt = postgresDDL(stmt)
	}
	if _, err = tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("migration %d: %w", i+1, err)
	}
	if err = s.setSchemaVersion(ctx, tx, i+1); err != nil {
		return err
	}
	return tx.Commit()
}

// querier is what a *sql.DB and a *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) schemaVersion(ctx context.Context, q querier) (int, error) {
	if s.pg {
		return postgresSchemaVersion(ctx, q)
	}
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func (s *Store) setSchemaVersion(ctx context.Context, tx *sql.Tx, v int) error {
	var err error
	if s.pg {
		_, err = tx.ExecContext(ctx, "UPDATE vigil_schema SET version = $1", v)
	} else {
		_, err = tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
	}
	return err
}

// boolInt is how a flag is stored on both backends: 0 or 1 (PostgreSQL
// takes no Go bool for an integer column; either backend scans 0 and 1
// back into a bool).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
