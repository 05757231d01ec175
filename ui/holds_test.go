package ui

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// auditLog keeps what the API appends, as the evidence log would.
type auditLog struct {
	mu      sync.Mutex
	entries []evidence.Entry
	down    error // when set, every append fails
}

func (l *auditLog) Append(_ context.Context, e *evidence.Entry) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down != nil {
		return 0, l.down
	}
	if e.Time.IsZero() { // as the real log stamps it
		e.Time = time.Now().UTC().Truncate(time.Microsecond)
	}
	if _, err := e.Encode(); err != nil { // what the real log would refuse
		return 0, err
	}
	e.Seq = uint64(len(l.entries))
	l.entries = append(l.entries, *e)
	return e.Seq, nil
}

func (l *auditLog) all() []evidence.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// registry is the camera registry straight over the store (no ingest).
type registry struct{ *store.Store }

func (r registry) List(ctx context.Context) ([]store.Camera, error) { return r.ListCameras(ctx) }
func (r registry) Get(ctx context.Context, id string) (store.Camera, error) {
	return r.GetCamera(ctx, id)
}
func (r registry) Create(ctx context.Context, c *store.Camera) error { return r.CreateCamera(ctx, c) }
func (r registry) Update(ctx context.Context, c *store.Camera) error { return r.UpdateCamera(ctx, c) }
func (r registry) Delete(ctx context.Context, id string) error       { return r.DeleteCamera(ctx, id) }
func (r registry) Status(string) (ingest.CameraStatus, bool)         { return ingest.CameraStatus{}, false }
func (r registry) Outages(context.Context, string, time.Time, time.Time) ([]ingest.Outage, error) {
	return nil, nil
}

var (
	holdFrom = time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	holdTo   = holdFrom.Add(time.Hour)
)

// placeBody is a valid new hold on a camera. Who places it is whoever is
// signed in: the body has no placed_by.
func placeBody(camera string, review time.Time) string {
	return fmt.Sprintf(`{"camera":%q,"from":%q,"to":%q,"reason":"crime ref 01/123456/26",
		"requested_by":"PC 123 Smith","review_at":%q}`,
		camera, holdFrom.Format(time.RFC3339), holdTo.Format(time.RFC3339), review.Format(time.RFC3339))
}

