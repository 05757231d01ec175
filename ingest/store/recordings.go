package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Segment is one sealed recording file in the index.
type Segment struct {
	ID       int64
	Camera   string
	Start    time.Time // wall time of the first frame
	End      time.Time // wall time where the last frame ends
	Path     string    // relative to the recordings directory
	Bytes    int64
	SHA256   [32]byte
	StreamID uuid.UUID // the ingest session that produced it
	Sequence uint64    // position within the stream: contiguity across files
	Frames   int
	Repaired bool // cut at its last complete fragment after a crash
	// Node is the node that recorded the segment, whose disk holds its
	// file unless it is in the object store ('' on a single node).
	Node string
	// Object is where the segment is in the shared object store
	// ("bucket/key"); '' while its file is on Node's disk.
	Object string
	// SealedSeq is the seq of the segment's segment.sealed entry in the
	// evidence log; -1 until it is logged.
	SealedSeq int64
}

// Gap is a span with no footage, and why.
type Gap struct {
	ID     int64
	Camera string
	Start  time.Time
	End    time.Time
	Reason string
}

// Deletion records a segment removed by retention or by hand: what it was,
// its hash, and why. Deletions are kept for good.
type Deletion struct {
	ID        int64
	Segment   Segment
	Reason    string
	DeletedAt time.Time
}

// AddSegment indexes a sealed segment; s.ID is set.
func (s *Store) AddSegment(ctx context.Context, seg *Segment) error {
	if !seg.End.After(seg.Start) {
		return fmt.Errorf("segment %s: end %v is not after start %v", seg.Path, seg.End, seg.Start)
	}
	if seg.End.Sub(seg.Start) > MaxSegmentSpan {
		return fmt.Errorf("segment %s: %v long, more than %v", seg.Path, seg.End.Sub(seg.Start), MaxSegmentSpan)
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO segments
		(camera_id, start_us, end_us, path, bytes, sha256, stream_id, sequence, frames, repaired, node)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id`,
		seg.Camera, toMicros(seg.Start), toMicros(seg.End), seg.Path, seg.Bytes,
		hex.EncodeToString(seg.SHA256[:]), seg.StreamID.String(), int64(seg.Sequence), seg.Frames, boolInt(seg.Repaired), s.node).Scan(&seg.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("segment %s: %w", seg.Path, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("index segment %s: %w", seg.Path, err)
	}
	return nil
}

const segmentColumns = `id, camera_id, start_us, end_us, path, bytes, sha256, stream_id, sequence, frames, repaired, COALESCE(sealed_seq, -1), node, object_key`

// MaxSegmentSpan bounds how long one segment can be (the recorder closes
// them after at most an hour plus a GOP); lookups use it to bound their scan.
const MaxSegmentSpan = 6 * time.Hour

// Segments returns a camera's segments overlapping [from, to), oldest first.
// Zero times leave that side open.
func (s *Store) Segments(ctx context.Context, camera string, from, to time.Time) ([]Segment, error) {
	fromUS, toUS := openRange(from, to)
	// end_us < to + MaxSegmentSpan bounds the index range scan on
	// (camera_id, end_us): without it a lookup in old footage walked every
	// newer row of the camera (23 ms at 31 days x 300 cameras, growing).
	endLimit := toUS
	if toUS < 1<<62-int64(MaxSegmentSpan/time.Microsecond) {
		endLimit = toUS + int64(MaxSegmentSpan/time.Microsecond)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE camera_id = $1 AND end_us > $2 AND end_us < $4 AND start_us < $3 ORDER BY start_us`,
		camera, fromUS, toUS, endLimit)
	if err != nil {
		return nil, fmt.Errorf("segments of %s: %w", camera, err)
	}
	return collectSegments(rows)
}

// SegmentByPath finds a segment by its path, or ErrNotFound.
func (s *Store) SegmentByPath(ctx context.Context, path string) (Segment, error) {
	seg, err := scanSegment(s.db.QueryRowContext(ctx, `SELECT `+segmentColumns+` FROM segments WHERE path = $1`, path))
	if errors.Is(err, sql.ErrNoRows) {
		return Segment{}, fmt.Errorf("segment %s: %w", path, ErrNotFound)
	}
	return seg, err
}

