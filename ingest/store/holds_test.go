package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
)

// placeHold places a valid hold over [start, end) on camera.
func placeHold(t *testing.T, s *Store, camera string, start, end time.Time) Hold {
	t.Helper()
	h := Hold{Camera: camera, Start: start, End: end, Reason: "crime ref 01/123456/26",
		CreatedBy: "op.patel", RequestedBy: "PC 123 Smith", ReviewAt: time.Now().Add(30 * 24 * time.Hour)}
	if err := s.AddHold(context.Background(), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// release asks for and confirms a release by two people.
func release(t *testing.T, s *Store, id int64) Hold {
	t.Helper()
	ctx := context.Background()
	if _, err := s.RequestRelease(ctx, id, "sgt.jones", "no further action"); err != nil {
		t.Fatal(err)
	}
	h, err := s.ConfirmRelease(ctx, id, "dpo.khan")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestAddHoldValidates(t *testing.T) { bothBackends(t, testAddHoldValidates) }

func testAddHoldValidates(t *testing.T) {
	s, _ := openTemp(t)
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	now := time.Now()
	good := func() Hold {
		return Hold{Camera: "cam001", Start: t0, End: t0.Add(time.Hour), Reason: "CAD 1234/01JUN",
			CreatedBy: "op.patel", RequestedBy: "PC 123 Smith", ReviewAt: now.Add(time.Hour)}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Hold)
		field string // "" = valid
	}{
		{"valid", func(*Hold) {}, ""},
		{"legacy: no requester or review date", func(h *Hold) { h.RequestedBy, h.ReviewAt = "", time.Time{} }, ""},
		{"no camera", func(h *Hold) { h.Camera = "" }, "camera"},
		{"bad camera", func(h *Hold) { h.Camera = "Cam 1" }, "camera"},
		{"no start", func(h *Hold) { h.Start = time.Time{} }, "from"},
		{"end before start", func(h *Hold) { h.End = t0.Add(-time.Second) }, "to"},
		{"empty range", func(h *Hold) { h.End = t0 }, "to"},
		{"no reason", func(h *Hold) { h.Reason = "  " }, "reason"},
		{"reason too long", func(h *Hold) { h.Reason = strings.Repeat("x", evidence.MaxFieldBytes+1) }, "reason"},
		{"no placer", func(h *Hold) { h.CreatedBy = "" }, "placed_by"},
		{"requester too long", func(h *Hold) { h.RequestedBy = strings.Repeat("x", 201) }, "requested_by"},
		{"review in the past", func(h *Hold) { h.ReviewAt = now.Add(-time.Minute) }, "review_at"},
		{"review before the given now", func(h *Hold) { h.CreatedAt = now.Add(2 * time.Hour) }, "review_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := good()
			tc.edit(&h)
			err := s.AddHold(context.Background(), &h)
			var fe FieldErrors
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.field == "":
				if h.ID == 0 || h.CreatedAt.IsZero() {
					t.Fatalf("id or time not set: %+v", h)
				}
			case !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != tc.field:
				t.Fatalf("error %v, want one error on %s", err, tc.field)
			}
		})
	}
}

func TestHoldRoundTripAndList(t *testing.T) { bothBackends(t, testHoldRoundTripAndList) }

func testHoldRoundTripAndList(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	a := placeHold(t, s, "cam001", t0, t0.Add(time.Hour))
	b := placeHold(t, s, "cam002", t0, t0.Add(time.Hour))
	c := placeHold(t, s, "cam001", t0.Add(2*time.Hour), t0.Add(3*time.Hour))
	got, err := s.Hold(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != a || !got.Active() {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, a)
	}
	if _, err := s.Hold(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown hold: %v", err)
	}
	release(t, s, c.ID)
	for _, tc := range []struct {
		camera string
		active bool
		want   []int64
	}{
		{"", false, []int64{a.ID, b.ID, c.ID}},
		{"", true, []int64{a.ID, b.ID}},
		{"cam001", false, []int64{a.ID, c.ID}},
		{"cam001", true, []int64{a.ID}},
		{"cam009", false, nil},
	} {
		list, err := s.Holds(ctx, tc.camera, tc.active)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, h := range list {
			ids = append(ids, h.ID)
		}
		if len(ids) != len(tc.want) || (len(ids) > 0 && !equalIDs(ids, tc.want)) {
			t.Errorf("Holds(%q, %v) = %v, want %v", tc.camera, tc.active, ids, tc.want)
		}
	}
}

