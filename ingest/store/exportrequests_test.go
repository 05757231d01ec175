package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// exportT0 is the start of the footage the tests ask for.
var exportT0 = time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)

// goodExportRequest is a valid request by pc.smith made at requested.
func goodExportRequest(id string, requested time.Time) ExportRequest {
	return ExportRequest{ID: id, CrimeRef: "01/123456/26", Cameras: []string{"cam001", "cam002"},
		Start: exportT0, End: exportT0.Add(time.Hour), Reason: "assault outside the Crown",
		RequestedBy: "pc.smith", Officer: "PC 123 Smith", RequestedAt: requested}
}

func addExportRequest(t *testing.T, s *Store, r ExportRequest) ExportRequest {
	t.Helper()
	if err := s.AddExportRequest(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func requestIDs(rs []ExportRequest) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

func TestAddExportRequestValidates(t *testing.T) { bothBackends(t, testAddExportRequestValidates) }

func testAddExportRequestValidates(t *testing.T) {
	s, _ := openTemp(t)
	now := time.Now()
	for _, tc := range []struct {
		name  string
		edit  func(*ExportRequest)
		field string // "" = valid
	}{
		{"valid", func(*ExportRequest) {}, ""},
		{"no id", func(r *ExportRequest) { r.ID = " " }, "id"},
		{"no crime ref", func(r *ExportRequest) { r.CrimeRef = "" }, "crime_ref"},
		{"no cameras", func(r *ExportRequest) { r.Cameras = nil }, "cameras"},
		{"comma in a camera id", func(r *ExportRequest) { r.Cameras = []string{"cam001,cam002"} }, "cameras"},
		{"bad camera id", func(r *ExportRequest) { r.Cameras = []string{"cam001", "Cam 2"} }, "cameras"},
		{"empty camera id", func(r *ExportRequest) { r.Cameras = []string{""} }, "cameras"},
		{"no start", func(r *ExportRequest) { r.Start = time.Time{} }, "from"},
		{"no end", func(r *ExportRequest) { r.End = time.Time{} }, "to"},
		{"end before start", func(r *ExportRequest) { r.End = exportT0.Add(-time.Second) }, "to"},
		{"empty range", func(r *ExportRequest) { r.End = exportT0 }, "to"},
		{"no reason", func(r *ExportRequest) { r.Reason = "\t" }, "reason"},
		{"no requester", func(r *ExportRequest) { r.RequestedBy = "" }, "requested_by"},
		{"requester too long", func(r *ExportRequest) { r.RequestedBy = strings.Repeat("x", maxNameBytes+1) }, "requested_by"},
		{"no officer", func(r *ExportRequest) { r.Officer = "" }, "officer"},
		{"no request time", func(r *ExportRequest) { r.RequestedAt = time.Time{} }, "requested_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := goodExportRequest(strings.ReplaceAll(tc.name, " ", "-"), now)
			tc.edit(&r)
			err := s.AddExportRequest(context.Background(), &r)
			var fe FieldErrors
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.field == "":
				if r.State != ExportRequested {
					t.Fatalf("state = %q", r.State)
				}
			case !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != tc.field:
				t.Fatalf("got %v, want one error on %s", err, tc.field)
			}
		})
	}
	dup := goodExportRequest("valid", now)
	if err := s.AddExportRequest(context.Background(), &dup); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate id: %v, want ErrExists", err)
	}
}

func TestExportRequestRoundTripAndList(t *testing.T) {
	bothBackends(t, testExportRequestRoundTripAndList)
}