// AdoptSegment marks a segment indexed by a single node (”) as on this
// node's disk: a site that grew into several nodes.
func (s *Store) AdoptSegment(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE segments SET node = $2 WHERE id = $1 AND node = ''`, id, s.node); err != nil {
		return fmt.Errorf("adopt segment %d: %w", id, err)
	}
	return nil
}

// OldestSegments returns up to n segments on this node's disk, oldest
// first, skipping the first skip: the candidates when the disk runs short.
func (s *Store) OldestSegments(ctx context.Context, skip, n int) ([]Segment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+segmentColumns+` FROM segments WHERE node = $3 AND object_key = ''
		ORDER BY start_us, id LIMIT $1 OFFSET $2`, n, skip, s.node)
	if err != nil {
		return nil, fmt.Errorf("oldest segments: %w", err)
	}
	return collectSegments(rows)
}

// DeleteSegment removes a segment from the index and records the deletion,
// in one transaction: the record of what was deleted is never lost. A
// segment overlapping an active legal hold is not deleted (ErrHeld): the
// store enforces holds itself, so no caller (retention racing a hold being
// placed, a future manual delete) can get round them.
func (s *Store) DeleteSegment(ctx context.Context, seg Segment, reason string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Delete first: that takes SQLite's write lock, so no hold can be
	// placed between the check below and the commit.
	var camera, node, object string
	var start, end int64
	err = tx.QueryRowContext(ctx, `DELETE FROM segments WHERE id = $1 RETURNING camera_id, start_us, end_us, node, object_key`,
		seg.ID).Scan(&camera, &start, &end, &node, &object)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("segment %d (%s): %w", seg.ID, seg.Path, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete segment %s: %w", seg.Path, err)
	}
	var hold int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM holds WHERE camera_id = $1 AND released_us IS NULL
		AND start_us < $3 AND end_us > $2 ORDER BY id LIMIT 1`, camera, start, end).Scan(&hold)
	switch {
	case err == nil:
		return fmt.Errorf("segment %s (%s %s): hold %d: %w", seg.Path, camera,
			fromMicros(start).Format(time.RFC3339), hold, ErrHeld)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("holds of %s: %w", camera, err)
	}
	if object != "" {
		// Any node may delete a segment in the object store: its
		// tombstone is this node's to log, and its object is queued for
		// deletion with the record.
		node = s.node
		if err := queueObjectDelete(ctx, tx, object, at); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deletions
		(camera_id, start_us, end_us, path, bytes, sha256, reason, deleted_us, node) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		seg.Camera, toMicros(seg.Start), toMicros(seg.End), seg.Path, seg.Bytes,
		hex.EncodeToString(seg.SHA256[:]), reason, toMicros(at), node)
	if err != nil {
		return fmt.Errorf("record deletion of %s: %w", seg.Path, err)
	}
	return tx.Commit()
}

// Deletions returns a camera's deletion records overlapping [from, to).
func (s *Store) Deletions(ctx context.Context, camera string, from, to time.Time) ([]Deletion, error) {
	fromUS, toUS := openRange(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT `+deletionColumns+`
		FROM deletions WHERE camera_id = $1 AND end_us > $2 AND start_us < $3 ORDER BY start_us`, camera, fromUS, toUS)
	if err != nil {
		return nil, fmt.Errorf("deletions of %s: %w", camera, err)
	}
	return collectDeletions(rows)
}

const deletionColumns = `id, camera_id, start_us, end_us, path, bytes, sha256, reason, deleted_us`

func collectDeletions(rows *sql.Rows) ([]Deletion, error) {
	defer rows.Close()
	var out []Deletion
	for rows.Next() {
		var d Deletion
		var start, end, at int64
		var sum string
		if err := rows.Scan(&d.ID, &d.Segment.Camera, &start, &end, &d.Segment.Path, &d.Segment.Bytes, &sum, &d.Reason, &at); err != nil {
			return nil, err
		}
		d.Segment.Start, d.Segment.End, d.DeletedAt = fromMicros(start), fromMicros(end), fromMicros(at)
		if err := decodeSHA(sum, &d.Segment.SHA256); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// AddGap records a span without footage; g.ID is set.
func (s *Store) AddGap(ctx context.Context, g *Gap) error {
	if g.End.Before(g.Start) {
		return fmt.Errorf("gap of %s: end %v before start %v", g.Camera, g.End, g.Start)
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO gaps (camera_id, start_us, end_us, reason) VALUES ($1,$2,$3,$4) RETURNING id`,
		g.Camera, toMicros(g.Start), toMicros(g.End), g.Reason).Scan(&g.ID)
	if err != nil {
		return fmt.Errorf("record gap of %s: %w", g.Camera, err)
	}
	return nil
}

