package ui

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// AuditLog reads the evidence log (*locker.Log).
type AuditLog interface {
	Size() int64
	Scan(from, to int64, fn func(e evidence.Entry, raw []byte) bool) error
}

// AuditPeople resolves pseudonyms to names and back (*store.Store).
type AuditPeople interface {
	Person(ctx context.Context, pseudonym string) (name string, salt []byte, err error)
	PseudonymOf(ctx context.Context, name string) (string, error)
}

// auditAPI answers a data-protection officer's "who looked at camera X
// between T1 and T2, and why" from the evidence log. Authentication and the
// role check (supervisors and admins only) are the router's job.
type auditAPI struct {
	log    AuditLog
	people AuditPeople
	logger *slog.Logger
}

const (
	auditDefaultLimit = 1000
	auditMaxLimit     = 100000
	// auditErased is the person shown for a pseudonym whose name was erased.
	auditErased = "(erased)"
)

// auditParams are the query parameters list accepts; any other is an error,
// so that a typo never silently widens the answer.
var auditParams = []string{"user", "actor", "camera", "action", "from", "to",
	"footage_from", "footage_to", "limit", "format"}

// auditColumns are the fields of an entry, in the JSON and CSV order.
var auditColumns = []string{"seq", "time", "time_local", "action", "actor", "person", "role",
	"camera", "from", "to", "from_local", "to_local", "reason", "ref", "detail", "object_sha256"}

// auditFilter selects entries; every set field must match (AND).
type auditFilter struct {
	actors       []string // user's pseudonym and/or actor: all must equal the entry's
	camera       *string
	actions      []string // exact, or a prefix when ending in "."
	from, to     time.Time
	footageFrom  time.Time
	footageTo    time.Time
	footageGiven bool
	limit        int
	csv          bool
	none         bool // nothing can match (a user with no pseudonym)
}

func (f *auditFilter) match(e *evidence.Entry) bool {
	for _, a := range f.actors {
		if e.Actor != a {
			return false
		}
	}
	if f.camera != nil && e.Camera != *f.camera {
		return false
	}
	if len(f.actions) > 0 && !slices.ContainsFunc(f.actions, func(a string) bool {
		if strings.HasSuffix(a, ".") {
			return strings.HasPrefix(string(e.Action), a)
		}
		return string(e.Action) == a
	}) {
		return false
	}
	if !f.from.IsZero() && e.Time.Before(f.from) {
		return false
	}
	if !f.to.IsZero() && !e.Time.Before(f.to) {
		return false
	}
	if f.footageGiven {
		// The entry's footage [From, To] overlaps [footage_from, footage_to).
		if e.From.IsZero() || e.To.IsZero() {
			return false
		}
		if !f.footageFrom.IsZero() && e.To.Before(f.footageFrom) {
			return false
		}
		if !f.footageTo.IsZero() && !e.From.Before(f.footageTo) {
			return false
		}
	}
	return true
}

// auditParamError is a 400 naming the parameter at fault.
type auditParamError struct{ param, msg string }

func (e *auditParamError) Error() string { return e.param + ": " + e.msg }

func badParam(param, format string, args ...any) error {
	return &auditParamError{param: param, msg: fmt.Sprintf(format, args...)}
}