func pseudonym(t *testing.T, st *store.Store, name string) string {
	t.Helper()
	p, err := st.Pseudonym(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// holdEntries are the evidence-log entries about holds (not sign-ins).
func (rg *rig) holdEntries(t *testing.T) []evidence.Entry {
	t.Helper()
	var out []evidence.Entry
	for _, e := range rg.entries(t) {
		if strings.HasPrefix(string(e.Action), "hold.") {
			out = append(out, e)
		}
	}
	return out
}

// supervisors signs in n supervisors, supervisor1..supervisorN, who see
// every camera.
func (rg *rig) supervisors(t *testing.T, n int) []*client {
	t.Helper()
	var cs []*client
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("supervisor%d", i)
		rg.user(t, name, "supervisor", auth.Scope{})
		cs = append(cs, rg.login(t, name))
	}
	return cs
}

func (c *client) place(t *testing.T, camera string) holdJSON {
	t.Helper()
	var h holdJSON
	if code, body := c.do(t, "POST", "/api/v1/holds", placeBody(camera, time.Now().Add(time.Hour)), &h); code != http.StatusCreated {
		t.Fatalf("place on %s: %d %s", camera, code, body)
	}
	return h
}

func TestHoldLifecycleIsLogged(t *testing.T) {
	rg := newRig(t)
	sv := rg.supervisors(t, 2)
	sup1, sup2 := sv[0], sv[1]
	ctx := context.Background()
	review := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)

	var placed holdJSON
	if code, body := sup1.do(t, "POST", "/api/v1/holds", placeBody("cam001", review), &placed); code != http.StatusCreated {
		t.Fatalf("place: %d %s", code, body)
	}
	if placed.ID == 0 || placed.Camera != "cam001" || !placed.From.Equal(holdFrom) || !placed.To.Equal(holdTo) ||
		placed.RequestedBy != "PC 123 Smith" || placed.PlacedBy != "supervisor1" || placed.ReviewAt == nil ||
		!placed.ReviewAt.Equal(review) || !placed.Active || placed.EvidenceSeq == nil ||
		placed.FromLocal != "2026-06-01T23:00:00+01:00" {
		t.Fatalf("placed: %+v", placed)
	}
	ref := fmt.Sprintf("hold/%d", placed.ID)
	path := fmt.Sprintf("/api/v1/holds/%d", placed.ID)
	if held, _ := rg.st.Held(ctx, "cam001", holdFrom, holdTo); !held {
		t.Fatal("footage not held in the store")
	}

	var got holdJSON
	if code, body := sup2.do(t, "GET", path, "", &got); code != http.StatusOK || got.ID != placed.ID ||
		got.PlacedBy != "supervisor1" || got.EvidenceSeq != nil {
		t.Fatalf("get: %d %s", code, body)
	}

	newTo := holdTo.Add(2 * time.Hour)
	var extended holdJSON
	code, body := sup2.do(t, "POST", path+"/extend", fmt.Sprintf(`{"to":%q,"reason":"suspect seen later"}`,
		newTo.Format(time.RFC3339)), &extended)
	if code != http.StatusOK || !extended.To.Equal(newTo) || extended.ExtendedBy != "supervisor2" || extended.PlacedBy != "supervisor1" ||
		!extended.ReviewAt.Equal(review) || extended.EvidenceSeq == nil {
		t.Fatalf("extend: %d %s", code, body)
	}

	var asked holdJSON
	code, body = sup1.do(t, "POST", path+"/release-request", `{"reason":"no further action"}`, &asked)
	if code != http.StatusOK || asked.ReleaseRequestedBy != "supervisor1" || asked.ReleaseRequestedAt == nil ||
		!asked.Active || asked.EvidenceSeq == nil {
		t.Fatalf("release request: %d %s", code, body)
	}
	// The two-person rule, however the requester signs in and whoever a
	// body names: the person confirming is the one signed in.
	again := rg.login(t, " SUPERVISOR1 ")
	for i, c := range []*client{sup1, again} {
		for _, b := range []string{"", `{"by":"supervisor2"}`} {
			code, body = c.do(t, "POST", path+"/release", b, nil)
			if code != http.StatusConflict || !strings.Contains(body, "two-person rule") || !strings.Contains(body, "someone other than") {
				t.Fatalf("release by the requester (session %d, body %q): %d %s", i, b, code, body)
			}
		}
	}
	if held, _ := rg.st.Held(ctx, "cam001", holdFrom, holdTo); !held {
		t.Fatal("a refused release released the hold")
	}
	var released holdJSON
	code, body = sup2.do(t, "POST", path+"/release", "", &released)
	if code != http.StatusOK || released.Active || released.ReleasedBy != "supervisor2" || released.ReleasedAt == nil ||
		released.ReleaseRequestedBy != "supervisor1" || released.ReleaseReason != "no further action" || released.EvidenceSeq == nil {
		t.Fatalf("release: %d %s", code, body)
	}
	if held, _ := rg.st.Held(ctx, "cam001", holdFrom, holdTo); held {
		t.Fatal("footage still held after the release")
	}

	// Four entries, one per change, under the pseudonym of who was signed
	// in and the role that let them; the refused releases left none.
	p1, p2 := pseudonym(t, rg.st, "supervisor1"), pseudonym(t, rg.st, "supervisor2")
	want := []evidence.Entry{
		{Seq: *placed.EvidenceSeq, Action: evidence.ActionHoldPlaced, Actor: p1, Role: "supervisor", Camera: "cam001",
			From: holdFrom, To: holdTo, Reason: "crime ref 01/123456/26", Ref: ref,
			Detail: "requested by " + pseudonym(t, rg.st, "PC 123 Smith") + "; review " + review.Format(time.RFC3339)},
		{Seq: *extended.EvidenceSeq, Action: evidence.ActionHoldExtended, Actor: p2, Role: "supervisor", Camera: "cam001",
			From: holdFrom, To: newTo, Reason: "suspect seen later", Ref: ref,
			Detail: fmt.Sprintf("to %s (was %s); review %s (was %s)", newTo.Format(time.RFC3339), holdTo.Format(time.RFC3339),
				review.Format(time.RFC3339), review.Format(time.RFC3339))},
		{Seq: *asked.EvidenceSeq, Action: evidence.ActionHoldReleaseAsked, Actor: p1, Role: "supervisor", Camera: "cam001",
			From: holdFrom, To: newTo, Reason: "no further action", Ref: ref},
		{Seq: *released.EvidenceSeq, Action: evidence.ActionHoldReleased, Actor: p2, Role: "supervisor", Camera: "cam001",
			From: holdFrom, To: newTo, Reason: "no further action", Ref: ref, Detail: "release requested by " + p1},
	}
	entries := rg.holdEntries(t)
	if len(entries) != len(want) {
		t.Fatalf("%d hold entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i, e := range entries {
		w := want[i]
		if !e.From.Equal(w.From) || !e.To.Equal(w.To) {
			t.Errorf("entry %d range %v..%v, want %v..%v", i, e.From, e.To, w.From, w.To)
		}
		if e.Time.IsZero() {
			t.Errorf("entry %d has no time", i)
		}
		// Names never enter the log.
		for _, s := range []string{e.Actor, e.Camera, e.Reason, e.Ref, e.Detail} {
			for _, name := range []string{"smith", "supervisor1", "supervisor2"} {
				if strings.Contains(strings.ToLower(s), name) {
					t.Errorf("entry %d names %q", i, name)
				}
			}
		}
		e.Time, e.From, e.To, e.Prev, w.From, w.To = time.Time{}, time.Time{}, time.Time{}, evidence.Entry{}.Prev, time.Time{}, time.Time{}
		if e != w {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, e, w)
		}
	}

	// Listing: all, active only, by camera.
	for _, tc := range []struct {
		query string
		n     int
	}{{"", 1}, {"?active=true", 0}, {"?active=false&camera=cam001", 1}, {"?camera=cam002", 0}} {
		var list struct{ Holds []holdJSON }
		if code, body := sup1.do(t, "GET", "/api/v1/holds"+tc.query, "", &list); code != http.StatusOK || len(list.Holds) != tc.n {
			t.Errorf("list %s: %d %s, want %d holds", tc.query, code, body, tc.n)
		}
	}
}

