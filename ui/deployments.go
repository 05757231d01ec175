package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/tasking"
	"github.com/vigil-cctv/vigil/ingest/zones"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// Deployments is the BJAG deployment workflow (*tasking.Service) and the
// records it keeps (*store.Store).
type Deployments interface {
	Request(ctx context.Context, by tasking.Actor, r store.DeploymentRequest) (store.Deployment, error)
	Approve(ctx context.Context, by tasking.Actor, id int64, review time.Time, note string) (store.Deployment, error)
	Refuse(ctx context.Context, by tasking.Actor, id int64, reason string) (store.Deployment, error)
	Schedule(ctx context.Context, by tasking.Actor, id int64, camera string, install time.Time, reason string) (store.Deployment, error)
	Confirm(ctx context.Context, by tasking.Actor, id int64, in tasking.Install, reason string) (store.Deployment, error)
	Extend(ctx context.Context, by tasking.Actor, id int64, review time.Time, reason string) (store.Deployment, error)
	ScheduleRemoval(ctx context.Context, by tasking.Actor, id int64, removal time.Time, reason string) (store.Deployment, error)
	ConfirmRemoval(ctx context.Context, by tasking.Actor, id int64, reason string) (store.Deployment, error)
	Cancel(ctx context.Context, by tasking.Actor, id int64, reason string) (store.Deployment, error)
	ReviewFigures(ctx context.Context, d store.Deployment) (tasking.Figures, bool, error)
	Pack(ctx context.Context, month time.Time) (tasking.Pack, error)
	Due(d store.Deployment, now time.Time) bool
	Overdue(d store.Deployment, now time.Time) bool
	Bounds() tasking.Bounds
}

// DeploymentRecords reads deployments and camera places (*store.Store).
type DeploymentRecords interface {
	Deployment(ctx context.Context, id int64) (store.Deployment, error)
	Deployments(ctx context.Context, f store.DeploymentFilter) ([]store.Deployment, error)
	DeploymentEvents(ctx context.Context, id int64) ([]store.DeploymentEvent, error)
	CameraLocations(ctx context.Context, camera string, from, to time.Time) ([]store.CameraLocation, error)
}

type deploymentAPI struct {
	flow    Deployments
	records DeploymentRecords
	gate    *gate
	logger  *slog.Logger
}

func (s *Server) deploymentRoutes(rt *router) {
	a := &deploymentAPI{flow: s.Deployments, records: s.DeploymentRecords, gate: rt.gate, logger: s.Logger}
	read := allow(auth.DeploymentsRead)
	rt.handle("GET /api/v1/deployments", read, a.list)
	rt.handle("POST /api/v1/deployments", allow(auth.DeploymentsRW), a.request)
	rt.handle("GET /api/v1/deployments/{deployment}", read, a.get)
	for _, act := range deploymentActions {
		rt.handle("POST /api/v1/deployments/{deployment}/"+act.name, allow(act.may...), a.act(act))
	}
	rt.handle("GET /api/v1/fleet", read, a.fleet)
	rt.handle("GET /api/v1/bjag/pack", read, a.pack)
	rt.handle("GET /api/v1/cameras/{id}/locations", onCamera(allow(auth.CamerasRead)), a.locations)
}

// deploymentAction is one step of the life cycle: who may take it, the
// dates it needs, and what it does.
type deploymentAction struct {
	name  string
	may   []auth.Permission
	dates []string // fields of actionInput it needs, parsed into step.at
	run   func(a *deploymentAPI, c step) (store.Deployment, error)
}

// step is one call of an action.
type step struct {
	ctx context.Context
	by  tasking.Actor
	id  int64
	in  actionInput
	at  map[string]time.Time // the dates it needs, by field
}

