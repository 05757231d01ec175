// Package hotspots turns the analytics activity buckets and the alerts of
// the nuisance-vehicle behaviour rules into hotspot reports (which
// cameras, wards and hours of the week are busier than usual) and
// evaluates the activity alert rules. It is pure Go and reads only the
// store.
package hotspots

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/ingest/nuisance"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// ActivitySource is the store's activity query.
type ActivitySource interface {
	Activity(ctx context.Context, f store.ActivityFilter) ([]store.Activity, error)
}

// AlertCounter is the store's count of alerts by camera and hour.
type AlertCounter interface {
	AlertCounts(ctx context.Context, f store.AlertCountFilter) ([]store.AlertCount, error)
}

// Source is what Build reads (*store.Store): the activity, and the alerts
// of the nuisance-vehicle behaviour rules. The Evaluator reads activity
// only.
type Source interface {
	ActivitySource
	AlertCounter
}

// ruleHits selects the alerts that are rule hits: the ANPR behaviour rules
// (repeat passes, dwell, gathering) say something about a place. A
// watch-list hit says a listed vehicle passed, which is about the vehicle:
// it is left out.
func ruleHits(f store.AlertCountFilter) store.AlertCountFilter {
	f.Kind, f.ExceptRules = nuisance.AlertKind, []string{nuisance.WatchlistRule}
	return f
}

// By is how report rows are grouped.
type By string

// Groupings of a report.
const (
	ByCamera By = "camera"
	ByWard   By = "ward"
	ByHour   By = "hour" // local hour of the day
)

// Valid reports whether b is a known grouping.
func (b By) Valid() bool { return b == ByCamera || b == ByWard || b == ByHour }

// Query asks for a report over [From, To) of the given cameras (the ones
// the caller may see).
type Query struct {
	From, To time.Time
	By       By
	Cameras  []store.Camera
}

// Report is the hotspot picture of a window.
type Report struct {
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	By      By            `json:"by"`
	Rows    []Row         `json:"rows"`
	Heat    []Cell        `json:"heat"`
	Cameras []CameraScore `json:"cameras"`
}

// Row is one camera, ward or hour of the day.
type Row struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Cameras []string `json:"cameras"`
	// Lat, Lon place the row on the map: the camera, or the middle of the
	// ward's cameras; nil when unknown (and for hours).
	Lat         *float64 `json:"lat"`
	Lon         *float64 `json:"lon"`
	Frames      int      `json:"frames"`
	MotionShare float64  `json:"motion_share"`
	Objects     int      `json:"objects"`
	// RuleHits is the alerts of the nuisance-vehicle behaviour rules in
	// the window.
	RuleHits int `json:"rule_hits"`
	// BaselineShare is the motion share at the same hours of the week over
	// the past weeks; BaselineObjects and BaselineRuleHits the objects and
	// rule hits of an average past week (of those with data).
	BaselineShare    float64 `json:"baseline_share"`
	BaselineObjects  float64 `json:"baseline_objects"`
	BaselineRuleHits float64 `json:"baseline_rule_hits"`
	Score            float64 `json:"score"`
}

// Cell is one hour of the week, Europe/London: Dow 0 is Monday.
type Cell struct {
	Dow         int     `json:"dow"`
	Hour        int     `json:"hour"`
	MotionShare float64 `json:"motion_share"`
	Objects     int     `json:"objects"`
	RuleHits    int     `json:"rule_hits"`
	Score       float64 `json:"score"`
}

// CameraScore places one camera on the map.
type CameraScore struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Ward     string   `json:"ward"`
	Site     string   `json:"site"`
	Lat      *float64 `json:"lat"`
	Lon      *float64 `json:"lon"`
	RuleHits int      `json:"rule_hits"`
	Score    float64  `json:"score"`
}

// MaxSpan is the longest window a report covers.
const MaxSpan = 31 * 24 * time.Hour

