package locker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sharedStorage keeps the log in PostgreSQL for the nodes of a cluster.
// One node writes (the leader): it holds a session advisory lock, and each
// time a node takes the lock it raises the writer epoch, which every write
// checks under a row lock. A node that lost the lock without noticing (a
// network cut, a pause) is fenced out by the epoch, and an entry's
// sequence number is its primary key, so no two writers can ever store
// two different entries at one place: the log cannot fork.
type sharedStorage struct {
	db   *sql.DB
	node string

	mu    sync.Mutex
	conn  *sql.Conn    // holds the advisory lock while leading
	epoch atomic.Int64 // this node's fencing token while leading, else 0
}

// Advisory lock keys ("VigilEVW", "VigilEVS" in ASCII): the writer's lock
// and the one table creation holds.
const (
	writerLockKey = 0x566967696c455657
	schemaLockKey = 0x566967696c455653
)

// sharedSchema is created on first open; the tables belong to the
// evidence log, not the store's migrations.
var sharedSchema = []string{
	`CREATE TABLE IF NOT EXISTS evidence_entries (seq BIGINT PRIMARY KEY, entry BYTEA NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS evidence_writer (id INTEGER PRIMARY KEY CHECK (id = 1),
		epoch BIGINT NOT NULL, node TEXT NOT NULL, since_us BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS evidence_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1),
		size BIGINT NOT NULL, note BYTEA NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS evidence_key (id INTEGER PRIMARY KEY CHECK (id = 1),
		origin TEXT NOT NULL, public_key TEXT NOT NULL)`,
}

// ErrFenced is returned by a write from a node that is no longer the
// log's writer.
var ErrFenced = errors.New("evidence log: another node has become the writer")

// dbTimeout bounds one statement against the shared storage, so a lost
// database fails an append instead of hanging it.
const dbTimeout = 15 * time.Second

func openSharedStorage(db *sql.DB, node string) (*sharedStorage, error) {
	if node == "" {
		return nil, errors.New("evidence log: a shared log needs this node's id")
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLockKey)); err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	for _, q := range sharedSchema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("evidence log: create tables: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	return &sharedStorage{db: db, node: node}, nil
}

func (s *sharedStorage) where() string { return "evidence_entries (PostgreSQL)" }

// loadPage bounds how many entries one query brings.
const loadPage = 2000

func (s *sharedStorage) load(from int64, fn func(raw []byte) error) error {
	for {
		raws, err := s.page(from)
		if err != nil {
			return err
		}
		for _, raw := range raws {
			if err := fn(raw); err != nil {
				return err
			}
		}
		if len(raws) < loadPage {
			return nil
		}
		from += int64(len(raws))
	}
}

// page reads up to loadPage entries from seq from on. A hole in the
// sequence stops the page there: what follows cannot be admitted yet.
func (s *sharedStorage) page(from int64) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx,
		`SELECT seq, entry FROM evidence_entries WHERE seq >= $1 ORDER BY seq LIMIT $2`, from, loadPage)
	if err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var seq int64
		var raw []byte
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, fmt.Errorf("evidence log: %w", err)
		}
		if seq != from+int64(len(out)) {
			return nil, fmt.Errorf("entry %d is missing from the shared log (found %d next)", from+int64(len(out)), seq)
		}
		out = append(out, raw)
	}
	return out, rows.Err()
}

// write stores the entries in one transaction that first checks, under
// the writer row's lock, that this node's epoch is still the current one.
func (s *sharedStorage) write(first int64, raws [][]byte) error {
	return s.fenced(func(ctx context.Context, tx *sql.Tx) error {
		var q strings.Builder
		q.WriteString(`INSERT INTO evidence_entries (seq, entry) VALUES `)
		args := make([]any, 0, 2*len(raws))
		for i, raw := range raws {
			if i > 0 {
				q.WriteByte(',')
			}
			fmt.Fprintf(&q, "($%d,$%d)", 2*i+1, 2*i+2)
			args = append(args, first+int64(i), raw)
		}
		_, err := tx.ExecContext(ctx, q.String(), args...)
		return err
	})
}

