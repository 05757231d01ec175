package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Deployment states, in the order a deployment normally goes through them.
// Refused, removed and cancelled are final.
const (
	DeploymentRequested        = "requested"
	DeploymentApproved         = "approved"
	DeploymentRefused          = "refused"
	DeploymentScheduled        = "scheduled"
	DeploymentLive             = "live"
	DeploymentUnderReview      = "under_review"
	DeploymentRemovalScheduled = "removal_scheduled"
	DeploymentRemoved          = "removed"
	DeploymentCancelled        = "cancelled"
)

// DeploymentStates lists every state.
var DeploymentStates = []string{DeploymentRequested, DeploymentApproved, DeploymentRefused, DeploymentScheduled,
	DeploymentLive, DeploymentUnderReview, DeploymentRemovalScheduled, DeploymentRemoved, DeploymentCancelled}

// ActiveDeploymentStates are those in which a camera is assigned to the
// deployment (and to no other).
var ActiveDeploymentStates = []string{DeploymentScheduled, DeploymentLive, DeploymentUnderReview, DeploymentRemovalScheduled}

// ASBProblems are the anti-social behaviour categories a camera is asked for.
var ASBProblems = []string{"drugs", "street-drinking", "nuisance-vehicles", "fly-tipping", "criminal-damage",
	"intimidation", "noise", "other"}

// Errors of the deployment life cycle.
var (
	// ErrStale: the deployment changed since it was read (someone else
	// moved it on first).
	ErrStale = errors.New("the deployment was changed by someone else meanwhile: reload it")
	// ErrCameraBusy: the camera serves another active deployment.
	ErrCameraBusy = errors.New("the camera is assigned to another active deployment")
)

// Bounds of a deployment request's text.
const (
	MaxDeploymentText = 2000 // purpose, less intrusive means, notes
	maxAddress        = 300
	maxIncidents      = 50
)

// DeploymentRequest is what BJAG asks for: where, the problem, the
// evidence, the wanted period and the justification the Surveillance
// Camera Code requires. It is stored whole, as JSON.
type DeploymentRequest struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Ward      string  `json:"ward"`
	Address   string  `json:"address"`
	Problem   string  `json:"problem"` // one of ASBProblems
	// Evidence is what the request rests on: the hotspot figures of the
	// area when it was raised (filled in by the server) and the incident
	// references the requester gives.
	Evidence   DeploymentEvidence `json:"evidence"`
	WantedFrom time.Time          `json:"wanted_from"`
	WantedTo   time.Time          `json:"wanted_to"`
	// Purpose: what the camera is for; LessIntrusive: why less intrusive
	// means (patrols, lighting, signage alone) are not enough.
	Purpose          string       `json:"purpose"`
	LessIntrusive    string       `json:"less_intrusive"`
	Privacy          PrivacyCheck `json:"privacy"`
	SignageConfirmed bool         `json:"signage_confirmed"`
}

