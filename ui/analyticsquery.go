package ui

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// maxAnalyticsSpan bounds the window of an events or hotspots query.
const maxAnalyticsSpan = 31 * 24 * time.Hour

// window reads ?from= and ?to= (RFC 3339). Absent, to is now and from is
// def before to; from must be before to, at most maxAnalyticsSpan apart.
func (f *fields) window(q url.Values, now time.Time, def time.Duration) (from, to time.Time) {
	to = f.time("to", q.Get("to"), false)
	from = f.time("from", q.Get("from"), false)
	if len(f.es) > 0 {
		return time.Time{}, time.Time{}
	}
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-def)
	}
	switch {
	case !from.Before(to):
		f.bad("from", "must be before to")
	case to.Sub(from) > maxAnalyticsSpan:
		f.bad("to", "at most 31 days after from")
	}
	return from.UTC(), to.UTC()
}

// eventKinds are what ?kind= may name: a family or one kind.
var eventKinds = []string{store.EventMotion, "tamper", store.EventTamperMoved, store.EventTamperCovered,
	store.EventTamperDefocused, store.EventTamperFrozen}

// maxEventsListed bounds one events answer.
const maxEventsListed = 2000

// eventQuery reads an events query: the window (default the last 24 h)
// and ?kind= (comma list of motion, tamper or tamper.*; default all).
func eventQuery(q url.Values, camera string, now time.Time) (store.EventFilter, store.FieldErrors) {
	var f fields
	ef := store.EventFilter{Camera: camera, Limit: maxEventsListed}
	ef.From, ef.To = f.window(q, now, 24*time.Hour)
	if v := q.Get("kind"); v != "" {
		for k := range strings.SplitSeq(v, ",") {
			if !slices.Contains(eventKinds, k) {
				f.bad("kind", "%q must be one of %s", k, strings.Join(eventKinds, ", "))
				continue
			}
			ef.Kinds = append(ef.Kinds, k)
		}
	}
	return ef, f.es
}

// hotspotQuery reads a hotspots query: the window (default the last 7
// days) and ?by= (camera, ward or hour; default camera).
func hotspotQuery(q url.Values, now time.Time) (hotspots.Query, store.FieldErrors) {
	var f fields
	hq := hotspots.Query{By: hotspots.ByCamera}
	hq.From, hq.To = f.window(q, now, 7*24*time.Hour)
	if v := q.Get("by"); v != "" {
		hq.By = hotspots.By(v)
		if !hq.By.Valid() {
			f.bad("by", "%q must be camera, ward or hour", v)
		}
	}
	return hq, f.es
}