func TestPlaceHoldRejectsBadRequests(t *testing.T) {
	rg := newRig(t)
	sup := rg.supervisors(t, 1)[0]
	review := time.Now().Add(24 * time.Hour)
	valid := map[string]string{"camera": "cam001", "from": holdFrom.Format(time.RFC3339), "to": holdTo.Format(time.RFC3339),
		"reason": "crime ref", "requested_by": "PC 123 Smith", "review_at": review.Format(time.RFC3339)}
	with := func(k, v string) string {
		m := map[string]string{}
		for key, val := range valid {
			m[key] = val
		}
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		name   string
		body   string
		status int
		field  string // the field the error names
	}{
		{"no camera", with("camera", "-"), 422, "camera"},
		{"unknown camera", with("camera", "cam404"), 422, "camera"},
		{"no from", with("from", "-"), 422, "from"},
		{"bad from", with("from", "yesterday"), 422, "from"},
		{"to before from", with("to", holdFrom.Add(-time.Hour).Format(time.RFC3339)), 422, "to"},
		{"no reason", with("reason", " "), 422, "reason"},
		{"no requester", with("requested_by", "-"), 422, "requested_by"},
		{"no review date", with("review_at", "-"), 422, "review_at"},
		{"review in the past", with("review_at", time.Now().Add(-time.Hour).Format(time.RFC3339)), 422, "review_at"},
		// Who places a hold is who is signed in, never what a body says.
		{"placed_by given", with("placed_by", "op.patel"), 400, "placed_by"},
		{"reason too long", with("reason", strings.Repeat("x", evidence.MaxFieldBytes+1)), 422, "reason"},
		{"unknown field", `{"camera":"cam001","colour":"red"}`, 400, "colour"},
		{"not JSON", `camera=cam001`, 400, "invalid JSON"},
		{"empty body", ``, 400, "empty"},
		{"huge body", `{"reason":"` + strings.Repeat("x", maxBodyBytes) + `"}`, 400, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := sup.do(t, "POST", "/api/v1/holds", tc.body, nil)
			if code != tc.status || !strings.Contains(body, tc.field) {
				t.Fatalf("%d %s, want %d naming %s", code, body, tc.status, tc.field)
			}
			if tc.status == 422 {
				var e apiError
				json.Unmarshal([]byte(body), &e)
				if !slices.ContainsFunc(e.Fields, func(f fieldError) bool { return f.Field == tc.field }) {
					t.Fatalf("fields %+v do not name %s", e.Fields, tc.field)
				}
			}
		})
	}
	if holds, _ := rg.st.Holds(context.Background(), "", false); len(holds) != 0 || len(rg.holdEntries(t)) != 0 {
		t.Fatalf("rejected requests left %d holds, %d log entries", len(holds), len(rg.holdEntries(t)))
	}
}

