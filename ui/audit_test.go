package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
)

const (
	auditSmith = "PC 123 Smith"
	auditJones = "Sgt Jones"
	auditPatel = "Op Patel" // erased after the entries are written
	auditHyper = `=HYPERLINK("http://example.com/x","click")`
)

// auditRig is a real evidence log and store with a day's worth of access.
type auditRig struct {
	api  *auditAPI
	st   *store.Store
	log  *locker.Log
	pseu map[string]string // name → pseudonym
	base time.Time         // when the first entry was written
}

// footage is a time on the night before the entries were written (BST).
func footage(hhmm string) time.Time {
	t, err := time.Parse(time.RFC3339, "2026-06-01T"+hhmm+":00Z")
	if err != nil {
		panic(err)
	}
	return t
}

func newAuditRig(t *testing.T) *auditRig {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	base := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	now := base
	l := &locker.Log{Dir: t.TempDir(), Origin: "test/evidence", CreateKey: true, CheckpointInterval: -1,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}
	if err := l.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	rig := &auditRig{st: st, log: l, pseu: map[string]string{}, base: base,
		api: &auditAPI{log: l, people: st, logger: slog.New(slog.DiscardHandler)}}
	for _, name := range []string{auditSmith, auditJones, auditPatel} {
		if rig.pseu[name], err = st.Pseudonym(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	smith, jones, patel := rig.pseu[auditSmith], rig.pseu[auditJones], rig.pseu[auditPatel]
	hash := sha256.Sum256([]byte("segment"))
	entries := []evidence.Entry{ // one every 10 minutes from 09:00 UTC
		/* 0 */ {Action: evidence.ActionPlayback, Actor: smith, Role: "operator", Camera: "cam001",
			From: footage("20:30"), To: footage("21:00"), Reason: "incident 01/123456/26"},
		/* 1 */ {Action: evidence.ActionSegmentSealed, Actor: evidence.ActorRecorder, Camera: "cam001",
			From: footage("20:00"), To: footage("20:05"), ObjectSHA256: hash, ObjectBytes: 1 << 20},
		/* 2 */ {Action: evidence.ActionSnapshot, Actor: jones, Role: "supervisor", Camera: "cam001",
			From: footage("21:15"), To: footage("21:15"), Reason: auditHyper},
		/* 3 */ {Action: evidence.ActionPlayback, Actor: smith, Role: "operator", Camera: "cam002",
			From: footage("20:30"), To: footage("21:00"), Reason: "other camera"},
		/* 4 */ {Action: evidence.ActionPlayback, Actor: patel, Role: "operator", Camera: "cam001",
			From: footage("19:00"), To: footage("20:30"), Reason: "patrol check"},
		/* 5 */ {Action: evidence.ActionPlayback, Actor: jones, Role: "supervisor", Camera: "cam001",
			From: footage("22:00"), To: footage("23:00"), Reason: "starts as the window ends"},
		/* 6 */ {Action: evidence.ActionLiveView, Actor: jones, Role: "supervisor", Camera: "cam001",
			Reason: "live, no footage range"},
		/* 7 */ {Action: evidence.ActionExportRequested, Actor: smith, Role: "operator", Camera: "cam001",
			From: footage("20:00"), To: footage("22:00"), Reason: "not an access", Ref: "export 7"},
		/* 8 */ {Action: evidence.ActionPlayback, Actor: smith, Role: "operator", Camera: "cam001",
			From: footage("18:00"), To: footage("19:59"), Reason: "ends before the window"},
		/* 9 */ {Action: evidence.ActionSegmentDeleted, Actor: evidence.ActorRetention, Camera: "cam002",
			From: footage("12:00"), To: footage("12:05"), ObjectSHA256: hash, ObjectBytes: 1 << 20,
			Detail: "retention 31 days"},
		/* 10 */ {Action: evidence.ActionSnapshot, Actor: patel, Role: "operator", Camera: "cam002",
			From: footage("12:00"), To: footage("12:00"), Reason: "-1+1"},
		/* 11 */ {Action: evidence.ActionSnapshot, Actor: smith, Role: "operator", Camera: "cam001",
			From: footage("21:59"), To: footage("21:59"), Reason: "suspect vehicle", Ref: "01/123456/26"},
	}
	for i := range entries {
		now = base.Add(time.Duration(i) * 10 * time.Minute)
		if _, err := l.Append(ctx, &entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ErasePerson(ctx, patel); err != nil {
		t.Fatal(err)
	}
	return rig
}

type auditAnswer struct {
	Entries   []auditEntryJSON `json:"entries"`
	Truncated bool             `json:"truncated"`
	Scanned   int64            `json:"scanned"`
	LogSize   int64            `json:"log_size"`
}

// get calls the handler with the query and returns the recorder.
func (r *auditRig) get(t *testing.T, q url.Values) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	r.api.list(rec, httptest.NewRequest(http.MethodGet, "/api/v1/audit?"+q.Encode(), nil))
	return rec
}

// list calls the handler and decodes a 200 JSON answer.
func (r *auditRig) list(t *testing.T, q url.Values) auditAnswer {
	t.Helper()
	rec := r.get(t, q)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", q.Encode(), rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var a auditAnswer
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("%s: %v in %s", q.Encode(), err, rec.Body)
	}
	if a.Entries == nil {
		t.Fatalf("%s: entries is null, want a list", q.Encode())
	}
	return a
}

func seqs(es []auditEntryJSON) []uint64 {
	var s []uint64
	for _, e := range es {
		s = append(s, e.Seq)
	}
	return s
}

func dpoQuestion() url.Values {
	return url.Values{"camera": {"cam001"}, "action": {"footage."},
		"footage_from": {"2026-06-01T20:00:00Z"}, "footage_to": {"2026-06-01T22:00:00Z"}}
}

func TestAuditDPOQuestion(t *testing.T) {
	r := newAuditRig(t)
	a := r.list(t, dpoQuestion())
	type who struct{ person, reason string }
	var got []who
	for _, e := range a.Entries {
		got = append(got, who{e.Person, e.Reason})
	}
	want := []who{{auditSmith, "incident 01/123456/26"}, {auditJones, auditHyper},
		{"(erased)", "patrol check"}, {auditSmith, "suspect vehicle"}}
	if !slices.Equal(got, want) || !slices.Equal(seqs(a.Entries), []uint64{0, 2, 4, 11}) {
		t.Fatalf("got %v seqs %v, want %v", got, seqs(a.Entries), want)
	}
	if a.Truncated || a.Scanned != 12 || a.LogSize != 12 {
		t.Fatalf("truncated %v scanned %d log_size %d", a.Truncated, a.Scanned, a.LogSize)
	}
	e := a.Entries[0]
	want0 := auditEntryJSON{Seq: 0, Time: "2026-06-02T09:00:00Z", TimeLocal: "2026-06-02T10:00:00+01:00",
		Action: "footage.playback", Actor: r.pseu[auditSmith], Person: auditSmith, Role: "operator",
		Camera: "cam001", From: "2026-06-01T20:30:00Z", To: "2026-06-01T21:00:00Z",
		FromLocal: "2026-06-01T21:30:00+01:00", ToLocal: "2026-06-01T22:00:00+01:00",
		Reason: "incident 01/123456/26"}
	if e != want0 {
		t.Fatalf("entry 0:\n got %+v\nwant %+v", e, want0)
	}
	if a.Entries[2].Actor != r.pseu[auditPatel] {
		t.Fatalf("the erased person's entry lost its pseudonym: %+v", a.Entries[2])
	}
}

func TestAuditFilters(t *testing.T) {
	r := newAuditRig(t)
	smith, patel := r.pseu[auditSmith], r.pseu[auditPatel]
	for _, tc := range []struct {
		name string
		q    url.Values
		want []uint64
	}{
		{"everything", url.Values{}, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"user", url.Values{"user": {auditSmith}}, []uint64{0, 3, 7, 8, 11}},
		{"user with spaces", url.Values{"user": {"  " + auditSmith + " "}}, []uint64{0, 3, 7, 8, 11}},
		{"user and camera", url.Values{"user": {auditSmith}, "camera": {"cam002"}}, []uint64{3}},
		{"unknown user", url.Values{"user": {"PC 999 Nobody"}}, nil},
		{"erased user", url.Values{"user": {auditPatel}}, nil},
		{"user and another actor", url.Values{"user": {auditSmith}, "actor": {patel}}, nil},
		{"user and their actor", url.Values{"user": {auditSmith}, "actor": {smith}}, []uint64{0, 3, 7, 8, 11}},
		{"erased actor", url.Values{"actor": {patel}}, []uint64{4, 10}},
		{"system actor", url.Values{"actor": {evidence.ActorRecorder}}, []uint64{1}},
		{"action exact", url.Values{"action": {"footage.snapshot"}}, []uint64{2, 10, 11}},
		{"action prefix", url.Values{"action": {"footage."}}, []uint64{0, 2, 3, 4, 5, 6, 8, 10, 11}},
		{"action list", url.Values{"action": {"segment., export.requested"}}, []uint64{1, 7, 9}},
		{"action without the dot is exact", url.Values{"action": {"footage"}}, nil},
		{"written from (inclusive) to (exclusive)",
			url.Values{"from": {"2026-06-02T09:30:00Z"}, "to": {"2026-06-02T10:20:00Z"}}, []uint64{3, 4, 5, 6, 7}},
		{"written from, in BST",
			url.Values{"from": {"2026-06-02T11:30:00+01:00"}}, []uint64{9, 10, 11}},
		{"written to", url.Values{"to": {"2026-06-02T09:10:00.000001Z"}}, []uint64{0, 1}},
		{"footage from only", url.Values{"footage_from": {"2026-06-01T21:30:00Z"}}, []uint64{5, 7, 11}},
		{"footage to only", url.Values{"footage_to": {"2026-06-01T12:00:00Z"}}, nil},
		{"footage to just after", url.Values{"footage_to": {"2026-06-01T12:00:01Z"}}, []uint64{9, 10}},
		{"camera", url.Values{"camera": {"cam002"}}, []uint64{3, 9, 10}},
		{"camera unknown", url.Values{"camera": {"cam0"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.list(t, tc.q)
			if got := seqs(a.Entries); !slices.Equal(got, tc.want) || a.Truncated || a.LogSize != 12 {
				t.Fatalf("%s: seqs %v truncated %v log_size %d, want %v", tc.q.Encode(), got, a.Truncated, a.LogSize, tc.want)
			}
		})
	}
}

func TestAuditPeopleAndFields(t *testing.T) {
	r := newAuditRig(t)
	a := r.list(t, url.Values{})
	for _, e := range a.Entries {
		var want string
		switch e.Actor {
		case r.pseu[auditSmith]:
			want = auditSmith
		case r.pseu[auditJones]:
			want = auditJones
		case r.pseu[auditPatel]:
			want = "(erased)"
		}
		if e.Person != want {
			t.Errorf("entry %d by %s: person %q, want %q", e.Seq, e.Actor, e.Person, want)
		}
	}
	live, deleted := a.Entries[6], a.Entries[9]
	if live.From != "" || live.To != "" || live.FromLocal != "" || live.ToLocal != "" || live.ObjectSHA256 != "" {
		t.Errorf("live view without a range or object: %+v", live)
	}
	hash := sha256.Sum256([]byte("segment"))
	if deleted.ObjectSHA256 != hex.EncodeToString(hash[:]) || deleted.Detail != "retention 31 days" {
		t.Errorf("segment.deleted: %+v", deleted)
	}
	// Omitted, not empty strings or zero times, in the JSON itself.
	raw := r.get(t, url.Values{"action": {"footage.live_view"}}).Body.String()
	for _, key := range []string{`"from"`, `"to"`, `"from_local"`, `"object_sha256"`, `0001-01-01`} {
		if strings.Contains(raw, key) {
			t.Errorf("live view entry has %s: %s", key, raw)
		}
	}
}

func TestAuditLimitTruncates(t *testing.T) {
	r := newAuditRig(t)
	a := r.list(t, url.Values{"limit": {"2"}})
	if !slices.Equal(seqs(a.Entries), []uint64{0, 1}) || !a.Truncated || a.LogSize != 12 || a.Scanned >= 12 {
		t.Fatalf("limit 2: seqs %v truncated %v scanned %d", seqs(a.Entries), a.Truncated, a.Scanned)
	}
	a = r.list(t, url.Values{"limit": {"2"}, "action": {"footage.snapshot"}})
	if !slices.Equal(seqs(a.Entries), []uint64{2, 10}) || !a.Truncated {
		t.Fatalf("limit 2 of 3 snapshots: seqs %v truncated %v", seqs(a.Entries), a.Truncated)
	}
	// Exactly as many as match: not truncated.
	a = r.list(t, url.Values{"limit": {"3"}, "action": {"footage.snapshot"}})
	if !slices.Equal(seqs(a.Entries), []uint64{2, 10, 11}) || a.Truncated || a.Scanned != 12 {
		t.Fatalf("limit 3 of 3 snapshots: seqs %v truncated %v scanned %d", seqs(a.Entries), a.Truncated, a.Scanned)
	}
	a = r.list(t, url.Values{"limit": {"100000"}})
	if len(a.Entries) != 12 || a.Truncated {
		t.Fatalf("limit 100000: %d entries, truncated %v", len(a.Entries), a.Truncated)
	}
}

func TestAuditCSV(t *testing.T) {
	r := newAuditRig(t)
	q := dpoQuestion()
	want := r.list(t, q)
	q.Set("format", "csv")
	rec := r.get(t, q)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	cd := rec.Header().Get("Content-Disposition")
	if !regexp.MustCompile(`^attachment; filename="vigil-audit-\d{8}T\d{6}Z\.csv"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("%v in %s", err, rec.Body)
	}
	if len(rows) != 1+len(want.Entries) {
		t.Fatalf("%d rows, want a header and %d: %q", len(rows), len(want.Entries), rows)
	}
	header := []string{"seq", "time", "time_local", "action", "actor", "person", "role", "camera",
		"from", "to", "from_local", "to_local", "reason", "ref", "detail", "object_sha256"}
	if !slices.Equal(rows[0], header) {
		t.Fatalf("header %q", rows[0])
	}
	for i, e := range want.Entries {
		row := rows[1+i]
		wantRow := []string{strconv.FormatUint(e.Seq, 10), e.Time, e.TimeLocal, e.Action, e.Actor, e.Person,
			e.Role, e.Camera, e.From, e.To, e.FromLocal, e.ToLocal, e.Reason, e.Ref, e.Detail, e.ObjectSHA256}
		if e.Reason == auditHyper {
			wantRow[12] = "'" + auditHyper // defused: a spreadsheet shows it as text
		}
		if !slices.Equal(row, wantRow) {
			t.Errorf("row %d:\n got %q\nwant %q", i, row, wantRow)
		}
	}
	if rows[2][5] != auditJones || rows[2][12] != "'"+auditHyper {
		t.Errorf("the formula was not defused: %q", rows[2])
	}

	// Every dangerous first character, and an empty answer is just the header.
	rec = r.get(t, url.Values{"format": {"csv"}, "actor": {r.pseu[auditPatel]}, "camera": {"cam002"}})
	rows, err = csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][12] != "'-1+1" || rows[1][5] != "(erased)" {
		t.Fatalf("%v %q", err, rows)
	}
	for _, s := range []string{"=1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"} {
		if got := csvSafe(s); got != "'"+s {
			t.Errorf("csvSafe(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"", "ok", "1-2", " =1", "'x"} {
		if got := csvSafe(s); got != s {
			t.Errorf("csvSafe(%q) = %q", s, got)
		}
	}
	rec = r.get(t, url.Values{"format": {"csv"}, "user": {"PC 999 Nobody"}})
	rows, err = csv.NewReader(rec.Body).ReadAll()
	if rec.Code != http.StatusOK || err != nil || len(rows) != 1 || !slices.Equal(rows[0], header) {
		t.Fatalf("empty CSV: %d %v %q", rec.Code, err, rows)
	}
}

func TestAuditBadParameters(t *testing.T) {
	r := newAuditRig(t)
	for _, tc := range []struct {
		query, param string
	}{
		{"from=yesterday", "from"},
		{"to=2026-06-02", "to"},
		{"footage_from=2026-06-01T20:00", "footage_from"},
		{"footage_to=20:00", "footage_to"},
		{"from=2026-06-02T10:00:00Z&to=2026-06-02T09:00:00Z", "to"},
		{"footage_from=2026-06-01T22:00:00Z&footage_to=2026-06-01T22:00:00Z", "footage_to"},
		{"limit=0", "limit"},
		{"limit=-5", "limit"},
		{"limit=100001", "limit"},
		{"limit=ten", "limit"},
		{"format=xml", "format"},
		{"format=CSV", "format"},
		{"usr=" + url.QueryEscape(auditSmith), `"usr"`},
		{"camera=cam001&cameras=cam002", `"cameras"`},
		{"camera=", "camera"},
		{"user=++", "user"},
		{"camera=cam001&camera=cam002", "camera"},
		{"action=footage.,,auth.", "action"},
		{"camera=%zz", "query"},
	} {
		rec := httptest.NewRecorder()
		r.api.list(rec, httptest.NewRequest(http.MethodGet, "/api/v1/audit?"+tc.query, nil))
		var body apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", tc.query, rec.Code, rec.Body)
			continue
		}
		if !strings.HasPrefix(body.Error, tc.param) {
			t.Errorf("%s: error %q does not name %s", tc.query, body.Error, tc.param)
		}
	}
}

// cancelLog is a long log whose reader goes away during the scan.
type cancelLog struct {
	cancel  context.CancelFunc
	calls   int
	stopped bool
}

func (l *cancelLog) Size() int64 { return 1000 }

func (l *cancelLog) Scan(from, to int64, fn func(e evidence.Entry, raw []byte) bool) error {
	for seq := from; seq < to; seq++ {
		l.calls++
		if l.calls == 3 {
			l.cancel() // the client goes before the third entry is looked at
		}
		e := evidence.Entry{Seq: uint64(seq), Time: time.Now(), Action: evidence.ActionPlayback,
			Actor: evidence.ActorRecorder, Camera: "cam002"}
		if !fn(e, nil) {
			l.stopped = true
			return nil
		}
	}
	return nil
}

func TestAuditStopsWhenTheClientGoes(t *testing.T) {
	r := newAuditRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &cancelLog{cancel: cancel}
	api := &auditAPI{log: l, people: r.st, logger: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/audit?camera=cam001", nil)
	api.list(rec, req)
	if !l.stopped || l.calls != 3 {
		t.Fatalf("scan went on after cancellation: %d calls, stopped %v", l.calls, l.stopped)
	}
}
