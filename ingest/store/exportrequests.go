package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
)

// ExportRequest states. A request starts requested; a supervisor approves
// or refuses it, or it expires undecided. Nothing leaves a final state.
const (
	ExportRequested = "requested"
	ExportApproved  = "approved"
	ExportRefused   = "refused"
	ExportExpired   = "expired"
)

// Errors of the export-request life cycle.
var (
	// ErrNotPending is returned when deciding a request that is already
	// decided or has expired.
	ErrNotPending = errors.New("export request is not awaiting a decision")
	// ErrNotApproved is returned when building or linking to a request
	// that was not approved.
	ErrNotApproved = errors.New("export request is not approved")
)

// Bounds of an export request's text fields.
const (
	maxRequestIDBytes = 64
	maxCrimeRefBytes  = 100
	maxExportCameras  = 256
)

// ExportRequest is police asking for footage for a crime reference. Once
// approved it is also the requester's grant to view those cameras over
// that time range until GrantUntil.
type ExportRequest struct {
	ID             string // uuid, set by the caller
	CrimeRef       string
	Cameras        []string // camera ids, stored comma-joined
	Start, End     time.Time
	Reason         string
	RequestedBy    string // username of the requester
	Officer        string // display name on the bundle
	RequestedAt    time.Time
	State          string
	DecidedBy      string
	DecidedAt      time.Time // zero if undecided
	DecisionReason string
	GrantUntil     time.Time // zero unless approved
	BundleDir      string    // set when the bundle is built
	BuildError     string
	// Node builds the bundle and holds it: the node that approved it (''
	// on a single node).
	Node string
}

// Covers reports whether the request's cameras and time range cover camera
// over [from, to). An empty range (from == to) is covered when its instant
// is in [Start, End). It looks at nothing else: whether the request is a
// live grant is Grants' business.
func (r ExportRequest) Covers(camera string, from, to time.Time) bool {
	if !slices.Contains(r.Cameras, camera) || to.Before(from) || from.Before(r.Start) || !from.Before(r.End) {
		return false
	}
	return !to.After(r.End)
}