// Footage of a camera removed from the registry can still be held.
func TestPlaceHoldOnRemovedCameraWithFootage(t *testing.T) {
	rg := newRig(t)
	sup := rg.supervisors(t, 1)[0]
	ctx := context.Background()
	seg := store.Segment{Camera: "cam007", Start: holdFrom, End: holdFrom.Add(5 * time.Minute), Path: "cam007/a.mp4",
		Bytes: 1, SHA256: sha256.Sum256(nil), StreamID: uuid.New(), Frames: 1}
	if err := rg.st.AddSegment(ctx, &seg); err != nil {
		t.Fatal(err)
	}
	if h := sup.place(t, "cam007"); h.PlacedBy != "supervisor1" {
		t.Fatalf("placed by %q", h.PlacedBy)
	}
	if err := rg.st.DeleteSegment(ctx, seg, "retention", time.Now()); !errors.Is(err, store.ErrHeld) {
		t.Fatalf("held segment deleted: %v", err)
	}
}

func TestHoldChangesRejected(t *testing.T) {
	rg := newRig(t)
	sv := rg.supervisors(t, 3)
	sup1, sup2, sup3 := sv[0], sv[1], sv[2]
	h := sup1.place(t, "cam001")
	path := fmt.Sprintf("/api/v1/holds/%d", h.ID)
	later := holdTo.Add(time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name               string
		c                  *client
		method, path, body string
		status             int
		says               string
	}{
		{"unknown hold", sup1, "GET", "/api/v1/holds/999", "", 404, "not found"},
		{"not an id", sup1, "GET", "/api/v1/holds/abc", "", 404, "not a hold id"},
		{"bad active", sup1, "GET", "/api/v1/holds?active=maybe", "", 400, "active"},
		{"extend narrower", sup1, "POST", path + "/extend", fmt.Sprintf(`{"to":%q,"reason":"x"}`,
			holdFrom.Add(30*time.Minute).Format(time.RFC3339)), 422, "can only be extended"},
		{"extend with nothing", sup1, "POST", path + "/extend", `{"reason":"x"}`, 422, "nothing to extend"},
		{"extend without reason", sup1, "POST", path + "/extend", fmt.Sprintf(`{"to":%q}`, later), 422, "reason"},
		// The person is the one signed in: a body naming one is refused.
		{"extend naming someone", sup1, "POST", path + "/extend", fmt.Sprintf(`{"to":%q,"by":"sgt.jones","reason":"x"}`, later),
			400, "by"},
		{"extend unknown hold", sup1, "POST", "/api/v1/holds/999/extend", fmt.Sprintf(`{"to":%q,"reason":"x"}`, later),
			404, "not found"},
		{"release unasked", sup2, "POST", path + "/release", "", 409, "no release of the hold was requested"},
		{"request without reason", sup1, "POST", path + "/release-request", `{}`, 422, "reason"},
		{"request naming someone", sup1, "POST", path + "/release-request", `{"by":"sgt.jones","reason":"done"}`, 400, "by"},
		{"request", sup1, "POST", path + "/release-request", `{"reason":"done"}`, 200, `"release_requested_by": "supervisor1"`},
		{"request again", sup2, "POST", path + "/release-request", `{"reason":"done"}`, 409, "already requested"},
		{"release by the requester", sup1, "POST", path + "/release", "", 409, "two-person rule"},
		{"release", sup2, "POST", path + "/release", "", 200, `"released_by": "supervisor2"`},
		{"release again", sup3, "POST", path + "/release", "", 409, "already released"},
		{"extend released", sup3, "POST", path + "/extend", fmt.Sprintf(`{"to":%q,"reason":"x"}`, later), 409, "already released"},
	} {
		code, body := tc.c.do(t, tc.method, tc.path, tc.body, nil)
		if code != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, code, body, tc.status, tc.says)
		}
	}
	// place, release request, release: nothing for the refusals.
	if n := len(rg.holdEntries(t)); n != 3 {
		t.Fatalf("%d hold log entries, want 3", n)
	}
}

