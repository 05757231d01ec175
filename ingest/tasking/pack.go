package tasking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Pack is the monthly BJAG pack: the month's deployments (live, requested,
// reviewed, removed), each with its area's activity before it went live
// and since, and the month's top hotspots.
type Pack struct {
	Month     string        `json:"month"` // 2026-11
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"` // the month's end, or now while it runs
	Generated time.Time     `json:"generated"`
	Counts    PackCounts    `json:"counts"`
	Rows      []PackRow     `json:"deployments"`
	Hotspots  []PackHotspot `json:"hotspots"`
}

// PackCounts are how many deployments were live, requested, reviewed
// (a review decided: extended or removal scheduled) and removed in the month.
type PackCounts struct {
	Live      int `json:"live"`
	Requested int `json:"requested"`
	Reviewed  int `json:"reviewed"`
	Removed   int `json:"removed"`
}

// PackRow is one deployment of the month.
type PackRow struct {
	ID          int64      `json:"id"`
	State       string     `json:"state"`
	Problem     string     `json:"problem"`
	Address     string     `json:"address"`
	Ward        string     `json:"ward"`
	Camera      string     `json:"camera"`
	RequestedAt time.Time  `json:"requested_at"`
	LiveAt      *time.Time `json:"live_at"`
	ReviewDate  *time.Time `json:"review_date"`
	RemovedAt   *time.Time `json:"removed_at"`
	// In the month: what happened to it (requested, live, reviewed, removed).
	Requested bool         `json:"requested"`
	Live      bool         `json:"live"`
	Reviewed  bool         `json:"reviewed"`
	Removed   bool         `json:"removed"`
	Before    *PackFigures `json:"before"`
	After     *PackFigures `json:"after"`
}

// PackFigures are an area's hotspot figures over a period.
type PackFigures struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Score       float64   `json:"score"`
	MotionShare float64   `json:"motion_share"`
	RuleHits    int       `json:"rule_hits"`
}

// PackHotspot is one of the month's busiest wards.
type PackHotspot struct {
	Key         string  `json:"key"`
	Label       string  `json:"label"`
	Score       float64 `json:"score"`
	MotionShare float64 `json:"motion_share"`
	RuleHits    int     `json:"rule_hits"`
}

// packHotspots is how many wards the pack lists.
const packHotspots = 10

// MonthStart is the start of the London month of t.
func (s *Service) MonthStart(t time.Time) time.Time {
	l := t.In(s.Location)
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, s.Location)
}

// Pack builds the pack of the London month starting at month (see MonthStart).
func (s *Service) Pack(ctx context.Context, month time.Time) (Pack, error) {
	now := s.Now()
	from := s.MonthStart(month)
	to := from.AddDate(0, 1, 0)
	if from.After(now) {
		return Pack{}, fieldErr("month", "%s has not begun", from.Format("2006-01"))
	}
	running := to.After(now)
	if running {
		to = now
	}
	// before is "before the pack's end": a running month's includes now.
	before := func(t time.Time) bool { return t.Before(to) || running && t.Equal(to) }
	p := Pack{Month: from.Format("2006-01"), From: from.UTC(), To: to.UTC(), Generated: now.UTC(), Rows: []PackRow{}, Hotspots: []PackHotspot{}}
	all, err := s.Store.Deployments(ctx, store.DeploymentFilter{Limit: 5000})
	if err != nil {
		return Pack{}, err
	}
	cams, err := s.Store.ListCameras(ctx) // read once: each deployment's figures look at them
	if err != nil {
		return Pack{}, err
	}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && before(t) }
	for _, d := range all {
		row := PackRow{ID: d.ID, State: d.State, Problem: d.Request.Problem, Address: d.Request.Address, Ward: d.Request.Ward,
			Camera: d.Camera, RequestedAt: d.RequestedAt, LiveAt: opt(d.LiveAt), ReviewDate: opt(d.ReviewDate), RemovedAt: opt(d.RemovedAt)}
		row.Requested = in(d.RequestedAt)
		row.Live = !d.LiveAt.IsZero() && before(d.LiveAt) && (d.RemovedAt.IsZero() || !d.RemovedAt.Before(from))
		row.Removed = in(d.RemovedAt)
		if row.Live {
			evs, err := s.Store.DeploymentEvents(ctx, d.ID)
			if err != nil {
				return Pack{}, err
			}
			row.Reviewed = slices.ContainsFunc(evs, func(e store.DeploymentEvent) bool {
				return in(e.At) && e.From != e.To && (e.From == store.DeploymentUnderReview ||
					e.To == store.DeploymentRemovalScheduled || e.From == store.DeploymentLive && e.To == store.DeploymentLive)
			})
		}
		if !row.Requested && !row.Live && !row.Removed {
			continue
		}
		if fig, ok, err := s.figures(ctx, d, to, cams); err != nil {
			return Pack{}, err
		} else if ok {
			row.Before, row.After = packFigures(fig.Before), packFigures(fig.After)
		}
		p.Rows = append(p.Rows, row)
		for _, c := range []struct {
			on bool
			n  *int
		}{{row.Live, &p.Counts.Live}, {row.Requested, &p.Counts.Requested}, {row.Reviewed, &p.Counts.Reviewed}, {row.Removed, &p.Counts.Removed}} {
			if c.on {
				*c.n++
			}
		}
	}
	if len(cams) > 0 && to.After(from) {
		rep, err := hotspots.Build(ctx, s.Store, s.Location, hotspots.Query{From: from, To: to, By: hotspots.ByWard, Cameras: cams})
		if err != nil {
			return Pack{}, fmt.Errorf("pack: hotspots: %w", err)
		}
		for _, r := range rep.Rows[:min(len(rep.Rows), packHotspots)] {
			p.Hotspots = append(p.Hotspots, PackHotspot{Key: r.Key, Label: r.Label, Score: r.Score, MotionShare: r.MotionShare, RuleHits: r.RuleHits})
		}
	}
	return p, nil
}

func packFigures(e store.DeploymentEvidence) *PackFigures {
	if e.From.IsZero() {
		return nil
	}
	return &PackFigures{From: e.From, To: e.To, Score: e.Score, MotionShare: e.MotionShare, RuleHits: e.RuleHits}
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
