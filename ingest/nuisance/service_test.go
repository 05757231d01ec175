package nuisance

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// 23:00 London in November (GMT).
var night = time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)

type rig struct {
	st     *store.Store
	alerts *alerts.Service
	svc    *Service
	now    time.Time
}

func newRig(t *testing.T, rules ...Rule) *rig {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rg := &rig{st: st, now: night}
	logger := slog.New(slog.DiscardHandler)
	rg.alerts = &alerts.Service{Store: st, Logger: logger, Now: func() time.Time { return rg.now }}
	if err := rg.alerts.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rg.alerts.Close)
	rg.svc = &Service{Store: st, Alerts: rg.alerts, Rules: rules, Logger: logger, Now: func() time.Time { return rg.now }}
	if err := rg.svc.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rg.svc.Close)
	return rg
}

// read stores a read of plate on camera at the rig's time plus d, and has
// the service judge it.
func (rg *rig) read(t *testing.T, camera, plate string, d time.Duration) {
	t.Helper()
	at := rg.now.Add(d)
	r := store.PlateRead{Camera: camera, At: at, First: at, Last: at, Plate: plate, Text: plate,
		Confidence: 0.9, CharConf: make([]float32, len(plate)), Thumbnail: []byte{0xff, 0xd8, 0xff, 0xd9}}
	if err := rg.st.AddPlateRead(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	rg.svc.Observe(context.Background(), r)
}

func (rg *rig) list(t *testing.T) []store.Alert {
	t.Helper()
	as, err := rg.st.Alerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func (rg *rig) watch(t *testing.T, plate, category string, term time.Duration) store.Watch {
	t.Helper()
	w := store.Watch{Plate: plate, Category: category, Reason: "listed in a test", AddedBy: "sam", Added: rg.now, Expires: rg.now.Add(term)}
	if err := rg.st.AddWatch(context.Background(), &w); err != nil {
		t.Fatal(err)
	}
	rg.svc.WatchlistChanged()
	return w
}

func TestWatchlistHits(t *testing.T) {
	rg := newRig(t)
	rg.watch(t, "AB12CDE", "stolen", time.Hour)
	rg.watch(t, "YK19RXT", "car-meet", time.Hour)
	rg.read(t, "cam001", "AB12CDE", 0)             // exact: critical
	rg.read(t, "cam001", "YK19RXT", time.Second)   // exact, not stolen: warning
	rg.read(t, "cam002", "A812CDE", 2*time.Second) // 8 for B: near, warning
	rg.read(t, "cam002", "AB12CXE", 3*time.Second) // a wrong letter: no alert
	rg.read(t, "cam002", "LB07ABC", 4*time.Second) // not listed
	got := rg.list(t)
	if len(got) != 3 {
		t.Fatalf("%d alerts: %+v", len(got), got)
	}
	near, meet, stolen := got[0], got[1], got[2] // newest first
	if stolen.Plate != "AB12CDE" || stolen.ReadID == 0 || near.Plate != "AB12CDE" {
		t.Errorf("alerts do not name the listed plate and the read: %+v / %+v", stolen, near)
	}
	if stolen.Severity != store.SeverityCritical || stolen.Kind != AlertKind || stolen.Rule != WatchlistRule ||
		!strings.Contains(stolen.Message, "Watch-listed AB12CDE (stolen") || !strings.Contains(stolen.Message, "exact match") || stolen.Thumbnail == nil {
		t.Errorf("stolen: %+v", stolen)
	}
	if meet.Severity != store.SeverityWarning || !strings.Contains(meet.Message, "YK19RXT (car-meet") {
		t.Errorf("car meet: %+v", meet)
	}
	if near.Severity != store.SeverityWarning || near.Camera != "cam002" || !strings.Contains(near.Message, "near match: read A812CDE, distance 0.2") {
		t.Errorf("near: %+v", near)
	}
}

// TestWatchlistQuiet: a listed vehicle read again on the same camera
// within WatchQuiet raises no second alert; on another camera, or later,
// it does.
func TestWatchlistQuiet(t *testing.T) {
	rg := newRig(t)
	rg.watch(t, "AB12CDE", "nuisance", time.Hour)
	rg.read(t, "cam001", "AB12CDE", 0)
	rg.read(t, "cam001", "AB12CDE", time.Minute)            // held in traffic: quiet
	rg.read(t, "cam002", "AB12CDE", 2*time.Minute)          // another camera
	rg.read(t, "cam001", "AB12CDE", WatchQuiet+time.Second) // later
	got := rg.list(t)
	if len(got) != 3 || got[0].Camera != "cam001" || got[1].Camera != "cam002" || got[2].Camera != "cam001" {
		t.Fatalf("alerts %+v: want cam001, cam002, cam001 again after %v", got, WatchQuiet)
	}
}

func TestWatchlistExpiryAndChanges(t *testing.T) {
	rg := newRig(t)
	rg.watch(t, "AB12CDE", "nuisance", time.Minute)
	rg.read(t, "cam001", "AB12CDE", 2*time.Minute) // after expiry
	if got := rg.list(t); len(got) != 0 {
		t.Fatalf("expired entry alerted: %+v", got)
	}
	rg.read(t, "cam001", "XY61ABC", 0) // loads the list
	rg.watch(t, "XY61ABC", "pspo", time.Hour)
	rg.read(t, "cam001", "XY61ABC", time.Second)
	if got := rg.list(t); len(got) != 1 || !strings.Contains(got[0].Message, "XY61ABC (pspo") {
		t.Fatalf("a new listing is not in force at once: %+v", got)
	}
}

func TestRepeatPasses(t *testing.T) {
	rg := newRig(t, Rule{Name: "High St cruising", Kind: RepeatPass, Cameras: []string{"cam001", "cam002"}, Count: 3,
		Window: 30 * time.Minute, Hours: [2]int{22, 6}})
	rg.read(t, "cam001", "AB12CDE", 0)
	rg.read(t, "cam002", "AB12CDE", 10*time.Minute)
	rg.read(t, "cam003", "AB12CDE", 12*time.Minute) // not in the area
	if got := rg.list(t); len(got) != 0 {
		t.Fatalf("alert before the third pass: %+v", got)
	}
	rg.read(t, "cam001", "AB12CDE", 20*time.Minute)
	rg.read(t, "cam001", "AB12CDE", 25*time.Minute) // a fourth: the same cruising, no second alert
	got := rg.list(t)
	if len(got) != 1 || got[0].Rule != "High St cruising" || !strings.Contains(got[0].Message, "seen 3 times in 30m0s") || got[0].Camera != "cam001" {
		t.Fatalf("alerts %+v", got)
	}
	// By day (outside 22-06 London) the rule sleeps.
	rg.now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for i := range 4 {
		rg.read(t, "cam001", "XY61ABC", time.Duration(i)*time.Minute)
	}
	if got := rg.list(t); len(got) != 1 {
		t.Fatalf("alerts by day: %+v", got)
	}
	// Passes spread wider than the window do not add up.
	rg.now = night.Add(24 * time.Hour)
	for i := range 4 {
		rg.read(t, "cam001", "LB07ABC", time.Duration(i)*20*time.Minute)
	}
	if got := rg.list(t); len(got) != 1 {
		t.Fatalf("passes 20 minutes apart alerted: %+v", got)
	}
}

func TestGathering(t *testing.T) {
	rg := newRig(t, Rule{Name: "Retail park meet", Kind: Gathering, Cameras: []string{"cam005"}, Count: 2, Vehicles: 4, Hours: [2]int{20, 4}})
	plates := []string{"AB12CDE", "XY61ABC", "LB07ABC", "YK19RXT", "PN66TTT"}
	for lap := range 2 {
		for i, p := range plates[:3] {
			rg.read(t, "cam005", p, time.Duration(lap*5+i)*time.Minute)
		}
	}
	if got := rg.list(t); len(got) != 0 {
		t.Fatalf("three cruising vehicles alerted: %+v", got)
	}
	rg.read(t, "cam005", plates[3], 12*time.Minute)
	rg.read(t, "cam005", plates[3], 14*time.Minute)
	rg.read(t, "cam005", plates[4], 15*time.Minute)
	rg.read(t, "cam005", plates[4], 16*time.Minute)
	got := rg.list(t)
	if len(got) != 1 || !strings.Contains(got[0].Message, "4 vehicles each passing 2+ times") || got[0].Plate != "" {
		t.Fatalf("alerts %+v", got)
	}
}

func TestDwell(t *testing.T) {
	rg := newRig(t, Rule{Name: "Car park dwell", Kind: Dwell, Entry: []string{"cam010"}, Exit: []string{"cam011"}, Stay: 20 * time.Minute})
	rg.read(t, "cam010", "AB12CDE", 0)
	rg.read(t, "cam010", "XY61ABC", time.Minute)
	rg.read(t, "cam011", "XY61ABC", 5*time.Minute) // left
	rg.svc.Sweep(context.Background(), night.Add(15*time.Minute))
	if got := rg.list(t); len(got) != 0 {
		t.Fatalf("dwell alert before the stay: %+v", got)
	}
	rg.svc.Sweep(context.Background(), night.Add(21*time.Minute))
	rg.svc.Sweep(context.Background(), night.Add(22*time.Minute))
	got := rg.list(t)
	if len(got) != 1 || got[0].Rule != "Car park dwell" || !strings.Contains(got[0].Message, "AB12CDE entered area \"Car park dwell\" at 23:00 (cam010)") {
		t.Fatalf("alerts %+v", got)
	}
}

func TestRuleValidate(t *testing.T) {
	for _, tc := range []struct {
		r     Rule
		field string
	}{
		{Rule{Name: "ok", Kind: RepeatPass, Cameras: []string{"cam001"}}, ""},
		{Rule{Kind: RepeatPass, Cameras: []string{"cam001"}}, "name"},
		{Rule{Name: "x", Kind: "speeding", Cameras: []string{"cam001"}}, "kind"},
		{Rule{Name: "x", Kind: RepeatPass}, "cameras"},
		{Rule{Name: "x", Kind: Dwell, Entry: []string{"cam001"}}, "entry"},
		{Rule{Name: "x", Kind: RepeatPass, Cameras: []string{"cam001"}, Window: time.Second}, "window"},
		{Rule{Name: "x", Kind: Gathering, Cameras: []string{"cam001"}, Vehicles: 1}, "vehicles"},
		{Rule{Name: "x", Kind: RepeatPass, Cameras: []string{"cam001"}, Hours: [2]int{22, 25}}, "hours"},
		{Rule{Name: "x", Kind: RepeatPass, Cameras: []string{"cam001"}, Severity: "urgent"}, "severity"},
	} {
		err := tc.r.Validate()
		if (tc.field == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tc.field)) {
			t.Errorf("%+v: %v, want field %q", tc.r, err, tc.field)
		}
	}
	svc := &Service{Store: &store.Store{}, Alerts: &alerts.Service{}, Rules: []Rule{
		{Name: "a", Kind: RepeatPass, Cameras: []string{"cam001"}}, {Name: "a", Kind: RepeatPass, Cameras: []string{"cam002"}}}}
	if err := svc.Initialize(); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("two rules of one name: %v", err)
	}
}
