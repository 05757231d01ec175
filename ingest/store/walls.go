package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Wall is one user's saved video wall: a layout, the camera in each tile
// ("" for an empty tile) and an optional tour cycled through the selected
// tile.
type Wall struct {
	ID          int64
	UserID      int64
	Name        string
	Layout      string
	Tiles       []string
	Tour        []string
	TourSeconds int
	Updated     time.Time
}

// WallLayouts are the layouts a wall may have, with their tile counts.
var WallLayouts = map[string]int{"1x1": 1, "2x2": 4, "3x3": 9, "4x4": 16, "5x5": 25}

// Bounds of a wall.
const (
	MaxWallsPerUser = 50
	maxTour         = 100
)

func (w *Wall) validate() error {
	var fe FieldErrors
	bad := func(field, format string, args ...any) {
		fe = append(fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(w.Name)); n == 0 || n > 80 {
		bad("name", "give the wall a name of 1-80 characters")
	}
	tiles, ok := WallLayouts[w.Layout]
	if !ok {
		bad("layout", "%q must be one of 1x1, 2x2, 3x3, 4x4, 5x5", w.Layout)
	}
	if len(w.Tiles) > tiles {
		bad("tiles", "%d tiles do not fit layout %s (%d)", len(w.Tiles), w.Layout, tiles)
	}
	for _, c := range w.Tiles {
		if c != "" && !idPattern.MatchString(c) {
			bad("tiles", "%q is not a camera id", c)
		}
	}
	if len(w.Tour) > maxTour {
		bad("tour", "at most %d cameras", maxTour)
	}
	for _, c := range w.Tour {
		if !idPattern.MatchString(c) {
			bad("tour", "%q is not a camera id", c)
		}
	}
	if w.TourSeconds != 0 && (w.TourSeconds < 3 || w.TourSeconds > 3600) {
		bad("tour_seconds", "%d must be 0 (no tour) or 3-3600", w.TourSeconds)
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

const wallColumns = `id, user_id, name, layout, tiles, tour, tour_seconds, updated_us`

func scanWall(row scanner) (Wall, error) {
	var w Wall
	var tiles, tour string
	var updated int64
	if err := row.Scan(&w.ID, &w.UserID, &w.Name, &w.Layout, &tiles, &tour, &w.TourSeconds, &updated); err != nil {
		return Wall{}, err
	}
	w.Updated = fromMicros(updated)
	if err := errors.Join(json.Unmarshal([]byte(tiles), &w.Tiles), json.Unmarshal([]byte(tour), &w.Tour)); err != nil {
		return Wall{}, fmt.Errorf("wall %d: %w", w.ID, err)
	}
	return w, nil
}

// SaveWall creates a wall (ID 0) or replaces one of the same user's;
// ErrExists when the user has another wall of that name, ErrNotFound when
// the ID is not the user's.
func (s *Store) SaveWall(ctx context.Context, w *Wall) error {
	if err := w.validate(); err != nil {
		return err
	}
	w.Tiles = slices.Clip(append([]string{}, w.Tiles...))
	if w.Tour == nil {
		w.Tour = []string{}
	}
	tiles, _ := json.Marshal(w.Tiles)
	tour, _ := json.Marshal(w.Tour)
	var taken int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM walls WHERE user_id = $1 AND name = $2 AND id != $3`,
		w.UserID, w.Name, w.ID).Scan(&taken); err != nil {
		return fmt.Errorf("save wall: %w", err)
	}
	if taken > 0 {
		return fmt.Errorf("wall %q: %w", w.Name, ErrExists)
	}
	if w.ID == 0 {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM walls WHERE user_id = $1`, w.UserID).Scan(&n); err != nil {
			return fmt.Errorf("save wall: %w", err)
		}
		if n >= MaxWallsPerUser {
			return FieldErrors{{Field: "name", Msg: fmt.Sprintf("you have %d saved walls, the most allowed; delete one first", n)}}
		}
		err := s.db.QueryRowContext(ctx, `INSERT INTO walls (user_id, name, layout, tiles, tour, tour_seconds, updated_us)
			VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`, w.UserID, w.Name, w.Layout, string(tiles), string(tour), w.TourSeconds, toMicros(w.Updated)).Scan(&w.ID)
		if err != nil {
			return fmt.Errorf("save wall: %w", err)
		}
		return nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE walls SET name=$1, layout=$2, tiles=$3, tour=$4, tour_seconds=$5, updated_us=$6
		WHERE id = $7 AND user_id = $8`, w.Name, w.Layout, string(tiles), string(tour), w.TourSeconds, toMicros(w.Updated), w.ID, w.UserID)
	if err != nil {
		return fmt.Errorf("save wall: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("wall %d: %w", w.ID, ErrNotFound)
	}
	return nil
}

// Walls lists a user's walls by name.
func (s *Store) Walls(ctx context.Context, userID int64) ([]Wall, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+wallColumns+` FROM walls WHERE user_id = $1 ORDER BY name`, userID)
	if err != nil {
		return nil, fmt.Errorf("walls: %w", err)
	}
	return collect(rows, scanWall)
}

// DeleteWall removes one of a user's walls; ErrNotFound if it is not theirs.
func (s *Store) DeleteWall(ctx context.Context, userID, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM walls WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete wall %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("wall %d: %w", id, ErrNotFound)
	}
	return nil
}
