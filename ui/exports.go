package ui

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/export"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// Exports runs police exports in the background (*export.Jobs).
type Exports interface {
	Start(r export.Request) (export.Job, error)
	Get(id string) (export.Job, bool)
}

// ExportRequests keeps the police export workflow (*store.Store).
type ExportRequests interface {
	AddExportRequest(ctx context.Context, r *store.ExportRequest) error
	ExportRequest(ctx context.Context, id string) (store.ExportRequest, error)
	ExportRequests(ctx context.Context, requestedBy, state string, limit int) ([]store.ExportRequest, error)
	DecideExportRequest(ctx context.Context, id string, approve bool, by, reason string, grantUntil, now time.Time, maxAge time.Duration) (store.ExportRequest, error)
	AddDownloadLink(ctx context.Context, tokenHash []byte, l store.DownloadLink) error
	DownloadLinkByHash(ctx context.Context, tokenHash []byte) (store.DownloadLink, error)
	UseDownloadLink(ctx context.Context, tokenHash []byte, now time.Time) (store.DownloadLink, error)
}

// ExportPolicy sets the police export workflow's limits. Zero fields take
// the defaults.
type ExportPolicy struct {
	// RequestMaxAge: a request not decided within it expires (7 days).
	RequestMaxAge time.Duration
	// GrantFor: how long an approved request lets the officer view its
	// footage (30 days).
	GrantFor time.Duration
	// LinkTTL: how long a download link lasts by default (24 h); a link
	// can ask for less, or more up to 7 days.
	LinkTTL time.Duration
}

func (p *ExportPolicy) defaults() {
	if p.RequestMaxAge == 0 {
		p.RequestMaxAge = 7 * 24 * time.Hour
	}
	if p.GrantFor == 0 {
		p.GrantFor = 30 * 24 * time.Hour
	}
	if p.LinkTTL == 0 {
		p.LinkTTL = 24 * time.Hour
	}
}

const maxLinkTTL = 7 * 24 * time.Hour

// exportAPI serves the police export workflow: a police officer requests
// footage for a crime reference, a supervisor (someone else) approves or
// refuses it, the bundle is built, and the officer downloads it through a
// one-time or time-limited link. Every step is an evidence-log entry.
type exportAPI struct {
	exports  Exports
	requests ExportRequests
	audit    Audit
	cameras  Cameras
	policy   ExportPolicy
	gate     *gate
	logger   *slog.Logger
}

func (a *exportAPI) routes(rt *router) {
	rt.handle("POST /api/v1/exports", allow(auth.ExportsRequest), a.create)
	rt.handle("GET /api/v1/exports", allow(auth.ExportsApprove, auth.ExportsRequest), a.list)
	rt.handle("GET /api/v1/exports/{id}", allow(auth.ExportsApprove, auth.ExportsRequest), a.get)
	rt.handle("POST /api/v1/exports/{id}/approve", allow(auth.ExportsApprove), a.approve)
	rt.handle("POST /api/v1/exports/{id}/refuse", allow(auth.ExportsApprove), a.refuse)
	rt.handle("POST /api/v1/exports/{id}/links", allow(auth.ExportsRequest), a.link)
	rt.handle("GET /api/v1/downloads/{token}", allow(auth.ExportsRequest), a.download)
}

type exportInput struct {
	Cameras  []string `json:"cameras"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	CrimeRef string   `json:"crime_reference"`
	Reason   string   `json:"reason"`
}

type decisionInput struct {
	Reason string `json:"reason"`
}

type linkInput struct {
	OneTime    *bool `json:"one_time"`    // default true
	ValidHours int   `json:"valid_hours"` // default the policy's LinkTTL
}

type buildJSON struct {
	State    string     `json:"state"` // waiting, queued, running, done, failed
	Error    string     `json:"error,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	Masters  int        `json:"master_files,omitempty"`
	Bytes    int64      `json:"master_bytes,omitempty"`
	TreeSize int64      `json:"checkpoint_tree_size,omitempty"`
	Folder   string     `json:"folder,omitempty"`
}

