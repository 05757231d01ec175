package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// Cameras is what the API needs of the camera registry. Writes take effect
// on ingest at once: only the camera written is restarted.
type Cameras interface {
	List(ctx context.Context) ([]store.Camera, error)
	Get(ctx context.Context, id string) (store.Camera, error)
	Create(ctx context.Context, c *store.Camera) error
	Update(ctx context.Context, c *store.Camera) error
	Delete(ctx context.Context, id string) error
	Status(id string) (ingest.CameraStatus, bool)
	Outages(ctx context.Context, id string, from, to time.Time) ([]ingest.Outage, error)
}

// ErrManaged is returned by a Cameras implementation when the camera is
// declared in the config file and cannot be changed through the API.
var ErrManaged = errors.New("camera is managed by the config file; change it there")

type cameraAPI struct {
	cameras Cameras
	recs    Recordings // nil when recording is off
	snaps   Snapshots  // nil when recording is off
	player  Player     // nil when recording is off
	audit   Audit      // the evidence log
	// places says where a camera stood when (mobile cameras move); may be nil.
	places interface {
		CameraLocations(ctx context.Context, camera string, from, to time.Time) ([]store.CameraLocation, error)
	}
	gate   *gate
	logger *slog.Logger
	onvif  ONVIF // may be nil
}

func (a *cameraAPI) routes(rt *router) {
	rt.handle("GET /api/v1/cameras", allow(auth.CamerasRead), a.list)
	rt.handle("POST /api/v1/cameras", allow(auth.CamerasManage), a.create)
	rt.handle("GET /api/v1/cameras/{id}", onCamera(allow(auth.CamerasRead)), a.get)
	rt.handle("PUT /api/v1/cameras/{id}", onCamera(allow(auth.CamerasManage)), a.replace)
	rt.handle("PATCH /api/v1/cameras/{id}", onCamera(allow(auth.CamerasManage)), a.patch)
	rt.handle("DELETE /api/v1/cameras/{id}", onCamera(allow(auth.CamerasManage)), a.delete)
	rt.handle("GET /api/v1/cameras/{id}/outages", onCamera(allow(auth.HealthRead)), a.outages)
	// Police see the recordings index, snapshots and playback of their
	// grants only; operators and supervisors of the cameras in scope.
	rt.handle("GET /api/v1/cameras/{id}/recordings", onCamera(allow(auth.HealthRead, auth.FootageGranted)), a.recordings)
	rt.handle("GET /api/v1/cameras/{id}/snapshot", onCamera(allow(auth.FootageView, auth.FootageGranted)), a.snapshot)
	rt.handle("GET /api/v1/cameras/{id}/playback", onCamera(allow(auth.FootageView, auth.FootageGranted)), a.playback)
}

// cameraJSON is a camera as the API shows it: never its credentials.
type cameraJSON struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Site           string                `json:"site"`
	Ward           string                `json:"ward"`
	Latitude       *float64              `json:"latitude"`
	Longitude      *float64              `json:"longitude"`
	Kind           string                `json:"kind"`
	MainURL        string                `json:"main_url"`
	SubURL         string                `json:"sub_url"`
	HasCredentials bool                  `json:"has_credentials"`
	RetentionDays  int                   `json:"retention_days"`
	Enabled        bool                  `json:"enabled"`
	ManagedBy      string                `json:"managed_by"`
	CreatedAt      time.Time             `json:"created_at"`
	UpdatedAt      time.Time             `json:"updated_at"`
	Status         ingest.State          `json:"status"`
	Streams        []ingest.StreamStatus `json:"streams"`
	ONVIFURL       string                `json:"onvif_url,omitempty"`
	PTZProfile     string                `json:"ptz_profile,omitempty"`
	// PTZ says the wall may steer it (issue 11).
	PTZ bool `json:"ptz"`
}

func (a *cameraAPI) view(c store.Camera) cameraJSON {
	v := cameraJSON{
		ID: c.ID, Name: c.Name, Site: c.Site, Ward: c.Ward, Latitude: c.Latitude, Longitude: c.Longitude,
		Kind: c.Kind, MainURL: c.MainURL, SubURL: c.SubURL, HasCredentials: c.Username != "",
		RetentionDays: c.RetentionDays, Enabled: c.Enabled, ManagedBy: c.ManagedBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Status: ingest.StateDisabled,
		Streams: []ingest.StreamStatus{}, ONVIFURL: c.ONVIFURL, PTZProfile: c.PTZProfile, PTZ: c.PTZProfile != "",
	}
	if st, ok := a.cameras.Status(c.ID); ok && len(st.Streams) > 0 {
		v.Streams = st.Streams
	}
	v.Status = headline(a.cameras, c.ID)
	return v
}

// headline is a camera's status in a word: its main stream's (disabled
// when it has none running).
func headline(cams Cameras, id string) ingest.State {
	st, ok := cams.Status(id)
	if !ok || len(st.Streams) == 0 {
		return ingest.StateDisabled
	}
	state := st.Streams[0].State
	for _, s := range st.Streams {
		if s.Stream == ingest.StreamMain {
			state = s.State
		}
	}
	return state
}

// cameraInput is a camera as a client writes it. Absent fields keep their
// value on PATCH and take their default on POST and PUT; credentials are
// kept unless given, since the API never returns them.
type cameraInput struct {
	ID            *string  `json:"id"`
	Name          *string  `json:"name"`
	Site          *string  `json:"site"`
	Ward          *string  `json:"ward"`
	Latitude      *float64 `json:"latitude"`
	Longitude     *float64 `json:"longitude"`
	Kind          *string  `json:"kind"`
	MainURL       *string  `json:"main_url"`
	SubURL        *string  `json:"sub_url"`
	Username      *string  `json:"username"`
	Password      *string  `json:"password"`
	RetentionDays *int     `json:"retention_days"`
	Enabled       *bool    `json:"enabled"`
	ONVIFURL      *string  `json:"onvif_url"`
	PTZProfile    *string  `json:"ptz_profile"`
}