func testExportRequestRoundTripAndList(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t1 := time.Date(2026, 6, 2, 9, 0, 0, 123456789, time.FixedZone("BST", 3600))
	r := goodExportRequest(" req-a ", t1)
	r.Cameras = []string{"cam002", " cam001", "cam002"}
	r.Start = exportT0.Add(1500 * time.Nanosecond)
	a := addExportRequest(t, s, r)
	if a.ID != "req-a" || !slices.Equal(a.Cameras, []string{"cam002", "cam001"}) {
		t.Fatalf("not normalised: %q %q", a.ID, a.Cameras)
	}
	got, err := s.ExportRequest(ctx, "req-a")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(a) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, a)
	}
	if _, err := s.ExportRequest(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}

	b := goodExportRequest("req-b", t1.Add(time.Hour))
	b.RequestedBy = "pc.jones"
	addExportRequest(t, s, b)
	addExportRequest(t, s, goodExportRequest("req-c", t1.Add(2*time.Hour)))
	now := t1.Add(3 * time.Hour)
	if _, err := s.DecideExportRequest(ctx, "req-a", false, "sgt.khan", "no crime", time.Time{}, now, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		by, state string
		limit     int
		want      []string
	}{
		{"", "", 0, []string{"req-c", "req-b", "req-a"}},
		{"", "", 2, []string{"req-c", "req-b"}},
		{"pc.smith", "", 0, []string{"req-c", "req-a"}},
		{"pc.jones", "", -1, []string{"req-b"}},
		{"", ExportRequested, 0, []string{"req-c", "req-b"}},
		{"", ExportRefused, 0, []string{"req-a"}},
		{"pc.smith", ExportRequested, 0, []string{"req-c"}},
		{"pc.jones", ExportApproved, 0, []string{}},
		{"nobody", "", 0, []string{}},
	} {
		list, err := s.ExportRequests(ctx, tc.by, tc.state, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if ids := requestIDs(list); !slices.Equal(ids, tc.want) {
			t.Errorf("ExportRequests(%q, %q, %d) = %q, want %q", tc.by, tc.state, tc.limit, ids, tc.want)
		}
	}
	var fe FieldErrors
	if _, err := s.ExportRequests(ctx, "", "pending", 0); !errors.As(err, &fe) || fe[0].Field != "state" {
		t.Fatalf("unknown state: %v", err)
	}
}

func TestDecideExportRequest(t *testing.T) { bothBackends(t, testDecideExportRequest) }

