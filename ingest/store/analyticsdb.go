package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/ingest/zones"
)

// Bounds of analytics settings.
const (
	MinSensitivity = 1
	MaxSensitivity = 10
	MinMinArea     = 0.0001
	MaxMinArea     = 0.25
)

// Validate checks settings and names every bad field.
func (a *CameraAnalytics) Validate() error {
	var fe FieldErrors
	bad := func(field, format string, args ...any) {
		fe = append(fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(a.Camera) {
		bad("camera", "%q is not a camera id", a.Camera)
	}
	if a.Sensitivity < MinSensitivity || a.Sensitivity > MaxSensitivity {
		bad("sensitivity", "%d must be %d (only big, clear motion) to %d (the slightest change)", a.Sensitivity, MinSensitivity, MaxSensitivity)
	}
	if math.IsNaN(a.MinArea) || a.MinArea < MinMinArea || a.MinArea > MaxMinArea {
		bad("min_area", "%g must be a fraction of the frame from %g to %g", a.MinArea, MinMinArea, MaxMinArea)
	}
	if err := zones.ValidateSet(a.Zones, a.Exclusions, a.Privacy); err != nil {
		fe = append(fe, zoneFieldError(err))
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// zoneFieldError turns zones.ValidateSet's "field[i]...: message" into a
// FieldError for that field.
func zoneFieldError(err error) *FieldError {
	msg := err.Error()
	field, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return &FieldError{Field: "zones", Msg: msg}
	}
	// "zones[2] (Doorway)" is field zones[2]; "exclusions, privacy" is both.
	if name, _, named := strings.Cut(field, " ("); named {
		return &FieldError{Field: name, Msg: strings.TrimSuffix(field[len(name)+2:], ")") + ": " + rest}
	}
	if strings.Contains(field, ", ") {
		return &FieldError{Field: "privacy", Msg: rest}
	}
	return &FieldError{Field: field, Msg: rest}
}

// defaultAnalytics is what a camera with no settings of its own gets.
func defaultAnalytics(camera string) CameraAnalytics {
	return CameraAnalytics{Camera: camera, Enabled: true, Sensitivity: DefaultSensitivity, MinArea: DefaultMinArea,
		Zones: []zones.Zone{}, Exclusions: []zones.Polygon{}, Privacy: []zones.Polygon{}}
}

const analyticsColumns = `camera, enabled, sensitivity, min_area, zones, exclusions, privacy, updated_us, updated_by`

func scanAnalytics(row scanner) (CameraAnalytics, error) {
	var a CameraAnalytics
	var zs, excl, priv string
	var updated int64
	if err := row.Scan(&a.Camera, &a.Enabled, &a.Sensitivity, &a.MinArea, &zs, &excl, &priv, &updated, &a.UpdatedBy); err != nil {
		return CameraAnalytics{}, err
	}
	a.Updated = fromMicros(updated)
	err := errors.Join(json.Unmarshal([]byte(zs), &a.Zones), json.Unmarshal([]byte(excl), &a.Exclusions),
		json.Unmarshal([]byte(priv), &a.Privacy))
	if err != nil {
		return CameraAnalytics{}, fmt.Errorf("analytics of %s: %w", a.Camera, err)
	}
	return a, nil
}

// CameraAnalytics returns a camera's analytics settings, or the defaults
// (enabled, default sensitivity and minimum area, nothing drawn) when it
// has none of its own.
func (s *Store) CameraAnalytics(ctx context.Context, camera string) (CameraAnalytics, error) {
	a, err := scanAnalytics(s.db.QueryRowContext(ctx, `SELECT `+analyticsColumns+` FROM camera_analytics WHERE camera = $1`, camera))
	if errors.Is(err, sql.ErrNoRows) {
		return defaultAnalytics(camera), nil
	}
	if err != nil {
		return CameraAnalytics{}, fmt.Errorf("analytics of %s: %w", camera, err)
	}
	return a, nil
}

// ListCameraAnalytics returns the settings of the cameras that have their
// own, by camera.
func (s *Store) ListCameraAnalytics(ctx context.Context) ([]CameraAnalytics, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+analyticsColumns+` FROM camera_analytics ORDER BY camera`)
	if err != nil {
		return nil, fmt.Errorf("list analytics: %w", err)
	}
	return collect(rows, scanAnalytics)
}

// PutCameraAnalytics validates and stores a camera's settings, replacing
// any before. Updated defaults to now.
func (s *Store) PutCameraAnalytics(ctx context.Context, a CameraAnalytics) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Updated.IsZero() {
		a.Updated = time.Now()
	}
	zs, _ := json.Marshal(nonNil(a.Zones))
	excl, _ := json.Marshal(nonNil(a.Exclusions))
	priv, _ := json.Marshal(nonNil(a.Privacy))
	_, err := s.db.ExecContext(ctx, `INSERT INTO camera_analytics (`+analyticsColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
		ON CONFLICT(camera) DO UPDATE SET enabled=excluded.enabled, sensitivity=excluded.sensitivity,
			min_area=excluded.min_area, zones=excluded.zones, exclusions=excluded.exclusions,
			privacy=excluded.privacy, updated_us=excluded.updated_us, updated_by=excluded.updated_by`,
		a.Camera, boolInt(a.Enabled), a.Sensitivity, a.MinArea, string(zs), string(excl), string(priv), toMicros(a.Updated), a.UpdatedBy)
	if err != nil {
		return fmt.Errorf("put analytics of %s: %w", a.Camera, err)
	}
	return nil
}

// nonNil makes a nil list an empty one, so that JSON holds [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// AddEvent stores an event and sets its ID. A zero End leaves it open.
func (s *Store) AddEvent(ctx context.Context, e *Event) error {
	err := s.db.QueryRowContext(ctx, `INSERT INTO analytics_events (camera, kind, zone, start_us, end_us, peak, objects, detail, thumbnail)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
		e.Camera, e.Kind, e.Zone, toMicros(e.Start), nullMicros(e.End), e.Peak, e.Objects, e.Detail, nullBlob(e.Thumbnail)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	return nil
}

// UpdateEvent sets an event's end (zero: still open), peak, objects and
// detail, and its thumbnail when e.Thumbnail is not nil; ErrNotFound when
// there is no such event.
func (s *Store) UpdateEvent(ctx context.Context, e Event) error {
	res, err := s.db.ExecContext(ctx, `UPDATE analytics_events SET end_us=$1, peak=$2, objects=$3, detail=$4,
		thumbnail=coalesce($5, thumbnail) WHERE id = $6`,
		nullMicros(e.End), e.Peak, e.Objects, e.Detail, nullBlob(e.Thumbnail), e.ID)
	if err != nil {
		return fmt.Errorf("update event %d: %w", e.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("event %d: %w", e.ID, ErrNotFound)
	}
	return nil
}

// nullBlob stores a nil slice as NULL (an empty one too: no thumbnail).
func nullBlob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// EventFilter selects events; zero fields do not filter.
type EventFilter struct {
	Camera string
	// From, To select events that overlap [From, To); an open event
	// overlaps everything after its start.
	From, To time.Time
	// Kinds match exactly or as a prefix before a dot: "tamper" matches
	// every tamper.* kind.
	Kinds []string
	Limit int // at most MaxEvents; 0 is MaxEvents
}

// MaxEvents is the most events one query returns.
const MaxEvents = 5000

const eventColumns = `id, camera, kind, zone, start_us, end_us, peak, objects, detail, thumbnail IS NOT NULL`

func scanEvent(row scanner) (Event, error) {
	var e Event
	var start int64
	var end sql.NullInt64
	var thumbnail bool
	if err := row.Scan(&e.ID, &e.Camera, &e.Kind, &e.Zone, &start, &end, &e.Peak, &e.Objects, &e.Detail, &thumbnail); err != nil {
		return Event{}, err
	}
	e.Start, e.End = fromMicros(start), timeOf(end)
	if thumbnail {
		e.Thumbnail = []byte{} // there is one: EventThumbnail reads it
	}
	return e, nil
}

// Events lists events by start, without their thumbnails' bytes: an event
// with a thumbnail has an empty, non-nil Thumbnail.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	where, args := []string{"1=1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Camera != "" {
		where = append(where, "camera = "+arg(f.Camera))
	}
	if !f.From.IsZero() {
		where = append(where, "(end_us IS NULL OR end_us > "+arg(toMicros(f.From))+")")
	}
	if !f.To.IsZero() {
		where = append(where, "start_us < "+arg(toMicros(f.To)))
	}
	if len(f.Kinds) > 0 {
		var kinds []string
		for _, k := range f.Kinds {
			kinds = append(kinds, "kind = "+arg(k), `kind LIKE `+arg(likeEscape(k)+".%")+` ESCAPE '\'`)
		}
		where = append(where, "("+strings.Join(kinds, " OR ")+")")
	}
	limit := pageLimit(f.Limit, MaxEvents, MaxEvents)
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM analytics_events WHERE `+strings.Join(where, " AND ")+` ORDER BY start_us, id LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return collect(rows, scanEvent)
}

// Event returns one event (its Thumbnail marked as in Events); ErrNotFound
// when there is none.
func (s *Store) Event(ctx context.Context, id int64) (Event, error) {
	e, err := scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM analytics_events WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, fmt.Errorf("event %d: %w", id, ErrNotFound)
	}
	return e, err
}

