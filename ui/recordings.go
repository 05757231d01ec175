package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
	_ "time/tzdata" // Europe/London even where the system has no zoneinfo

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Recordings is what the API needs of the recording index.
type Recordings interface {
	Segments(ctx context.Context, camera string, from, to time.Time) ([]store.Segment, error)
	Gaps(ctx context.Context, camera string, from, to time.Time) ([]store.Gap, error)
}

// recordedCamera checks, for the footage endpoints, that recording is on
// and the camera exists, answering the error itself when not.
func (a *cameraAPI) recordedCamera(w http.ResponseWriter, r *http.Request, recording bool) (string, bool) {
	id := r.PathValue("id")
	if !recording {
		writeError(w, http.StatusNotFound, "recording is switched off on this server", nil)
		return "", false
	}
	if _, err := a.cameras.Get(r.Context(), id); err != nil {
		a.fail(w, err)
		return "", false
	}
	return id, true
}

// Snapshots renders a recorded picture; implemented by the recorder.
type Snapshots interface {
	Snapshot(ctx context.Context, camera string, at time.Time, maxWidth int) ([]byte, time.Time, error)
}

// snapshot answers a JPEG of the camera's picture at (the keyframe at or
// before) ?at=, for the timeline; ?width= bounds its width (default 320).
func (a *cameraAPI) snapshot(w http.ResponseWriter, r *http.Request) {
	id, ok := a.recordedCamera(w, r, a.snaps != nil)
	if !ok {
		return
	}
	raw := r.URL.Query().Get("at")
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("at: %q is not an RFC 3339 time (e.g. 2026-03-29T01:30:00Z)", raw), nil)
		return
	}
	width := 320
	if v := r.URL.Query().Get("width"); v != "" {
		if width, err = strconv.Atoi(v); err != nil || width < 32 || width > 3840 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("width: %q must be a number from 32 to 3840", v), nil)
			return
		}
	}
	if a.gate.nodes != nil && a.gate.forward(w, r, a.gate.nodes.FootageNode(r.Context(), id, at)) {
		return // the footage is on another node's disk: it logs and answers
	}
	// A thumbnail is footage too: logged, with why.
	reason, ref, ok := accessReason(w, r)
	if !ok || !a.gate.footageAllowed(w, r, id, at, at) {
		return
	}
	p := who(r)
	if _, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionSnapshot, Actor: p.actor, Role: string(p.role),
		Camera: id, From: at, To: at, Reason: reason, Ref: ref, Detail: "to " + r.RemoteAddr}); err != nil {
		a.logger.Error("evidence log cannot record a snapshot; refused", "camera", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the evidence log cannot record this access, so no footage is served; try again shortly", nil)
		return
	}
	jpeg, frameAt, err := a.snaps.Snapshot(r.Context(), id, at, width)
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("X-Vigil-Frame-Time", frameAt.UTC().Format(time.RFC3339Nano))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(jpeg)
}

// The control room's time zone: times are stored and sent in UTC, and shown
// in local time alongside.
var london = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // embedded by time/tzdata: cannot happen
	}
	return loc
}

// maxListRange bounds one recordings listing.
const maxListRange = 35 * 24 * time.Hour

// spanJoin: segments closer than this are one span of footage.
const spanJoin = time.Second

type spanJSON struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	StartLocal string    `json:"start_local"`
	EndLocal   string    `json:"end_local"`
	Segments   int       `json:"segments"`
	Bytes      int64     `json:"bytes"`
}

type gapJSON struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	StartLocal string    `json:"start_local"`
	EndLocal   string    `json:"end_local"`
	Reason     string    `json:"reason"`
}

func local(t time.Time) string { return t.In(london).Format(time.RFC3339) }

// recordings lists the footage spans and gaps of a camera in a time range
// (default: the last 24 hours).
func (a *cameraAPI) recordings(w http.ResponseWriter, r *http.Request) {
	id, ok := a.recordedCamera(w, r, a.recs != nil)
	if !ok {
		return
	}
	if a.elsewhere(w, r, id) {
		return
	}
	from, to, err := timeRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if to.IsZero() {
		to = a.gate.now().UTC()
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !to.After(from) || to.Sub(from) > maxListRange {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the range must be positive and at most %v", maxListRange), nil)
		return
	}
	if !a.gate.footageAllowed(w, r, id, from, to) {
		return
	}
	segs, err := a.recs.Segments(r.Context(), id, from, to)
	if err != nil {
		a.internal(w, err)
		return
	}
	gaps, err := a.recs.Gaps(r.Context(), id, from, to)
	if err != nil {
		a.internal(w, err)
		return
	}
	spans := []spanJSON{}
	for _, s := range segs {
		if n := len(spans); n > 0 && s.Start.Sub(spans[n-1].End) <= spanJoin {
			spans[n-1].End = s.End
			spans[n-1].Segments++
			spans[n-1].Bytes += s.Bytes
			continue
		}
		spans = append(spans, spanJSON{Start: s.Start, End: s.End, Segments: 1, Bytes: s.Bytes})
	}
	for i := range spans {
		spans[i].StartLocal, spans[i].EndLocal = local(spans[i].Start), local(spans[i].End)
	}
	gapList := make([]gapJSON, len(gaps))
	for i, g := range gaps {
		gapList[i] = gapJSON{Start: g.Start, End: g.End, StartLocal: local(g.Start), EndLocal: local(g.End), Reason: g.Reason}
	}
	// Where the camera stood over the range: footage is shown with the
	// place it was taken at, not the camera's place today.
	places := []locationJSON{}
	if a.places != nil {
		ls, err := a.places.CameraLocations(r.Context(), id, from, to)
		if err != nil {
			a.internal(w, err)
			return
		}
		for _, l := range ls {
			places = append(places, viewLocation(l))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"camera": id, "from": from.UTC(), "to": to.UTC(), "timezone": london.String(),
		"spans": spans, "gaps": gapList, "locations": places,
	})
}