func testDecideExportRequest(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t1 := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	now := t1.Add(time.Hour)
	const maxAge = 7 * 24 * time.Hour
	grant := now.Add(30 * 24 * time.Hour)

	addExportRequest(t, s, goodExportRequest("approve", t1))
	r, err := s.DecideExportRequest(ctx, "approve", true, " sgt.khan ", "proportionate", grant, now, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != ExportApproved || r.DecidedBy != "sgt.khan" || !r.DecidedAt.Equal(now) ||
		r.DecisionReason != "proportionate" || !r.GrantUntil.Equal(grant) {
		t.Fatalf("approved: %+v", r)
	}
	if got, _ := s.ExportRequest(ctx, "approve"); fmt.Sprint(got) != fmt.Sprint(r) {
		t.Fatalf("returned %+v\n  stored %+v", r, got)
	}

	addExportRequest(t, s, goodExportRequest("refuse", t1))
	r, err = s.DecideExportRequest(ctx, "refuse", false, "sgt.khan", "not proportionate", time.Time{}, now, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ExportRequest(ctx, "refuse"); got.State != ExportRefused || !got.GrantUntil.IsZero() ||
		got.DecisionReason != "not proportionate" || fmt.Sprint(got) != fmt.Sprint(r) {
		t.Fatalf("refused: %+v", got)
	}

	addExportRequest(t, s, goodExportRequest("pending", t1))
	old := goodExportRequest("old", now.Add(-maxAge))
	addExportRequest(t, s, old)
	for _, tc := range []struct {
		name    string
		id      string
		approve bool
		by      string
		reason  string
		grant   time.Time
		want    error
		field   string
	}{
		{"unknown", "nope", true, "sgt.khan", "ok", grant, ErrNotFound, ""},
		{"the requester", "pending", true, "pc.smith", "ok", grant, ErrSamePerson, ""},
		{"the requester, typed differently", "pending", false, " PC.Smith", "no", time.Time{}, ErrSamePerson, ""},
		{"approved already", "approve", false, "sgt.lee", "changed my mind", time.Time{}, ErrNotPending, ""},
		{"refused already", "refuse", true, "sgt.lee", "overruled", grant, ErrNotPending, ""},
		{"too old", "old", true, "sgt.khan", "ok", grant, ErrNotPending, ""},
		{"too old, again", "old", true, "sgt.khan", "ok", grant, ErrNotPending, ""},
		{"no decider", "pending", true, "", "ok", grant, nil, "by"},
		{"no reason", "pending", false, "sgt.khan", " ", time.Time{}, nil, "reason"},
		{"approval without a grant", "pending", true, "sgt.khan", "ok", time.Time{}, nil, "grant_until"},
		{"grant in the past", "pending", true, "sgt.khan", "ok", now, nil, "grant_until"},
		{"refusal with a grant", "pending", false, "sgt.khan", "no", grant, nil, "grant_until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.DecideExportRequest(ctx, tc.id, tc.approve, tc.by, tc.reason, tc.grant, now, maxAge)
			var fe FieldErrors
			switch {
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want %v", err, tc.want)
			case tc.field != "" && (!errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != tc.field):
				t.Fatalf("got %v, want one error on %s", err, tc.field)
			}
		})
	}
	if got, _ := s.ExportRequest(ctx, "old"); got.State != ExportExpired || got.DecidedBy != "" || !got.DecidedAt.IsZero() {
		t.Fatalf("old request not marked expired: %+v", got)
	}
	if got, _ := s.ExportRequest(ctx, "pending"); got.State != ExportRequested {
		t.Fatalf("failed decisions changed the request: %+v", got)
	}
	// One microsecond younger than maxAge is still pending.
	young := goodExportRequest("young", now.Add(-maxAge+time.Microsecond))
	addExportRequest(t, s, young)
	if _, err := s.DecideExportRequest(ctx, "young", false, "sgt.khan", "no", time.Time{}, now, maxAge); err != nil {
		t.Fatalf("a request just under maxAge: %v", err)
	}
}

func TestDecideExportRequestRace(t *testing.T) { bothBackends(t, testDecideExportRequestRace) }

func testDecideExportRequestRace(t *testing.T) {
	s, _ := openTemp(t)
	now := time.Now()
	addExportRequest(t, s, goodExportRequest("race", now))
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			approve, grant := i%2 == 0, time.Time{}
			if approve {
				grant = now.Add(time.Hour)
			}
			_, errs[i] = s.DecideExportRequest(context.Background(), "race", approve,
				fmt.Sprintf("sgt.%d", i), "decided", grant, now, time.Hour)
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("both %d and %d decided", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, ErrNotPending):
			t.Fatalf("decision %d: %v, want ErrNotPending", i, err)
		}
	}
	if won < 0 {
		t.Fatal("nobody decided")
	}
	if got, _ := s.ExportRequest(context.Background(), "race"); got.DecidedBy != fmt.Sprintf("sgt.%d", won) {
		t.Fatalf("stored decision by %q, winner sgt.%d", got.DecidedBy, won)
	}
}

func TestExpireExportRequests(t *testing.T) { bothBackends(t, testExpireExportRequests) }

func testExpireExportRequests(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC)
	const maxAge = 7 * 24 * time.Hour
	addExportRequest(t, s, goodExportRequest("stale-1", now.Add(-maxAge-time.Hour)))
	addExportRequest(t, s, goodExportRequest("stale-2", now.Add(-maxAge)))
	addExportRequest(t, s, goodExportRequest("fresh", now.Add(-maxAge+time.Microsecond)))
	addExportRequest(t, s, goodExportRequest("old-but-decided", now.Add(-30*24*time.Hour)))
	if _, err := s.DecideExportRequest(ctx, "old-but-decided", false, "sgt.khan", "no",
		time.Time{}, now.Add(-29*24*time.Hour), maxAge); err != nil {
		t.Fatal(err)
	}

	got, err := s.ExpireExportRequests(ctx, now, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	if ids := requestIDs(got); !slices.Equal(ids, []string{"stale-1", "stale-2"}) {
		t.Fatalf("expired %q", ids)
	}
	for _, r := range got {
		if r.State != ExportExpired {
			t.Fatalf("returned as %s", r.State)
		}
	}
	again, err := s.ExpireExportRequests(ctx, now, maxAge)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run: %q %v", requestIDs(again), err)
	}
	for id, want := range map[string]string{"stale-1": ExportExpired, "stale-2": ExportExpired,
		"fresh": ExportRequested, "old-but-decided": ExportRefused} {
		if r, _ := s.ExportRequest(ctx, id); r.State != want {
			t.Errorf("%s is %s, want %s", id, r.State, want)
		}
	}
	if none, err := s.ExpireExportRequests(ctx, now.Add(365*24*time.Hour), 0); err != nil || len(none) != 0 {
		t.Fatalf("maxAge 0 expired %q %v", requestIDs(none), err)
	}
}