// EventThumbnail returns an event's camera and thumbnail; ErrNotFound when
// there is no such event or it has no thumbnail.
func (s *Store) EventThumbnail(ctx context.Context, id int64) (camera string, jpeg []byte, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT camera, thumbnail FROM analytics_events WHERE id = $1`, id).Scan(&camera, &jpeg)
	if errors.Is(err, sql.ErrNoRows) || err == nil && len(jpeg) == 0 {
		return "", nil, fmt.Errorf("thumbnail of event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("thumbnail of event %d: %w", id, err)
	}
	return camera, jpeg, nil
}

// AddActivity adds counts to their buckets (started at Bucket, truncated to
// ActivityBucket) in one transaction: the analytics of one camera may
// report a bucket in several parts, e.g. across a restart.
func (s *Store) AddActivity(ctx context.Context, as []Activity) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add activity: %w", err)
	}
	defer tx.Rollback()
	for _, a := range as {
		_, err := tx.ExecContext(ctx, `INSERT INTO activity (camera, zone, bucket_us, frames, motion_frames, objects)
			VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT(camera, zone, bucket_us) DO UPDATE SET frames = activity.frames + excluded.frames,
				motion_frames = activity.motion_frames + excluded.motion_frames, objects = activity.objects + excluded.objects`,
			a.Camera, a.Zone, toMicros(a.Bucket.UTC().Truncate(ActivityBucket)), a.Frames, a.MotionFrames, a.Objects)
		if err != nil {
			return fmt.Errorf("add activity of %s: %w", a.Camera, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add activity: %w", err)
	}
	return nil
}

// ActivityFilter selects activity rows.
type ActivityFilter struct {
	// Cameras: nil is every camera; an empty, non-nil list is none.
	Cameras []string
	// Zones: nil is every zone; "" is the whole frame.
	Zones    []string
	From, To time.Time // bucket start in [From, To); zero does not filter
	// Hourly adds the selected buckets up by whole UTC hour (Bucket is the
	// hour's start): a quarter of the rows for reports by hour of the week.
	Hourly bool
}

func scanActivity(row scanner) (Activity, error) {
	var a Activity
	var bucket int64
	if err := row.Scan(&a.Camera, &a.Zone, &bucket, &a.Frames, &a.MotionFrames, &a.Objects); err != nil {
		return Activity{}, err
	}
	a.Bucket = fromMicros(bucket)
	return a, nil
}

// Activity lists activity rows by bucket, camera and zone.
func (s *Store) Activity(ctx context.Context, f ActivityFilter) ([]Activity, error) {
	if f.Cameras != nil && len(f.Cameras) == 0 || f.Zones != nil && len(f.Zones) == 0 {
		return nil, nil
	}
	where, args := []string{"1=1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	in := func(column string, values []string) {
		var list []string
		for _, v := range slices.Compact(slices.Sorted(slices.Values(values))) {
			list = append(list, arg(v))
		}
		where = append(where, column+" IN ("+strings.Join(list, ",")+")")
	}
	if f.Cameras != nil {
		in("camera", f.Cameras)
	}
	if f.Zones != nil {
		in("zone", f.Zones)
	}
	if !f.From.IsZero() {
		where = append(where, "bucket_us >= "+arg(toMicros(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "bucket_us < "+arg(toMicros(f.To)))
	}
	query := `SELECT camera, zone, bucket_us, frames, motion_frames, objects
		FROM activity WHERE ` + strings.Join(where, " AND ") + ` ORDER BY bucket_us, camera, zone`
	if f.Hourly {
		const hour = int64(time.Hour / time.Microsecond)
		query = fmt.Sprintf(`SELECT camera, zone, bucket_us / %[1]d * %[1]d AS hour, sum(frames), sum(motion_frames), sum(objects)
		FROM activity WHERE %s GROUP BY camera, zone, hour ORDER BY hour, camera, zone`, hour, strings.Join(where, " AND "))
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("activity: %w", err)
	}
	return collect(rows, scanActivity)
}

// PruneActivity deletes activity buckets that start before before, and
// events that ended before it (callers pass now - ActivityRetention). It
// returns how many rows went, of both.
func (s *Store) PruneActivity(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM activity WHERE bucket_us < $1`, toMicros(before))
	if err != nil {
		return 0, fmt.Errorf("prune activity: %w", err)
	}
	n, _ := res.RowsAffected()
	res, err = s.db.ExecContext(ctx, `DELETE FROM analytics_events WHERE end_us IS NOT NULL AND end_us < $1`, toMicros(before))
	if err != nil {
		return n, fmt.Errorf("prune events: %w", err)
	}
	m, _ := res.RowsAffected()
	return n + m, nil
}

