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
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// PlateStore keeps number-plate reads and the watch-list (*store.Store).
type PlateStore interface {
	PlateReads(ctx context.Context, q store.PlateQuery) ([]store.PlateRead, error)
	PlateRead(ctx context.Context, id int64) (store.PlateRead, error)
	PlateReadImage(ctx context.Context, id int64, which string) (camera string, jpeg []byte, err error)
	Watches(ctx context.Context, at time.Time) ([]store.Watch, error)
	Watch(ctx context.Context, id int64) (store.Watch, error)
	AddWatch(ctx context.Context, w *store.Watch) error
	UpdateWatch(ctx context.Context, w store.Watch) error
	DeleteWatch(ctx context.Context, id int64) (store.Watch, error)
}

type anprAPI struct {
	plates PlateStore
	audit  Audit
	gate   *gate
	logger *slog.Logger
	now    func() time.Time
	// changed is told when the watch-list changes (the matcher reloads).
	changed func()
}

func (s *Server) anprRoutes(rt *router) {
	a := &anprAPI{plates: s.Plates, audit: s.Audit, gate: rt.gate, logger: s.Logger, now: rt.gate.now, changed: s.WatchlistChanged}
	rt.handle("GET /api/v1/anpr/reads", allow(auth.PlatesSearch), a.search)
	rt.handle("GET /api/v1/anpr/reads/{read}/{picture}", allow(auth.PlatesSearch), a.picture)
	rt.handle("GET /api/v1/anpr/watchlist", allow(auth.PlatesSearch), a.watchlist)
	rt.handle("POST /api/v1/anpr/watchlist", allow(auth.WatchlistManage), a.addWatch)
	rt.handle("PUT /api/v1/anpr/watchlist/{watch}", allow(auth.WatchlistManage), a.updateWatch)
	rt.handle("DELETE /api/v1/anpr/watchlist/{watch}", allow(auth.WatchlistManage), a.deleteWatch)
}

type plateReadJSON struct {
	ID         int64     `json:"id"`
	Camera     string    `json:"camera"`
	At         time.Time `json:"at"`
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
	Plate      string    `json:"plate"`
	Text       string    `json:"text"`
	Format     string    `json:"format"`
	Confidence float32   `json:"confidence"`
	CharConf   []float32 `json:"char_confidence"`
	Direction  string    `json:"direction"`
	Frames     int       `json:"frames"`
	Box        [4]int    `json:"box"`
	Crop       *string   `json:"crop"`
	Thumbnail  *string   `json:"thumbnail"`
	Distance   *float64  `json:"distance,omitempty"`
}

func viewPlateRead(r store.PlateRead, fuzzy bool) plateReadJSON {
	v := plateReadJSON{ID: r.ID, Camera: r.Camera, At: r.At, First: r.First, Last: r.Last, Plate: r.Plate, Text: r.Text,
		Format: r.Format, Confidence: r.Confidence, CharConf: r.CharConf, Direction: r.Direction, Frames: r.Frames, Box: r.Box}
	if r.Crop != nil {
		u := fmt.Sprintf("/api/v1/anpr/reads/%d/crop", r.ID)
		v.Crop = &u
	}
	if r.Thumbnail != nil {
		u := fmt.Sprintf("/api/v1/anpr/reads/%d/thumbnail", r.ID)
		v.Thumbnail = &u
	}
	if fuzzy {
		d := r.Distance
		v.Distance = &d
	}
	return v
}

// maxPlateSearchSpan is the longest window one search covers: reads are
// kept 90 days by default.
const maxPlateSearchSpan = 366 * 24 * time.Hour