// actionInput is every field any action reads; each names its own.
type actionInput struct {
	Reason      string `json:"reason"`
	ReviewDate  string `json:"review_date"`
	InstallDate string `json:"install_date"`
	RemovalDate string `json:"removal_date"`
	Camera      string `json:"camera"`
	// install
	Latitude  float64         `json:"latitude"`
	Longitude float64         `json:"longitude"`
	Name      string          `json:"name"`
	Address   string          `json:"address"`
	Site      string          `json:"site"`
	Ward      string          `json:"ward"`
	MainURL   string          `json:"main_url"`
	SubURL    string          `json:"sub_url"`
	Masks     []zones.Polygon `json:"privacy_masks"`
}

var (
	decide  = []auth.Permission{auth.DeploymentsApprove}
	install = []auth.Permission{auth.DeploymentsInstall}
)

var deploymentActions = []deploymentAction{
	{"approve", decide, []string{"review_date"}, func(a *deploymentAPI, c step) (store.Deployment, error) {
		return a.flow.Approve(c.ctx, c.by, c.id, c.at["review_date"], c.in.Reason)
	}},
	{"refuse", decide, nil, func(a *deploymentAPI, c step) (store.Deployment, error) {
		return a.flow.Refuse(c.ctx, c.by, c.id, c.in.Reason)
	}},
	{"schedule", decide, []string{"install_date"}, func(a *deploymentAPI, c step) (store.Deployment, error) {
		if strings.TrimSpace(c.in.Camera) == "" {
			return store.Deployment{}, store.FieldErrors{{Field: "camera", Msg: "required"}}
		}
		return a.flow.Schedule(c.ctx, c.by, c.id, strings.TrimSpace(c.in.Camera), c.at["install_date"], c.in.Reason)
	}},
	{"confirm-install", install, nil, func(a *deploymentAPI, c step) (store.Deployment, error) {
		in := c.in
		return a.flow.Confirm(c.ctx, c.by, c.id, tasking.Install{Latitude: in.Latitude, Longitude: in.Longitude, Name: in.Name,
			Address: in.Address, Site: in.Site, Ward: in.Ward, MainURL: in.MainURL, SubURL: in.SubURL, Masks: in.Masks}, in.Reason)
	}},
	{"extend", decide, []string{"review_date"}, func(a *deploymentAPI, c step) (store.Deployment, error) {
		return a.flow.Extend(c.ctx, c.by, c.id, c.at["review_date"], c.in.Reason)
	}},
	{"schedule-removal", decide, []string{"removal_date"}, func(a *deploymentAPI, c step) (store.Deployment, error) {
		return a.flow.ScheduleRemoval(c.ctx, c.by, c.id, c.at["removal_date"], c.in.Reason)
	}},
	{"confirm-removal", install, nil, func(a *deploymentAPI, c step) (store.Deployment, error) {
		return a.flow.ConfirmRemoval(c.ctx, c.by, c.id, c.in.Reason)
	}},
	{"cancel", []auth.Permission{auth.DeploymentsRW, auth.DeploymentsApprove}, nil, func(a *deploymentAPI, c step) (store.Deployment, error) {
		return a.flow.Cancel(c.ctx, c.by, c.id, c.in.Reason)
	}},
}

// actor is who is making the request, for the workflow.
func actor(r *http.Request) tasking.Actor {
	p := who(r)
	return tasking.Actor{Name: p.user.Username, Role: string(p.role), Log: p.actor}
}

func (a *deploymentAPI) act(act deploymentAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "deployment", "a deployment")
		if !ok {
			return
		}
		var in actionInput
		if err := decodeBody(w, r, &in); err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), nil)
			return
		}
		var f fields
		c := step{ctx: r.Context(), by: actor(r), id: id, in: in, at: map[string]time.Time{}}
		for _, field := range act.dates {
			c.at[field] = f.date(field, map[string]string{"review_date": in.ReviewDate, "install_date": in.InstallDate,
				"removal_date": in.RemovalDate}[field], true)
		}
		if !f.ok(w) {
			return
		}
		d, err := act.run(a, c)
		if err != nil {
			a.fail(w, err)
			return
		}
		a.answer(w, r, http.StatusOK, d, false)
	}
}