// parseAuditQuery checks the query strictly: unknown, repeated and empty
// parameters are errors.
func (a *auditAPI) parseAuditQuery(ctx context.Context, rawQuery string) (*auditFilter, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, badParam("query", "malformed: %v", err)
	}
	var unknown []string
	for k := range q {
		if !slices.Contains(auditParams, k) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, badParam(strings.Join(unknown, ", "), "unknown query parameter (known: %s)",
			strings.Join(auditParams, ", "))
	}
	for _, k := range auditParams {
		switch vs := q[k]; {
		case len(vs) > 1:
			return nil, badParam(k, "given %d times; give it once", len(vs))
		case len(vs) == 1 && strings.TrimSpace(vs[0]) == "":
			return nil, badParam(k, "empty; leave it out to not filter on it")
		}
	}

	f := &auditFilter{limit: auditDefaultLimit}
	var errs []error
	parseTime := func(param string) time.Time {
		v := q.Get(param)
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, badParam(param, "%q is not an RFC 3339 time such as 2026-03-01T09:00:00Z", v))
			return time.Time{}
		}
		if t.IsZero() {
			errs = append(errs, badParam(param, "%q is the zero time", v))
		}
		return t
	}
	f.from, f.to = parseTime("from"), parseTime("to")
	if !f.from.IsZero() && !f.to.IsZero() && !f.from.Before(f.to) {
		errs = append(errs, badParam("to", "must be after from"))
	}
	f.footageFrom, f.footageTo = parseTime("footage_from"), parseTime("footage_to")
	f.footageGiven = q.Has("footage_from") || q.Has("footage_to")
	if !f.footageFrom.IsZero() && !f.footageTo.IsZero() && !f.footageFrom.Before(f.footageTo) {
		errs = append(errs, badParam("footage_to", "must be after footage_from"))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditMaxLimit {
			errs = append(errs, badParam("limit", "%q is not a whole number from 1 to %d", v, auditMaxLimit))
		}
		f.limit = n
	}
	switch v := q.Get("format"); v {
	case "", "json":
	case "csv":
		f.csv = true
	default:
		errs = append(errs, badParam("format", "%q is not json or csv", v))
	}
	if v := q.Get("action"); v != "" {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" || item == "." {
				errs = append(errs, badParam("action", "%q has an empty item", v))
				break
			}
			f.actions = append(f.actions, item)
		}
	}
	if q.Has("camera") {
		c := q.Get("camera")
		f.camera = &c
	}
	if q.Has("actor") {
		f.actors = append(f.actors, q.Get("actor"))
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}
	if q.Has("user") {
		p, err := a.people.PseudonymOf(ctx, q.Get("user"))
		switch {
		case errors.Is(err, store.ErrNotFound):
			f.none = true // nobody of that name (or erased): no entries
		case err != nil:
			return nil, fmt.Errorf("looking up user: %w", err)
		default:
			f.actors = append(f.actors, p)
		}
	}
	return f, nil
}

// auditEntryJSON is an entry as the API shows it: times in UTC and in
// Europe/London, the person's name beside the pseudonym.
type auditEntryJSON struct {
	Seq          uint64 `json:"seq"`
	Time         string `json:"time"`
	TimeLocal    string `json:"time_local"`
	Action       string `json:"action"`
	Actor        string `json:"actor"`
	Person       string `json:"person"`
	Role         string `json:"role"`
	Camera       string `json:"camera"`
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
	FromLocal    string `json:"from_local,omitempty"`
	ToLocal      string `json:"to_local,omitempty"`
	Reason       string `json:"reason"`
	Ref          string `json:"ref"`
	Detail       string `json:"detail"`
	ObjectSHA256 string `json:"object_sha256,omitempty"`
}

func (j *auditEntryJSON) row() []string {
	return []string{strconv.FormatUint(j.Seq, 10), j.Time, j.TimeLocal, j.Action, j.Actor,
		j.Person, j.Role, j.Camera, j.From, j.To, j.FromLocal, j.ToLocal, j.Reason, j.Ref,
		j.Detail, j.ObjectSHA256}
}

func auditUTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func auditLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return local(t)
}

func toAuditJSON(e *evidence.Entry, person string) auditEntryJSON {
	j := auditEntryJSON{
		Seq: e.Seq, Time: auditUTC(e.Time), TimeLocal: auditLocal(e.Time),
		Action: string(e.Action), Actor: e.Actor, Person: person, Role: e.Role, Camera: e.Camera,
		From: auditUTC(e.From), To: auditUTC(e.To), FromLocal: auditLocal(e.From), ToLocal: auditLocal(e.To),
		Reason: e.Reason, Ref: e.Ref, Detail: e.Detail,
	}
	if e.HasObject() {
		j.ObjectSHA256 = hex.EncodeToString(e.ObjectSHA256[:])
	}
	return j
}

// csvSafe defuses a cell a spreadsheet would read as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// auditWriter streams the answer, starting it at the first entry (or the
// end) so that an error before then can still be a clean 500.
type auditWriter struct {
	w       http.ResponseWriter
	csv     *csv.Writer
	isCSV   bool
	started bool
	n       int
	err     error // the first write error: the client is gone
}

