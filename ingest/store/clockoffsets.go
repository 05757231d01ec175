package store

import (
	"context"
	"fmt"
	"time"
)

// ClockOffset is a camera's clock offset from the server as measured at a
// time, and how: "rtcp-sr" (its RTCP sender reports) or "onvif" (its
// clock read over ONVIF).
type ClockOffset struct {
	Camera string
	At     time.Time
	Offset time.Duration // the camera's clock minus the server's
	Source string
}

// AddClockOffset records a measurement of a camera's clock offset.
func (s *Store) AddClockOffset(ctx context.Context, o ClockOffset) error {
	if o.Camera == "" || o.Source == "" || o.At.IsZero() {
		return fmt.Errorf("clock offset: camera, time and source are needed")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO clock_offsets (camera_id, at_us, offset_us, source) VALUES ($1,$2,$3,$4)`,
		o.Camera, toMicros(o.At), o.Offset.Microseconds(), o.Source)
	if err != nil {
		return fmt.Errorf("record clock offset of %s: %w", o.Camera, err)
	}
	return nil
}

// ClockOffsets returns the measurements of a camera's clock offset in
// effect over [from, to]: the last one at or before from, then those up to
// to, oldest first.
func (s *Store) ClockOffsets(ctx context.Context, camera string, from, to time.Time) ([]ClockOffset, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at_us, offset_us, source FROM (
			SELECT at_us, offset_us, source, id FROM (
				SELECT at_us, offset_us, source, id FROM clock_offsets WHERE camera_id = $1 AND at_us <= $2
				ORDER BY at_us DESC, id DESC LIMIT 1) AS before
			UNION ALL
			SELECT at_us, offset_us, source, id FROM clock_offsets WHERE camera_id = $1 AND at_us > $2 AND at_us <= $3
		) AS offsets ORDER BY at_us, id`, camera, toMicros(from), toMicros(to))
	if err != nil {
		return nil, fmt.Errorf("clock offsets of %s: %w", camera, err)
	}
	defer rows.Close()
	var out []ClockOffset
	for rows.Next() {
		var at, off int64
		o := ClockOffset{Camera: camera}
		if err := rows.Scan(&at, &off, &o.Source); err != nil {
			return nil, err
		}
		o.At, o.Offset = fromMicros(at), time.Duration(off)*time.Microsecond
		out = append(out, o)
	}
	return out, rows.Err()
}
