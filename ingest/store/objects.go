package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Segments in the shared object store. A node uploads the segments on its
// disk once their sealing is in the evidence log, then records where each
// went; an object whose segment was deleted waits in object_deletes until
// the object store has deleted it too.

// SegmentsToUpload returns up to n segments on this node's disk whose
// sealing is logged, oldest first from after id after: the ones to upload
// to the object store.
func (s *Store) SegmentsToUpload(ctx context.Context, after int64, n int) ([]Segment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE node = $2 AND object_key = '' AND sealed_seq IS NOT NULL AND id > $3 ORDER BY id LIMIT $1`, n, s.node, after)
	if err != nil {
		return nil, fmt.Errorf("segments to upload: %w", err)
	}
	return collectSegments(rows)
}

// UploadBacklog counts the segments on this node's disk not yet in the
// object store (logged or not), leaving out those in skip (the uploader
// gave up on them), and returns the start of the oldest of the rest.
func (s *Store) UploadBacklog(ctx context.Context, skip map[int64]bool) (int, time.Time, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM segments WHERE node = $1 AND object_key = ''`,
		s.node).Scan(&n); err != nil {
		return 0, time.Time{}, fmt.Errorf("upload backlog: %w", err)
	}
	// The oldest not skipped is among the len(skip)+1 oldest.
	rows, err := s.db.QueryContext(ctx, `SELECT id, start_us FROM segments WHERE node = $1 AND object_key = ''
		ORDER BY start_us, id LIMIT $2`, s.node, len(skip)+1)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("upload backlog: %w", err)
	}
	defer rows.Close()
	var oldest time.Time
	for rows.Next() {
		var id, start int64
		if err := rows.Scan(&id, &start); err != nil {
			return 0, time.Time{}, err
		}
		if !skip[id] && oldest.IsZero() {
			oldest = fromMicros(start)
		}
	}
	// Each skipped segment is in the count: skip holds only those still
	// waiting.
	return max(n-len(skip), 0), oldest, rows.Err()
}

// SetSegmentObject records that a segment is in the object store at
// object. A segment deleted meanwhile (retention got there first) gives
// ErrNotFound, and its object is queued for deletion: it must not outlive
// its segment's retention.
func (s *Store) SetSegmentObject(ctx context.Context, id int64, object string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE segments SET object_key = $2 WHERE id = $1 AND object_key = ''`, id, object)
	if err != nil {
		return fmt.Errorf("record object of segment %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if err := queueObjectDelete(ctx, tx, object, time.Now()); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		return fmt.Errorf("segment %d: %w", id, ErrNotFound)
	}
	return tx.Commit()
}

func queueObjectDelete(ctx context.Context, tx *sql.Tx, object string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO object_deletes (object_key, queued_us) VALUES ($1, $2)
		ON CONFLICT (object_key) DO NOTHING`, object, toMicros(at))
	if err != nil {
		return fmt.Errorf("queue deletion of object %s: %w", object, err)
	}
	return nil
}

// ObjectsToDelete returns up to n objects whose segments were deleted,
// oldest first.
func (s *Store) ObjectsToDelete(ctx context.Context, n int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object_key FROM object_deletes ORDER BY queued_us, object_key LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("objects to delete: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ObjectDeleted notes that the object store has deleted object.
func (s *Store) ObjectDeleted(ctx context.Context, object string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM object_deletes WHERE object_key = $1`, object); err != nil {
		return fmt.Errorf("note deletion of object %s: %w", object, err)
	}
	return nil
}
