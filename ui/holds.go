package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// Holds is what the API needs of the legal holds (*store.Store). The store
// itself refuses to delete held footage; this API only places and lifts
// holds.
type Holds interface {
	AddHold(ctx context.Context, h *store.Hold) error
	Hold(ctx context.Context, id int64) (store.Hold, error)
	Holds(ctx context.Context, camera string, activeOnly bool) ([]store.Hold, error)
	ExtendHold(ctx context.Context, id int64, end, review time.Time, by string) (store.Hold, error)
	RequestRelease(ctx context.Context, id int64, by, reason string) (store.Hold, error)
	ConfirmRelease(ctx context.Context, id int64, by string) (store.Hold, error)
}

// Audit appends entries to the evidence log (*evidence.Log).
type Audit interface {
	Append(ctx context.Context, e *evidence.Entry) (uint64, error)
}

// People gives a person's evidence-log pseudonym, so that names stay out
// of the log, and the name behind one (*store.Store).
type People interface {
	Pseudonym(ctx context.Context, name string) (string, error)
	AuditPeople
}

// holdAPI serves /api/v1/holds. The person acting is the signed-in
// supervisor; the two-person rule compares usernames.
type holdAPI struct {
	holds   Holds
	audit   Audit
	people  People // pseudonyms for who asked for a hold
	cameras Cameras
	recs    Recordings // nil when recording is off
	gate    *gate
	logger  *slog.Logger
}

func (a *holdAPI) routes(rt *router) {
	rt.handle("POST /api/v1/holds", allow(auth.HoldsManage), a.place)
	rt.handle("GET /api/v1/holds", allow(auth.HoldsRead), a.list)
	rt.handle("GET /api/v1/holds/{id}", allow(auth.HoldsRead), a.get)
	rt.handle("POST /api/v1/holds/{id}/extend", allow(auth.HoldsManage), a.extend)
	rt.handle("POST /api/v1/holds/{id}/release-request", allow(auth.HoldsManage), a.requestRelease)
	rt.handle("POST /api/v1/holds/{id}/release", allow(auth.HoldsManage), a.release)
}

// holdJSON is a hold as the API shows it. Times are UTC, with the range
// also in London time.
type holdJSON struct {
	ID                 int64      `json:"id"`
	Camera             string     `json:"camera"`
	From               time.Time  `json:"from"`
	To                 time.Time  `json:"to"`
	FromLocal          string     `json:"from_local"`
	ToLocal            string     `json:"to_local"`
	Reason             string     `json:"reason"`
	RequestedBy        string     `json:"requested_by"`
	PlacedBy           string     `json:"placed_by"`
	PlacedAt           time.Time  `json:"placed_at"`
	ReviewAt           *time.Time `json:"review_at"` // null on holds placed before review dates
	Active             bool       `json:"active"`
	ExtendedBy         string     `json:"extended_by,omitempty"`
	ExtendedAt         *time.Time `json:"extended_at,omitempty"`
	ReleaseRequestedBy string     `json:"release_requested_by,omitempty"`
	ReleaseRequestedAt *time.Time `json:"release_requested_at,omitempty"`
	ReleaseReason      string     `json:"release_reason,omitempty"`
	ReleasedBy         string     `json:"released_by,omitempty"`
	ReleasedAt         *time.Time `json:"released_at,omitempty"`
	// EvidenceSeq is the log entry a change was recorded as.
	EvidenceSeq *uint64 `json:"evidence_seq,omitempty"`
}

func viewHold(h store.Hold) holdJSON {
	return holdJSON{
		ID: h.ID, Camera: h.Camera, From: h.Start, To: h.End, FromLocal: local(h.Start), ToLocal: local(h.End),
		Reason: h.Reason, RequestedBy: h.RequestedBy, PlacedBy: h.CreatedBy, PlacedAt: h.CreatedAt,
		ReviewAt: opt(h.ReviewAt), Active: h.Active(), ExtendedBy: h.ExtendedBy, ExtendedAt: opt(h.ExtendedAt),
		ReleaseRequestedBy: h.ReleaseRequestedBy, ReleaseRequestedAt: opt(h.ReleaseRequestedAt),
		ReleaseReason: h.ReleaseReason, ReleasedBy: h.ReleasedBy, ReleasedAt: opt(h.ReleasedAt),
	}
}

