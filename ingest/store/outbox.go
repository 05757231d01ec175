package store

import (
	"context"
	"fmt"
)

// The evidence log's outbox: segments and deletions not yet logged.

// UnloggedSegments returns up to n sealed segments on this node's disk
// whose segment.sealed entry is not in its evidence log yet, oldest first.
func (s *Store) UnloggedSegments(ctx context.Context, n int) ([]Segment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE sealed_seq IS NULL AND node = $2 ORDER BY id LIMIT $1`, n, s.node)
	if err != nil {
		return nil, fmt.Errorf("unlogged segments: %w", err)
	}
	return collectSegments(rows)
}

// SetSealedSeq notes the log entry of a segment's sealing.
func (s *Store) SetSealedSeq(ctx context.Context, id int64, seq uint64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE segments SET sealed_seq = $1 WHERE id = $2`, int64(seq), id); err != nil {
		return fmt.Errorf("note sealed entry of segment %d: %w", id, err)
	}
	return nil
}

// UnloggedDeletions returns up to n deletion records of this node's
// segments without their segment.deleted tombstone in its evidence log,
// oldest first.
func (s *Store) UnloggedDeletions(ctx context.Context, n int) ([]Deletion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deletionColumns+` FROM deletions
		WHERE logged_seq IS NULL AND node = $2 ORDER BY id LIMIT $1`, n, s.node)
	if err != nil {
		return nil, fmt.Errorf("unlogged deletions: %w", err)
	}
	return collectDeletions(rows)
}

// SetDeletionLogged notes the tombstone entry of a deletion.
func (s *Store) SetDeletionLogged(ctx context.Context, id int64, seq uint64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE deletions SET logged_seq = $1 WHERE id = $2`, int64(seq), id); err != nil {
		return fmt.Errorf("note tombstone of deletion %d: %w", id, err)
	}
	return nil
}
