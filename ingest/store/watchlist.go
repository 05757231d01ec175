package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// Watch is a watch-listed vehicle: a read of its plate (or one a reader
// could confuse with it) raises an alert.
type Watch struct {
	ID       int64
	Plate    string // normal form
	Category string // one of WatchCategories
	Reason   string
	AddedBy  string
	Added    time.Time
	Expires  time.Time // no alerts after this; kept for the audit until pruned
}

// WatchCategories are why a vehicle is listed.
var WatchCategories = []string{"pspo", "nuisance", "stolen", "car-meet", "other"}

// Bounds of a watch-list entry.
const (
	MaxWatchReason = 500
	MaxWatchTerm   = 366 * 24 * time.Hour // a listing is reviewed at least yearly
	maxWatches     = 100_000
)

func (w *Watch) normalise() error {
	w.Plate = ukplate.Normalize(w.Plate)
	w.Reason = strings.TrimSpace(w.Reason)
	var fe FieldErrors
	bad := func(field, format string, args ...any) {
		fe = append(fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !platePattern.MatchString(w.Plate) {
		bad("plate", "%q must be 1-%d letters and digits", w.Plate, maxPlateLen)
	}
	known := false
	for _, c := range WatchCategories {
		known = known || c == w.Category
	}
	if !known {
		bad("category", "%q must be one of %s", w.Category, strings.Join(WatchCategories, ", "))
	}
	if n := utf8.RuneCountInString(w.Reason); n == 0 || n > MaxWatchReason || !utf8.ValidString(w.Reason) {
		bad("reason", "say why the vehicle is listed (1-%d characters)", MaxWatchReason)
	}
	if w.AddedBy == "" {
		bad("added_by", "is required")
	}
	if w.Added.IsZero() {
		bad("added", "is required")
	}
	if !w.Expires.After(w.Added) || w.Expires.Sub(w.Added) > MaxWatchTerm {
		bad("expires", "must be after it is added and within %d days", int(MaxWatchTerm.Hours()/24))
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// ErrWatchExists is returned when listing a plate that is already listed.
var ErrWatchExists = errors.New("plate is already on the watch-list")

// AddWatch lists a vehicle and sets the entry's ID.
func (s *Store) AddWatch(ctx context.Context, w *Watch) error {
	if err := w.normalise(); err != nil {
		return err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM watchlist`).Scan(&n); err != nil {
		return fmt.Errorf("add watch: %w", err)
	}
	if n >= maxWatches {
		return fmt.Errorf("the watch-list is full (%d entries): remove expired ones", maxWatches)
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO watchlist (plate, category, reason, added_by, added_us, expires_us)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (plate) DO NOTHING RETURNING id`,
		w.Plate, w.Category, w.Reason, w.AddedBy, toMicros(w.Added), toMicros(w.Expires)).Scan(&w.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", w.Plate, ErrWatchExists)
	}
	if err != nil {
		return fmt.Errorf("add watch: %w", err)
	}
	return nil
}

// UpdateWatch changes an entry's category, reason and expiry (not its
// plate or who added it).
func (s *Store) UpdateWatch(ctx context.Context, w Watch) error {
	old, err := s.Watch(ctx, w.ID)
	if err != nil {
		return err
	}
	w.Plate, w.AddedBy, w.Added = old.Plate, old.AddedBy, old.Added
	if err := w.normalise(); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE watchlist SET category = $1, reason = $2, expires_us = $3 WHERE id = $4`,
		w.Category, w.Reason, toMicros(w.Expires), w.ID)
	if err != nil {
		return fmt.Errorf("update watch %d: %w", w.ID, err)
	}
	return nil
}

// DeleteWatch removes an entry; ErrNotFound when there is none.
func (s *Store) DeleteWatch(ctx context.Context, id int64) (Watch, error) {
	w, err := s.Watch(ctx, id)
	if err != nil {
		return Watch{}, err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM watchlist WHERE id = $1`, id); err != nil {
		return Watch{}, fmt.Errorf("delete watch %d: %w", id, err)
	}
	return w, nil
}

const watchColumns = `id, plate, category, reason, added_by, added_us, expires_us`

func scanWatch(row scanner) (Watch, error) {
	var w Watch
	var added, expires int64
	if err := row.Scan(&w.ID, &w.Plate, &w.Category, &w.Reason, &w.AddedBy, &added, &expires); err != nil {
		return Watch{}, err
	}
	w.Added, w.Expires = fromMicros(added), fromMicros(expires)
	return w, nil
}

// Watch returns one entry, or ErrNotFound.
func (s *Store) Watch(ctx context.Context, id int64) (Watch, error) {
	w, err := scanWatch(s.db.QueryRowContext(ctx, `SELECT `+watchColumns+` FROM watchlist WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Watch{}, fmt.Errorf("watch-list entry %d: %w", id, ErrNotFound)
	}
	return w, err
}

// Watches lists the entries by plate; with a non-zero at, only those not
// expired by then.
func (s *Store) Watches(ctx context.Context, at time.Time) ([]Watch, error) {
	q, args := `SELECT `+watchColumns+` FROM watchlist`, []any{}
	if !at.IsZero() {
		q, args = q+` WHERE expires_us > $1`, append(args, toMicros(at))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY plate`, args...)
	if err != nil {
		return nil, fmt.Errorf("watch-list: %w", err)
	}
	return collect(rows, scanWatch)
}
