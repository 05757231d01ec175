package hotspots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// RuleStore is what the Evaluator reads.
type RuleStore interface {
	ListAlertRules(ctx context.Context) ([]store.AlertRule, error)
	ActivitySource
}

// Raiser raises an alert (the alerts service).
type Raiser interface {
	Raise(ctx context.Context, a store.Alert) (store.Alert, error)
}

// Grace is how long after a bucket ends the Evaluator waits before judging
// it: analytics reports a bucket's counts shortly after it closes.
const Grace = 2 * time.Minute

// maxCatchUp bounds how many missed buckets are judged after a stall (a
// suspended machine): alerts hours late help nobody.
const maxCatchUp = 4

// Evaluator checks every enabled alert rule once per completed activity
// bucket and raises an AlertActivity alert for each rule that holds. Each
// bucket is judged once per Evaluator: it starts with the bucket under way
// when it is initialized, so a restart does not raise twice.
type Evaluator struct {
	Store  RuleStore
	Alerts Raiser
	// Location is where rule hours and hours of the week are counted;
	// nil is Europe/London.
	Location *time.Location
	// Interval is how often it looks for a completed bucket; 0 is 30 s.
	Interval time.Duration
	Logger   *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	next   time.Time // start of the next bucket to judge
	cancel context.CancelFunc
	done   chan struct{}
}

// Initialize starts the evaluation loop.
func (e *Evaluator) Initialize() error {
	if e.Store == nil || e.Alerts == nil {
		return errors.New("hotspots: the evaluator needs a store and an alerts service")
	}
	if e.Location == nil {
		e.Location = London()
	}
	if e.Interval <= 0 {
		e.Interval = 30 * time.Second
	}
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	e.next = e.Now().Add(-Grace).UTC().Truncate(store.ActivityBucket)
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	go e.run(ctx)
	return nil
}

// Close stops the loop and waits for it.
func (e *Evaluator) Close() {
	e.cancel()
	<-e.done
}

func (e *Evaluator) run(ctx context.Context) {
	defer close(e.done)
	tick := time.NewTicker(e.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			e.judgeCompleted(ctx)
		}
	}
}

// judgeCompleted judges every bucket that has completed (and had its
// Grace) since the last one judged.
func (e *Evaluator) judgeCompleted(ctx context.Context) {
	now := e.Now()
	last := now.Add(-Grace - store.ActivityBucket).UTC().Truncate(store.ActivityBucket)
	if skipped := int(last.Sub(e.next)/store.ActivityBucket) + 1 - maxCatchUp; skipped > 0 {
		e.Logger.Warn("alert rules: skipping buckets missed while stalled", "buckets", skipped, "from", e.next)
		e.next = e.next.Add(time.Duration(skipped) * store.ActivityBucket)
	}
	for ; !e.next.After(last); e.next = e.next.Add(store.ActivityBucket) {
		if _, err := e.Evaluate(ctx, e.next); err != nil && ctx.Err() == nil {
			e.Logger.Error("alert rules", "bucket", e.next, "error", err)
		}
	}
}

// Evaluate judges every enabled rule on the bucket starting at bucket and
// raises an alert for each that holds. It returns the alerts raised.
func (e *Evaluator) Evaluate(ctx context.Context, bucket time.Time) ([]store.Alert, error) {
	loc := e.Location
	if loc == nil {
		loc = London()
	}
	rules, err := e.Store.ListAlertRules(ctx)
	if err != nil {
		return nil, err
	}
	var raised []store.Alert
	var errs []error
	for _, r := range rules {
		if !r.Enabled || !InHours(r, bucket.In(loc).Hour()) {
			continue
		}
		j, err := e.judge(ctx, r, bucket, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %q: %w", r.Name, err))
			continue
		}
		if !j.fires(r) {
			continue
		}
		a, err := e.Alerts.Raise(ctx, store.Alert{At: bucket.UTC().Add(store.ActivityBucket), Camera: r.Camera, Kind: store.AlertActivity,
			Rule: r.Name, Severity: r.Severity, Message: j.message(r, bucket, loc)})
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %q: raise: %w", r.Name, err))
			continue
		}
		raised = append(raised, a)
	}
	return raised, errors.Join(errs...)
}

// InHours reports whether a rule applies at a local hour: HourFrom to
// HourTo, wrapping midnight when HourFrom is later.
func InHours(r store.AlertRule, hour int) bool {
	if r.HourFrom < r.HourTo {
		return r.HourFrom <= hour && hour < r.HourTo
	}
	return hour >= r.HourFrom || hour < r.HourTo
}

// judgement is a rule's zone in one bucket and its baseline.
type judgement struct{ tally }

// judge reads the rule's zone in the bucket and in the same bucket of the
// past BaselineWeeks weeks (same local hour of the week).
func (e *Evaluator) judge(ctx context.Context, r store.AlertRule, bucket time.Time, loc *time.Location) (judgement, error) {
	var j judgement
	for week := 0; week <= BaselineWeeks; week++ {
		at := weeksLater(bucket, -week, loc)
		acts, err := e.Store.Activity(ctx, store.ActivityFilter{Cameras: []string{r.Camera}, Zones: []string{r.Zone},
			From: at, To: at.Add(store.ActivityBucket)})
		if err != nil {
			return judgement{}, err
		}
		for _, a := range acts {
			switch {
			case week == 0:
				j.observe(a)
			default:
				j.remember(a, week)
			}
		}
	}
	return j, nil
}

// fires: enough motion to matter, and Factor times the usual.
func (j judgement) fires(r store.AlertRule) bool {
	return j.frames > 0 && j.share() >= r.MinShare && j.share() > r.Factor*j.baselineShare()
}

func (j judgement) message(r store.AlertRule, bucket time.Time, loc *time.Location) string {
	where := r.Zone
	if where == "" {
		where = "whole picture"
	}
	l := bucket.In(loc)
	return fmt.Sprintf("%s (%s): motion in %.0f%% of frames %s–%s, usually %.0f%% at this hour on a %s (rule: over %g times usual and at least %.0f%%)",
		r.Camera, where, 100*j.share(), l.Format("15:04"), l.Add(store.ActivityBucket).Format("15:04 MST"),
		100*j.baselineShare(), l.Weekday(), r.Factor, 100*r.MinShare)
}
