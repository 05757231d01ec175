package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrAlreadyAcked is returned when acknowledging an alert someone already
// acknowledged.
var ErrAlreadyAcked = errors.New("alert was already acknowledged")

// Bounds of an alert.
const (
	MaxAlertMessage = 1000
	MaxAckNote      = 500
	maxAlertText    = 200 // kind and rule
)

// AlertFilter selects alerts; zero fields do not filter.
type AlertFilter struct {
	// Cameras are the cameras whose alerts to list; nil is every camera,
	// an empty non-nil slice none.
	Cameras []string
	Since   time.Time // At >= Since
	Unacked bool      // only those not yet acknowledged
	Limit   int       // at most 1000; 0 is 100
}

func (a *Alert) validate() error {
	var fe FieldErrors
	bad := func(field, format string, args ...any) {
		fe = append(fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if a.At.IsZero() {
		bad("at", "is required")
	}
	if !idPattern.MatchString(a.Camera) {
		bad("camera", "%q is not a camera id", a.Camera)
	}
	if a.Kind == "" || len(a.Kind) > maxAlertText {
		bad("kind", "is required (at most %d bytes)", maxAlertText)
	}
	if len(a.Rule) > maxAlertText {
		bad("rule", "at most %d bytes", maxAlertText)
	}
	if a.Plate != "" && !platePattern.MatchString(a.Plate) {
		bad("plate", "%q must be 1-%d letters and digits", a.Plate, maxPlateLen)
	}
	switch a.Severity {
	case SeverityInfo, SeverityWarning, SeverityCritical:
	default:
		bad("severity", "%q must be info, warning or critical", a.Severity)
	}
	if n := utf8.RuneCountInString(a.Message); n == 0 || n > MaxAlertMessage || !utf8.ValidString(a.Message) {
		bad("message", "say what happened (1-%d characters)", MaxAlertMessage)
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// AddAlert stores a new, unacknowledged alert and sets its ID.
func (s *Store) AddAlert(ctx context.Context, a *Alert) error {
	if err := a.validate(); err != nil {
		return err
	}
	var event, thumb, read any // NULL when none
	if a.EventID != 0 {
		event = a.EventID
	}
	if a.ReadID != 0 {
		read = a.ReadID
	}
	if len(a.Thumbnail) > 0 {
		thumb = a.Thumbnail
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO alerts (at_us, camera, kind, rule, severity, message, event_id, thumbnail, plate, read_id)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`, toMicros(a.At), a.Camera, a.Kind, a.Rule, a.Severity, a.Message, event, thumb, a.Plate, read).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("add alert: %w", err)
	}
	a.Acked, a.AckedBy, a.AckNote = time.Time{}, "", ""
	return nil
}

// alertColumns leave the thumbnail out; HasThumbnail is whether there is one.
const alertColumns = `id, at_us, camera, kind, rule, severity, message, event_id, thumbnail IS NOT NULL, acked_us, acked_by, ack_note, plate, read_id`

func scanAlert(row scanner) (Alert, error) {
	var a Alert
	var at int64
	var event, acked, read sql.NullInt64
	var thumb bool
	if err := row.Scan(&a.ID, &at, &a.Camera, &a.Kind, &a.Rule, &a.Severity, &a.Message, &event, &thumb,
		&acked, &a.AckedBy, &a.AckNote, &a.Plate, &read); err != nil {
		return Alert{}, err
	}
	a.At, a.EventID, a.ReadID = fromMicros(at), event.Int64, read.Int64
	if thumb {
		a.Thumbnail = []byte{} // non-nil: there is one, fetched with AlertThumbnail
	}
	if acked.Valid {
		a.Acked = fromMicros(acked.Int64)
	}
	return a, nil
}

// Alert returns one alert without its thumbnail (Thumbnail is non-nil and
// empty when it has one), or ErrNotFound.
func (s *Store) Alert(ctx context.Context, id int64) (Alert, error) {
	a, err := scanAlert(s.db.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Alert{}, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	return a, err
}

// AlertThumbnail returns an alert's camera and JPEG thumbnail; ErrNotFound
// when there is no such alert or it has no thumbnail.
func (s *Store) AlertThumbnail(ctx context.Context, id int64) (camera string, jpeg []byte, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT camera, thumbnail FROM alerts WHERE id = $1 AND thumbnail IS NOT NULL`, id).
		Scan(&camera, &jpeg)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("alert %d thumbnail: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("alert %d thumbnail: %w", id, err)
	}
	return camera, jpeg, nil
}

// Alerts lists alerts without thumbnails, newest first.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	if f.Cameras != nil && len(f.Cameras) == 0 {
		return nil, nil
	}
	where, args := []string{"1=1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Cameras != nil {
		in := make([]string, len(f.Cameras))
		for i, c := range f.Cameras {
			in[i] = arg(c)
		}
		where = append(where, "camera IN ("+strings.Join(in, ",")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "at_us >= "+arg(toMicros(f.Since)))
	}
	if f.Unacked {
		where = append(where, "acked_us IS NULL")
	}
	limit := pageLimit(f.Limit, 100, 1000)
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE `+strings.Join(where, " AND ")+
		` ORDER BY at_us DESC, id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return collect(rows, scanAlert)
}

// AckAlert records who acknowledged an alert, when and with what note;
// ErrNotFound for no such alert, ErrAlreadyAcked when someone was first.
func (s *Store) AckAlert(ctx context.Context, id int64, by, note string, at time.Time) (Alert, error) {
	by, note = strings.TrimSpace(by), strings.TrimSpace(note)
	var fe FieldErrors
	if by == "" {
		fe = append(fe, &FieldError{Field: "by", Msg: "is required"})
	}
	if n := utf8.RuneCountInString(note); n == 0 || n > MaxAckNote || !utf8.ValidString(note) {
		fe = append(fe, &FieldError{Field: "note", Msg: fmt.Sprintf("say what was done (1-%d characters)", MaxAckNote)})
	}
	if len(fe) > 0 {
		return Alert{}, fe
	}
	// One UPDATE that only matches an unacknowledged alert: of two people
	// acknowledging at once, exactly one wins.
	res, err := s.db.ExecContext(ctx, `UPDATE alerts SET acked_us = $1, acked_by = $2, ack_note = $3
		WHERE id = $4 AND acked_us IS NULL`, toMicros(at), by, note, id)
	if err != nil {
		return Alert{}, fmt.Errorf("ack alert %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	a, err := s.Alert(ctx, id)
	switch {
	case err != nil:
		return Alert{}, err
	case n == 0:
		return a, fmt.Errorf("alert %d: %w (by %s at %s)", id, ErrAlreadyAcked, a.AckedBy, a.Acked.Format(time.RFC3339))
	}
	return a, nil
}
