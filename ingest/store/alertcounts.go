package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AlertCountFilter selects the alerts AlertCounts adds up.
type AlertCountFilter struct {
	// Cameras: nil is every camera; an empty, non-nil list is none.
	Cameras []string
	// Kind is the alerts' kind; "" is every kind.
	Kind string
	// ExceptRules leaves out the alerts of these rules.
	ExceptRules []string
	From, To    time.Time // At in [From, To); zero does not filter
}

// AlertCount is how many alerts one camera raised in one hour.
type AlertCount struct {
	Camera string
	Hour   time.Time // the UTC hour's start
	Alerts int
}

// AlertCounts adds the selected alerts up by camera and whole UTC hour
// (as Activity's Hourly mode adds buckets up), by hour and camera.
// Acknowledged alerts count too: an acknowledgement says someone looked,
// not that nothing happened.
func (s *Store) AlertCounts(ctx context.Context, f AlertCountFilter) ([]AlertCount, error) {
	if f.Cameras != nil && len(f.Cameras) == 0 {
		return nil, nil
	}
	where, args := []string{"1=1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	list := func(values []string) string {
		var l []string
		for _, v := range slices.Compact(slices.Sorted(slices.Values(values))) {
			l = append(l, arg(v))
		}
		return "(" + strings.Join(l, ",") + ")"
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if !f.From.IsZero() {
		where = append(where, "at_us >= "+arg(toMicros(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "at_us < "+arg(toMicros(f.To)))
	}
	if f.Cameras != nil {
		where = append(where, "camera IN "+list(f.Cameras))
	}
	if len(f.ExceptRules) > 0 {
		where = append(where, "rule NOT IN "+list(f.ExceptRules))
	}
	const hour = int64(time.Hour / time.Microsecond)
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT camera, at_us / %[1]d * %[1]d AS hour, count(*)
		FROM alerts WHERE %s GROUP BY camera, hour ORDER BY hour, camera`, hour, strings.Join(where, " AND ")), args...)
	if err != nil {
		return nil, fmt.Errorf("alert counts: %w", err)
	}
	return collect(rows, func(row scanner) (AlertCount, error) {
		var c AlertCount
		var at int64
		if err := row.Scan(&c.Camera, &at, &c.Alerts); err != nil {
			return AlertCount{}, err
		}
		c.Hour = fromMicros(at)
		return c, nil
	})
}