func equalIDs(a, b []int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExtendHoldOnlyWidens(t *testing.T) { bothBackends(t, testExtendHoldOnlyWidens) }

func testExtendHoldOnlyWidens(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	h := placeHold(t, s, "cam001", t0, t0.Add(time.Hour))
	later := h.ReviewAt.Add(24 * time.Hour)
	for _, tc := range []struct {
		name        string
		end, review time.Time
		by          string
		field       string // "" = accepted
		wantEnd     time.Time
		wantReview  time.Time
	}{
		{"earlier end", t0.Add(30 * time.Minute), time.Time{}, "sgt.jones", "to", h.End, h.ReviewAt},
		{"earlier review", time.Time{}, h.ReviewAt.Add(-time.Hour), "sgt.jones", "review_at", h.End, h.ReviewAt},
		{"review in the past", time.Time{}, time.Now().Add(-time.Hour), "sgt.jones", "review_at", h.End, h.ReviewAt},
		{"nothing given", time.Time{}, time.Time{}, "sgt.jones", "to", h.End, h.ReviewAt},
		{"same end", h.End, time.Time{}, "sgt.jones", "to", h.End, h.ReviewAt},
		{"no one", t0.Add(2 * time.Hour), time.Time{}, " ", "by", h.End, h.ReviewAt},
		{"later end", t0.Add(2 * time.Hour), time.Time{}, "sgt.jones", "", t0.Add(2 * time.Hour), h.ReviewAt},
		{"later review", time.Time{}, later, "sgt.jones", "", t0.Add(2 * time.Hour), later},
		{"both", t0.Add(3 * time.Hour), later.Add(time.Hour), "sgt.jones", "", t0.Add(3 * time.Hour), later.Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ExtendHold(ctx, h.ID, tc.end, tc.review, tc.by)
			var fe FieldErrors
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe[0].Field != tc.field):
				t.Fatalf("error %v, want one on %s", err, tc.field)
			}
			now, _ := s.Hold(ctx, h.ID)
			if !now.End.Equal(tc.wantEnd) || !now.ReviewAt.Equal(tc.wantReview) || !now.Start.Equal(t0) {
				t.Fatalf("after: %v..%v review %v", now.Start, now.End, now.ReviewAt)
			}
			if tc.field == "" && (got != now || now.ExtendedBy != "sgt.jones" || now.ExtendedAt.IsZero()) {
				t.Fatalf("returned %+v, stored %+v", got, now)
			}
		})
	}
	release(t, s, h.ID)
	if _, err := s.ExtendHold(ctx, h.ID, t0.Add(5*time.Hour), time.Time{}, "sgt.jones"); !errors.Is(err, ErrReleased) {
		t.Fatalf("extending a released hold: %v", err)
	}
	if _, err := s.ExtendHold(ctx, 999, t0.Add(5*time.Hour), time.Time{}, "sgt.jones"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("extending an unknown hold: %v", err)
	}
}

func TestReleaseNeedsTwoPeople(t *testing.T) { bothBackends(t, testReleaseNeedsTwoPeople) }