type placeInput struct {
	Camera      string `json:"camera"`
	From        string `json:"from"`
	To          string `json:"to"`
	Reason      string `json:"reason"`
	RequestedBy string `json:"requested_by"`
	ReviewAt    string `json:"review_at"`
}

type extendInput struct {
	To       string `json:"to"`
	ReviewAt string `json:"review_at"`
	Reason   string `json:"reason"`
}

type releaseRequestInput struct {
	Reason string `json:"reason"`
}

// fields collects request problems by field name.
type fields struct{ es store.FieldErrors }

func (f *fields) bad(field, format string, args ...any) {
	f.es = append(f.es, &store.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (f *fields) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		f.bad(field, "required")
	}
}

// time parses an RFC 3339 field; "" is the zero time unless required.
func (f *fields) time(field, v string, required bool) time.Time {
	if v == "" {
		if required {
			f.bad(field, "required")
		}
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		f.bad(field, "%q is not an RFC 3339 time (e.g. 2026-12-01T09:00:00Z)", v)
	}
	return t
}

// ok answers 422 with every problem found, if any.
func (f *fields) ok(w http.ResponseWriter) bool {
	if len(f.es) == 0 {
		return true
	}
	writeError(w, http.StatusUnprocessableEntity, "invalid request: "+f.es.Error(), f.es)
	return false
}

func (a *holdAPI) place(w http.ResponseWriter, r *http.Request) {
	var in placeInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var f fields
	f.required("camera", in.Camera)
	h := store.Hold{Camera: strings.TrimSpace(in.Camera), Reason: in.Reason, RequestedBy: in.RequestedBy, CreatedBy: who(r).user.Username}
	h.Start = f.time("from", in.From, true)
	h.End = f.time("to", in.To, true)
	h.ReviewAt = f.time("review_at", in.ReviewAt, true)
	f.required("reason", in.Reason)
	f.required("requested_by", in.RequestedBy)
	if !f.ok(w) || !a.knownCamera(w, r.Context(), &h) || !a.gate.inScope(w, r, h.Camera) {
		return
	}
	if err := a.holds.AddHold(r.Context(), &h); err != nil {
		a.fail(w, err)
		return
	}
	e := evidence.Entry{Action: evidence.ActionHoldPlaced, Reason: h.Reason}
	requester, err := a.people.Pseudonym(r.Context(), h.RequestedBy)
	if err == nil {
		e.Detail = fmt.Sprintf("requested by %s; review %s", requester, h.ReviewAt.Format(time.RFC3339))
	}
	a.logged(w, r, http.StatusCreated, h, &e, err)
}

func (a *holdAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	active := false
	if v := q.Get("active"); v != "" {
		var err error
		if active, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("active: %q must be true or false", v), nil)
			return
		}
	}
	list, err := a.holds.Holds(r.Context(), q.Get("camera"), active)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := []holdJSON{}
	for _, h := range list {
		if a.gate.visible(r, h.Camera) {
			out = append(out, viewHold(h))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"holds": out})
}

func (a *holdAPI) get(w http.ResponseWriter, r *http.Request) {
	id, ok := holdID(w, r)
	if !ok {
		return
	}
	h, ok := a.load(w, r, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, viewHold(h))
}

func (a *holdAPI) extend(w http.ResponseWriter, r *http.Request) {
	id, ok := holdID(w, r)
	if !ok {
		return
	}
	var in extendInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var f fields
	end := f.time("to", in.To, false)
	review := f.time("review_at", in.ReviewAt, false)
	f.required("reason", in.Reason)
	if len(in.Reason) > evidence.MaxFieldBytes {
		f.bad("reason", "longer than %d bytes", evidence.MaxFieldBytes)
	}
	if !f.ok(w) {
		return
	}
	before, ok := a.load(w, r, id)
	if !ok {
		return
	}
	h, err := a.holds.ExtendHold(r.Context(), id, end, review, who(r).user.Username)
	if err != nil {
		a.fail(w, err)
		return
	}
	e := evidence.Entry{Action: evidence.ActionHoldExtended, Reason: strings.TrimSpace(in.Reason),
		Detail: fmt.Sprintf("to %s (was %s); review %s (was %s)", h.End.Format(time.RFC3339), before.End.Format(time.RFC3339),
			stamp(h.ReviewAt), stamp(before.ReviewAt))}
	a.logged(w, r, http.StatusOK, h, &e, nil)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Format(time.RFC3339)
}

