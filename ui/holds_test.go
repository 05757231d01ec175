package ui

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

type holdRig struct {
	url   string
	st    *store.Store
	audit *auditLog
}

func newHoldRig(t *testing.T) *holdRig {
	t.Helper()
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
	audit := &auditLog{}
	srv := &Server{Cameras: registry{st}, Recordings: st, Holds: st, Audit: audit, People: st,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &holdRig{url: ts.URL, st: st, audit: audit}
}

// do sends a request and decodes the JSON answer into out (if not nil).
func (r *holdRig) do(t *testing.T, method, path, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

func (r *holdRig) pseudonym(t *testing.T, name string) string {
	t.Helper()
	p, err := r.st.Pseudonym(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	holdFrom = time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	holdTo   = holdFrom.Add(time.Hour)
)

func placeBody(review time.Time) string {
	return fmt.Sprintf(`{"camera":"cam001","from":%q,"to":%q,"reason":"crime ref 01/123456/26",
		"requested_by":"PC 123 Smith","review_at":%q,"placed_by":"op.patel"}`,
		holdFrom.Format(time.RFC3339), holdTo.Format(time.RFC3339), review.Format(time.RFC3339))
}

func TestHoldLifecycleIsLogged(t *testing.T) {
	r := newHoldRig(t)
	ctx := context.Background()
	review := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)

	var placed holdJSON
	if code, body := r.do(t, "POST", "/api/v1/holds", placeBody(review), &placed); code != http.StatusCreated {
		t.Fatalf("place: %d %s", code, body)
	}
	if placed.ID == 0 || placed.Camera != "cam001" || !placed.From.Equal(holdFrom) || !placed.To.Equal(holdTo) ||
		placed.RequestedBy != "PC 123 Smith" || placed.PlacedBy != "op.patel" || placed.ReviewAt == nil ||
		!placed.ReviewAt.Equal(review) || !placed.Active || placed.EvidenceSeq == nil || *placed.EvidenceSeq != 0 ||
		placed.FromLocal != "2026-06-01T23:00:00+01:00" {
		t.Fatalf("placed: %+v", placed)
	}
	ref := fmt.Sprintf("hold/%d", placed.ID)
	path := fmt.Sprintf("/api/v1/holds/%d", placed.ID)
	if held, _ := r.st.Held(ctx, "cam001", holdFrom, holdTo); !held {
		t.Fatal("footage not held in the store")
	}

	var got holdJSON
	if code, body := r.do(t, "GET", path, "", &got); code != http.StatusOK || got.ID != placed.ID || got.EvidenceSeq != nil {
		t.Fatalf("get: %d %s", code, body)
	}

	newTo := holdTo.Add(2 * time.Hour)
	var extended holdJSON
	code, body := r.do(t, "POST", path+"/extend", fmt.Sprintf(`{"to":%q,"by":"sgt.jones","reason":"suspect seen later"}`,
		newTo.Format(time.RFC3339)), &extended)
	if code != http.StatusOK || !extended.To.Equal(newTo) || extended.ExtendedBy != "sgt.jones" || !extended.ReviewAt.Equal(review) {
		t.Fatalf("extend: %d %s", code, body)
	}

	code, body = r.do(t, "POST", path+"/release-request", `{"by":"sgt.jones","reason":"no further action"}`, nil)
	if code != http.StatusOK {
		t.Fatalf("release request: %d %s", code, body)
	}
	// The two-person rule, however the name is typed.
	for _, by := range []string{"sgt.jones", " SGT.JONES "} {
		code, body = r.do(t, "POST", path+"/release", fmt.Sprintf(`{"by":%q}`, by), nil)
		if code != http.StatusConflict || !strings.Contains(body, "two-person rule") || !strings.Contains(body, "someone other than") {
			t.Fatalf("release by the requester %q: %d %s", by, code, body)
		}
	}
	if held, _ := r.st.Held(ctx, "cam001", holdFrom, holdTo); !held {
		t.Fatal("a refused release released the hold")
	}
	var released holdJSON
	code, body = r.do(t, "POST", path+"/release", `{"by":"dpo.khan"}`, &released)
	if code != http.StatusOK || released.Active || released.ReleasedBy != "dpo.khan" || released.ReleasedAt == nil ||
		released.ReleaseRequestedBy != "sgt.jones" || released.ReleaseReason != "no further action" {
		t.Fatalf("release: %d %s", code, body)
	}
	if held, _ := r.st.Held(ctx, "cam001", holdFrom, holdTo); held {
		t.Fatal("footage still held after the release")
	}

	// Four entries, one per change; the refused releases left none.
	want := []evidence.Entry{
		{Action: evidence.ActionHoldPlaced, Actor: r.pseudonym(t, "op.patel"), Camera: "cam001", From: holdFrom, To: holdTo,
			Reason: "crime ref 01/123456/26", Ref: ref,
			Detail: "requested by " + r.pseudonym(t, "PC 123 Smith") + "; review " + review.Format(time.RFC3339)},
		{Action: evidence.ActionHoldExtended, Actor: r.pseudonym(t, "sgt.jones"), Camera: "cam001", From: holdFrom, To: newTo,
			Reason: "suspect seen later", Ref: ref,
			Detail: fmt.Sprintf("to %s (was %s); review %s (was %s)", newTo.Format(time.RFC3339), holdTo.Format(time.RFC3339),
				review.Format(time.RFC3339), review.Format(time.RFC3339))},
		{Action: evidence.ActionHoldReleaseAsked, Actor: r.pseudonym(t, "sgt.jones"), Camera: "cam001", From: holdFrom, To: newTo,
			Reason: "no further action", Ref: ref},
		{Action: evidence.ActionHoldReleased, Actor: r.pseudonym(t, "dpo.khan"), Camera: "cam001", From: holdFrom, To: newTo,
			Reason: "no further action", Ref: ref, Detail: "release requested by " + r.pseudonym(t, "sgt.jones")},
	}
	entries := r.audit.all()
	if len(entries) != len(want) {
		t.Fatalf("%d log entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i, e := range entries {
		w := want[i]
		w.Seq = uint64(i)
		if !e.From.Equal(w.From) || !e.To.Equal(w.To) {
			t.Errorf("entry %d range %v..%v, want %v..%v", i, e.From, e.To, w.From, w.To)
		}
		if e.Time.IsZero() {
			t.Errorf("entry %d has no time", i)
		}
		e.Time, e.From, e.To, w.From, w.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if e != w {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, e, w)
		}
		// Names never enter the log.
		enc, _ := e.Encode()
		for _, name := range []string{"Smith", "patel", "jones", "khan"} {
			if strings.Contains(strings.ToLower(string(enc)), strings.ToLower(name)) {
				t.Errorf("entry %d names %q", i, name)
			}
		}
	}

	// Listing: all, active only, by camera.
	var list struct{ Holds []holdJSON }
	for _, tc := range []struct {
		query string
		n     int
	}{{"", 1}, {"?active=true", 0}, {"?active=false&camera=cam001", 1}, {"?camera=cam002", 0}} {
		if code, body := r.do(t, "GET", "/api/v1/holds"+tc.query, "", &list); code != http.StatusOK || len(list.Holds) != tc.n {
			t.Errorf("list %s: %d %s, want %d holds", tc.query, code, body, tc.n)
		}
	}
}

func TestPlaceHoldRejectsBadRequests(t *testing.T) {
	r := newHoldRig(t)
	review := time.Now().Add(24 * time.Hour)
	valid := map[string]string{"camera": "cam001", "from": holdFrom.Format(time.RFC3339), "to": holdTo.Format(time.RFC3339),
		"reason": "crime ref", "requested_by": "PC 123 Smith", "review_at": review.Format(time.RFC3339), "placed_by": "op.patel"}
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
		{"unknown camera", with("camera", "cam009"), 422, "camera"},
		{"no from", with("from", "-"), 422, "from"},
		{"bad from", with("from", "yesterday"), 422, "from"},
		{"to before from", with("to", holdFrom.Add(-time.Hour).Format(time.RFC3339)), 422, "to"},
		{"no reason", with("reason", " "), 422, "reason"},
		{"no requester", with("requested_by", "-"), 422, "requested_by"},
		{"no review date", with("review_at", "-"), 422, "review_at"},
		{"review in the past", with("review_at", time.Now().Add(-time.Hour).Format(time.RFC3339)), 422, "review_at"},
		{"no one placing it", with("placed_by", ""), 422, "placed_by"},
		{"reason too long", with("reason", strings.Repeat("x", evidence.MaxFieldBytes+1)), 422, "reason"},
		{"unknown field", `{"camera":"cam001","colour":"red"}`, 400, "colour"},
		{"not JSON", `camera=cam001`, 400, "invalid JSON"},
		{"empty body", ``, 400, "empty"},
		{"huge body", `{"reason":"` + strings.Repeat("x", maxBodyBytes) + `"}`, 400, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := r.do(t, "POST", "/api/v1/holds", tc.body, nil)
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
	if holds, _ := r.st.Holds(context.Background(), "", false); len(holds) != 0 || len(r.audit.all()) != 0 {
		t.Fatalf("rejected requests left %d holds, %d log entries", len(holds), len(r.audit.all()))
	}
}

// Footage of a camera removed from the registry can still be held.
func TestPlaceHoldOnRemovedCameraWithFootage(t *testing.T) {
	r := newHoldRig(t)
	ctx := context.Background()
	seg := store.Segment{Camera: "cam007", Start: holdFrom, End: holdFrom.Add(5 * time.Minute), Path: "cam007/a.mp4",
		Bytes: 1, SHA256: sha256.Sum256(nil), StreamID: uuid.New(), Frames: 1}
	if err := r.st.AddSegment(ctx, &seg); err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(placeBody(time.Now().Add(time.Hour)), "cam001", "cam007", 1)
	if code, resp := r.do(t, "POST", "/api/v1/holds", body, nil); code != http.StatusCreated {
		t.Fatalf("%d %s", code, resp)
	}
	if err := r.st.DeleteSegment(ctx, seg, "retention", time.Now()); !errors.Is(err, store.ErrHeld) {
		t.Fatalf("held segment deleted: %v", err)
	}
}

func TestHoldChangesRejected(t *testing.T) {
	r := newHoldRig(t)
	var h holdJSON
	if code, body := r.do(t, "POST", "/api/v1/holds", placeBody(time.Now().Add(time.Hour)), &h); code != http.StatusCreated {
		t.Fatalf("place: %d %s", code, body)
	}
	path := fmt.Sprintf("/api/v1/holds/%d", h.ID)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"unknown hold", "GET", "/api/v1/holds/999", "", 404, "not found"},
		{"not an id", "GET", "/api/v1/holds/abc", "", 404, "not a hold id"},
		{"bad active", "GET", "/api/v1/holds?active=maybe", "", 400, "active"},
		{"extend narrower", "POST", path + "/extend", fmt.Sprintf(`{"to":%q,"by":"sgt.jones","reason":"x"}`,
			holdFrom.Add(30*time.Minute).Format(time.RFC3339)), 422, "can only be extended"},
		{"extend with nothing", "POST", path + "/extend", `{"by":"sgt.jones","reason":"x"}`, 422, "nothing to extend"},
		{"extend without reason", "POST", path + "/extend", fmt.Sprintf(`{"to":%q,"by":"sgt.jones"}`,
			holdTo.Add(time.Hour).Format(time.RFC3339)), 422, "reason"},
		{"extend without anyone", "POST", path + "/extend", fmt.Sprintf(`{"to":%q,"reason":"x"}`,
			holdTo.Add(time.Hour).Format(time.RFC3339)), 422, "by"},
		{"extend unknown hold", "POST", "/api/v1/holds/999/extend", fmt.Sprintf(`{"to":%q,"by":"a","reason":"x"}`,
			holdTo.Add(time.Hour).Format(time.RFC3339)), 404, "not found"},
		{"release unasked", "POST", path + "/release", `{"by":"dpo.khan"}`, 409, "no release of the hold was requested"},
		{"release by nobody", "POST", path + "/release", `{}`, 422, "by"},
		{"request without reason", "POST", path + "/release-request", `{"by":"sgt.jones"}`, 422, "reason"},
		{"request", "POST", path + "/release-request", `{"by":"sgt.jones","reason":"done"}`, 200, "release_requested_by"},
		{"request again", "POST", path + "/release-request", `{"by":"dpo.khan","reason":"done"}`, 409, "already requested"},
		{"release", "POST", path + "/release", `{"by":"dpo.khan"}`, 200, "released_by"},
		{"release again", "POST", path + "/release", `{"by":"supt.ali"}`, 409, "already released"},
		{"extend released", "POST", path + "/extend", fmt.Sprintf(`{"to":%q,"by":"a","reason":"x"}`,
			holdTo.Add(time.Hour).Format(time.RFC3339)), 409, "already released"},
	} {
		code, body := r.do(t, tc.method, tc.path, tc.body, nil)
		if code != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, code, body, tc.status, tc.says)
		}
	}
	// place, release request, release: nothing for the refusals.
	if n := len(r.audit.all()); n != 3 {
		t.Fatalf("%d log entries, want 3", n)
	}
}

// The store is written before the log: with the log down the hold exists
// (footage stays safe) and the client is told the change was not logged.
func TestHoldWithTheLogDown(t *testing.T) {
	r := newHoldRig(t)
	r.audit.down = errors.New("evidence log: disk full")
	code, body := r.do(t, "POST", "/api/v1/holds", placeBody(time.Now().Add(time.Hour)), nil)
	if code != http.StatusInternalServerError || !strings.Contains(body, "evidence log is down") || !strings.Contains(body, "hold 1") {
		t.Fatalf("%d %s", code, body)
	}
	if held, _ := r.st.Held(context.Background(), "cam001", holdFrom, holdTo); !held {
		t.Fatal("the hold was not kept")
	}
}

func TestHoldRoutesNeedHoldsAndTheLog(t *testing.T) {
	srv := &Server{Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/holds", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("without holds: %d", rec.Code)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv.Holds, srv.People = st, st
	defer func() {
		if recover() == nil {
			t.Fatal("holds without an evidence log were served")
		}
	}()
	srv.Handler()
}