func testReleaseNeedsTwoPeople(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	h := placeHold(t, s, "cam001", t0, t0.Add(time.Hour))

	steps := []struct {
		name string
		do   func() (Hold, error)
		want error // nil = succeeds
	}{
		{"confirm before a request", func() (Hold, error) { return s.ConfirmRelease(ctx, h.ID, "dpo.khan") }, ErrNoReleaseRequest},
		{"request without a reason", func() (Hold, error) { return s.RequestRelease(ctx, h.ID, "sgt.jones", "") }, FieldErrors{}},
		{"request", func() (Hold, error) { return s.RequestRelease(ctx, h.ID, "sgt.jones", "no further action") }, nil},
		{"request twice", func() (Hold, error) { return s.RequestRelease(ctx, h.ID, "dpo.khan", "again") }, ErrReleasePending},
		{"requester confirms", func() (Hold, error) { return s.ConfirmRelease(ctx, h.ID, "sgt.jones") }, ErrSamePerson},
		{"requester confirms in other case", func() (Hold, error) { return s.ConfirmRelease(ctx, h.ID, " SGT.Jones ") }, ErrSamePerson},
		{"nobody confirms", func() (Hold, error) { return s.ConfirmRelease(ctx, h.ID, "") }, FieldErrors{}},
		{"unknown hold", func() (Hold, error) { return s.ConfirmRelease(ctx, 999, "dpo.khan") }, ErrNotFound},
		{"still held", func() (Hold, error) { return h, heldErr(s, h) }, nil},
		{"second person confirms", func() (Hold, error) { return s.ConfirmRelease(ctx, h.ID, "dpo.khan") }, nil},
		{"confirm again", func() (Hold, error) { return s.ConfirmRelease(ctx, h.ID, "supt.ali") }, ErrReleased},
		{"request after release", func() (Hold, error) { return s.RequestRelease(ctx, h.ID, "supt.ali", "x") }, ErrReleased},
	}
	for _, st := range steps {
		_, err := st.do()
		var fe FieldErrors
		switch want := st.want.(type) {
		case nil:
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		case FieldErrors:
			if !errors.As(err, &fe) {
				t.Fatalf("%s: %v, want a field error", st.name, err)
			}
		default:
			if !errors.Is(err, want) {
				t.Fatalf("%s: %v, want %v", st.name, err, want)
			}
		}
	}
	got, _ := s.Hold(ctx, h.ID)
	if got.Active() || got.ReleasedBy != "dpo.khan" || got.ReleaseRequestedBy != "sgt.jones" ||
		got.ReleaseReason != "no further action" || got.ReleaseRequestedAt.IsZero() {
		t.Fatalf("released hold: %+v", got)
	}
	if held, err := s.Held(ctx, "cam001", t0, t0.Add(time.Hour)); held || err != nil {
		t.Fatalf("a released hold still holds: %v %v", held, err)
	}
}

// heldErr is an error unless h's whole range is held.
func heldErr(s *Store, h Hold) error {
	held, err := s.Held(context.Background(), h.Camera, h.Start, h.End)
	if err == nil && !held {
		err = errors.New("not held")
	}
	return err
}

// Retention may race a hold being placed: the store itself refuses to
// delete held footage, whoever asks.
func TestDeleteSegmentNeverDeletesHeldFootage(t *testing.T) {
	bothBackends(t, testDeleteSegmentNeverDeletesHeldFootage)
}

func testDeleteSegmentNeverDeletesHeldFootage(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	segs := fiveMinuteSegments(t, s, "cam001", t0, 4)                             // 22:00-22:20
	other := fiveMinuteSegments(t, s, "cam002", t0, 1)                            // same time, other camera
	h := placeHold(t, s, "cam001", t0.Add(6*time.Minute), t0.Add(11*time.Minute)) // 22:06-22:11: segments 1 and 2
	at := t0.Add(40 * 24 * time.Hour)

	for _, tc := range []struct {
		seg  Segment
		held bool
	}{
		{segs[0], false},
		{segs[1], true},
		{segs[2], true},
		{segs[3], false},
		{other[0], false},
	} {
		err := s.DeleteSegment(ctx, tc.seg, "retention: older than 31 days", at)
		if tc.held != errors.Is(err, ErrHeld) || (!tc.held && err != nil) {
			t.Fatalf("delete %s: %v (held: %v)", tc.seg.Path, err, tc.held)
		}
		if tc.held && !strings.Contains(err.Error(), tc.seg.Path) {
			t.Errorf("ErrHeld does not name the segment: %v", err)
		}
		_, err = s.SegmentByPath(ctx, tc.seg.Path)
		if tc.held != (err == nil) {
			t.Fatalf("%s: index row kept = %v, want %v", tc.seg.Path, err == nil, tc.held)
		}
	}
	dels, _ := s.Deletions(ctx, "cam001", time.Time{}, time.Time{})
	if len(dels) != 2 {
		t.Fatalf("%d deletion records, want 2 (held segments are not deleted)", len(dels))
	}

	// A second hold over segment 2 keeps it after the first is released.
	h2 := placeHold(t, s, "cam001", t0.Add(10*time.Minute), t0.Add(12*time.Minute))
	release(t, s, h.ID)
	if err := s.DeleteSegment(ctx, segs[1], "retention", at); err != nil {
		t.Fatalf("delete after release: %v", err)
	}
	if err := s.DeleteSegment(ctx, segs[2], "retention", at); !errors.Is(err, ErrHeld) {
		t.Fatalf("segment under a second hold: %v", err)
	}
	release(t, s, h2.ID)
	if err := s.DeleteSegment(ctx, segs[2], "retention", at); err != nil {
		t.Fatalf("delete after both releases: %v", err)
	}
	if left, _ := s.Segments(ctx, "cam001", time.Time{}, time.Time{}); len(left) != 0 {
		t.Fatalf("%d segments left", len(left))
	}
}