// fail answers a workflow error: bad fields 422, a wrong state or a busy
// camera 409, an unknown deployment or camera 404.
func (a *deploymentAPI) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, tasking.ErrNotMobile):
		writeError(w, http.StatusUnprocessableEntity, err.Error(), nil)
	case errors.Is(err, ErrManaged):
		writeError(w, http.StatusConflict, err.Error(), nil)
	default:
		failStore(w, a.logger, err, "", tasking.ErrTransition, store.ErrCameraBusy, store.ErrStale)
	}
}

// requestInput is a request as BJAG sends it: dates as London days
// (2026-12-01) or RFC 3339 times.
type requestInput struct {
	Latitude   float64            `json:"latitude"`
	Longitude  float64            `json:"longitude"`
	Ward       string             `json:"ward"`
	Address    string             `json:"address"`
	Problem    string             `json:"problem"`
	Incidents  []string           `json:"incidents"`
	WantedFrom string             `json:"wanted_from"`
	WantedTo   string             `json:"wanted_to"`
	Purpose    string             `json:"purpose"`
	LessIntr   string             `json:"less_intrusive"`
	Privacy    store.PrivacyCheck `json:"privacy"`
	Signage    bool               `json:"signage_confirmed"`
}

// request is the store's request, its dates parsed (problems in f).
func (in requestInput) request(f *fields) store.DeploymentRequest {
	return store.DeploymentRequest{Latitude: in.Latitude, Longitude: in.Longitude, Ward: in.Ward, Address: in.Address,
		Problem: in.Problem, Evidence: store.DeploymentEvidence{Incidents: in.Incidents},
		WantedFrom: f.date("wanted_from", in.WantedFrom, true), WantedTo: f.date("wanted_to", in.WantedTo, true),
		Purpose: in.Purpose, LessIntrusive: in.LessIntr, Privacy: in.Privacy, SignageConfirmed: in.Signage}
}

func (a *deploymentAPI) request(w http.ResponseWriter, r *http.Request) {
	var in requestInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var f fields
	req := in.request(&f)
	if !f.ok(w) {
		return
	}
	d, err := a.flow.Request(r.Context(), actor(r), req)
	if err != nil {
		a.fail(w, err)
		return
	}
	a.answer(w, r, http.StatusCreated, d, false)
}

// deploymentJSON is a deployment as the API shows it; events and figures
// only on the deployment's own page.
type deploymentJSON struct {
	ID          int64                   `json:"id"`
	State       string                  `json:"state"`
	Request     store.DeploymentRequest `json:"request"`
	RequestedBy string                  `json:"requested_by"`
	RequestedAt time.Time               `json:"requested_at"`
	DecidedBy   string                  `json:"decided_by,omitempty"`
	DecidedAt   *time.Time              `json:"decided_at,omitempty"`
	Decision    string                  `json:"decision,omitempty"`
	ReviewDate  *time.Time              `json:"review_date,omitempty"`
	// ReviewDue: the review date has come and no decision is made yet;
	// ReviewOverdue: for longer than the grace (an alert is raised).
	ReviewDue     bool                   `json:"review_due"`
	Camera        string                 `json:"camera,omitempty"`
	InstallDate   *time.Time             `json:"install_date,omitempty"`
	LiveAt        *time.Time             `json:"live_at,omitempty"`
	RemovalDate   *time.Time             `json:"removal_date,omitempty"`
	RemovedAt     *time.Time             `json:"removed_at,omitempty"`
	OverdueAlert  *time.Time             `json:"overdue_alerted_at,omitempty"`
	UpdatedAt     time.Time              `json:"updated_at"`
	Actions       []string               `json:"actions"` // what the caller may do now
	Events        []deploymentEventJSON  `json:"events,omitempty"`
	Figures       *tasking.Figures       `json:"figures,omitempty"`
	CameraHealth  *deploymentCameraState `json:"camera_status,omitempty"`
	ReviewOverdue bool                   `json:"review_overdue"`
}