// fenced runs f in a transaction holding the writer row, if this node's
// epoch is still the writer's.
func (s *sharedStorage) fenced(f func(ctx context.Context, tx *sql.Tx) error) error {
	mine := s.epoch.Load()
	if mine == 0 {
		return ErrFenced
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var epoch int64
	if err := tx.QueryRowContext(ctx, `SELECT epoch FROM evidence_writer WHERE id = 1 FOR UPDATE`).Scan(&epoch); err != nil {
		return err
	}
	if epoch != mine {
		return ErrFenced
	}
	if err := f(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sharedStorage) read(seq int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT entry FROM evidence_entries WHERE seq = $1`, seq).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no entry %d", seq)
	}
	return raw, err
}

func (s *sharedStorage) loadCheckpoint() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT note FROM evidence_checkpoint WHERE id = 1`).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}

// saveCheckpoint stores the note unless a larger tree's is there already
// (a deposed writer's late signature).
func (s *sharedStorage) saveCheckpoint(size int64, note []byte) error {
	return s.fenced(func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO evidence_checkpoint (id, size, note) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET size = excluded.size, note = excluded.note
			WHERE evidence_checkpoint.size <= excluded.size`, size, note)
		return err
	})
}

// stand tries to become the writer: take the advisory lock (without
// waiting) on a connection kept for it, then raise the epoch. It reports
// whether this node now writes.
func (s *sharedStorage) stand(now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, int64(writerLockKey)).Scan(&got); err != nil || !got {
		conn.Close()
		return false, err
	}
	var epoch int64
	err = conn.QueryRowContext(ctx, `INSERT INTO evidence_writer (id, epoch, node, since_us) VALUES (1, 1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET epoch = evidence_writer.epoch + 1, node = excluded.node, since_us = excluded.since_us
		RETURNING epoch`, s.node, now.UnixMicro()).Scan(&epoch)
	if err != nil {
		s.releaseLocked(conn)
		return false, err
	}
	s.conn = conn
	s.epoch.Store(epoch)
	return true, nil
}

// stillLeading checks the lock's connection is alive: a connection the
// database dropped took the lock with it.
func (s *sharedStorage) stillLeading() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return ErrFenced
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	var epoch int64
	if err := s.conn.QueryRowContext(ctx, `SELECT epoch FROM evidence_writer WHERE id = 1`).Scan(&epoch); err != nil {
		return err
	}
	if epoch != s.epoch.Load() {
		return ErrFenced
	}
	return nil
}

// stepDown stops writing and gives up the lock.
func (s *sharedStorage) stepDown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch.Store(0)
	if s.conn != nil {
		s.releaseLocked(s.conn)
		s.conn = nil
	}
}

func (s *sharedStorage) releaseLocked(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(writerLockKey))
	conn.Close() // closing the session would release it too
}

// writer names the node that writes the log now ("" before the first).
func (s *sharedStorage) writer(ctx context.Context) (string, error) {
	var node string
	err := s.db.QueryRowContext(ctx, `SELECT node FROM evidence_writer WHERE id = 1`).Scan(&node)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return node, err
}

// recordKey records pub as the log's public key if none is yet, and
// returns the recorded one: every node must sign with the same key.
func (s *sharedStorage) recordKey(origin, pub string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO evidence_key (id, origin, public_key) VALUES (1, $1, $2)
		ON CONFLICT (id) DO NOTHING`, origin, pub); err != nil {
		return "", err
	}
	var got string
	err := s.db.QueryRowContext(ctx, `SELECT public_key FROM evidence_key WHERE id = 1`).Scan(&got)
	return got, err
}

// recordedKey is the log's public key, "" if none is recorded yet.
func (s *sharedStorage) recordedKey() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	var got string
	err := s.db.QueryRowContext(ctx, `SELECT public_key FROM evidence_key WHERE id = 1`).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return got, err
}

func (s *sharedStorage) close() error {
	s.stepDown()
	return nil
}