// A database at schema version 2 (as issue 3 left it) keeps its holds,
// which stay active and gain empty new fields.
func TestMigratesAVersionTwoDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:2] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	_, err = db.Exec(`PRAGMA user_version = 2;
		INSERT INTO holds (camera_id, start_us, end_us, reason, created_by, created_us)
		VALUES ('cam001', $1, $2, 'old hold', 'sgt.jones', $1)`, toMicros(t0), toMicros(t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	list, err := s.Holds(ctx, "", true)
	if err != nil || len(list) != 1 {
		t.Fatalf("holds after migration: %+v %v", list, err)
	}
	h := list[0]
	if h.Reason != "old hold" || h.CreatedBy != "sgt.jones" || !h.Start.Equal(t0) || !h.Active() ||
		h.RequestedBy != "" || !h.ReviewAt.IsZero() || !h.ReleaseRequestedAt.IsZero() {
		t.Fatalf("migrated hold: %+v", h)
	}
	if err := heldErr(s, h); err != nil {
		t.Fatal(err)
	}
	// The old hold takes a review date and goes through the new life cycle.
	review := time.Now().Add(time.Hour)
	if h, err = s.ExtendHold(ctx, h.ID, time.Time{}, review, "dpo.khan"); err != nil || h.ReviewAt.IsZero() {
		t.Fatalf("extend a migrated hold: %+v %v", h, err)
	}
	release(t, s, h.ID)
	if _, err := s.Pseudonym(ctx, "PC 123 Smith"); err != nil {
		t.Fatalf("people table after migration: %v", err)
	}
}

func TestPseudonyms(t *testing.T) { bothBackends(t, testPseudonyms) }

func testPseudonyms(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	p, err := s.Pseudonym(ctx, "PC 123 Smith")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.Pseudonym(ctx, " PC 123 Smith "); err != nil || again != p {
		t.Fatalf("second call: %q %v, want %q", again, err, p)
	}
	other, _ := s.Pseudonym(ctx, "PC 456 Jones")
	if other == p || !strings.HasPrefix(p, "person:") || len(p) != len("person:")+64 {
		t.Fatalf("pseudonyms %q and %q", p, other)
	}
	name, salt, err := s.Person(ctx, p)
	if err != nil || name != "PC 123 Smith" || len(salt) != 16 {
		t.Fatalf("Person: %q %x %v", name, salt, err)
	}
	// A verifier given the disclosed name and salt gets the pseudonym back.
	if evidence.Pseudonym(salt, name) != p {
		t.Fatal("the salt and name do not hash to the pseudonym")
	}
	if _, err := s.Pseudonym(ctx, "  "); err == nil {
		t.Fatal("an empty name was given a pseudonym")
	}

	if err := s.ErasePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Person(ctx, p); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after erasure: %v", err)
	}
	if err := s.ErasePerson(ctx, p); !errors.Is(err, ErrNotFound) {
		t.Fatalf("erasing twice: %v", err)
	}
	// After erasure the same name is a new, unlinkable pseudonym.
	if fresh, err := s.Pseudonym(ctx, "PC 123 Smith"); err != nil || fresh == p {
		t.Fatalf("after erasure: %q %v", fresh, err)
	}
}

func TestPseudonymFirstCallsRace(t *testing.T) { bothBackends(t, testPseudonymFirstCallsRace) }

func testPseudonymFirstCallsRace(t *testing.T) {
	s, _ := openTemp(t)
	var wg sync.WaitGroup
	got := make([]string, 8)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = s.Pseudonym(context.Background(), "op.patel") })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("call %d: %q %v, call 0: %q", i, got[i], errs[i], got[0])
		}
	}
}
