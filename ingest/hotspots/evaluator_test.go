package hotspots

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// raised records the alerts raised, as the alerts service would store them.
type raised struct {
	mu     sync.Mutex
	alerts []store.Alert
}

func (r *raised) Raise(_ context.Context, a store.Alert) (store.Alert, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a.ID = int64(len(r.alerts) + 1)
	r.alerts = append(r.alerts, a)
	return a, nil
}

func (r *raised) list() []store.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Alert(nil), r.alerts...)
}

func TestInHoursWrapsMidnight(t *testing.T) {
	night := store.AlertRule{HourFrom: 22, HourTo: 6}
	day := store.AlertRule{HourFrom: 0, HourTo: 24}
	evening := store.AlertRule{HourFrom: 18, HourTo: 23}
	for h, want := range map[int][3]bool{
		0: {true, true, false}, 5: {true, true, false}, 6: {false, true, false}, 12: {false, true, false},
		18: {false, true, true}, 21: {false, true, true}, 22: {true, true, true}, 23: {true, true, false},
	} {
		got := [3]bool{InHours(night, h), InHours(day, h), InHours(evening, h)}
		if got != want {
			t.Errorf("hour %d: night, day, evening %v, want %v", h, got, want)
		}
	}
}

func TestEvaluateAgainstBaseline(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	loc := London()
	rule := func(name, zone string, factor, minShare float64, from, to int) {
		camera, name, _ := strings.Cut(name, ":")
		r := store.AlertRule{Name: name, Camera: camera, Zone: zone, Factor: factor, MinShare: minShare,
			HourFrom: from, HourTo: to, Severity: store.SeverityWarning, Enabled: true}
		if err := s.CreateAlertRule(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	rule("cam1:Night doorway", "Doorway", 3, 0.1, 22, 6)
	rule("cam1:Evening doorway", "Doorway", 3, 0.1, 18, 22)
	rule("cam1:Night quiet", "Doorway", 3, 0.6, 22, 6) // too little motion to matter
	rule("cam1:Night usual", "", 3, 0.1, 22, 6)        // whole frame is as busy as usual
	rule("cam2:Night cam2", "Doorway", 1, 0, 22, 6)    // another camera's zone
	disabled := store.AlertRule{Name: "Off", Camera: "cam1", Zone: "Doorway", Factor: 1, HourFrom: 0, HourTo: 24,
		Severity: store.SeverityInfo}
	s.CreateAlertRule(ctx, &disabled)

	// Sunday 1 November, 00:15 GMT: the week before was BST.
	bucket := time.Date(2026, 11, 1, 0, 15, 0, 0, loc)
	var acts []store.Activity
	for week := 1; week <= BaselineWeeks; week++ {
		at := bucket.AddDate(0, 0, -7*week).UTC()
		acts = append(acts, store.Activity{Camera: "cam1", Zone: "Doorway", Bucket: at, Frames: 100, MotionFrames: 5},
			store.Activity{Camera: "cam1", Bucket: at, Frames: 100, MotionFrames: 40})
	}
	acts = append(acts, store.Activity{Camera: "cam1", Zone: "Doorway", Bucket: bucket, Frames: 100, MotionFrames: 20},
		store.Activity{Camera: "cam1", Bucket: bucket, Frames: 100, MotionFrames: 40})
	if err := s.AddActivity(ctx, acts); err != nil {
		t.Fatal(err)
	}
	r := &raised{}
	e := &Evaluator{Store: s, Alerts: r, Location: loc}
	got, err := e.Evaluate(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Rule != "Night doorway" || got[0].Camera != "cam1" || got[0].Kind != store.AlertActivity ||
		got[0].Severity != store.SeverityWarning || !got[0].At.Equal(bucket.Add(store.ActivityBucket)) {
		t.Fatalf("raised %+v", got)
	}
	if m := got[0].Message; !strings.Contains(m, "20%") || !strings.Contains(m, "usually 5%") || !strings.Contains(m, "00:15–00:30 GMT") {
		t.Errorf("message: %s", m)
	}
	// The same zone as busy in the evening is out of the night rule's hours.
	evening := time.Date(2026, 11, 1, 19, 0, 0, 0, loc)
	s.AddActivity(ctx, []store.Activity{{Camera: "cam1", Zone: "Doorway", Bucket: evening, Frames: 100, MotionFrames: 50}})
	if got, err := e.Evaluate(ctx, evening); err != nil || len(got) != 1 || got[0].Rule != "Evening doorway" {
		t.Errorf("evening: %+v, %v", got, err)
	}
	// No frames analysed: nothing to judge.
	if got, err := e.Evaluate(ctx, bucket.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("no data: %+v, %v", got, err)
	}
}

// countingStore counts the evaluator's passes over the rules.
type countingStore struct {
	*store.Store
	passes atomic.Int32
}

func (c *countingStore) ListAlertRules(ctx context.Context) ([]store.AlertRule, error) {
	defer c.passes.Add(1)
	return c.Store.ListAlertRules(ctx)
}

// clock is a test clock the evaluator reads (once a tick).
type clock struct {
	mu    sync.Mutex
	now   time.Time
	reads int
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); c.reads++; return c.now }

// ticked waits for two more reads: a whole tick after the call.
func (c *clock) ticked(t *testing.T) {
	c.mu.Lock()
	n := c.reads
	c.mu.Unlock()
	waitFor(t, "a tick", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.reads >= n+2 })
}
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEvaluatorJudgesEachBucketOnceAfterGrace(t *testing.T) {
	s := &countingStore{Store: openStore(t)}
	ctx := context.Background()
	r := store.AlertRule{Name: "Any motion", Camera: "cam1", Factor: 1, MinShare: 0.01, HourFrom: 0, HourTo: 24,
		Severity: store.SeverityInfo, Enabled: true}
	if err := s.CreateAlertRule(ctx, &r); err != nil {
		t.Fatal(err)
	}
	bucket := time.Date(2026, 3, 29, 0, 45, 0, 0, time.UTC) // the last bucket of GMT before the change
	s.AddActivity(ctx, []store.Activity{
		{Camera: "cam1", Bucket: bucket, Frames: 100, MotionFrames: 50},
		{Camera: "cam1", Bucket: bucket.Add(store.ActivityBucket), Frames: 100, MotionFrames: 50},
	})
	c := &clock{now: bucket.Add(Grace + time.Minute)} // the bucket before is judged by an earlier run
	alerts := &raised{}
	e := &Evaluator{Store: s, Alerts: alerts, Interval: time.Millisecond, Now: c.Now}
	if err := e.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// Within the grace after the bucket's end: not judged yet.
	c.set(bucket.Add(store.ActivityBucket + Grace - time.Second))
	c.ticked(t)
	if n := s.passes.Load(); n != 0 {
		t.Fatalf("judged %d times before the grace ended", n)
	}
	c.set(bucket.Add(store.ActivityBucket + Grace))
	waitFor(t, "the first bucket", func() bool { return len(alerts.list()) == 1 })
	c.set(bucket.Add(2*store.ActivityBucket + Grace))
	waitFor(t, "the second bucket", func() bool { return len(alerts.list()) == 2 })
	passes := s.passes.Load()
	c.ticked(t)
	if s.passes.Load() != passes {
		t.Errorf("judged again without a new bucket")
	}
	got := alerts.list()
	if len(got) != 2 || !got[0].At.Equal(bucket.Add(store.ActivityBucket)) || !got[1].At.Equal(bucket.Add(2*store.ActivityBucket)) {
		t.Errorf("alerts: %+v", got)
	}
	if !strings.Contains(got[1].Message, "02:00–02:15 BST") {
		t.Errorf("after the change: %s", got[1].Message)
	}
}

func TestEvaluatorSkipsBucketsMissedWhileStalled(t *testing.T) {
	s := &countingStore{Store: openStore(t)}
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	c := &clock{now: start.Add(Grace)}
	e := &Evaluator{Store: s, Alerts: &raised{}, Interval: time.Millisecond, Now: c.Now}
	if err := e.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// The machine slept ten buckets: only the last maxCatchUp are judged.
	c.set(start.Add(10*store.ActivityBucket + Grace))
	waitFor(t, "the catch-up", func() bool { return s.passes.Load() >= maxCatchUp })
	c.ticked(t)
	if n := s.passes.Load(); n != maxCatchUp {
		t.Errorf("judged %d buckets after a stall, want %d", n, maxCatchUp)
	}
}
