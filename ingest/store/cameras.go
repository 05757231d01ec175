package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const cameraColumns = `id, name, site, ward, latitude, longitude, kind, main_url, sub_url,
	username, password, retention_days, enabled, managed_by, created_us, updated_us, onvif_url, ptz_profile`

// ListCameras returns every camera, ordered by ID.
func (s *Store) ListCameras(ctx context.Context) ([]Camera, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+cameraColumns+` FROM cameras ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list cameras: %w", err)
	}
	return collect(rows, scanCamera)
}

// GetCamera returns one camera or ErrNotFound.
func (s *Store) GetCamera(ctx context.Context, id string) (Camera, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+cameraColumns+` FROM cameras WHERE id = $1`, id)
	c, err := scanCamera(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Camera{}, fmt.Errorf("camera %s: %w", id, ErrNotFound)
	}
	return c, err
}

// CreateCamera inserts a camera; ErrExists if the ID is taken.
func (s *Store) CreateCamera(ctx context.Context, c *Camera) error {
	now := time.Now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	_, err := s.db.ExecContext(ctx, `INSERT INTO cameras (`+cameraColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`, cameraArgs(c)...)
	if isUniqueViolation(err) {
		return fmt.Errorf("camera %s: %w", c.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create camera %s: %w", c.ID, err)
	}
	return nil
}

// UpdateCamera replaces a camera's fields; ErrNotFound if it does not exist.
func (s *Store) UpdateCamera(ctx context.Context, c *Camera) error {
	old, err := s.GetCamera(ctx, c.ID)
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = old.CreatedAt, time.Now().UTC()
	_, err = s.db.ExecContext(ctx, `UPDATE cameras SET name=$2, site=$3, ward=$4, latitude=$5,
		longitude=$6, kind=$7, main_url=$8, sub_url=$9, username=$10, password=$11,
		retention_days=$12, enabled=$13, managed_by=$14, created_us=$15, updated_us=$16,
		onvif_url=$17, ptz_profile=$18
		WHERE id=$1`, cameraArgs(c)...)
	if err != nil {
		return fmt.Errorf("update camera %s: %w", c.ID, err)
	}
	return nil
}

// DeleteCamera removes a camera; ErrNotFound if it does not exist. Its
// outages stay: they are part of the record of what was (not) recorded.
func (s *Store) DeleteCamera(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM cameras WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete camera %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("camera %s: %w", id, ErrNotFound)
	}
	return nil
}

func cameraArgs(c *Camera) []any {
	return []any{c.ID, c.Name, c.Site, c.Ward, c.Latitude, c.Longitude, c.Kind, c.MainURL, c.SubURL,
		c.Username, c.Password, c.RetentionDays, boolInt(c.Enabled), c.ManagedBy,
		toMicros(c.CreatedAt), toMicros(c.UpdatedAt), c.ONVIFURL, c.PTZProfile}
}

type scanner interface{ Scan(dest ...any) error }

// collect reads every row of a query with scan, and closes the rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanCamera(r scanner) (Camera, error) {
	var c Camera
	var lat, lon sql.NullFloat64
	var created, updated int64
	err := r.Scan(&c.ID, &c.Name, &c.Site, &c.Ward, &lat, &lon, &c.Kind, &c.MainURL, &c.SubURL,
		&c.Username, &c.Password, &c.RetentionDays, &c.Enabled, &c.ManagedBy, &created, &updated, &c.ONVIFURL, &c.PTZProfile)
	if err != nil {
		return Camera{}, err
	}
	if lat.Valid && lon.Valid {
		c.Latitude, c.Longitude = &lat.Float64, &lon.Float64
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

// pageLimit is a list query's row limit: def when n is not positive, and
// never more than most.
func pageLimit(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}
