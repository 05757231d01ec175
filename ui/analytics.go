package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// AnalyticsStore is the store of analytics settings, events, activity and
// alert rules (*store.Store).
type AnalyticsStore interface {
	CameraAnalytics(ctx context.Context, camera string) (store.CameraAnalytics, error)
	PutCameraAnalytics(ctx context.Context, a store.CameraAnalytics) error
	Events(ctx context.Context, f store.EventFilter) ([]store.Event, error)
	Event(ctx context.Context, id int64) (store.Event, error)
	EventThumbnail(ctx context.Context, id int64) (camera string, jpeg []byte, err error)
	Activity(ctx context.Context, f store.ActivityFilter) ([]store.Activity, error)
	// AlertCounts feeds the nuisance-vehicle rule hits into the hotspot scores.
	AlertCounts(ctx context.Context, f store.AlertCountFilter) ([]store.AlertCount, error)
	AlertRules
}

// AnalyticsReloader is told when a camera's analytics settings change.
type AnalyticsReloader interface {
	Reload(ctx context.Context, camera string) error
}

type analyticsAPI struct {
	store  AnalyticsStore
	engine AnalyticsReloader // may be nil
	audit  Audit
	gate   *gate
	logger *slog.Logger
}

func (s *Server) analyticsRoutes(rt *router) {
	a := &analyticsAPI{store: s.Analytics, engine: s.AnalyticsEngine, audit: s.Audit, gate: rt.gate, logger: s.Logger}
	// Police see the settings (privacy masks to draw over their playback)
	// and events of the cameras of their grants.
	seeCamera := onCamera(allow(auth.CamerasRead, auth.FootageView, auth.FootageGranted))
	rt.handle("GET /api/v1/cameras/{id}/analytics", seeCamera, a.get)
	rt.handle("PUT /api/v1/cameras/{id}/analytics", onCamera(allow(auth.CamerasManage)), a.put)
	rt.handle("GET /api/v1/cameras/{id}/events", seeCamera, a.events)
	rt.handle("GET /api/v1/cameras/{id}/events/{event}/thumbnail", onCamera(allow(auth.FootageView, auth.FootageGranted)), a.thumbnail)
	(&hotspotAPI{store: s.Analytics, gate: rt.gate, logger: s.Logger}).routes(rt)
	(&alertRuleAPI{rules: s.Analytics, settings: s.Analytics, audit: s.Audit, gate: rt.gate, logger: s.Logger}).routes(rt)
}

// analyticsJSON is a camera's analytics settings as the API shows them.
type analyticsJSON struct {
	Camera      string          `json:"camera"`
	Enabled     bool            `json:"enabled"`
	Sensitivity int             `json:"sensitivity"`
	MinArea     float64         `json:"min_area"`
	Zones       []zones.Zone    `json:"zones"`
	Exclusions  []zones.Polygon `json:"exclusions"`
	Privacy     []zones.Polygon `json:"privacy"`
	Updated     *time.Time      `json:"updated"`
	UpdatedBy   string          `json:"updated_by"`
}