func (a *holdAPI) requestRelease(w http.ResponseWriter, r *http.Request) {
	id, ok := holdID(w, r)
	if !ok {
		return
	}
	var in releaseRequestInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if _, ok := a.load(w, r, id); !ok {
		return
	}
	h, err := a.holds.RequestRelease(r.Context(), id, who(r).user.Username, in.Reason)
	if err != nil {
		a.fail(w, err)
		return
	}
	e := evidence.Entry{Action: evidence.ActionHoldReleaseAsked, Reason: h.ReleaseReason}
	a.logged(w, r, http.StatusOK, h, &e, nil)
}

// release confirms a requested release: the signed-in supervisor must be
// someone other than the requester (409 otherwise). No body.
func (a *holdAPI) release(w http.ResponseWriter, r *http.Request) {
	id, ok := holdID(w, r)
	if !ok {
		return
	}
	if _, ok := a.load(w, r, id); !ok {
		return
	}
	h, err := a.holds.ConfirmRelease(r.Context(), id, who(r).user.Username)
	if err != nil {
		a.fail(w, err)
		return
	}
	// Both people are in the entry: the two-person rule is evidence too.
	e := evidence.Entry{Action: evidence.ActionHoldReleased, Reason: h.ReleaseReason}
	requester, err := a.people.Pseudonym(r.Context(), h.ReleaseRequestedBy)
	if err == nil {
		e.Detail = "release requested by " + requester
	}
	a.logged(w, r, http.StatusOK, h, &e, err)
}

// logged appends the entry for a hold change the store has made, then
// answers. The store is written first: the log is append-only, and an
// entry for a change that then failed could never be taken back, whereas
// a change without its entry is answered 500 and logged here for an
// operator to see. (A hold that exists but is unlogged still protects
// footage, the safe side.) The entry's time is the log's own clock.
func (a *holdAPI) logged(w http.ResponseWriter, r *http.Request, status int, h store.Hold, e *evidence.Entry, err error) {
	e.Camera, e.From, e.To = h.Camera, h.Start, h.End
	e.Ref = fmt.Sprintf("hold/%d", h.ID)
	p := who(r)
	e.Actor, e.Role = p.actor, string(p.role)
	var seq uint64
	if err == nil {
		seq, err = a.audit.Append(r.Context(), e)
	}
	if err != nil {
		a.logger.Error("hold changed but not recorded in the evidence log", "action", e.Action, "hold", h.ID, "error", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf(
			"%s of hold %d was saved, but the evidence log could not record it: the evidence log is down; see the service log",
			e.Action, h.ID), nil)
		return
	}
	v := viewHold(h)
	v.EvidenceSeq = &seq
	if status == http.StatusCreated {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/holds/%d", h.ID))
	}
	writeJSON(w, status, v)
}

// knownCamera checks a new hold's camera is in the registry or, once
// removed, still has footage in the range: a mistyped camera would
// otherwise hold nothing while everyone believes the footage is safe.
func (a *holdAPI) knownCamera(w http.ResponseWriter, ctx context.Context, h *store.Hold) bool {
	_, err := a.cameras.Get(ctx, h.Camera)
	if err == nil {
		return true
	}
	if !errors.Is(err, store.ErrNotFound) {
		a.fail(w, err)
		return false
	}
	if a.recs != nil {
		segs, err := a.recs.Segments(ctx, h.Camera, h.Start, h.End)
		if err != nil {
			a.fail(w, err)
			return false
		}
		if len(segs) > 0 {
			return true
		}
	}
	var f fields
	f.bad("camera", "%q is not a camera, and has no footage in the range", h.Camera)
	return f.ok(w)
}

// load reads a hold the caller may see: 404 if none, 403 if its camera
// is outside their scope.
func (a *holdAPI) load(w http.ResponseWriter, r *http.Request, id int64) (store.Hold, bool) {
	h, err := a.holds.Hold(r.Context(), id)
	if err != nil {
		a.fail(w, err)
		return store.Hold{}, false
	}
	return h, a.gate.inScope(w, r, h.Camera)
}

func holdID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("id: %q is not a hold id", raw), nil)
		return 0, false
	}
	return id, true
}

// fail answers a store error; the hold life cycle's refusals are conflicts.
func (a *holdAPI) fail(w http.ResponseWriter, err error) {
	failStore(w, a.logger, err, "", store.ErrSamePerson, store.ErrReleased, store.ErrReleasePending,
		store.ErrNoReleaseRequest, store.ErrHoldChanged)
}