// Bounds of an alert rule.
const (
	MaxRuleName   = 80
	MaxRuleFactor = 100
)

// Validate checks a rule and names every bad field.
func (r *AlertRule) Validate() error {
	var fe FieldErrors
	bad := func(field, format string, args ...any) {
		fe = append(fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(r.Name)); n == 0 || n > MaxRuleName || !utf8.ValidString(r.Name) {
		bad("name", "give the rule a name of 1-%d characters", MaxRuleName)
	}
	if !idPattern.MatchString(r.Camera) {
		bad("camera", "%q is not a camera id", r.Camera)
	}
	if r.Zone != "" && !zones.ValidName(r.Zone) {
		bad("zone", "%q is not a zone name (empty is the whole frame)", r.Zone)
	}
	if math.IsNaN(r.Factor) || r.Factor < 1 || r.Factor > MaxRuleFactor {
		bad("factor", "%g must be 1 to %d (times the usual activity at that hour of the week)", r.Factor, MaxRuleFactor)
	}
	if math.IsNaN(r.MinShare) || r.MinShare < 0 || r.MinShare > 1 {
		bad("min_share", "%g must be a share of frames with motion from 0 to 1", r.MinShare)
	}
	if r.HourFrom < 0 || r.HourFrom > 23 {
		bad("hour_from", "%d must be a local hour 0-23", r.HourFrom)
	}
	if r.HourTo < 1 || r.HourTo > 24 {
		bad("hour_to", "%d must be a local hour 1-24 (a from later than to wraps midnight)", r.HourTo)
	}
	if r.HourFrom == r.HourTo {
		bad("hour_to", "is the same as hour_from: for all day use 0 to 24")
	}
	switch r.Severity {
	case SeverityInfo, SeverityWarning, SeverityCritical:
	default:
		bad("severity", "%q must be info, warning or critical", r.Severity)
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

const ruleColumns = `id, name, camera, zone, factor, min_share, hour_from, hour_to, severity, enabled, created_by, created_us`

func scanRule(row scanner) (AlertRule, error) {
	var r AlertRule
	var created int64
	if err := row.Scan(&r.ID, &r.Name, &r.Camera, &r.Zone, &r.Factor, &r.MinShare, &r.HourFrom, &r.HourTo,
		&r.Severity, &r.Enabled, &r.CreatedBy, &created); err != nil {
		return AlertRule{}, err
	}
	r.Created = fromMicros(created)
	return r, nil
}

// ListAlertRules returns every alert rule, by name.
func (s *Store) ListAlertRules(ctx context.Context) ([]AlertRule, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+ruleColumns+` FROM alert_rules ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("alert rules: %w", err)
	}
	return collect(rows, scanRule)
}

// CreateAlertRule validates and stores a rule and sets its ID; ErrExists
// when another rule has its name. Created defaults to now.
func (s *Store) CreateAlertRule(ctx context.Context, r *AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.Created.IsZero() {
		r.Created = time.Now()
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO alert_rules (name, camera, zone, factor, min_share, hour_from, hour_to,
		severity, enabled, created_by, created_us) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id`,
		r.Name, r.Camera, r.Zone, r.Factor, r.MinShare, r.HourFrom, r.HourTo, r.Severity, boolInt(r.Enabled), r.CreatedBy, toMicros(r.Created)).Scan(&r.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("alert rule %q: %w", r.Name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create alert rule: %w", err)
	}
	return nil
}

// UpdateAlertRule replaces a rule's settings (not who created it, or
// when); ErrNotFound when there is no such rule, ErrExists when another
// rule has the name.
func (s *Store) UpdateAlertRule(ctx context.Context, r AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE alert_rules SET name=$1, camera=$2, zone=$3, factor=$4, min_share=$5,
		hour_from=$6, hour_to=$7, severity=$8, enabled=$9 WHERE id = $10`,
		r.Name, r.Camera, r.Zone, r.Factor, r.MinShare, r.HourFrom, r.HourTo, r.Severity, boolInt(r.Enabled), r.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("alert rule %q: %w", r.Name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("update alert rule %d: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("alert rule %d: %w", r.ID, ErrNotFound)
	}
	return nil
}

// DeleteAlertRule removes a rule; ErrNotFound when there is none. Alerts it
// raised stay.
func (s *Store) DeleteAlertRule(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM alert_rules WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete alert rule %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("alert rule %d: %w", id, ErrNotFound)
	}
	return nil
}

// AlertRuleByID returns one rule or ErrNotFound.
func (s *Store) AlertRuleByID(ctx context.Context, id int64) (AlertRule, error) {
	r, err := scanRule(s.db.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM alert_rules WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return AlertRule{}, fmt.Errorf("alert rule %d: %w", id, ErrNotFound)
	}
	return r, err
}