// Holds need holds.manage to change and holds.read to see, and a camera in
// the person's scope; every refusal is in the evidence log.
func TestHoldAccessByRoleAndScope(t *testing.T) {
	rg := newRig(t)
	sup := rg.supervisors(t, 1)[0]
	rg.user(t, "operator1", "operator", auth.Scope{})
	op := rg.login(t, "operator1")
	rg.user(t, "north1", "supervisor", auth.Scope{Sites: []string{"north"}})
	north := rg.login(t, "north1")

	if code, body := op.do(t, "POST", "/api/v1/holds", placeBody("cam001", time.Now().Add(time.Hour)), nil); code != http.StatusForbidden {
		t.Fatalf("operator placing a hold: %d %s", code, body)
	}
	if holds, _ := rg.st.Holds(context.Background(), "", false); len(holds) != 0 {
		t.Fatalf("the operator's refused request left %d holds", len(holds))
	}
	denied := rg.withAction(t, evidence.ActionAccessDenied)
	if len(denied) != 1 || denied[0].Actor != pseudonym(t, rg.st, "operator1") || denied[0].Role != "operator" ||
		denied[0].Ref != "POST /api/v1/holds" {
		t.Fatalf("operator's refusal logged as %+v", denied)
	}

	h1 := sup.place(t, "cam001")
	h2 := sup.place(t, "cam002") // site north
	var list struct{ Holds []holdJSON }
	for _, q := range []string{"", "?camera=cam002", "?active=true"} {
		if code, body := north.do(t, "GET", "/api/v1/holds"+q, "", &list); code != http.StatusOK ||
			len(list.Holds) != 1 || list.Holds[0].ID != h2.ID || list.Holds[0].Camera != "cam002" {
			t.Fatalf("north lists %s: %d %s", q, code, body)
		}
	}
	if code, body := north.do(t, "GET", "/api/v1/holds?camera=cam001", "", &list); code != http.StatusOK || len(list.Holds) != 0 {
		t.Fatalf("north lists cam001: %d %s", code, body)
	}
	if code, body := north.do(t, "GET", fmt.Sprintf("/api/v1/holds/%d", h2.ID), "", nil); code != http.StatusOK {
		t.Fatalf("north gets a north hold: %d %s", code, body)
	}
	before := len(rg.withAction(t, evidence.ActionAccessDenied))
	for _, tc := range []struct{ method, path, body string }{
		{"GET", fmt.Sprintf("/api/v1/holds/%d", h1.ID), ""},
		{"POST", fmt.Sprintf("/api/v1/holds/%d/release-request", h1.ID), `{"reason":"done"}`},
		{"POST", "/api/v1/holds", placeBody("cam001", time.Now().Add(time.Hour))},
	} {
		if code, body := north.do(t, tc.method, tc.path, tc.body, nil); code != http.StatusForbidden || !strings.Contains(body, "cam001") {
			t.Fatalf("north: %s %s: %d %s", tc.method, tc.path, code, body)
		}
	}
	denied = rg.withAction(t, evidence.ActionAccessDenied)[before:]
	if len(denied) != 3 {
		t.Fatalf("%d refusals logged, want 3: %+v", len(denied), denied)
	}
	for _, e := range denied {
		if e.Actor != pseudonym(t, rg.st, "north1") || e.Role != "supervisor" || !strings.Contains(e.Detail, "cam001") {
			t.Errorf("north's refusal logged as %+v", e)
		}
	}
	if got, _ := rg.st.Hold(context.Background(), h1.ID); got.ReleaseRequestedBy != "" {
		t.Fatalf("an out-of-scope release request was made: %+v", got)
	}
	if holds, _ := rg.st.Holds(context.Background(), "", false); len(holds) != 2 {
		t.Fatalf("%d holds, want 2", len(holds))
	}
}

