package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
)

// Errors of the legal-hold life cycle. Each is wrapped with the hold's id.
var (
	// ErrHeld is returned by DeleteSegment for footage under an active hold.
	ErrHeld = errors.New("footage is under an active legal hold")
	// ErrSamePerson enforces the two-person rule on release.
	ErrSamePerson = errors.New("two-person rule: the release must be confirmed by someone other than who requested it")
	// ErrReleased is returned when changing a hold that is already released.
	ErrReleased = errors.New("the hold is already released")
	// ErrReleasePending is returned when a release is asked for twice.
	ErrReleasePending = errors.New("a release of the hold is already requested")
	// ErrNoReleaseRequest is returned when confirming a release nobody asked for.
	ErrNoReleaseRequest = errors.New("no release of the hold was requested")
	// ErrHoldChanged is returned when someone else changed the hold meanwhile.
	ErrHoldChanged = errors.New("the hold was changed by someone else meanwhile; read it again and retry")
)

// maxNameBytes bounds a person's or organisation's name.
const maxNameBytes = 200

// Hold keeps a camera's footage in a time range from deletion while it is
// active (not released). Names are free text until users exist.
type Hold struct {
	ID        int64
	Camera    string
	Start     time.Time
	End       time.Time
	Reason    string
	CreatedBy string // who placed it
	CreatedAt time.Time
	// RequestedBy is who asked for it (an officer, an organisation).
	RequestedBy string
	// ReviewAt is when the hold must be reviewed. Holds placed before
	// schema version 3 have neither a requester nor a review date.
	ReviewAt   time.Time
	ExtendedBy string // who last extended it; its history is in the evidence log
	ExtendedAt time.Time

	ReleaseRequestedBy string
	ReleaseRequestedAt time.Time
	ReleaseReason      string
	ReleasedBy         string
	ReleasedAt         time.Time // zero while the hold is active
}

// Active reports whether the hold still protects its footage.
func (h *Hold) Active() bool { return h.ReleasedAt.IsZero() }