type exportJSON struct {
	ID             string     `json:"id"`
	State          string     `json:"state"` // requested, approved, refused, expired
	CrimeRef       string     `json:"crime_reference"`
	Cameras        []string   `json:"cameras"`
	From           time.Time  `json:"from"`
	To             time.Time  `json:"to"`
	FromLocal      string     `json:"from_local"`
	ToLocal        string     `json:"to_local"`
	Reason         string     `json:"reason"`
	RequestedBy    string     `json:"requested_by"`
	Officer        string     `json:"officer"`
	RequestedAt    time.Time  `json:"requested_at"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"` // while awaiting a decision
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	GrantUntil     *time.Time `json:"grant_until,omitempty"`
	Build          *buildJSON `json:"build,omitempty"`
	EvidenceSeq    *uint64    `json:"evidence_seq,omitempty"`
}

func (a *exportAPI) view(x store.ExportRequest) exportJSON {
	v := exportJSON{ID: x.ID, State: x.State, CrimeRef: x.CrimeRef, Cameras: x.Cameras, From: x.Start, To: x.End,
		FromLocal: local(x.Start), ToLocal: local(x.End), Reason: x.Reason, RequestedBy: x.RequestedBy, Officer: x.Officer,
		RequestedAt: x.RequestedAt, DecidedBy: x.DecidedBy, DecidedAt: opt(x.DecidedAt), DecisionReason: x.DecisionReason,
		GrantUntil: opt(x.GrantUntil)}
	if x.State == store.ExportRequested {
		v.ExpiresAt = opt(x.RequestedAt.Add(a.policy.RequestMaxAge))
	}
	if x.State != store.ExportApproved {
		return v
	}
	b := &buildJSON{State: "waiting"}
	job, ok := a.exports.Get(x.ID)
	switch {
	case x.BundleDir != "":
		b.State, b.Folder = "done", x.BundleDir
	case x.BuildError != "":
		b.State, b.Error = "failed", x.BuildError
	case ok:
		b.State, b.Error = job.State, job.Error
	}
	if ok && job.State == "done" {
		b.Finished, b.Masters, b.Bytes, b.TreeSize = opt(job.Finished), job.Result.Masters, job.Result.Bytes, job.Result.Checkpoint.Size
	}
	v.Build = b
	return v
}

// create files a police request for footage.
func (a *exportAPI) create(w http.ResponseWriter, r *http.Request) {
	var in exportInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	p := who(r)
	officer := p.user.DisplayName
	if officer == "" {
		officer = p.user.Username
	}
	// The approver is checked at approval; Validate needs a name now.
	req := export.Request{Cameras: in.Cameras, CrimeRef: strings.TrimSpace(in.CrimeRef), Officer: officer,
		Reason: strings.TrimSpace(in.Reason), RequestedBy: p.user.Username, ApprovedBy: "pending"}
	var f fields
	req.From = f.time("from", in.From, true)
	req.To = f.time("to", in.To, true)
	if !f.ok(w) {
		return
	}
	if err := req.Validate(); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid request: "+err.Error(), nil)
		return
	}
	for _, c := range req.Cameras {
		if _, err := a.cameras.Get(r.Context(), c); err != nil {
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("cameras: %q is not a camera", c), nil)
			return
		}
	}
	x := store.ExportRequest{ID: uuid.NewString(), CrimeRef: req.CrimeRef, Cameras: req.Cameras, Start: req.From,
		End: req.To, Reason: req.Reason, RequestedBy: req.RequestedBy, Officer: officer, RequestedAt: a.gate.now()}
	if err := a.requests.AddExportRequest(r.Context(), &x); err != nil {
		a.fail(w, err)
		return
	}
	seq, ok := a.log(w, r, evidence.ActionExportRequested, x, x.Reason)
	if !ok {
		return
	}
	v := a.view(x)
	v.EvidenceSeq = &seq
	w.Header().Set("Location", "/api/v1/exports/"+x.ID)
	writeJSON(w, http.StatusCreated, v)
}