func viewAnalytics(a store.CameraAnalytics) analyticsJSON {
	return analyticsJSON{Camera: a.Camera, Enabled: a.Enabled, Sensitivity: a.Sensitivity, MinArea: a.MinArea,
		Zones: orEmpty(a.Zones), Exclusions: orEmpty(a.Exclusions), Privacy: orEmpty(a.Privacy),
		Updated: opt(a.Updated), UpdatedBy: a.UpdatedBy}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// analyticsInput is the PUT body. Absent settings take their defaults;
// camera, updated and updated_by may be sent back as read (a GET, edited,
// PUT again) and are not taken from the body.
type analyticsInput struct {
	Enabled     *bool           `json:"enabled"`
	Sensitivity *int            `json:"sensitivity"`
	MinArea     *float64        `json:"min_area"`
	Zones       []zones.Zone    `json:"zones"`
	Exclusions  []zones.Polygon `json:"exclusions"`
	Privacy     []zones.Polygon `json:"privacy"`
	Camera      *string         `json:"camera"`
	Updated     any             `json:"updated"`
	UpdatedBy   any             `json:"updated_by"`
}

// settings are the input as a camera's settings, or what is wrong with the
// camera named in the body.
func (in *analyticsInput) settings(camera string) (store.CameraAnalytics, error) {
	if in.Camera != nil && *in.Camera != camera {
		return store.CameraAnalytics{}, store.FieldErrors{{Field: "camera", Msg: fmt.Sprintf("%q is not camera %s of the path", *in.Camera, camera)}}
	}
	a := store.CameraAnalytics{Camera: camera, Enabled: true, Sensitivity: store.DefaultSensitivity, MinArea: store.DefaultMinArea,
		Zones: orEmpty(in.Zones), Exclusions: orEmpty(in.Exclusions), Privacy: orEmpty(in.Privacy)}
	if in.Enabled != nil {
		a.Enabled = *in.Enabled
	}
	if in.Sensitivity != nil {
		a.Sensitivity = *in.Sensitivity
	}
	if in.MinArea != nil {
		a.MinArea = *in.MinArea
	}
	return a, nil
}

// knownCamera answers 404 for a camera that does not exist (the gate lets
// those through only to whoever sees every camera).
func (a *analyticsAPI) knownCamera(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if _, err := a.gate.cameras.Get(r.Context(), id); err != nil {
		failStore(w, a.logger, err, "")
		return "", false
	}
	return id, true
}

func (a *analyticsAPI) get(w http.ResponseWriter, r *http.Request) {
	id, ok := a.knownCamera(w, r)
	if !ok {
		return
	}
	settings, err := a.store.CameraAnalytics(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	writeJSON(w, http.StatusOK, viewAnalytics(settings))
}

// put replaces a camera's settings, logs the change (and a privacy mask
// change on its own, for the data-protection officer), then tells the
// analytics engine.
func (a *analyticsAPI) put(w http.ResponseWriter, r *http.Request) {
	id, ok := a.knownCamera(w, r)
	if !ok {
		return
	}
	var in analyticsInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	settings, err := in.settings(id)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid analytics settings: "+err.Error(), err)
		return
	}
	before, err := a.store.CameraAnalytics(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	p := who(r)
	settings.Updated, settings.UpdatedBy = a.gate.now().UTC(), p.name()
	if err := a.store.PutCameraAnalytics(r.Context(), settings); err != nil {
		if fe := (store.FieldErrors)(nil); errors.As(err, &fe) {
			writeError(w, http.StatusBadRequest, "invalid analytics settings: "+fe.Error(), fe)
			return
		}
		failStore(w, a.logger, err, "")
		return
	}
	a.record(r, &evidence.Entry{Action: evidence.ActionAnalyticsChanged, Camera: id, Ref: "camera/" + id + "/analytics",
		Detail: clip(fmt.Sprintf("enabled %t, sensitivity %d, min area %g, %d zones (%s), %d exclusions, %d privacy masks",
			settings.Enabled, settings.Sensitivity, settings.MinArea, len(settings.Zones), zoneNames(settings.Zones),
			len(settings.Exclusions), len(settings.Privacy)), 500)})
	if was, now := masksJSON(before.Privacy), masksJSON(settings.Privacy); !bytes.Equal(was, now) {
		wasSum, nowSum := sha256.Sum256(was), sha256.Sum256(now)
		a.record(r, &evidence.Entry{Action: evidence.ActionMaskChanged, Camera: id, Ref: "camera/" + id + "/analytics",
			ObjectSHA256: nowSum, ObjectBytes: int64(len(now)),
			Detail: fmt.Sprintf("%d privacy masks (was %d, sha256 %s); now sha256 %s", len(settings.Privacy), len(before.Privacy),
				hex.EncodeToString(wasSum[:]), hex.EncodeToString(nowSum[:]))})
	}
	if a.engine != nil {
		if err := a.engine.Reload(r.Context(), id); err != nil {
			a.logger.Error("analytics settings saved but the engine did not reload them", "camera", id, "error", err)
		}
	}
	saved, err := a.store.CameraAnalytics(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	writeJSON(w, http.StatusOK, viewAnalytics(saved))
}

// record appends a change to the evidence log. The change is made: a log
// failure is reported in the service log, not undone.
func (a *analyticsAPI) record(r *http.Request, e *evidence.Entry) {
	p := who(r)
	e.Actor, e.Role = p.actor, string(p.role)
	e.Detail = clip(e.Detail+" from "+r.RemoteAddr, 500)
	if _, err := a.audit.Append(r.Context(), e); err != nil {
		a.logger.Error("evidence log cannot record an analytics change", "camera", e.Camera, "action", e.Action, "error", err)
	}
}

func zoneNames(zs []zones.Zone) string {
	names := make([]string, len(zs))
	for i, z := range zs {
		names[i] = z.Name
	}
	return strings.Join(names, ", ")
}

// masksJSON is the canonical form of a camera's privacy masks, hashed in
// the evidence log.
func masksJSON(ps []zones.Polygon) []byte {
	b, _ := json.Marshal(orEmpty(ps)) // cannot fail: numbers only
	return b
}

// eventJSON is an analytics event as the API shows it.
type eventJSON struct {
	ID        int64      `json:"id"`
	Camera    string     `json:"camera"`
	Kind      string     `json:"kind"`
	Zone      string     `json:"zone"`
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end"`
	Peak      float64    `json:"peak"`
	Objects   int        `json:"objects"`
	Detail    string     `json:"detail"`
	Thumbnail *string    `json:"thumbnail"`
}

func viewEvent(e store.Event) eventJSON {
	v := eventJSON{ID: e.ID, Camera: e.Camera, Kind: e.Kind, Zone: e.Zone, Start: e.Start, End: opt(e.End),
		Peak: e.Peak, Objects: e.Objects, Detail: e.Detail}
	if e.Thumbnail != nil { // the store marks one without its bytes
		u := fmt.Sprintf("/api/v1/cameras/%s/events/%d/thumbnail", e.Camera, e.ID)
		v.Thumbnail = &u
	}
	return v
}

// events lists a camera's events over ?from= to ?to= (default the last
// 24 h), ?kind= motion, tamper or one tamper.* kind. Police see the events
// that start inside their grants.
func (a *analyticsAPI) events(w http.ResponseWriter, r *http.Request) {
	id, ok := a.knownCamera(w, r)
	if !ok {
		return
	}
	filter, errs := eventQuery(r.URL.Query(), id, a.gate.now())
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, "invalid query: "+errs.Error(), errs)
		return
	}
	list, err := a.store.Events(r.Context(), filter)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	p := who(r)
	out := make([]eventJSON, 0, len(list))
	for _, e := range list {
		if p.covers(id, e.Start, e.Start) {
			out = append(out, viewEvent(e))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
}

// thumbnail answers an event's picture. It is footage: logged before a
// byte is sent, and for police only inside a grant (as snapshots).
// ?reason= is optional (default: reviewing the event), since the timeline
// shows it on a click in playback, which has its own reason.
func (a *analyticsAPI) thumbnail(w http.ResponseWriter, r *http.Request) {
	camera := r.PathValue("id")
	id, ok := pathID(w, r, "event", "an event")
	if !ok {
		return
	}
	e, err := a.store.Event(r.Context(), id)
	if err == nil && e.Camera != camera {
		err = fmt.Errorf("event %d of camera %s: %w", id, camera, store.ErrNotFound)
	}
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	reason, ok := reasonOr(w, r, fmt.Sprintf("reviewing analytics event %d", id))
	if !ok {
		return
	}
	if !a.gate.footageAllowed(w, r, camera, e.Start, e.Start) {
		return
	}
	_, jpeg, err := a.store.EventThumbnail(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, fmt.Sprintf("event %d has no thumbnail", id))
		return
	}
	serveLoggedJPEG(w, r, a.audit, a.logger, evidence.Entry{Action: evidence.ActionEventThumbnail,
		Camera: camera, From: e.Start, To: e.Start, Reason: reason, Ref: fmt.Sprintf("event/%d", id)}, jpeg)
}