// validate checks a new hold; field names are the API's.
func (h *Hold) validate(now time.Time) error {
	var es FieldErrors
	bad := func(field, format string, args ...any) {
		es = append(es, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(h.Camera) {
		bad("camera", "%q is not a camera id", h.Camera)
	}
	switch {
	case h.Start.IsZero():
		bad("from", "required")
	case h.End.IsZero():
		bad("to", "required")
	case !h.End.After(h.Start):
		bad("to", "%s must be after from (%s)", h.End.Format(time.RFC3339), h.Start.Format(time.RFC3339))
	}
	checkText(&es, "reason", h.Reason, evidence.MaxFieldBytes)
	checkText(&es, "placed_by", h.CreatedBy, maxNameBytes)
	// The API requires a requester and a review date; the store accepts a
	// hold without them as holds placed before schema version 3 have none.
	if len(h.RequestedBy) > maxNameBytes {
		bad("requested_by", "longer than %d bytes", maxNameBytes)
	}
	if !h.ReviewAt.IsZero() && !h.ReviewAt.After(now) {
		bad("review_at", "%s is not in the future", h.ReviewAt.Format(time.RFC3339))
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

func checkText(es *FieldErrors, field, v string, max int) {
	switch {
	case v == "":
		*es = append(*es, &FieldError{Field: field, Msg: "required"})
	case len(v) > max:
		*es = append(*es, &FieldError{Field: field, Msg: fmt.Sprintf("longer than %d bytes", max)})
	}
}

func fieldErr(field, format string, args ...any) error {
	return FieldErrors{{Field: field, Msg: fmt.Sprintf(format, args...)}}
}

// AddHold places a legal hold; h.ID is set, and h.CreatedAt when zero (a
// set CreatedAt is the "now" the review date must follow). Invalid holds
// give FieldErrors.
func (s *Store) AddHold(ctx context.Context, h *Hold) error {
	h.Camera, h.Reason = strings.TrimSpace(h.Camera), strings.TrimSpace(h.Reason)
	h.CreatedBy, h.RequestedBy = strings.TrimSpace(h.CreatedBy), strings.TrimSpace(h.RequestedBy)
	if h.CreatedAt.IsZero() {
		h.CreatedAt = time.Now()
	}
	// Microseconds in UTC, as stored: what is returned equals a later read.
	for _, t := range []*time.Time{&h.Start, &h.End, &h.CreatedAt, &h.ReviewAt} {
		if !t.IsZero() {
			*t = fromMicros(toMicros(*t))
		}
	}
	if err := h.validate(h.CreatedAt); err != nil {
		return fmt.Errorf("hold on %s: %w", h.Camera, err)
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO holds
		(camera_id, start_us, end_us, reason, created_by, created_us, requested_by, review_us)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`, h.Camera, toMicros(h.Start), toMicros(h.End), h.Reason,
		h.CreatedBy, toMicros(h.CreatedAt), h.RequestedBy, nullMicros(h.ReviewAt)).Scan(&h.ID)
	if err != nil {
		return fmt.Errorf("place hold on %s: %w", h.Camera, err)
	}
	return nil
}

const holdColumns = `id, camera_id, start_us, end_us, reason, created_by, created_us, requested_by, review_us,
	extended_by, extended_us, release_requested_by, release_requested_us, release_reason, released_by, released_us`

func scanHold(r scanner) (Hold, error) {
	var h Hold
	var start, end, created int64
	var review, extended, asked, released sql.NullInt64
	err := r.Scan(&h.ID, &h.Camera, &start, &end, &h.Reason, &h.CreatedBy, &created, &h.RequestedBy, &review,
		&h.ExtendedBy, &extended, &h.ReleaseRequestedBy, &asked, &h.ReleaseReason, &h.ReleasedBy, &released)
	if err != nil {
		return Hold{}, err
	}
	h.Start, h.End, h.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
	h.ReviewAt, h.ExtendedAt = timeOf(review), timeOf(extended)
	h.ReleaseRequestedAt, h.ReleasedAt = timeOf(asked), timeOf(released)
	return h, nil
}

// Hold returns a hold by id, or ErrNotFound.
func (s *Store) Hold(ctx context.Context, id int64) (Hold, error) {
	h, err := scanHold(s.db.QueryRowContext(ctx, `SELECT `+holdColumns+` FROM holds WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Hold{}, fmt.Errorf("hold %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Hold{}, fmt.Errorf("hold %d: %w", id, err)
	}
	return h, nil
}

// Holds lists the holds on camera (every camera when ""), only the active
// ones when activeOnly, in the order they were placed.
func (s *Store) Holds(ctx context.Context, camera string, activeOnly bool) ([]Hold, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+holdColumns+` FROM holds
		WHERE ($1 = '' OR camera_id = $1) AND ($2 = 0 OR released_us IS NULL) ORDER BY id`, camera, boolInt(activeOnly))
	if err != nil {
		return nil, fmt.Errorf("holds: %w", err)
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, fmt.Errorf("holds: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Held reports whether any active hold on camera overlaps [start, end).
func (s *Store) Held(ctx context.Context, camera string, start, end time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM holds
		WHERE camera_id = $1 AND released_us IS NULL AND start_us < $3 AND end_us > $2`,
		camera, toMicros(start), toMicros(end)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("holds of %s: %w", camera, err)
	}
	return n > 0, nil
}

// ExtendHold widens an active hold: a later end, a later review date, or
// both (a zero time keeps the current one). A hold never narrows: less
// footage held is a release, which needs two people.
func (s *Store) ExtendHold(ctx context.Context, id int64, end, review time.Time, by string) (Hold, error) {
	now := time.Now().UTC()
	by = strings.TrimSpace(by)
	h, err := s.Hold(ctx, id)
	if err != nil {
		return Hold{}, err
	}
	if !h.Active() {
		return h, fmt.Errorf("hold %d: %w", id, ErrReleased)
	}
	var es FieldErrors
	checkText(&es, "by", by, maxNameBytes)
	newEnd, newReview := h.End, h.ReviewAt
	if !end.IsZero() {
		end = fromMicros(toMicros(end))
		if end.Before(h.End) {
			es = append(es, &FieldError{Field: "to", Msg: fmt.Sprintf("%s is before the hold's end %s: a hold can only be extended",
				end.Format(time.RFC3339), h.End.Format(time.RFC3339))})
		} else {
			newEnd = end
		}
	}
	if !review.IsZero() {
		review = fromMicros(toMicros(review))
		switch {
		case review.Before(h.ReviewAt):
			es = append(es, &FieldError{Field: "review_at", Msg: fmt.Sprintf("%s is before the hold's review date %s: a review can only be put back",
				review.Format(time.RFC3339), h.ReviewAt.Format(time.RFC3339))})
		case !review.After(now):
			es = append(es, &FieldError{Field: "review_at", Msg: fmt.Sprintf("%s is not in the future", review.Format(time.RFC3339))})
		default:
			newReview = review
		}
	}
	if len(es) == 0 && newEnd.Equal(h.End) && newReview.Equal(h.ReviewAt) {
		es = append(es, &FieldError{Field: "to", Msg: "neither a later end (to) nor a later review date (review_at) was given: nothing to extend"})
	}
	if len(es) > 0 {
		return h, fmt.Errorf("extend hold %d: %w", id, es)
	}
	// The WHERE clause makes this a compare-and-swap on what was read.
	res, err := s.db.ExecContext(ctx, `UPDATE holds SET end_us = $1, review_us = $2, extended_by = $3, extended_us = $4
		WHERE id = $5 AND released_us IS NULL AND end_us = $6 AND review_us IS NOT DISTINCT FROM $7`,
		toMicros(newEnd), nullMicros(newReview), by, toMicros(now), id, toMicros(h.End), nullMicros(h.ReviewAt))
	if err := s.changed(res, err, id); err != nil {
		return h, err
	}
	return s.Hold(ctx, id)
}

// RequestRelease asks for an active hold to be released; someone else must
// confirm it (ConfirmRelease).
func (s *Store) RequestRelease(ctx context.Context, id int64, by, reason string) (Hold, error) {
	by, reason = strings.TrimSpace(by), strings.TrimSpace(reason)
	h, err := s.activeHold(ctx, id, by, &reason)
	if err != nil {
		return h, err
	}
	switch {
	case h.ReleaseRequestedBy != "":
		return h, fmt.Errorf("hold %d: %w (by %s at %s)", id, ErrReleasePending,
			h.ReleaseRequestedBy, h.ReleaseRequestedAt.Format(time.RFC3339))
	}
	res, err := s.db.ExecContext(ctx, `UPDATE holds SET release_requested_by = $1, release_requested_us = $2, release_reason = $3
		WHERE id = $4 AND released_us IS NULL AND release_requested_us IS NULL`, by, toMicros(time.Now()), reason, id)
	if err := s.changed(res, err, id); err != nil {
		return h, err
	}
	return s.Hold(ctx, id)
}

// ConfirmRelease releases a hold whose release was requested, by someone
// other than the requester (the two-person rule, ErrSamePerson). From then
// on its footage follows retention again.
func (s *Store) ConfirmRelease(ctx context.Context, id int64, by string) (Hold, error) {
	by = strings.TrimSpace(by)
	h, err := s.activeHold(ctx, id, by, nil)
	if err != nil {
		return h, err
	}
	switch {
	case h.ReleaseRequestedBy == "":
		return h, fmt.Errorf("hold %d: %w: ask for it first", id, ErrNoReleaseRequest)
	case samePerson(h.ReleaseRequestedBy, by):
		return h, fmt.Errorf("hold %d: %w (%s asked for the release)", id, ErrSamePerson, h.ReleaseRequestedBy)
	}
	// Matching the requester read above: a request replaced meanwhile by
	// the confirmer themselves cannot slip through.
	res, err := s.db.ExecContext(ctx, `UPDATE holds SET released_by = $1, released_us = $2
		WHERE id = $3 AND released_us IS NULL AND release_requested_by = $4 AND release_requested_us = $5`,
		by, toMicros(time.Now()), id, h.ReleaseRequestedBy, toMicros(h.ReleaseRequestedAt))
	if err := s.changed(res, err, id); err != nil {
		return h, err
	}
	return s.Hold(ctx, id)
}

// activeHold checks who acts (and why, when reason is given) and loads an
// active hold: the common start of both release steps.
func (s *Store) activeHold(ctx context.Context, id int64, by string, reason *string) (Hold, error) {
	var es FieldErrors
	checkText(&es, "by", by, maxNameBytes)
	if reason != nil {
		checkText(&es, "reason", *reason, evidence.MaxFieldBytes)
	}
	if len(es) > 0 {
		return Hold{}, fmt.Errorf("release hold %d: %w", id, es)
	}
	h, err := s.Hold(ctx, id)
	if err != nil {
		return Hold{}, err
	}
	if !h.Active() {
		return h, fmt.Errorf("hold %d: %w", id, ErrReleased)
	}
	return h, nil
}

// changed turns a compare-and-swap update's result into an error.
func (s *Store) changed(res sql.Result, err error, id int64) error {
	if err != nil {
		return fmt.Errorf("update hold %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("hold %d: %w", id, ErrHoldChanged)
	}
	return nil
}

// samePerson compares names as people type them, so "Sgt Jones" cannot
// confirm a release "sgt jones " asked for.
func samePerson(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return toMicros(t)
}

func timeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}
