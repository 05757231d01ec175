package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CameraLocation is where a camera stood from From until To (zero: it
// still does), and for which deployment (0: none, e.g. a fixed camera
// placed by an engineer). Footage is placed by it: what a mobile camera
// recorded last month was taken where it was then, not where it is now.
type CameraLocation struct {
	ID           int64
	Camera       string
	From, To     time.Time
	Latitude     float64
	Longitude    float64
	Name         string // the camera's name there ("Park entrance (mobile)")
	Address      string
	Site, Ward   string
	DeploymentID int64
}

// At reports whether the camera stood there at t.
func (l CameraLocation) At(t time.Time) bool {
	return !t.Before(l.From) && (l.To.IsZero() || t.Before(l.To))
}

// MoveCamera records that l.Camera stands at l from l.From on: its
// current place, if any, ends then.
func (s *Store) MoveCamera(ctx context.Context, l *CameraLocation) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := moveCamera(ctx, tx, l); err != nil {
		return err
	}
	return tx.Commit()
}

func moveCamera(ctx context.Context, tx *sql.Tx, l *CameraLocation) error {
	if !idPattern.MatchString(l.Camera) || l.From.IsZero() {
		return fieldErr("camera", "a camera id and the time it moved are required")
	}
	l.From, l.To = fromMicros(toMicros(l.From)), time.Time{}
	if _, err := tx.ExecContext(ctx, `UPDATE camera_locations SET to_us = $1 WHERE camera = $2 AND to_us IS NULL`,
		toMicros(l.From), l.Camera); err != nil {
		return fmt.Errorf("camera %s: end its place: %w", l.Camera, err)
	}
	var dep any
	if l.DeploymentID != 0 {
		dep = l.DeploymentID
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO camera_locations
		(camera, from_us, latitude, longitude, name, address, site, ward, deployment_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, l.Camera, toMicros(l.From), l.Latitude, l.Longitude,
		l.Name, l.Address, l.Site, l.Ward, dep).Scan(&l.ID)
	if err != nil {
		return fmt.Errorf("camera %s: new place: %w", l.Camera, err)
	}
	return nil
}

// CameraLocations lists where a camera stood at any time in [from, to)
// (zero from or to: unbounded), oldest first.
func (s *Store) CameraLocations(ctx context.Context, camera string, from, to time.Time) ([]CameraLocation, error) {
	q := `SELECT id, camera, from_us, to_us, latitude, longitude, name, address, site, ward, deployment_id
		FROM camera_locations WHERE camera = $1`
	args := []any{camera}
	if !to.IsZero() {
		args = append(args, toMicros(to))
		q += fmt.Sprintf(" AND from_us < $%d", len(args))
	}
	if !from.IsZero() {
		args = append(args, toMicros(from))
		q += fmt.Sprintf(" AND (to_us IS NULL OR to_us > $%d)", len(args))
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY from_us, id", args...)
	if err != nil {
		return nil, fmt.Errorf("camera %s: places: %w", camera, err)
	}
	return collect(rows, func(sc scanner) (CameraLocation, error) {
		var l CameraLocation
		var from int64
		var to, dep sql.NullInt64
		err := sc.Scan(&l.ID, &l.Camera, &from, &to, &l.Latitude, &l.Longitude, &l.Name, &l.Address, &l.Site, &l.Ward, &dep)
		l.From, l.To, l.DeploymentID = fromMicros(from), timeOf(to), dep.Int64
		return l, err
	})
}