func (aw *auditWriter) start() {
	if aw.started {
		return
	}
	aw.started = true
	h := aw.w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if aw.isCSV {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="vigil-audit-%s.csv"`,
			time.Now().UTC().Format("20060102T150405Z")))
		aw.w.WriteHeader(http.StatusOK)
		aw.csv = csv.NewWriter(aw.w)
		aw.setErr(aw.csv.Write(auditColumns))
		return
	}
	h.Set("Content-Type", "application/json")
	aw.w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(aw.w, `{"entries":[`)
	aw.setErr(err)
}

func (aw *auditWriter) setErr(err error) {
	if aw.err == nil {
		aw.err = err
	}
}

func (aw *auditWriter) entry(j *auditEntryJSON) {
	aw.start()
	defer func() { aw.n++ }()
	if aw.isCSV {
		row := j.row()
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		aw.setErr(aw.csv.Write(row))
		return
	}
	b, err := json.Marshal(j)
	if err != nil {
		aw.setErr(err)
		return
	}
	if aw.n > 0 {
		b = append([]byte{','}, b...)
	}
	_, err = aw.w.Write(b)
	aw.setErr(err)
}

func (aw *auditWriter) finish(truncated bool, scanned, size int64) {
	aw.start()
	if aw.isCSV {
		aw.csv.Flush()
		aw.setErr(aw.csv.Error())
		return
	}
	_, err := fmt.Fprintf(aw.w, `],"truncated":%t,"scanned":%d,"log_size":%d}`+"\n", truncated, scanned, size)
	aw.setErr(err)
}

// list answers GET with the evidence-log entries matching the query, oldest
// first. Parameters (all optional, combined with AND):
//
//	user          a person's name (their pseudonym; an unknown name matches nothing)
//	actor         a pseudonym or system actor, exactly
//	camera        a camera id, exactly
//	action        a comma list; an item ending in "." is a prefix ("footage.")
//	from, to      RFC 3339: when the entry was written, [from, to)
//	footage_from,
//	footage_to    RFC 3339: entries whose footage [From, To] overlaps
//	              [footage_from, footage_to); entries without footage do not match
//	limit         at most this many entries (default 1000, at most 100000);
//	              "truncated" says more matched
//	format        json (default) or csv
//
// Entries stream as they match. If reading the log fails after the answer
// has started, the response is aborted, so that a partial answer cannot be
// taken for a whole one.
func (a *auditAPI) list(w http.ResponseWriter, r *http.Request) {
	logger := a.logger
	if logger == nil {
		logger = slog.Default()
	}
	ctx := r.Context()
	f, err := a.parseAuditQuery(ctx, r.URL.RawQuery)
	var pe *auditParamError
	switch {
	case errors.As(err, &pe):
		writeError(w, http.StatusBadRequest, pe.Error(), nil)
		return
	case err != nil:
		logger.Error("audit query", "error", err)
		writeError(w, http.StatusInternalServerError, "looking up the user failed", nil)
		return
	}

	size := a.log.Size()
	aw := &auditWriter{w: w, isCSV: f.csv}
	people := map[string]string{} // pseudonym → name, or auditErased
	var scanned int64
	truncated := false
	var failed error
	if !f.none {
		err = a.log.Scan(0, size, func(e evidence.Entry, _ []byte) bool {
			if ctx.Err() != nil || aw.err != nil {
				return false
			}
			scanned++
			if !f.match(&e) {
				return true
			}
			if aw.n >= f.limit {
				truncated = true
				return false
			}
			person, err := a.person(ctx, people, e.Actor)
			if err != nil {
				failed = err
				return false
			}
			j := toAuditJSON(&e, person)
			aw.entry(&j)
			return true
		})
		if failed == nil {
			failed = err
		}
	}
	switch {
	case ctx.Err() != nil:
		// The client is gone (or the server is stopping).
		if aw.started {
			panic(http.ErrAbortHandler)
		}
		return
	case failed != nil:
		logger.Error("audit query: reading the evidence log", "error", failed, "scanned", scanned)
		if aw.started {
			panic(http.ErrAbortHandler)
		}
		writeError(w, http.StatusInternalServerError, "reading the evidence log failed", nil)
		return
	}
	aw.finish(truncated, scanned, size)
	if aw.err != nil {
		logger.Warn("audit query: writing the answer", "error", aw.err)
		return
	}
	// The query itself, with pseudonyms but not the name asked about.
	q := r.URL.Query()
	logger.Info("audit query", "actors", f.actors, "user_given", q.Has("user"),
		"camera", q.Get("camera"), "action", q.Get("action"), "csv", f.csv,
		"entries", aw.n, "truncated", truncated, "scanned", scanned, "log_size", size)
}

// person is the name behind an actor: "" for system actors, auditErased for
// a pseudonym nobody is known by any more. Lookups are cached in names.
func (a *auditAPI) person(ctx context.Context, names map[string]string, actor string) (string, error) {
	if !strings.HasPrefix(actor, "person:") {
		return "", nil
	}
	if name, ok := names[actor]; ok {
		return name, nil
	}
	name, _, err := a.people.Person(ctx, actor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		name = auditErased
	case err != nil:
		return "", err
	}
	names[actor] = name
	return name, nil
}