// validate checks a new request; field names are the API's.
func (r *ExportRequest) validate() error {
	var es FieldErrors
	bad := func(field, format string, args ...any) {
		es = append(es, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	checkText(&es, "id", r.ID, maxRequestIDBytes)
	checkText(&es, "crime_ref", r.CrimeRef, maxCrimeRefBytes)
	switch {
	case len(r.Cameras) == 0:
		bad("cameras", "required")
	case len(r.Cameras) > maxExportCameras:
		bad("cameras", "more than %d cameras", maxExportCameras)
	}
	for _, c := range r.Cameras {
		// The pattern has no commas: the stored list splits back exactly.
		if !idPattern.MatchString(c) {
			bad("cameras", "%q is not a camera id", c)
		}
	}
	switch {
	case r.Start.IsZero():
		bad("from", "required")
	case r.End.IsZero():
		bad("to", "required")
	case !r.End.After(r.Start):
		bad("to", "%s must be after from (%s)", r.End.Format(time.RFC3339), r.Start.Format(time.RFC3339))
	}
	checkText(&es, "reason", r.Reason, evidence.MaxFieldBytes)
	checkText(&es, "requested_by", r.RequestedBy, maxNameBytes)
	checkText(&es, "officer", r.Officer, maxNameBytes)
	if r.RequestedAt.IsZero() {
		bad("requested_at", "required")
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

// AddExportRequest stores a new request in state requested. The caller sets
// ID and RequestedAt; text is trimmed, duplicate cameras dropped and times
// rounded to the stored microseconds, so r equals a later read. Invalid
// requests give FieldErrors, a taken ID ErrExists.
func (s *Store) AddExportRequest(ctx context.Context, r *ExportRequest) error {
	r.ID, r.CrimeRef, r.Reason = strings.TrimSpace(r.ID), strings.TrimSpace(r.CrimeRef), strings.TrimSpace(r.Reason)
	r.RequestedBy, r.Officer = strings.TrimSpace(r.RequestedBy), strings.TrimSpace(r.Officer)
	var cams []string
	for _, c := range r.Cameras {
		if c = strings.TrimSpace(c); !slices.Contains(cams, c) {
			cams = append(cams, c)
		}
	}
	r.Cameras = cams
	for _, t := range []*time.Time{&r.Start, &r.End, &r.RequestedAt} {
		if !t.IsZero() {
			*t = fromMicros(toMicros(*t))
		}
	}
	r.State = ExportRequested
	r.DecidedBy, r.DecidedAt, r.DecisionReason, r.GrantUntil = "", time.Time{}, "", time.Time{}
	r.BundleDir, r.BuildError = "", ""
	if err := r.validate(); err != nil {
		return fmt.Errorf("export request %s: %w", r.ID, err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO export_requests
		(id, crime_ref, cameras, start_us, end_us, reason, requested_by, officer, requested_us, state)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, r.ID, r.CrimeRef, strings.Join(r.Cameras, ","),
		toMicros(r.Start), toMicros(r.End), r.Reason, r.RequestedBy, r.Officer, toMicros(r.RequestedAt), r.State)
	if isUniqueViolation(err) {
		return fmt.Errorf("export request %s: %w", r.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add export request %s: %w", r.ID, err)
	}
	return nil
}

const exportRequestColumns = `id, crime_ref, cameras, start_us, end_us, reason, requested_by, officer, requested_us,
	state, decided_by, decided_us, decision_reason, grant_until_us, bundle_dir, build_error, node`

func scanExportRequest(sc scanner) (ExportRequest, error) {
	var r ExportRequest
	var cams string
	var start, end, requested int64
	var decided, grant sql.NullInt64
	err := sc.Scan(&r.ID, &r.CrimeRef, &cams, &start, &end, &r.Reason, &r.RequestedBy, &r.Officer, &requested,
		&r.State, &r.DecidedBy, &decided, &r.DecisionReason, &grant, &r.BundleDir, &r.BuildError, &r.Node)
	if err != nil {
		return ExportRequest{}, err
	}
	if cams != "" {
		r.Cameras = strings.Split(cams, ",")
	}
	r.Start, r.End, r.RequestedAt = fromMicros(start), fromMicros(end), fromMicros(requested)
	r.DecidedAt, r.GrantUntil = timeOf(decided), timeOf(grant)
	return r, nil
}

func collectExportRequests(rows *sql.Rows) ([]ExportRequest, error) {
	return collect(rows, scanExportRequest)
}

// ExportRequest returns a request by id, or ErrNotFound.
func (s *Store) ExportRequest(ctx context.Context, id string) (ExportRequest, error) {
	return exportRequest(ctx, s.db, id)
}

func exportRequest(ctx context.Context, q querier, id string) (ExportRequest, error) {
	r, err := scanExportRequest(q.QueryRowContext(ctx, `SELECT `+exportRequestColumns+` FROM export_requests WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ExportRequest{}, fmt.Errorf("export request %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return ExportRequest{}, fmt.Errorf("export request %s: %w", id, err)
	}
	return r, nil
}

// defaultExportRequestLimit bounds ExportRequests when no limit is given.
const defaultExportRequestLimit = 500

// ExportRequests lists requests newest first: requestedBy's ("" for
// everyone's) in state ("" for every state), at most limit (500 when
// limit <= 0). An unknown state gives FieldErrors.
func (s *Store) ExportRequests(ctx context.Context, requestedBy, state string, limit int) ([]ExportRequest, error) {
	switch state {
	case "", ExportRequested, ExportApproved, ExportRefused, ExportExpired:
	default:
		return nil, fmt.Errorf("export requests: %w", fieldErr("state", "%q is not one of %s, %s, %s, %s",
			state, ExportRequested, ExportApproved, ExportRefused, ExportExpired))
	}
	if limit <= 0 {
		limit = defaultExportRequestLimit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+exportRequestColumns+` FROM export_requests
		WHERE ($1 = '' OR requested_by = $1) AND ($2 = '' OR state = $2)
		ORDER BY requested_us DESC, id DESC LIMIT $3`, requestedBy, state, limit)
	if err != nil {
		return nil, fmt.Errorf("export requests: %w", err)
	}
	out, err := collectExportRequests(rows)
	if err != nil {
		return nil, fmt.Errorf("export requests: %w", err)
	}
	return out, nil
}

// staleBefore is the requested_us at or before which a pending request has
// expired: RequestedAt+maxAge <= now. maxAge <= 0 means requests never
// expire (no row is that old).
func staleBefore(now time.Time, maxAge time.Duration) int64 {
	if maxAge <= 0 {
		return -1 << 63
	}
	return toMicros(now.Add(-maxAge))
}

// DecideExportRequest approves (grantUntil non-zero: the requester may view
// the footage until then) or refuses (grantUntil zero) a request still
// awaiting a decision, by someone other than its requester (ErrSamePerson),
// with a reason. A request decided already, or by anyone meanwhile, gives
// ErrNotPending; so does one requested maxAge or longer before now, which
// is marked expired. Of concurrent decisions exactly one wins.
func (s *Store) DecideExportRequest(ctx context.Context, id string, approve bool, by, reason string,
	grantUntil, now time.Time, maxAge time.Duration) (ExportRequest, error) {
	by, reason = strings.TrimSpace(by), strings.TrimSpace(reason)
	var es FieldErrors
	checkText(&es, "by", by, maxNameBytes)
	checkText(&es, "reason", reason, evidence.MaxFieldBytes)
	switch {
	case approve && grantUntil.IsZero():
		es = append(es, &FieldError{Field: "grant_until", Msg: "required to approve"})
	case approve && !grantUntil.After(now):
		es = append(es, &FieldError{Field: "grant_until", Msg: fmt.Sprintf("%s is not in the future", grantUntil.Format(time.RFC3339))})
	case !approve && !grantUntil.IsZero():
		es = append(es, &FieldError{Field: "grant_until", Msg: "a refusal grants nothing"})
	}
	if len(es) > 0 {
		return ExportRequest{}, fmt.Errorf("decide export request %s: %w", id, es)
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ExportRequest{}, fmt.Errorf("decide export request %s: %w", id, err)
	}
	defer tx.Rollback()
	// Write first: that takes SQLite's write lock, so nobody decides the
	// request between the checks below and the commit.
	res, err := tx.ExecContext(ctx, `UPDATE export_requests SET state = $1
		WHERE id = $2 AND state = $3 AND requested_us <= $4`, ExportExpired, id, ExportRequested, staleBefore(now, maxAge))
	if err != nil {
		return ExportRequest{}, fmt.Errorf("expire export request %s: %w", id, err)
	}
	expired, err := res.RowsAffected()
	if err != nil {
		return ExportRequest{}, fmt.Errorf("expire export request %s: %w", id, err)
	}
	r, err := exportRequest(ctx, tx, id)
	if err != nil {
		return ExportRequest{}, err
	}
	if expired > 0 {
		if err := tx.Commit(); err != nil {
			return ExportRequest{}, fmt.Errorf("expire export request %s: %w", id, err)
		}
		return r, fmt.Errorf("export request %s: %w: it expired undecided (requested %s, older than %s)",
			id, ErrNotPending, r.RequestedAt.Format(time.RFC3339), maxAge)
	}
	switch {
	case r.State != ExportRequested:
		return r, fmt.Errorf("export request %s: %w: it is %s", id, ErrNotPending, r.State)
	case samePerson(r.RequestedBy, by):
		return r, fmt.Errorf("export request %s: %w (%s asked for it)", id, ErrSamePerson, r.RequestedBy)
	}
	state := ExportRefused
	if approve {
		state = ExportApproved
		grantUntil = fromMicros(toMicros(grantUntil))
	}
	res, err = tx.ExecContext(ctx, `UPDATE export_requests
		SET state = $1, decided_by = $2, decided_us = $3, decision_reason = $4, grant_until_us = $5, node = $8
		WHERE id = $6 AND state = $7`, state, by, toMicros(now), reason, nullMicros(grantUntil), id, ExportRequested, s.node)
	if err != nil {
		return r, fmt.Errorf("decide export request %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return r, fmt.Errorf("export request %s: %w: decided meanwhile", id, ErrNotPending)
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("decide export request %s: %w", id, err)
	}
	r.State, r.DecidedBy, r.DecidedAt, r.DecisionReason, r.GrantUntil = state, by, fromMicros(toMicros(now)), reason, grantUntil
	r.Node = s.node
	return r, nil
}

// ExpireExportRequests marks every request still awaiting a decision that
// was requested maxAge or longer before now as expired, and returns them
// (oldest first) so the caller can log each. maxAge <= 0 expires nothing.
func (s *Store) ExpireExportRequests(ctx context.Context, now time.Time, maxAge time.Duration) ([]ExportRequest, error) {
	rows, err := s.db.QueryContext(ctx, `UPDATE export_requests SET state = $1
		WHERE state = $2 AND requested_us <= $3 RETURNING `+exportRequestColumns,
		ExportExpired, ExportRequested, staleBefore(now, maxAge))
	if err != nil {
		return nil, fmt.Errorf("expire export requests: %w", err)
	}
	out, err := collectExportRequests(rows)
	if err != nil {
		return nil, fmt.Errorf("expire export requests: %w", err)
	}
	slices.SortFunc(out, func(a, b ExportRequest) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SetExportBuilt records an approved request's bundle: the directory it was
// built in, or why the build failed. ("", "") puts it back among
// PendingBuilds. ErrNotFound, or ErrNotApproved for a request not approved.
// In a cluster only the request's node records it: one whose build was
// adopted by another (AdoptPendingBuilds) is told so.
func (s *Store) SetExportBuilt(ctx context.Context, id, bundleDir, buildError string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE export_requests SET bundle_dir = $1, build_error = $2
		WHERE id = $3 AND state = $4 AND node = $5`, bundleDir, buildError, id, ExportApproved, s.node)
	if err != nil {
		return fmt.Errorf("export request %s built: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("export request %s built: %w", id, err)
	} else if n == 1 {
		return nil
	}
	r, err := s.ExportRequest(ctx, id)
	if err != nil {
		return err
	}
	if r.State == ExportApproved {
		return fmt.Errorf("export request %s is built by node %s now, not %s", id, r.Node, s.node)
	}
	return fmt.Errorf("export request %s: %w: it is %s", id, ErrNotApproved, r.State)
}

// PendingBuilds returns the approved requests this node builds (SetNode)
// with neither a bundle nor a build error, oldest decision first: those
// to build again after a restart.
func (s *Store) PendingBuilds(ctx context.Context) ([]ExportRequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+exportRequestColumns+` FROM export_requests
		WHERE state = $1 AND bundle_dir = '' AND build_error = '' AND node = $2 ORDER BY decided_us, id`, ExportApproved, s.node)
	if err != nil {
		return nil, fmt.Errorf("pending builds: %w", err)
	}
	out, err := collectExportRequests(rows)
	if err != nil {
		return nil, fmt.Errorf("pending builds: %w", err)
	}
	return out, nil
}

// AdoptPendingBuilds makes this node (SetNode) the builder of approved
// requests not built yet whose node stopped, or was last seen before
// deadBefore, or that a single node approved before the site became a
// cluster: an officer's export does not wait for a node that is gone. It
// returns how many it took; none on a single node.
func (s *Store) AdoptPendingBuilds(ctx context.Context, deadBefore time.Time) (int64, error) {
	if s.node == "" {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE export_requests SET node = $1
		WHERE state = $2 AND bundle_dir = '' AND build_error = '' AND node <> $1
		AND (node = '' OR node IN (SELECT id FROM nodes WHERE stopped_us IS NOT NULL OR seen_us < $3))`,
		s.node, ExportApproved, toMicros(deadBefore))
	if err != nil {
		return 0, fmt.Errorf("adopt pending builds: %w", err)
	}
	return res.RowsAffected()
}

// Grants returns username's approved requests whose grant is still running
// at now (GrantUntil after now), newest request first: what police may view.
func (s *Store) Grants(ctx context.Context, username string, now time.Time) ([]ExportRequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+exportRequestColumns+` FROM export_requests
		WHERE requested_by = $1 AND state = $2 AND grant_until_us > $3
		ORDER BY requested_us DESC, id DESC`, username, ExportApproved, toMicros(now))
	if err != nil {
		return nil, fmt.Errorf("grants of %s: %w", username, err)
	}
	out, err := collectExportRequests(rows)
	if err != nil {
		return nil, fmt.Errorf("grants of %s: %w", username, err)
	}
	return out, nil
}