func TestGrants(t *testing.T) { bothBackends(t, testGrants) }

func testGrants(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t1 := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	now := t1.Add(24 * time.Hour)
	decide := func(id, by string, at time.Time, approve bool, until time.Time) {
		t.Helper()
		r := goodExportRequest(id, at)
		r.RequestedBy = by
		addExportRequest(t, s, r)
		if _, err := s.DecideExportRequest(ctx, id, approve, "sgt.khan", "decided", until, at, 7*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	decide("live-old", "pc.smith", t1, true, now.Add(time.Hour))
	decide("live-new", "pc.smith", t1.Add(time.Hour), true, now.Add(time.Microsecond))
	decide("ends-now", "pc.smith", t1.Add(2*time.Hour), true, now)
	decide("over", "pc.smith", t1.Add(3*time.Hour), true, now.Add(-time.Hour))
	decide("refused", "pc.smith", t1.Add(4*time.Hour), false, time.Time{})
	decide("someone-else", "pc.jones", t1.Add(5*time.Hour), true, now.Add(time.Hour))
	addExportRequest(t, s, goodExportRequest("undecided", t1.Add(6*time.Hour)))

	for _, tc := range []struct {
		user string
		want []string
	}{
		{"pc.smith", []string{"live-new", "live-old"}},
		{"pc.jones", []string{"someone-else"}},
		{"PC.Smith", []string{}},
		{"", []string{}},
	} {
		got, err := s.Grants(ctx, tc.user, now)
		if err != nil {
			t.Fatal(err)
		}
		if ids := requestIDs(got); !slices.Equal(ids, tc.want) {
			t.Errorf("Grants(%q) = %q, want %q", tc.user, ids, tc.want)
		}
	}
}

func TestCovers(t *testing.T) {
	g := ExportRequest{Cameras: []string{"cam001", "cam002"}, Start: exportT0, End: exportT0.Add(time.Hour)}
	at := func(m int) time.Time { return exportT0.Add(time.Duration(m) * time.Minute) }
	for _, tc := range []struct {
		name     string
		camera   string
		from, to time.Time
		want     bool
	}{
		{"inside", "cam001", at(10), at(20), true},
		{"second camera", "cam002", at(10), at(20), true},
		{"exact bounds", "cam001", at(0), at(60), true},
		{"camera not granted", "cam003", at(10), at(20), false},
		{"camera prefix", "cam00", at(10), at(20), false},
		{"starts before", "cam001", at(-1), at(20), false},
		{"ends after", "cam001", at(10), at(61), false},
		{"ends a nanosecond after", "cam001", at(10), at(60).Add(1), false},
		{"wholly before", "cam001", at(-20), at(-10), false},
		{"wholly after", "cam001", at(70), at(80), false},
		{"wider both sides", "cam001", at(-1), at(61), false},
		{"instant at start", "cam001", at(0), at(0), true},
		{"instant at end", "cam001", at(60), at(60), false},
		{"reversed", "cam001", at(20), at(10), false},
	} {
		if got := g.Covers(tc.camera, tc.from, tc.to); got != tc.want {
			t.Errorf("%s: Covers(%s, %s, %s) = %v", tc.name, tc.camera, tc.from.Format(time.TimeOnly),
				tc.to.Format(time.TimeOnly), got)
		}
	}
}

func TestBuilds(t *testing.T) { bothBackends(t, testBuilds) }

func testBuilds(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t1 := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"built", "failed", "waiting-1", "waiting-2"} {
		addExportRequest(t, s, goodExportRequest(id, t1))
		if _, err := s.DecideExportRequest(ctx, id, true, "sgt.khan", "ok", t1.Add(48*time.Hour),
			t1.Add(time.Duration(i)*time.Minute), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	addExportRequest(t, s, goodExportRequest("undecided", t1))

	if err := s.SetExportBuilt(ctx, "built", "/data/exports/built", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetExportBuilt(ctx, "failed", "", "disk full"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetExportBuilt(ctx, "nope", "/x", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if err := s.SetExportBuilt(ctx, "undecided", "/x", ""); !errors.Is(err, ErrNotApproved) {
		t.Fatalf("undecided: %v", err)
	}
	if r, _ := s.ExportRequest(ctx, "built"); r.BundleDir != "/data/exports/built" || r.BuildError != "" {
		t.Fatalf("built: %+v", r)
	}
	if r, _ := s.ExportRequest(ctx, "failed"); r.BundleDir != "" || r.BuildError != "disk full" {
		t.Fatalf("failed: %+v", r)
	}
	pending, err := s.PendingBuilds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids := requestIDs(pending); !slices.Equal(ids, []string{"waiting-1", "waiting-2"}) {
		t.Fatalf("pending builds %q", ids)
	}
	// Clearing a failure queues the build again.
	if err := s.SetExportBuilt(ctx, "failed", "", ""); err != nil {
		t.Fatal(err)
	}
	pending, _ = s.PendingBuilds(ctx)
	if ids := requestIDs(pending); !slices.Equal(ids, []string{"failed", "waiting-1", "waiting-2"}) {
		t.Fatalf("pending builds after a retry %q", ids)
	}

	// In a cluster, the node that approves an export builds it, and the
	// others leave it alone.
	s.SetNode("vigil-1")
	addExportRequest(t, s, goodExportRequest("on-vigil-1", t1))
	if x, err := s.DecideExportRequest(ctx, "on-vigil-1", true, "sgt.khan", "ok", t1.Add(48*time.Hour), t1.Add(10*time.Minute), time.Hour); err != nil || x.Node != "vigil-1" {
		t.Fatalf("approved on vigil-1: %+v %v", x, err)
	}
	if x, _ := s.ExportRequest(ctx, "on-vigil-1"); x.Node != "vigil-1" {
		t.Fatalf("read back: built on %q", x.Node)
	}
	if pending, _ = s.PendingBuilds(ctx); !slices.Equal(requestIDs(pending), []string{"on-vigil-1"}) {
		t.Fatalf("vigil-1's pending builds %q", requestIDs(pending))
	}
	s.SetNode("vigil-2")
	if pending, _ = s.PendingBuilds(ctx); len(pending) != 0 {
		t.Fatalf("vigil-2 would build %q", requestIDs(pending))
	}
	// While vigil-1 is alive its builds stay its own; once it is gone,
	// vigil-2 takes them (once: a third node finds nothing left).
	if err := s.Heartbeat(ctx, NodeRecord{ID: "vigil-1", URL: "https://vigil-1:8080", Capacity: 10, Started: t1, Seen: t1.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// (The single node's own, from before there were nodes, are taken.)
	if n, err := s.AdoptPendingBuilds(ctx, t1.Add(30*time.Minute)); err != nil || n != 3 {
		t.Fatalf("adopting with vigil-1 alive: %d %v, want the single node's 3 only", n, err)
	}
	if n, err := s.AdoptPendingBuilds(ctx, t1.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("adopting a dead node's builds: %d %v", n, err)
	}
	if pending, _ = s.PendingBuilds(ctx); !slices.Equal(requestIDs(pending), []string{"failed", "waiting-1", "waiting-2", "on-vigil-1"}) {
		t.Fatalf("vigil-2's pending builds after adopting %q", requestIDs(pending))
	}
	s.SetNode("vigil-3")
	if n, _ := s.AdoptPendingBuilds(ctx, t1.Add(2*time.Hour)); n != 0 {
		t.Fatalf("a live node's adopted builds were taken again: %d", n)
	}
	// vigil-1 was only cut off and finishes late: the adopter's bundle
	// is the one recorded.
	s.SetNode("vigil-1")
	if err := s.SetExportBuilt(ctx, "on-vigil-1", "/vigil-1/exports/x", ""); err == nil || !strings.Contains(err.Error(), "built by node vigil-2") {
		t.Fatalf("a late bundle from the node it was taken from: %v", err)
	}
	s.SetNode("vigil-2")
	if err := s.SetExportBuilt(ctx, "on-vigil-1", "/vigil-2/exports/x", ""); err != nil {
		t.Fatal(err)
	}
}