type deploymentEventJSON struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	Detail string    `json:"detail"`
}

type deploymentCameraState struct {
	State string `json:"state"`
}

// nextActions are the actions each state allows, before permissions.
var nextActions = map[string][]string{
	store.DeploymentRequested:        {"approve", "refuse", "cancel"},
	store.DeploymentApproved:         {"schedule", "cancel"},
	store.DeploymentScheduled:        {"schedule", "confirm-install", "cancel"},
	store.DeploymentLive:             {"extend", "schedule-removal"},
	store.DeploymentUnderReview:      {"extend", "schedule-removal"},
	store.DeploymentRemovalScheduled: {"confirm-removal"},
}

func (a *deploymentAPI) view(r *http.Request, d store.Deployment) deploymentJSON {
	now := a.gate.now()
	out := deploymentJSON{ID: d.ID, State: d.State, Request: d.Request, RequestedBy: d.RequestedBy, RequestedAt: d.RequestedAt,
		DecidedBy: d.DecidedBy, DecidedAt: opt(d.DecidedAt), Decision: d.Decision, ReviewDate: opt(d.ReviewDate),
		Camera: d.Camera, InstallDate: opt(d.InstallDate), LiveAt: opt(d.LiveAt), RemovalDate: opt(d.RemovalDate),
		RemovedAt: opt(d.RemovedAt), OverdueAlert: opt(d.OverdueAlerted), UpdatedAt: d.UpdatedAt, Actions: []string{}}
	out.ReviewDue, out.ReviewOverdue = a.flow.Due(d, now), a.flow.Overdue(d, now)
	if out.Request.Evidence.Incidents == nil {
		out.Request.Evidence.Incidents = []string{}
	}
	p := who(r)
	for _, name := range nextActions[d.State] {
		for _, act := range deploymentActions {
			if act.name == name && p.mayAny(act.may...) {
				out.Actions = append(out.Actions, name)
			}
		}
	}
	return out
}

func (a *deploymentAPI) answer(w http.ResponseWriter, r *http.Request, status int, d store.Deployment, whole bool) {
	out := a.view(r, d)
	if whole {
		evs, err := a.records.DeploymentEvents(r.Context(), d.ID)
		if err != nil {
			failStore(w, a.logger, err, "")
			return
		}
		for _, e := range evs {
			out.Events = append(out.Events, deploymentEventJSON{At: e.At, From: e.From, To: e.To, Actor: e.Actor, Reason: e.Reason, Detail: e.Detail})
		}
		fig, ok, err := a.flow.ReviewFigures(r.Context(), d)
		if err != nil {
			failStore(w, a.logger, err, "")
			return
		}
		if ok {
			out.Figures = &fig
		}
		if d.Camera != "" {
			out.CameraHealth = &deploymentCameraState{State: string(headline(a.gate.cameras, d.Camera))}
		}
	}
	writeJSON(w, status, out)
}