// Gaps returns a camera's gaps overlapping [from, to), oldest first.
func (s *Store) Gaps(ctx context.Context, camera string, from, to time.Time) ([]Gap, error) {
	fromUS, toUS := openRange(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT id, camera_id, start_us, end_us, reason FROM gaps
		WHERE camera_id = $1 AND end_us > $2 AND start_us < $3 ORDER BY start_us`, camera, fromUS, toUS)
	if err != nil {
		return nil, fmt.Errorf("gaps of %s: %w", camera, err)
	}
	defer rows.Close()
	var out []Gap
	for rows.Next() {
		var g Gap
		var start, end int64
		if err := rows.Scan(&g.ID, &g.Camera, &start, &end, &g.Reason); err != nil {
			return nil, err
		}
		g.Start, g.End = fromMicros(start), fromMicros(end)
		out = append(out, g)
	}
	return out, rows.Err()
}

func openRange(from, to time.Time) (int64, int64) {
	fromUS, toUS := int64(-1<<62), int64(1<<62)
	if !from.IsZero() {
		fromUS = toMicros(from)
	}
	if !to.IsZero() {
		toUS = toMicros(to)
	}
	return fromUS, toUS
}

// collectSegments reads and closes a query's segment rows.
func collectSegments(rows *sql.Rows) ([]Segment, error) {
	return collect(rows, scanSegment)
}

func scanSegment(r scanner) (Segment, error) {
	var seg Segment
	var start, end, seq int64
	var sum, stream string
	err := r.Scan(&seg.ID, &seg.Camera, &start, &end, &seg.Path, &seg.Bytes, &sum, &stream, &seq, &seg.Frames, &seg.Repaired, &seg.SealedSeq, &seg.Node, &seg.Object)
	if err != nil {
		return Segment{}, err
	}
	seg.Start, seg.End, seg.Sequence = fromMicros(start), fromMicros(end), uint64(seq)
	if seg.StreamID, err = uuid.Parse(stream); err != nil {
		return Segment{}, fmt.Errorf("segment %s: stream id: %w", seg.Path, err)
	}
	return seg, decodeSHA(sum, &seg.SHA256)
}

func decodeSHA(s string, dst *[32]byte) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return fmt.Errorf("stored sha256 %q is not 32 hex bytes", s)
	}
	copy(dst[:], b)
	return nil
}

// SegmentsEndingBefore returns up to n of a camera's segments that end
// before cutoff, oldest first: the ones its retention period has passed.
// They are the ones on this node's disk and those in the object store,
// which any node may expire.
func (s *Store) SegmentsEndingBefore(ctx context.Context, camera string, cutoff time.Time, n int) ([]Segment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE camera_id = $1 AND end_us <= $2 AND (node = $4 OR object_key <> '') ORDER BY end_us LIMIT $3`,
		camera, toMicros(cutoff), n, s.node)
	if err != nil {
		return nil, fmt.Errorf("expired segments of %s: %w", camera, err)
	}
	return collectSegments(rows)
}

// RecordedBytes is the size of every indexed segment on this node's disk.
func (s *Store) RecordedBytes(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT sum(bytes) FROM segments WHERE node = $1 AND object_key = ''`, s.node).Scan(&n); err != nil {
		return 0, fmt.Errorf("recorded bytes: %w", err)
	}
	return n.Int64, nil
}

// RecordedCameras lists the cameras that have indexed segments on this
// node's disk or in the object store, including cameras since removed from
// the registry (their footage still expires).
func (s *Store) RecordedCameras(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT camera_id FROM segments
		WHERE node = $1 OR object_key <> '' ORDER BY camera_id`, s.node)
	if err != nil {
		return nil, fmt.Errorf("recorded cameras: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// LastSegment returns a camera's most recent segment, or ErrNotFound.
func (s *Store) LastSegment(ctx context.Context, camera string) (Segment, error) {
	seg, err := scanSegment(s.db.QueryRowContext(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE camera_id = $1 ORDER BY end_us DESC LIMIT 1`, camera))
	if errors.Is(err, sql.ErrNoRows) {
		return Segment{}, fmt.Errorf("segments of %s: %w", camera, ErrNotFound)
	}
	return seg, err
}