// list shows a police officer their own requests, an approver everyone's.
func (a *exportAPI) list(w http.ResponseWriter, r *http.Request) {
	by := ""
	if _, approver := who(r).can(auth.ExportsApprove); !approver {
		by = who(r).user.Username
	}
	list, err := a.requests.ExportRequests(r.Context(), by, r.URL.Query().Get("state"), 500)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := []exportJSON{}
	for _, x := range list {
		out = append(out, a.view(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"exports": out})
}

// load reads a request the caller may see: an officer only their own (404
// for anyone else's, which they are not to know of).
func (a *exportAPI) load(w http.ResponseWriter, r *http.Request) (store.ExportRequest, bool) {
	x, err := a.requests.ExportRequest(r.Context(), r.PathValue("id"))
	if err == nil {
		if _, approver := who(r).can(auth.ExportsApprove); !approver && x.RequestedBy != who(r).user.Username {
			err = fmt.Errorf("export request %s: %w", r.PathValue("id"), store.ErrNotFound)
		}
	}
	if err != nil {
		a.fail(w, err)
		return x, false
	}
	return x, true
}

func (a *exportAPI) get(w http.ResponseWriter, r *http.Request) {
	x, ok := a.load(w, r)
	if !ok {
		return
	}
	// The node building an approved export knows how far it got.
	if x.State == store.ExportApproved && a.gate.forward(w, r, x.Node) {
		return
	}
	writeJSON(w, http.StatusOK, a.view(x))
}

func (a *exportAPI) approve(w http.ResponseWriter, r *http.Request) { a.decide(w, r, true) }
func (a *exportAPI) refuse(w http.ResponseWriter, r *http.Request)  { a.decide(w, r, false) }

// decide approves or refuses a request. The approver must see every camera
// of the request and must not be who asked (two people, 409 otherwise).
// An approval queues the bundle at once.
func (a *exportAPI) decide(w http.ResponseWriter, r *http.Request, approve bool) {
	var in decisionInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	x, ok := a.load(w, r)
	if !ok {
		return
	}
	p := who(r)
	for _, id := range x.Cameras {
		c, err := a.cameras.Get(r.Context(), id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.fail(w, err)
			return
		}
		if err != nil && !p.scope.All() || err == nil && !p.allows(c) {
			a.gate.forbidCamera(w, r, p, r.Pattern, id, "camera "+id+" is outside your scope")
			return
		}
	}
	now := a.gate.now()
	grant, action := time.Time{}, evidence.ActionExportRefused
	if approve {
		grant, action = now.Add(a.policy.GrantFor), evidence.ActionExportApproved
	}
	pending := x.State == store.ExportRequested
	x, err := a.requests.DecideExportRequest(r.Context(), x.ID, approve, p.user.Username, strings.TrimSpace(in.Reason),
		grant, now, a.policy.RequestMaxAge)
	if err != nil {
		if pending && x.State == store.ExportExpired && errors.Is(err, store.ErrNotPending) {
			// This decision found the request too old and the store marked it
			// expired: the workflow sweeper will not see it again, so its
			// expiry is logged here or never.
			a.expired(r, x)
		}
		a.fail(w, err)
		return
	}
	seq, ok := a.log(w, r, action, x, x.DecisionReason)
	if !ok {
		return
	}
	if approve {
		a.build(x)
	}
	v := a.view(x)
	v.EvidenceSeq = &seq
	writeJSON(w, http.StatusOK, v)
}

// expired logs a request that expired undecided, as the workflow sweeper
// does.
func (a *exportAPI) expired(r *http.Request, x store.ExportRequest) {
	if _, err := a.audit.Append(r.Context(), export.ExpiredEntry(x, a.policy.RequestMaxAge)); err != nil {
		a.logger.Error("evidence log cannot record an expired export request", "export", x.ID, "error", err)
	}
}

// build queues an approved request's bundle. When the queue is full the
// request waits: the workflow sweeper queues it again.
func (a *exportAPI) build(x store.ExportRequest) {
	_, err := a.exports.Start(export.Approved(x))
	if err != nil {
		a.logger.Warn("approved export not queued yet; it will be retried", "export", x.ID, "error", err)
	}
}

// link makes a download link for the officer's own built export. The
// token is shown once; the store keeps its hash.
func (a *exportAPI) link(w http.ResponseWriter, r *http.Request) {
	var in linkInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	x, ok := a.load(w, r)
	if !ok {
		return
	}
	if x.RequestedBy != who(r).user.Username {
		a.gate.forbid(w, r, who(r), r.Pattern, "only the officer who requested an export downloads it")
		return
	}
	if x.State != store.ExportApproved || x.BundleDir == "" {
		writeError(w, http.StatusConflict, "the export is "+x.State+" and its bundle is not built yet; ask again when build.state is done", nil)
		return
	}
	ttl := a.policy.LinkTTL
	if in.ValidHours != 0 {
		ttl = time.Duration(in.ValidHours) * time.Hour
	}
	if ttl <= 0 || ttl > maxLinkTTL {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("valid_hours: from 1 to %d", int(maxLinkTTL.Hours())), nil)
		return
	}
	oneTime := in.OneTime == nil || *in.OneTime
	raw := make([]byte, 32)
	rand.Read(raw)
	token := "vgl_" + base64.RawURLEncoding.EncodeToString(raw)
	now := a.gate.now()
	l := store.DownloadLink{RequestID: x.ID, CreatedBy: who(r).user.Username, CreatedAt: now, ExpiresAt: now.Add(ttl), OneTime: oneTime}
	if err := a.requests.AddDownloadLink(r.Context(), hashSecret(token), l); err != nil {
		a.fail(w, err)
		return
	}
	kind := "time-limited"
	if oneTime {
		kind = "one-time"
	}
	if _, ok := a.log(w, r, evidence.ActionExportLink, x, kind+" link until "+l.ExpiresAt.UTC().Format(time.RFC3339)); !ok {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"url": "/api/v1/downloads/" + token, "one_time": oneTime,
		"expires_at": l.ExpiresAt.UTC()})
}

