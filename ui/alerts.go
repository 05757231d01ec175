package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// AlertService raises, lists and acknowledges alerts (*alerts.Service).
type AlertService interface {
	List(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	Get(ctx context.Context, id int64) (store.Alert, error)
	Thumbnail(ctx context.Context, id int64) (camera string, jpeg []byte, err error)
	Ack(ctx context.Context, id int64, by, note string) (store.Alert, error)
	Subscribe() (<-chan alerts.Message, func())
}

type alertAPI struct {
	alerts AlertService
	audit  Audit
	gate   *gate
	logger *slog.Logger
}

func (s *Server) alertRoutes(rt *router) {
	a := &alertAPI{alerts: s.Alerts, audit: s.Audit, gate: rt.gate, logger: s.Logger}
	rt.handle("GET /api/v1/alerts", allow(auth.AlertsAck), a.list)
	rt.handle("GET /api/v1/alerts/stream", allow(auth.AlertsAck), a.stream)
	rt.handle("POST /api/v1/alerts/{alert}/ack", allow(auth.AlertsAck), a.ack)
	rt.handle("GET /api/v1/alerts/{alert}/thumbnail", allow(auth.FootageView), a.thumbnail)
}

type alertJSON struct {
	ID        int64      `json:"id"`
	At        time.Time  `json:"at"`
	Camera    string     `json:"camera"`
	Kind      string     `json:"kind"`
	Rule      string     `json:"rule"`
	Severity  string     `json:"severity"`
	Message   string     `json:"message"`
	EventID   *int64     `json:"event_id"`
	Thumbnail *string    `json:"thumbnail"`
	Acked     *time.Time `json:"acked"`
	AckedBy   string     `json:"acked_by"`
	AckNote   string     `json:"ack_note"`
	// Plate and ReadID: an ANPR alert's plate and the read behind it.
	Plate  string `json:"plate,omitempty"`
	ReadID *int64 `json:"read_id,omitempty"`
}

func viewAlert(a store.Alert) alertJSON {
	v := alertJSON{ID: a.ID, At: a.At, Camera: a.Camera, Kind: a.Kind, Rule: a.Rule, Severity: a.Severity,
		Message: a.Message, Acked: opt(a.Acked), AckedBy: a.AckedBy, AckNote: a.AckNote, Plate: a.Plate}
	if a.ReadID != 0 {
		v.ReadID = &a.ReadID
	}
	if a.EventID != 0 {
		v.EventID = &a.EventID
	}
	if a.Thumbnail != nil { // the store marks one without its bytes
		u := fmt.Sprintf("/api/v1/alerts/%d/thumbnail", a.ID)
		v.Thumbnail = &u
	}
	return v
}

// list answers the newest alerts on the cameras the caller may see:
// ?unacked=1 only those still to acknowledge, ?limit= (1-1000, default 100).
func (a *alertAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f fields
	filter := store.AlertFilter{}
	switch v := q.Get("unacked"); v {
	case "", "0", "false":
	case "1", "true":
		filter.Unacked = true
	default:
		f.bad("unacked", "%q must be 1 or 0", v)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			f.bad("limit", "%q must be a number from 1 to 1000", v)
		}
		filter.Limit = n
	}
	if !f.ok(w) {
		return
	}
	cams, err := visibleCameras(r.Context(), a.gate, who(r))
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	filter.Cameras = cams
	list, err := a.alerts.List(r.Context(), filter)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	out := make([]alertJSON, 0, len(list))
	for _, al := range list {
		out = append(out, viewAlert(al))
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

// visibleCameras is nil for someone who sees every camera (so alerts and
// reads of removed cameras show too), else the cameras in their scope.
func visibleCameras(ctx context.Context, g *gate, p *principal) ([]string, error) {
	if p.scope.All() && !p.viaGrant {
		return nil, nil
	}
	all, err := g.cameras.List(ctx)
	if err != nil {
		return nil, err
	}
	cams := []string{}
	for _, c := range all {
		if p.allows(c) {
			cams = append(cams, c.ID)
		}
	}
	return cams, nil
}

// ack acknowledges an alert with a note of what was done; 409 if someone
// already did. The store is written first, then the evidence log (as for
// holds: an entry cannot be taken back).
func (a *alertAPI) ack(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "alert", "an alert")
	if !ok {
		return
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var f fields
	note := strings.TrimSpace(in.Note)
	if n := utf8.RuneCountInString(note); n == 0 || n > store.MaxAckNote {
		f.bad("note", "say what was done about the alert (1-%d characters)", store.MaxAckNote)
	}
	if !f.ok(w) {
		return
	}
	before, err := a.alerts.Get(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	if !a.gate.inScope(w, r, before.Camera) {
		return
	}
	p := who(r)
	al, err := a.alerts.Ack(r.Context(), id, p.user.Username, note)
	if err != nil {
		failStore(w, a.logger, err, "", store.ErrAlreadyAcked)
		return
	}
	if _, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionAlertAcked, Actor: p.actor,
		Role: string(p.role), Camera: al.Camera, From: al.At, To: al.At, Reason: note, Ref: fmt.Sprintf("alert/%d", al.ID),
		Detail: clip(al.Kind+" "+al.Rule+" ("+al.Severity+")", 500)}); err != nil {
		a.logger.Error("alert acknowledged but not recorded in the evidence log", "alert", al.ID, "error", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf(
			"alert %d was acknowledged, but the evidence log could not record it: the evidence log is down; see the service log", al.ID), nil)
		return
	}
	writeJSON(w, http.StatusOK, viewAlert(al))
}

// thumbnail answers an alert's picture. It is footage: the camera must be
// in scope, and the view is logged before a byte is sent. ?reason= is
// optional (default: responding to the alert), since the alert panel
// shows it unasked.
func (a *alertAPI) thumbnail(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "alert", "an alert")
	if !ok {
		return
	}
	al, err := a.alerts.Get(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	if !a.gate.inScope(w, r, al.Camera) {
		return
	}
	reason, ok := reasonOr(w, r, fmt.Sprintf("responding to alert %d", id))
	if !ok {
		return
	}
	_, jpeg, err := a.alerts.Thumbnail(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, fmt.Sprintf("alert %d has no thumbnail", id))
		return
	}
	serveLoggedJPEG(w, r, a.audit, a.logger, evidence.Entry{Action: evidence.ActionEventThumbnail,
		Camera: al.Camera, From: al.At, To: al.At, Reason: reason, Ref: fmt.Sprintf("alert/%d", id)}, jpeg)
}