// DeploymentEvidence links a request to the hotspot evidence.
type DeploymentEvidence struct {
	Incidents []string `json:"incidents"` // police or council incident references
	// The area's hotspot figures over the 4 weeks before the request: its
	// cameras (those of the ward), the score, the motion share and the
	// nuisance-vehicle rule hits.
	Cameras     []string  `json:"cameras"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Score       float64   `json:"score"`
	MotionShare float64   `json:"motion_share"`
	RuleHits    int       `json:"rule_hits"`
}

// PrivacyCheck is the privacy impact checklist.
type PrivacyCheck struct {
	DwellingsInView bool   `json:"dwellings_in_view"` // private homes (windows, gardens) in the view
	MasksNeeded     bool   `json:"masks_needed"`      // so privacy masks must be drawn before going live
	Notes           string `json:"notes"`
}

// Deployment is a request for a mobile camera and what became of it.
type Deployment struct {
	ID          int64
	Request     DeploymentRequest
	State       string
	RequestedBy string
	RequestedAt time.Time
	// DecidedBy, DecidedAt and Decision: the supervisor's approval (with
	// its note) or refusal (with its reason).
	DecidedBy  string
	DecidedAt  time.Time
	Decision   string
	ReviewDate time.Time // set on approval, moved on by an extension
	Camera     string    // assigned when scheduled
	// InstallDate is when the engineer is to install it; LiveAt when they
	// confirmed it; RemovalDate when it is to come down; RemovedAt when it did.
	InstallDate    time.Time
	LiveAt         time.Time
	RemovalDate    time.Time
	RemovedAt      time.Time
	OverdueAlerted time.Time // when the overdue review last raised an alert
	Version        int       // bumped by every change: a stale update is refused
	UpdatedAt      time.Time
}

// DeploymentEvent is one transition of a deployment.
type DeploymentEvent struct {
	ID           int64
	DeploymentID int64
	At           time.Time
	From, To     string
	Actor        string
	Reason       string
	Detail       string
}

// Validate checks a request's fields for the store (lengths, categories,
// coordinates); the life cycle's rules (dates, the borough) are the
// tasking service's. Field names are the API's.
func (r *DeploymentRequest) Validate() error {
	r.Ward, r.Address, r.Problem = strings.TrimSpace(r.Ward), strings.TrimSpace(r.Address), strings.TrimSpace(r.Problem)
	r.Purpose, r.LessIntrusive = strings.TrimSpace(r.Purpose), strings.TrimSpace(r.LessIntrusive)
	r.Privacy.Notes = strings.TrimSpace(r.Privacy.Notes)
	var es FieldErrors
	bad := func(field, format string, args ...any) {
		es = append(es, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if r.Latitude < -90 || r.Latitude > 90 || r.Longitude < -180 || r.Longitude > 180 || (r.Latitude == 0 && r.Longitude == 0) {
		bad("latitude", "the area needs a point on the map (latitude, longitude)")
	}
	checkText(&es, "address", r.Address, maxAddress)
	if len(r.Ward) > maxNameBytes {
		bad("ward", "longer than %d bytes", maxNameBytes)
	}
	known := false
	for _, p := range ASBProblems {
		known = known || p == r.Problem
	}
	if !known {
		bad("problem", "%q must be one of %s", r.Problem, strings.Join(ASBProblems, ", "))
	}
	if len(r.Evidence.Incidents) > maxIncidents {
		bad("evidence.incidents", "at most %d incident references", maxIncidents)
	}
	for _, ref := range r.Evidence.Incidents {
		if ref = strings.TrimSpace(ref); ref == "" || len(ref) > 100 {
			bad("evidence.incidents", "an incident reference is 1-100 characters")
			break
		}
	}
	switch {
	case r.WantedFrom.IsZero() || r.WantedTo.IsZero():
		bad("wanted_from", "the wanted period (from and to) is required")
	case !r.WantedTo.After(r.WantedFrom):
		bad("wanted_to", "must be after wanted_from")
	}
	checkText(&es, "purpose", r.Purpose, MaxDeploymentText)
	checkText(&es, "less_intrusive", r.LessIntrusive, MaxDeploymentText)
	if len(r.Privacy.Notes) > MaxDeploymentText {
		bad("privacy.notes", "longer than %d bytes", MaxDeploymentText)
	}
	if r.Privacy.DwellingsInView && r.Privacy.Notes == "" {
		bad("privacy.notes", "private dwellings are in view: say how they are protected (masks, the camera's angle)")
	}
	if !r.SignageConfirmed {
		bad("signage_confirmed", "CCTV signage must be confirmed for the area")
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

// AddDeployment stores a new request (state requested); d.ID is set.
func (s *Store) AddDeployment(ctx context.Context, d *Deployment) error {
	if err := d.Request.Validate(); err != nil {
		return err
	}
	if d.RequestedBy == "" || d.RequestedAt.IsZero() {
		return fieldErr("requested_by", "who asked, and when, is required")
	}
	body, err := json.Marshal(d.Request)
	if err != nil {
		return err
	}
	d.State, d.Version = DeploymentRequested, 1
	d.RequestedAt = fromMicros(toMicros(d.RequestedAt))
	d.UpdatedAt = d.RequestedAt
	err = s.db.QueryRowContext(ctx, `INSERT INTO deployments (state, body, requested_by, requested_us, version, updated_us)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, d.State, string(body), d.RequestedBy, toMicros(d.RequestedAt),
		d.Version, toMicros(d.UpdatedAt)).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("add deployment: %w", err)
	}
	return s.addDeploymentEvent(ctx, s.db, DeploymentEvent{DeploymentID: d.ID, At: d.RequestedAt, From: "", To: d.State,
		Actor: d.RequestedBy, Reason: d.Request.Purpose})
}

const deploymentColumns = `id, state, body, requested_by, requested_us, decided_by, decided_us, decision, review_us,
	camera, install_us, live_us, removal_us, removed_us, overdue_alerted_us, version, updated_us`

func scanDeployment(sc scanner) (Deployment, error) {
	var d Deployment
	var body string
	var requested, updated int64
	var decided, review, install, live, removal, removed, overdue sql.NullInt64
	err := sc.Scan(&d.ID, &d.State, &body, &d.RequestedBy, &requested, &d.DecidedBy, &decided, &d.Decision, &review,
		&d.Camera, &install, &live, &removal, &removed, &overdue, &d.Version, &updated)
	if err != nil {
		return Deployment{}, err
	}
	if err := json.Unmarshal([]byte(body), &d.Request); err != nil {
		return Deployment{}, fmt.Errorf("deployment %d: body: %w", d.ID, err)
	}
	d.RequestedAt, d.UpdatedAt = fromMicros(requested), fromMicros(updated)
	d.DecidedAt, d.ReviewDate, d.InstallDate, d.LiveAt = timeOf(decided), timeOf(review), timeOf(install), timeOf(live)
	d.RemovalDate, d.RemovedAt, d.OverdueAlerted = timeOf(removal), timeOf(removed), timeOf(overdue)
	return d, nil
}

// Deployment returns one deployment, or ErrNotFound.
func (s *Store) Deployment(ctx context.Context, id int64) (Deployment, error) {
	d, err := scanDeployment(s.db.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Deployment{}, fmt.Errorf("deployment %d: %w", id, ErrNotFound)
	}
	return d, err
}

