package tasking

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// storeCameras changes camera records in the store (the app's registry
// also tells ingest; that is tested end to end in cmd/vigil).
type storeCameras struct{ *store.Store }

func (c storeCameras) Get(ctx context.Context, id string) (store.Camera, error) {
	return c.GetCamera(ctx, id)
}
func (c storeCameras) Update(ctx context.Context, cam *store.Camera) error {
	return c.UpdateCamera(ctx, cam)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type rig struct {
	svc   *Service
	st    *store.Store
	log   *locker.Log
	clock *clock
}

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.DiscardHandler)
	evlog := &locker.Log{Dir: t.TempDir(), Origin: "test/evidence", CreateKey: true, CheckpointInterval: -1, Logger: logger}
	if err := evlog.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { evlog.Close() })
	al := &alerts.Service{Store: st, Logger: logger}
	if err := al.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(al.Close)
	for _, c := range []store.Camera{
		{ID: "cam001", Name: "High Street", Ward: "Abbey", Kind: store.KindFixed, MainURL: "rtsp://127.0.0.1:8554/cam001/main", Enabled: true},
		{ID: "mob01", Name: "Mobile 1 (depot)", Kind: store.KindMobile, MainURL: "rtsp://127.0.0.1:8554/cam005/main"},
	} {
		c.ManagedBy = store.ManagedByAPI
		c.Normalize()
		if err := st.CreateCamera(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	ck := &clock{t: t0}
	svc := &Service{Store: st, Cameras: storeCameras{st}, Audit: evlog, Alerts: al, Logger: logger, Now: ck.now, Interval: time.Hour}
	if err := svc.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return &rig{svc: svc, st: st, log: evlog, clock: ck}
}

func request() store.DeploymentRequest {
	return store.DeploymentRequest{Latitude: 51.539, Longitude: 0.081, Ward: "Abbey", Address: "Market Square",
		Problem: "street-drinking", Evidence: store.DeploymentEvidence{Incidents: []string{" CAD 1234/24NOV26 "}},
		WantedFrom: t0.Add(24 * time.Hour), WantedTo: t0.Add(90 * 24 * time.Hour),
		Purpose: "Deter and record nightly street drinking", LessIntrusive: "Patrols and the PSPO have not stopped it",
		Privacy: store.PrivacyCheck{DwellingsInView: true, MasksNeeded: true, Notes: "Flats above the shops"}, SignageConfirmed: true}
}

var (
	bea = Actor{Name: "bea", Role: "bjag"}
	sue = Actor{Name: "sue", Role: "supervisor"}
	eng = Actor{Name: "eddie", Role: "engineer"}
)

// TestDeploymentLifeCycle goes from request to removal, checking each
// step's effect on the camera and its place, and that every transition is
// in the evidence log with who and why.
func TestDeploymentLifeCycle(t *testing.T) {
	rg := newRig(t)
	ctx := context.Background()
	svc := rg.svc
	d, err := svc.Request(ctx, bea, request())
	if err != nil {
		t.Fatal(err)
	}
	if d.State != store.DeploymentRequested || d.Request.Evidence.Incidents[0] != "CAD 1234/24NOV26" ||
		strings.Join(d.Request.Evidence.Cameras, ",") != "cam001" || !d.Request.Evidence.To.Equal(t0) {
		t.Fatalf("requested %+v", d)
	}
	if _, err := svc.Schedule(ctx, sue, d.ID, "mob01", t0.Add(48*time.Hour), "ready"); !errors.Is(err, ErrTransition) {
		t.Fatalf("scheduled before approval: %v", err)
	}
	if d, err = svc.Approve(ctx, sue, d.ID, t0.Add(60*24*time.Hour), "evidence of nightly drinking is clear"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Schedule(ctx, sue, d.ID, "cam001", t0.Add(48*time.Hour), "ready"); !errors.Is(err, ErrNotMobile) {
		t.Fatalf("a fixed camera scheduled: %v", err)
	}
	if d, err = svc.Schedule(ctx, sue, d.ID, "mob01", t0.Add(48*time.Hour), "mob01 is free"); err != nil {
		t.Fatal(err)
	}
	rg.clock.add(48 * time.Hour)
	install := Install{Latitude: 51.5391, Longitude: 0.0812, Site: "Town centre", MainURL: "rtsp://127.0.0.1:8554/cam006/main"}
	if _, err := svc.Confirm(ctx, eng, d.ID, install, "installed on the lamp post"); err == nil || !strings.Contains(err.Error(), "masks") {
		t.Fatalf("live without the masks the request needs: %v", err)
	}
	install.Masks = []zones.Polygon{{{X: 0, Y: 0}, {X: 0.3, Y: 0}, {X: 0.3, Y: 0.2}, {X: 0, Y: 0.2}}}
	if d, err = svc.Confirm(ctx, eng, d.ID, install, "installed on the lamp post"); err != nil {
		t.Fatal(err)
	}
	cam, _ := rg.st.GetCamera(ctx, "mob01")
	if d.State != store.DeploymentLive || !cam.Enabled || cam.Name != "Market Square (mobile)" || cam.Ward != "Abbey" ||
		*cam.Latitude != 51.5391 || cam.MainURL != "rtsp://127.0.0.1:8554/cam006/main" {
		t.Fatalf("live: %+v, camera %+v", d, cam)
	}
	if set, _ := rg.st.CameraAnalytics(ctx, "mob01"); len(set.Privacy) != 1 {
		t.Fatalf("masks %+v", set.Privacy)
	}
	rg.clock.add(30 * 24 * time.Hour)
	if d, err = svc.ScheduleRemoval(ctx, sue, d.ID, rg.clock.now(), "street drinking has stopped"); err != nil {
		t.Fatal(err)
	}
	rg.clock.add(3 * time.Hour)
	if d, err = svc.ConfirmRemoval(ctx, eng, d.ID, "taken down"); err != nil {
		t.Fatal(err)
	}
	cam, _ = rg.st.GetCamera(ctx, "mob01")
	locs, _ := rg.st.CameraLocations(ctx, "mob01", time.Time{}, time.Time{})
	if d.State != store.DeploymentRemoved || cam.Enabled || len(locs) != 1 || !locs[0].From.Equal(t0.Add(48*time.Hour)) ||
		!locs[0].To.Equal(rg.clock.now()) || locs[0].DeploymentID != d.ID || locs[0].Address != "Market Square" {
		t.Fatalf("removed: %+v, camera %+v, places %+v", d, cam, locs)
	}
	// Every transition is in the evidence log, with who and why.
	var logged []string
	rg.log.Scan(0, rg.log.Size(), func(e evidence.Entry, _ []byte) bool {
		if strings.HasPrefix(string(e.Action), "deployment.") {
			logged = append(logged, string(e.Action)+" "+e.Actor+": "+e.Reason)
		}
		return true
	})
	want := []string{"deployment.requested bea: Deter and record nightly street drinking",
		"deployment.approved sue: evidence of nightly drinking is clear", "deployment.scheduled sue: mob01 is free",
		"deployment.live eddie: installed on the lamp post", "deployment.removal_scheduled sue: street drinking has stopped",
		"deployment.removed eddie: taken down"}
	if strings.Join(logged, "\n") != strings.Join(want, "\n") {
		t.Errorf("evidence log:\n%s\nwant:\n%s", strings.Join(logged, "\n"), strings.Join(want, "\n"))
	}
	if evs, _ := rg.st.DeploymentEvents(ctx, d.ID); len(evs) != 6 {
		t.Errorf("%d events, want 6", len(evs))
	}
}

// TestBadRequestsRefused: missing justification, dates in the past, a
// place outside the borough, a camera given to two live deployments.
func TestBadRequestsRefused(t *testing.T) {
	rg := newRig(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, field string
		edit        func(*store.DeploymentRequest)
	}{
		{"no justification", "less_intrusive", func(r *store.DeploymentRequest) { r.LessIntrusive = "" }},
		{"in the past", "wanted_from", func(r *store.DeploymentRequest) { r.WantedFrom = t0.Add(-48 * time.Hour) }},
		{"outside the borough", "latitude", func(r *store.DeploymentRequest) { r.Latitude, r.Longitude = 51.5072, -0.1276 }},
		{"too long", "wanted_to", func(r *store.DeploymentRequest) { r.WantedTo = r.WantedFrom.Add(400 * 24 * time.Hour) }},
	} {
		r := request()
		tc.edit(&r)
		var fe store.FieldErrors
		if _, err := rg.svc.Request(ctx, bea, r); !errors.As(err, &fe) || fe[0].Field != tc.field {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
	a, _ := rg.svc.Request(ctx, bea, request())
	b, _ := rg.svc.Request(ctx, bea, request())
	for _, d := range []store.Deployment{a, b} {
		if _, err := rg.svc.Approve(ctx, sue, d.ID, t0.Add(30*24*time.Hour), "ok"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rg.svc.Approve(ctx, sue, a.ID, t0.Add(30*24*time.Hour), "again"); !errors.Is(err, ErrTransition) {
		t.Errorf("approved twice: %v", err)
	}
	if _, err := rg.svc.Approve(ctx, sue, b.ID, t0, ""); err == nil {
		t.Error("a change without a reason")
	}
	if _, err := rg.svc.Schedule(ctx, sue, a.ID, "mob01", t0.Add(24*time.Hour), "free"); err != nil {
		t.Fatal(err)
	}
	if _, err := rg.svc.Schedule(ctx, sue, b.ID, "mob01", t0.Add(24*time.Hour), "free?"); !errors.Is(err, store.ErrCameraBusy) {
		t.Errorf("mob01 given to a second deployment: %v", err)
	}
	if _, err := rg.svc.Schedule(ctx, sue, b.ID, "mob01", t0.Add(-48*time.Hour), "free?"); err == nil {
		t.Error("an install date in the past")
	}
	kept := store.Camera{ID: "mob02", Kind: store.KindMobile, MainURL: "rtsp://127.0.0.1:8554/cam002/main", ManagedBy: store.ManagedByConfig}
	kept.Normalize()
	rg.st.CreateCamera(ctx, &kept)
	var fe store.FieldErrors
	if _, err := rg.svc.Schedule(ctx, sue, b.ID, "mob02", t0.Add(24*time.Hour), "free"); !errors.As(err, &fe) || fe[0].Field != "camera" {
		t.Errorf("a camera kept in the config file scheduled: %v", err)
	}
}

// TestReviewDueAndOverdue: at its review date a live deployment goes under
// review; a week later with no decision an alert is raised, once a week;
// extending it ends that.
func TestReviewDueAndOverdue(t *testing.T) {
	rg := newRig(t)
	ctx := context.Background()
	svc := rg.svc
	d, _ := svc.Request(ctx, bea, request())
	svc.Approve(ctx, sue, d.ID, t0.Add(20*24*time.Hour), "ok")
	svc.Schedule(ctx, sue, d.ID, "mob01", t0, "free")
	in := Install{Latitude: 51.54, Longitude: 0.08, Masks: []zones.Polygon{{{X: 0, Y: 0}, {X: 0.2, Y: 0}, {X: 0.2, Y: 0.2}}}}
	if _, err := svc.Confirm(ctx, eng, d.ID, in, "up"); err != nil {
		t.Fatal(err)
	}
	overdue := func() int {
		as, _ := rg.st.Alerts(ctx, store.AlertFilter{})
		n := 0
		for _, a := range as {
			if a.Kind == AlertKind && a.Rule == RuleReviewOverdue && a.Camera == "mob01" {
				n++
			}
		}
		return n
	}
	state := func() string { got, _ := rg.st.Deployment(ctx, d.ID); return got.State }
	rg.clock.add(19 * 24 * time.Hour)
	svc.Sweep(ctx)
	if state() != store.DeploymentLive {
		t.Fatalf("a day before its review date: %s", state())
	}
	rg.clock.add(2 * 24 * time.Hour)
	svc.Sweep(ctx)
	if state() != store.DeploymentUnderReview || overdue() != 0 {
		t.Fatalf("review date passed: %s, %d alerts", state(), overdue())
	}
	rg.clock.add(7 * 24 * time.Hour)
	svc.Sweep(ctx)
	svc.Sweep(ctx)
	if overdue() != 1 {
		t.Fatalf("a week overdue: %d alerts, want 1", overdue())
	}
	if n := testutil.ToFloat64(svc.overdue); n != 1 || testutil.ToFloat64(svc.states.WithLabelValues(store.DeploymentUnderReview)) != 1 {
		t.Fatalf("metrics: %v overdue", n)
	}
	rg.clock.add(7 * 24 * time.Hour)
	svc.Sweep(ctx)
	if overdue() != 2 {
		t.Fatalf("two weeks overdue: %d alerts, want 2", overdue())
	}
	if _, err := svc.Extend(ctx, sue, d.ID, rg.clock.now().Add(30*24*time.Hour), "still needed: reports continue"); err != nil {
		t.Fatal(err)
	}
	rg.clock.add(8 * 24 * time.Hour)
	svc.Sweep(ctx)
	if state() != store.DeploymentLive || overdue() != 2 {
		t.Fatalf("after the extension: %s, %d alerts", state(), overdue())
	}
	f, ok, err := svc.ReviewFigures(ctx, mustGet(t, rg.st, d.ID))
	if err != nil || !ok || !f.Before.To.Equal(t0) || f.After.From.IsZero() {
		t.Fatalf("figures %+v %v %v", f, ok, err)
	}
}

func mustGet(t *testing.T, st *store.Store, id int64) store.Deployment {
	t.Helper()
	d, err := st.Deployment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