// download serves a bundle's zip through a link; the download is an
// evidence-log entry before any byte leaves.
func (a *exportAPI) download(w http.ResponseWriter, r *http.Request) {
	hash := hashSecret(r.PathValue("token"))
	// Who may use the link is checked before it is used: someone else
	// holding a one-time link must not spend it for the officer.
	l, err := a.requests.DownloadLinkByHash(r.Context(), hash)
	if err == nil && l.CreatedBy != who(r).user.Username {
		a.gate.forbid(w, r, who(r), r.Pattern, "this link is for the officer who requested the export")
		return
	}
	if err == nil {
		// The bundle is on the node that built it: that node spends the
		// link and sends it.
		if x, xerr := a.requests.ExportRequest(r.Context(), l.RequestID); xerr == nil && a.gate.forward(w, r, x.Node) {
			return
		}
		l, err = a.requests.UseDownloadLink(r.Context(), hash, a.gate.now())
	}
	switch {
	case errors.Is(err, store.ErrLinkUsed), errors.Is(err, store.ErrLinkExpired):
		writeError(w, http.StatusGone, err.Error(), nil)
		return
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such download link", nil)
		return
	case err != nil:
		a.fail(w, err)
		return
	}
	x, err := a.requests.ExportRequest(r.Context(), l.RequestID)
	if err != nil {
		a.fail(w, err)
		return
	}
	if _, err := os.Stat(filepath.Join(x.BundleDir, "manifest.json")); err != nil {
		writeError(w, http.StatusGone, "the export is no longer on the server", nil)
		return
	}
	name := filepath.Base(x.BundleDir)
	if _, ok := a.log(w, r, evidence.ActionExportDownloaded, x, name+".zip"); !ok {
		return
	}
	// The zip is made as it is sent: no second copy of the bundle on disk.
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := export.WriteZip(w, x.BundleDir, name); err != nil {
		a.logger.Warn("export download ended early", "export", x.ID, "error", err)
	}
}

// log appends a workflow step. The store was written first (the log is
// append-only; an entry for a change that then failed could not be taken
// back); when the log fails the caller answers 503 and nothing is served.
func (a *exportAPI) log(w http.ResponseWriter, r *http.Request, action evidence.Action, x store.ExportRequest, reason string) (uint64, bool) {
	p := who(r)
	seq, err := a.audit.Append(r.Context(), &evidence.Entry{Action: action, Actor: p.actor, Role: string(p.role),
		Camera: export.OneCamera(x.Cameras), From: x.Start, To: x.End, Reason: reason, Ref: "export/" + x.ID,
		Detail: clip("crime reference "+x.CrimeRef+"; cameras "+strings.Join(x.Cameras, ","), 1000)})
	if err != nil {
		a.logger.Error("evidence log cannot record an export step", "action", action, "export", x.ID, "error", err)
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("%s was saved but the evidence log could not record it; nothing is served until it can; see the service log", action), nil)
		return 0, false
	}
	return seq, true
}

// fail answers a store error; a taken id or a decided request is a conflict.
func (a *exportAPI) fail(w http.ResponseWriter, err error) {
	failStore(w, a.logger, err, "no such export request",
		store.ErrSamePerson, store.ErrNotPending, store.ErrNotApproved, store.ErrExists)
}
