package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

// OpenOutage implements ingest.OutageStore.
func (s *Store) OpenOutage(ctx context.Context, o *ingest.Outage) error {
	err := s.db.QueryRowContext(ctx, `INSERT INTO outages (camera_id, stream, start_us, reason)
		VALUES ($1,$2,$3,$4) RETURNING id`, o.Camera, o.Stream, toMicros(o.Start), o.Reason).Scan(&o.ID)
	if err != nil {
		return fmt.Errorf("open outage of %s/%s: %w", o.Camera, o.Stream, err)
	}
	return nil
}

// CloseOutage implements ingest.OutageStore.
func (s *Store) CloseOutage(ctx context.Context, o *ingest.Outage) error {
	if o.End == nil {
		return fmt.Errorf("close outage %d: no end time", o.ID)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE outages SET end_us = $2 WHERE id = $1`, o.ID, toMicros(*o.End))
	if err != nil {
		return fmt.Errorf("close outage %d: %w", o.ID, err)
	}
	return nil
}

// CloseDanglingOutages ends outages left open by a previous run (the
// service stopped or crashed while a camera was down) at the given time,
// and says so in their reason.
func (s *Store) CloseDanglingOutages(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outages SET end_us = $1,
		reason = reason || ' (monitoring stopped; closed at next start)'
		WHERE end_us IS NULL`, toMicros(at))
	if err != nil {
		return 0, fmt.Errorf("close dangling outages: %w", err)
	}
	return res.RowsAffected()
}

// ListOutages returns a camera's outages overlapping [from, to), oldest
// first. Zero times leave that side open.
func (s *Store) ListOutages(ctx context.Context, camera string, from, to time.Time) ([]ingest.Outage, error) {
	fromUS, toUS := openRange(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT id, camera_id, stream, start_us, end_us, reason
		FROM outages WHERE camera_id = $1 AND start_us < $3 AND (end_us IS NULL OR end_us > $2)
		ORDER BY start_us, id`, camera, fromUS, toUS)
	if err != nil {
		return nil, fmt.Errorf("list outages of %s: %w", camera, err)
	}
	defer rows.Close()
	var out []ingest.Outage
	for rows.Next() {
		var o ingest.Outage
		var start int64
		var end sql.NullInt64
		if err := rows.Scan(&o.ID, &o.Camera, &o.Stream, &start, &end, &o.Reason); err != nil {
			return nil, err
		}
		o.Start = fromMicros(start)
		if end.Valid {
			e := fromMicros(end.Int64)
			o.End = &e
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