// DeploymentFilter selects deployments; zero fields select all.
type DeploymentFilter struct {
	States []string
	Camera string
	// ReviewBefore keeps those whose review date is before it.
	ReviewBefore time.Time
	Limit        int // default 500, at most 5000
}

// Deployments lists deployments, newest request first.
func (s *Store) Deployments(ctx context.Context, f DeploymentFilter) ([]Deployment, error) {
	where, args := []string{"1=1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if len(f.States) > 0 {
		in := make([]string, len(f.States))
		for i, st := range f.States {
			in[i] = arg(st)
		}
		where = append(where, "state IN ("+strings.Join(in, ",")+")")
	}
	if f.Camera != "" {
		where = append(where, "camera = "+arg(f.Camera))
	}
	if !f.ReviewBefore.IsZero() {
		where = append(where, "review_us < "+arg(toMicros(f.ReviewBefore)))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE `+strings.Join(where, " AND ")+
		` ORDER BY requested_us DESC, id DESC LIMIT `+arg(pageLimit(f.Limit, 500, 5000)), args...)
	if err != nil {
		return nil, fmt.Errorf("deployments: %w", err)
	}
	return collect(rows, scanDeployment)
}

// DeploymentChange is one transition: the deployment as it is to be
// (Version as read), the event that records it, and where its camera goes.
type DeploymentChange struct {
	Deployment Deployment
	Event      DeploymentEvent
	// Place, when set, is where the camera now stands (from Place.From;
	// its previous place ends then). Leave, when not zero, ends the
	// camera's current place at that time (it came down).
	Place *CameraLocation
	Leave time.Time
}

// UpdateDeployment applies a change in one transaction: the deployment
// (refused with ErrStale unless its stored version is the one read, and
// with ErrCameraBusy when its camera serves another active deployment),
// its event, and its camera's place.
func (s *Store) UpdateDeployment(ctx context.Context, c *DeploymentChange) error {
	d := &c.Deployment
	d.UpdatedAt = fromMicros(toMicros(c.Event.At))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE deployments SET state = $1, decided_by = $2, decided_us = $3, decision = $4,
		review_us = $5, camera = $6, install_us = $7, live_us = $8, removal_us = $9, removed_us = $10,
		overdue_alerted_us = $11, version = version + 1, updated_us = $12 WHERE id = $13 AND version = $14`,
		d.State, d.DecidedBy, nullMicros(d.DecidedAt), d.Decision, nullMicros(d.ReviewDate), d.Camera,
		nullMicros(d.InstallDate), nullMicros(d.LiveAt), nullMicros(d.RemovalDate), nullMicros(d.RemovedAt),
		nullMicros(d.OverdueAlerted), toMicros(d.UpdatedAt), d.ID, d.Version)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("deployment %d: camera %s: %w", d.ID, d.Camera, ErrCameraBusy)
		}
		return fmt.Errorf("deployment %d: %w", d.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := s.Deployment(ctx, d.ID); errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("deployment %d: %w", d.ID, ErrStale)
	}
	c.Event.DeploymentID = d.ID
	if c.Event.Detail != "" || c.Event.From != c.Event.To {
		if err := s.addDeploymentEvent(ctx, tx, c.Event); err != nil {
			return err
		}
	}
	if !c.Leave.IsZero() {
		if _, err := tx.ExecContext(ctx, `UPDATE camera_locations SET to_us = $1 WHERE camera = $2 AND to_us IS NULL`,
			toMicros(c.Leave), d.Camera); err != nil {
			return fmt.Errorf("camera %s: end its place: %w", d.Camera, err)
		}
	}
	if c.Place != nil {
		if err := moveCamera(ctx, tx, c.Place); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	d.Version++
	return nil
}

// execer is what *sql.DB and *sql.Tx share for writes.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) addDeploymentEvent(ctx context.Context, db execer, e DeploymentEvent) error {
	_, err := db.ExecContext(ctx, `INSERT INTO deployment_events (deployment_id, at_us, from_state, to_state, actor, reason, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.DeploymentID, toMicros(e.At), e.From, e.To, e.Actor, e.Reason, e.Detail)
	if err != nil {
		return fmt.Errorf("deployment %d: event: %w", e.DeploymentID, err)
	}
	return nil
}

// DeploymentEvents lists a deployment's transitions, oldest first.
func (s *Store) DeploymentEvents(ctx context.Context, id int64) ([]DeploymentEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, deployment_id, at_us, from_state, to_state, actor, reason, detail
		FROM deployment_events WHERE deployment_id = $1 ORDER BY at_us, id`, id)
	if err != nil {
		return nil, fmt.Errorf("deployment %d: events: %w", id, err)
	}
	return collect(rows, func(sc scanner) (DeploymentEvent, error) {
		var e DeploymentEvent
		var at int64
		err := sc.Scan(&e.ID, &e.DeploymentID, &at, &e.From, &e.To, &e.Actor, &e.Reason, &e.Detail)
		e.At = fromMicros(at)
		return e, err
	})
}