// list answers deployments, newest first; ?state= (repeatable or a comma
// list) and ?camera= narrow it, ?due=1 keeps those whose review is due.
func (a *deploymentAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f store.DeploymentFilter
	for _, v := range q["state"] {
		for _, st := range strings.Split(v, ",") {
			if !slices.Contains(store.DeploymentStates, st) {
				writeError(w, http.StatusBadRequest, "state: "+st+" is not one of "+strings.Join(store.DeploymentStates, ", "), nil)
				return
			}
			f.States = append(f.States, st)
		}
	}
	f.Camera = q.Get("camera")
	ds, err := a.records.Deployments(r.Context(), f)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	out := make([]deploymentJSON, 0, len(ds))
	for _, d := range ds {
		v := a.view(r, d)
		if q.Get("due") == "1" && !v.ReviewDue {
			continue
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployments": out})
}

func (a *deploymentAPI) get(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "deployment", "a deployment")
	if !ok {
		return
	}
	d, err := a.records.Deployment(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	a.answer(w, r, http.StatusOK, d, true)
}

// locationJSON is where a camera stood.
type locationJSON struct {
	From         time.Time  `json:"from"`
	To           *time.Time `json:"to"`
	Latitude     float64    `json:"latitude"`
	Longitude    float64    `json:"longitude"`
	Name         string     `json:"name"`
	Address      string     `json:"address"`
	Site         string     `json:"site"`
	Ward         string     `json:"ward"`
	DeploymentID int64      `json:"deployment_id,omitempty"`
}

func viewLocation(l store.CameraLocation) locationJSON {
	return locationJSON{From: l.From, To: opt(l.To), Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name,
		Address: l.Address, Site: l.Site, Ward: l.Ward, DeploymentID: l.DeploymentID}
}

// locations answers where a camera stood over ?from= to ?to= (default:
// all its history).
func (a *deploymentAPI) locations(w http.ResponseWriter, r *http.Request) {
	var f fields
	from, to := f.time("from", r.URL.Query().Get("from"), false), f.time("to", r.URL.Query().Get("to"), false)
	if !f.ok(w) {
		return
	}
	ls, err := a.records.CameraLocations(r.Context(), r.PathValue("id"), from, to)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	out := make([]locationJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, viewLocation(l))
	}
	writeJSON(w, http.StatusOK, map[string]any{"camera": r.PathValue("id"), "locations": out})
}

// fleetJSON is one mobile camera: where it is, since when, for which
// deployment, its next review and its health.
type fleetJSON struct {
	Camera     string        `json:"camera"`
	Name       string        `json:"name"`
	Enabled    bool          `json:"enabled"`
	Status     string        `json:"status"`
	Location   *locationJSON `json:"location"`
	Deployment *int64        `json:"deployment"`
	State      string        `json:"deployment_state,omitempty"`
	ReviewDate *time.Time    `json:"review_date,omitempty"`
	ReviewDue  bool          `json:"review_due"`
}

// fleet answers every mobile camera the caller may see, and the borough
// (where deployments may be asked for: the request map's extent).
func (a *deploymentAPI) fleet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cams, err := a.gate.cameras.List(ctx)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	active, err := a.records.Deployments(ctx, store.DeploymentFilter{States: store.ActiveDeploymentStates})
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	p := who(r)
	now := a.gate.now()
	out := []fleetJSON{}
	for _, c := range cams {
		if c.Kind != store.KindMobile || !p.allows(c) {
			continue
		}
		row := fleetJSON{Camera: c.ID, Name: c.Name, Enabled: c.Enabled, Status: string(headline(a.gate.cameras, c.ID))}
		if ls, err := a.records.CameraLocations(ctx, c.ID, now, time.Time{}); err == nil && len(ls) > 0 && ls[len(ls)-1].At(now) {
			l := viewLocation(ls[len(ls)-1])
			row.Location = &l
		}
		for _, d := range active {
			if d.Camera == c.ID {
				id := d.ID
				row.Deployment, row.State, row.ReviewDate = &id, d.State, opt(d.ReviewDate)
				row.ReviewDue = a.flow.Due(d, now)
			}
		}
		out = append(out, row)
	}
	b := a.flow.Bounds()
	writeJSON(w, http.StatusOK, map[string]any{"fleet": out, "borough": map[string]float64{
		"min_lat": b.MinLat, "max_lat": b.MaxLat, "min_lon": b.MinLon, "max_lon": b.MaxLon}})
}

// date parses a London day (2026-12-01: its start) or an RFC 3339 time;
// "" is the zero time unless required.
func (f *fields) date(field, v string, required bool) time.Time {
	if len(v) == len("2006-01-02") {
		t, err := time.ParseInLocation("2006-01-02", v, london)
		if err != nil {
			f.bad(field, "%q is not a date (2026-12-01) or an RFC 3339 time", v)
		}
		return t
	}
	return f.time(field, v, required)
}