// search answers reads, newest first (a fuzzy search nearest first):
// ?plate= with ?mode=exact|wildcard|fuzzy (&distance= for fuzzy), ?camera=
// (repeatable), ?from=/?to= (default the last 24 h), ?limit=. A search is
// a consultation of personal data: ?reason= is required and the search is
// logged, with what was asked and how many reads it found, before the
// answer is sent.
func (a *anprAPI) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f fields
	query := store.PlateQuery{Plate: strings.TrimSpace(q.Get("plate")), Mode: q.Get("mode")}
	if v := q.Get("distance"); v != "" {
		d, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f.bad("distance", "%q is not a number", v)
		}
		query.MaxDistance = d
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			f.bad("limit", "%q must be a number from 1 to 1000", v)
		}
		query.Limit = n
	}
	query.To = f.time("to", q.Get("to"), false)
	query.From = f.time("from", q.Get("from"), false)
	if query.To.IsZero() {
		query.To = a.now()
	}
	if query.From.IsZero() {
		query.From = query.To.Add(-24 * time.Hour)
	}
	if query.To.Sub(query.From) > maxPlateSearchSpan {
		f.bad("from", "at most a year before to")
	}
	var fe store.FieldErrors
	if err := query.Validate(); errors.As(err, &fe) {
		f.es = append(f.es, fe...)
	}
	if !f.ok(w) {
		return
	}
	reason, ref, ok := accessReason(w, r)
	if !ok {
		return
	}
	p := who(r)
	cams := q["camera"]
	for _, c := range cams {
		if !a.gate.inScope(w, r, c) {
			return
		}
	}
	if len(cams) == 0 {
		var err error
		if cams, err = visibleCameras(r.Context(), a.gate, p); err != nil {
			failStore(w, a.logger, err, "")
			return
		}
	}
	query.Cameras = cams
	reads, err := a.plates.PlateReads(r.Context(), query)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	camera := ""
	if len(q["camera"]) == 1 {
		camera = q["camera"][0]
	}
	mode := query.Mode
	if mode == "" {
		mode = store.PlateExact
	}
	where := "every camera in scope"
	if len(q["camera"]) > 0 {
		where = "cameras " + strings.Join(q["camera"], ",")
	}
	detail := fmt.Sprintf("plate %q (%s) on %s: %d reads", ukplate.Normalize(query.Plate), mode, where, len(reads))
	if query.Plate == "" {
		detail = fmt.Sprintf("every plate on %s: %d reads", where, len(reads))
	}
	if _, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionPlateSearch, Actor: p.actor,
		Role: string(p.role), Camera: camera, From: query.From, To: query.To, Reason: reason, Ref: ref,
		Detail: clip(detail, 500)}); err != nil {
		a.logger.Error("evidence log cannot record a plate search; refused", "error", err)
		writeError(w, http.StatusServiceUnavailable, "the evidence log cannot record this search, so no reads are shown; try again shortly", nil)
		return
	}
	out := make([]plateReadJSON, 0, len(reads))
	for _, rd := range reads {
		out = append(out, viewPlateRead(rd, mode == store.PlateFuzzy))
	}
	writeJSON(w, http.StatusOK, map[string]any{"reads": out, "from": query.From, "to": query.To})
}

// picture answers a read's plate crop or vehicle thumbnail. It is footage:
// the camera must be in scope, and the view is logged before a byte is
// sent (?reason= optional: the default is the search the read came from).
func (a *anprAPI) picture(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "read", "a plate read")
	if !ok {
		return
	}
	which := r.PathValue("picture")
	if which != "crop" && which != "thumbnail" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("picture: %q must be crop or thumbnail", which), nil)
		return
	}
	rd, err := a.plates.PlateRead(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	if !a.gate.inScope(w, r, rd.Camera) {
		return
	}
	reason, ok := reasonOr(w, r, fmt.Sprintf("reviewing plate read %d", id))
	if !ok {
		return
	}
	_, jpeg, err := a.plates.PlateReadImage(r.Context(), id, which)
	if err != nil {
		failStore(w, a.logger, err, fmt.Sprintf("plate read %d has no %s", id, which))
		return
	}
	serveLoggedJPEG(w, r, a.audit, a.logger, evidence.Entry{Action: evidence.ActionPlateImage,
		Camera: rd.Camera, From: rd.First, To: rd.Last, Reason: reason, Ref: fmt.Sprintf("plate-read/%d", id),
		Detail: which + " of " + rd.Plate + " to " + r.RemoteAddr}, jpeg)
}