// The store is written before the log: with the log down the hold exists
// (footage stays safe) and the client is told the change was not logged.
func TestHoldWithTheLogDown(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := store.Camera{ID: "cam001", MainURL: "rtsp://10.0.0.1/main", Enabled: true, ManagedBy: store.ManagedByAPI}
	c.Normalize()
	if err := st.CreateCamera(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	audit := &auditLog{down: errors.New("evidence log: disk full")}
	srv := &Server{Cameras: registry{st}, Recordings: st, Holds: st, Audit: audit, People: st, Identity: st,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler), Auth: AuthConfig{Hasher: cheapHasher}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	// Only the rig's users and clients are used: it has no evidence log.
	rg := &rig{url: ts.URL, st: st, clock: &clock{t: time.Now()}, srv: srv}
	sup := rg.supervisors(t, 1)[0] // sign-in goes on with the log down

	code, body := sup.do(t, "POST", "/api/v1/holds", placeBody("cam001", time.Now().Add(time.Hour)), nil)
	if code != http.StatusInternalServerError || !strings.Contains(body, "evidence log is down") || !strings.Contains(body, "hold 1") {
		t.Fatalf("%d %s", code, body)
	}
	if held, _ := st.Held(context.Background(), "cam001", holdFrom, holdTo); !held {
		t.Fatal("the hold was not kept")
	}
	if h, _ := st.Hold(context.Background(), 1); h.CreatedBy != "supervisor1" {
		t.Fatalf("hold kept as placed by %q", h.CreatedBy)
	}
	if n := len(audit.all()); n != 0 {
		t.Fatalf("%d entries in a log that is down", n)
	}
}

func TestHoldRoutesNeedHoldsAndTheLog(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := &Server{Cameras: registry{st}, Identity: st, Audit: &auditLog{}, People: st,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/holds", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("without holds: %d", rec.Code)
	}
	srv.Holds, srv.Audit = st, nil
	defer func() {
		if recover() == nil {
			t.Fatal("holds without an evidence log were served")
		}
	}()
	srv.Handler()
}