// Build reads the whole-frame activity and the nuisance-vehicle rule hits
// of q's cameras over the window (widened to whole hours) and its baseline
// weeks, and adds them up by q.By, by hour of the week (in loc) and by
// camera.
func Build(ctx context.Context, src Source, loc *time.Location, q Query) (Report, error) {
	if !q.By.Valid() {
		return Report{}, fmt.Errorf("hotspots: group by %q: want camera, ward or hour", q.By)
	}
	if !q.From.Before(q.To) || q.To.Sub(q.From) > MaxSpan {
		return Report{}, fmt.Errorf("hotspots: window %s to %s: from must be before to, at most 31 days apart", q.From, q.To)
	}
	// Whole hours: hours of the week are what is compared, and the store
	// adds buckets up by hour (Europe/London is a whole number of hours
	// from UTC).
	q.From, q.To = q.From.UTC().Truncate(time.Hour), q.To.UTC().Add(time.Hour-1).Truncate(time.Hour)
	ids := make([]string, len(q.Cameras))
	for i, c := range q.Cameras {
		ids[i] = c.ID
	}
	since := weeksLater(q.From, -BaselineWeeks, loc)
	acts, err := src.Activity(ctx, store.ActivityFilter{Cameras: ids, Zones: []string{""}, From: since, To: q.To, Hourly: true})
	if err != nil {
		return Report{}, err
	}
	hits, err := src.AlertCounts(ctx, ruleHits(store.AlertCountFilter{Cameras: ids, From: since, To: q.To}))
	if err != nil {
		return Report{}, err
	}
	perCamera := map[string]*tally{}
	for _, id := range ids {
		perCamera[id] = &tally{}
	}
	var perHour [24]tally
	var heat [7][24]tally
	places := map[int64]*bucketPlace{} // every camera has the same buckets: place each once
	// spread counts an hour of a camera where it belongs. Week 0 is the
	// hour itself in the window; weeks 1 to BaselineWeeks count it for the
	// window's hour that many weeks later at the same local hour.
	spread := func(camera string, hour time.Time, count func(t *tally, week int)) {
		cam := perCamera[camera]
		if cam == nil {
			return
		}
		pl := places[hour.UnixMicro()]
		if pl == nil {
			pl = placeBucket(hour, q, loc)
			places[hour.UnixMicro()] = pl
		}
		for week, at := range pl.at {
			if at.in {
				for _, t := range []*tally{cam, &perHour[at.hour], &heat[at.dow][at.hour]} {
					count(t, week)
				}
			}
		}
	}
	for _, a := range acts {
		if a.Zone != "" {
			continue // zones are for rules; hotspots are whole pictures
		}
		spread(a.Camera, a.Bucket, func(t *tally, week int) {
			if week == 0 {
				t.observe(a)
			} else {
				t.remember(a, week)
			}
		})
	}
	for _, h := range hits {
		spread(h.Camera, h.Hour, func(t *tally, week int) { t.hit(h.Alerts, week) })
	}
	r := Report{From: q.From, To: q.To, By: q.By, Heat: make([]Cell, 0, 7*24), Cameras: make([]CameraScore, 0, len(q.Cameras))}
	for dow := range heat {
		for hour := range heat[dow] {
			t := &heat[dow][hour]
			r.Heat = append(r.Heat, Cell{Dow: dow, Hour: hour, MotionShare: t.share(), Objects: t.objects, RuleHits: t.hits, Score: t.score()})
		}
	}
	for _, c := range q.Cameras {
		t := perCamera[c.ID]
		r.Cameras = append(r.Cameras, CameraScore{ID: c.ID, Name: c.Name, Ward: c.Ward, Site: c.Site,
			Lat: c.Latitude, Lon: c.Longitude, RuleHits: t.hits, Score: t.score()})
	}
	switch q.By {
	case ByCamera:
		r.Rows = cameraRows(q.Cameras, perCamera)
	case ByWard:
		r.Rows = wardRows(q.Cameras, perCamera)
	case ByHour:
		r.Rows = make([]Row, 0, 24)
		for h := range perHour {
			r.Rows = append(r.Rows, row(fmt.Sprintf("%02d", h), fmt.Sprintf("%02d:00–%02d:00", h, (h+1)%24), []string{}, &perHour[h]))
		}
	}
	return r, nil
}

func inWindow(t time.Time, q Query) bool { return !t.Before(q.From) && t.Before(q.To) }

// bucketPlace is where an hour's bucket counts: for week 0 (itself) to
// BaselineWeeks (the window's bucket that many weeks later), whether that
// is in the window, and its local hour of the week.
type bucketPlace struct {
	at [BaselineWeeks + 1]struct {
		in        bool
		dow, hour int
	}
}

func placeBucket(bucket time.Time, q Query, loc *time.Location) *bucketPlace {
	var p bucketPlace
	for week := range p.at {
		t := weeksLater(bucket, week, loc)
		p.at[week].in = inWindow(t, q)
		p.at[week].dow, p.at[week].hour = hourOfWeek(t, loc)
	}
	return &p
}

func row(key, label string, cameras []string, t *tally) Row {
	return Row{Key: key, Label: label, Cameras: cameras, Frames: t.frames, MotionShare: t.share(), Objects: t.objects,
		RuleHits: t.hits, BaselineShare: t.baselineShare(), BaselineObjects: t.baselineObjects(),
		BaselineRuleHits: t.baselineRuleHits(), Score: t.score()}
}

func cameraRows(cams []store.Camera, perCamera map[string]*tally) []Row {
	rows := make([]Row, 0, len(cams))
	for _, c := range cams {
		r := row(c.ID, c.Name, []string{c.ID}, perCamera[c.ID])
		r.Lat, r.Lon = c.Latitude, c.Longitude
		rows = append(rows, r)
	}
	byScore(rows)
	return rows
}

// wardRows adds the cameras up by ward, placed at the middle of the ward's
// cameras that have a position.
func wardRows(cams []store.Camera, perCamera map[string]*tally) []Row {
	type ward struct {
		cameras  []string
		sum      tally
		lat, lon float64
		placed   int
	}
	wards := map[string]*ward{}
	for _, c := range cams {
		w := wards[c.Ward]
		if w == nil {
			w = &ward{}
			wards[c.Ward] = w
		}
		w.cameras = append(w.cameras, c.ID)
		w.sum.add(perCamera[c.ID])
		if c.Latitude != nil && c.Longitude != nil {
			w.lat, w.lon, w.placed = w.lat+*c.Latitude, w.lon+*c.Longitude, w.placed+1
		}
	}
	rows := make([]Row, 0, len(wards))
	for name, w := range wards {
		label := name
		if label == "" {
			label = "No ward"
		}
		r := row(name, label, w.cameras, &w.sum)
		if w.placed > 0 {
			lat, lon := w.lat/float64(w.placed), w.lon/float64(w.placed)
			r.Lat, r.Lon = &lat, &lon
		}
		rows = append(rows, r)
	}
	byScore(rows)
	return rows
}

// byScore puts the busiest-for-its-time first.
func byScore(rows []Row) {
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Key, b.Key))
	})
}