func (in *cameraInput) applyTo(c *store.Camera) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, in.Name)
	set(&c.Site, in.Site)
	set(&c.Ward, in.Ward)
	set(&c.Kind, in.Kind)
	set(&c.MainURL, in.MainURL)
	set(&c.SubURL, in.SubURL)
	set(&c.Username, in.Username)
	set(&c.Password, in.Password)
	set(&c.ONVIFURL, in.ONVIFURL)
	set(&c.PTZProfile, in.PTZProfile)
	if in.Latitude != nil {
		c.Latitude = in.Latitude
	}
	if in.Longitude != nil {
		c.Longitude = in.Longitude
	}
	if in.RetentionDays != nil {
		c.RetentionDays = *in.RetentionDays
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
}

func (a *cameraAPI) list(w http.ResponseWriter, r *http.Request) {
	cams, err := a.cameras.List(r.Context())
	if err != nil {
		a.internal(w, err)
		return
	}
	p := who(r)
	out := []cameraJSON{}
	for _, c := range cams {
		if p.allows(c) {
			out = append(out, a.view(c))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cameras": out})
}

func (a *cameraAPI) get(w http.ResponseWriter, r *http.Request) {
	c, err := a.cameras.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a.view(c))
}

func (a *cameraAPI) create(w http.ResponseWriter, r *http.Request) {
	var in cameraInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	c := store.Camera{Enabled: true, ManagedBy: store.ManagedByAPI}
	if in.ID != nil {
		c.ID = *in.ID
	}
	in.applyTo(&c)
	if !a.check(w, &c) {
		return
	}
	if err := a.cameras.Create(r.Context(), &c); err != nil {
		a.fail(w, err)
		return
	}
	a.logChange(r, c.ID, "camera created")
	w.Header().Set("Location", "/api/v1/cameras/"+c.ID)
	writeJSON(w, http.StatusCreated, a.view(c))
}

func (a *cameraAPI) replace(w http.ResponseWriter, r *http.Request) {
	a.write(w, r, func(old store.Camera) store.Camera {
		return store.Camera{ID: old.ID, Enabled: true, Username: old.Username, Password: old.Password}
	})
}

func (a *cameraAPI) patch(w http.ResponseWriter, r *http.Request) {
	a.write(w, r, func(old store.Camera) store.Camera { return old })
}

// write updates a camera starting from base(old) and the request body.
func (a *cameraAPI) write(w http.ResponseWriter, r *http.Request, base func(store.Camera) store.Camera) {
	id := r.PathValue("id")
	var in cameraInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if in.ID != nil && *in.ID != id {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("id: %q in the body differs from %q in the path; a camera's id cannot change", *in.ID, id), nil)
		return
	}
	old, err := a.cameras.Get(r.Context(), id)
	if err != nil {
		a.fail(w, err)
		return
	}
	c := base(old)
	c.ManagedBy = old.ManagedBy
	in.applyTo(&c)
	if !a.check(w, &c) {
		return
	}
	if err := a.cameras.Update(r.Context(), &c); err != nil {
		a.fail(w, err)
		return
	}
	a.logChange(r, c.ID, "camera updated")
	writeJSON(w, http.StatusOK, a.view(c))
}

func (a *cameraAPI) check(w http.ResponseWriter, c *store.Camera) bool {
	c.Normalize()
	if err := c.Validate(); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid camera: "+err.Error(), err)
		return false
	}
	return true
}

func (a *cameraAPI) delete(w http.ResponseWriter, r *http.Request) {
	if err := a.cameras.Delete(r.Context(), r.PathValue("id")); err != nil {
		a.fail(w, err)
		return
	}
	a.logChange(r, r.PathValue("id"), "camera deleted")
	w.WriteHeader(http.StatusNoContent)
}

func (a *cameraAPI) outages(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := a.cameras.Get(r.Context(), id); err != nil {
		a.fail(w, err)
		return
	}
	from, to, err := timeRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	list, err := a.cameras.Outages(r.Context(), id, from, to)
	if err != nil {
		a.internal(w, err)
		return
	}
	if list == nil {
		list = []ingest.Outage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"camera": id, "outages": list})
}

// timeRange reads optional RFC 3339 from/to query parameters.
func timeRange(r *http.Request) (from, to time.Time, err error) {
	parse := func(name string) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time (e.g. 2026-03-29T01:30:00Z)", name, v)
		}
		return t, nil
	}
	if from, err = parse("from"); err != nil {
		return
	}
	if to, err = parse("to"); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		err = fmt.Errorf("to (%s) must be after from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return
}

func (a *cameraAPI) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error(), nil)
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, err.Error(), nil)
	case errors.Is(err, ErrManaged):
		writeError(w, http.StatusConflict, err.Error(), nil)
	default:
		a.internal(w, err)
	}
}

func (a *cameraAPI) internal(w http.ResponseWriter, err error) {
	a.logger.Error("api request failed", "error", err)
	writeError(w, http.StatusInternalServerError, "internal error; see the service log", nil)
}

// logChange records a configuration change in the evidence log. The change
// is already applied: a log failure is reported, not undone.
func (a *cameraAPI) logChange(r *http.Request, camera, what string) {
	p := who(r)
	_, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionConfigChanged, Actor: p.actor, Role: string(p.role),
		Camera: camera, Ref: "camera/" + camera, Detail: what + " from " + r.RemoteAddr})
	if err != nil {
		a.logger.Error("evidence log cannot record a configuration change", "camera", camera, "change", what, "error", err)
	}
}
