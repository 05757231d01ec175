package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/export"
)

// Exports runs police exports in the background (*export.Jobs).
type Exports interface {
	Start(r export.Request) (export.Job, error)
	Get(id string) (export.Job, bool)
}

// exportAPI serves /api/v1/exports. Until sign-in exists (a later issue),
// the people named in the body are taken on trust, as for holds.
type exportAPI struct {
	exports Exports
	audit   Audit
	people  People
	logger  *slog.Logger
}

func (a *exportAPI) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/exports", a.create)
	mux.HandleFunc("GET /api/v1/exports/{id}", a.get)
	mux.HandleFunc("GET /api/v1/exports/{id}/download", a.download)
}

type exportInput struct {
	Cameras     []string `json:"cameras"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	CrimeRef    string   `json:"crime_reference"`
	Officer     string   `json:"officer"`
	Reason      string   `json:"reason"`
	RequestedBy string   `json:"requested_by"`
	ApprovedBy  string   `json:"approved_by"`
}

type exportJSON struct {
	ID       string    `json:"id"`
	State    string    `json:"state"`
	Error    string    `json:"error,omitempty"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitzero"`
	Masters  int       `json:"master_files,omitempty"`
	Bytes    int64     `json:"master_bytes,omitempty"`
	TreeSize int64     `json:"checkpoint_tree_size,omitempty"`
	Download string    `json:"download,omitempty"`
	Folder   string    `json:"folder,omitempty"`
	CrimeRef string    `json:"crime_reference"`
	Cameras  []string  `json:"cameras"`
	From     string    `json:"from"`
	To       string    `json:"to"`
}

func toExportJSON(j export.Job) exportJSON {
	out := exportJSON{ID: j.ID, State: j.State, Error: j.Error, Created: j.Created, Finished: j.Finished,
		CrimeRef: j.Request.CrimeRef, Cameras: j.Request.Cameras,
		From: j.Request.From.UTC().Format(time.RFC3339), To: j.Request.To.UTC().Format(time.RFC3339)}
	if j.State == "done" {
		out.Masters, out.Bytes, out.TreeSize = j.Result.Masters, j.Result.Bytes, j.Result.Checkpoint.Size
		out.Download, out.Folder = "/api/v1/exports/"+j.ID+"/download", j.Result.Dir
	}
	return out
}

func (a *exportAPI) create(w http.ResponseWriter, r *http.Request) {
	var in exportInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	req := export.Request{Cameras: in.Cameras, CrimeRef: in.CrimeRef, Officer: in.Officer, Reason: in.Reason,
		RequestedBy: in.RequestedBy, ApprovedBy: in.ApprovedBy}
	var errs []string
	var err error
	if req.From, err = time.Parse(time.RFC3339Nano, in.From); err != nil {
		errs = append(errs, fmt.Sprintf("from: %q is not an RFC 3339 time", in.From))
	}
	if req.To, err = time.Parse(time.RFC3339Nano, in.To); err != nil {
		errs = append(errs, fmt.Sprintf("to: %q is not an RFC 3339 time", in.To))
	}
	if len(errs) == 0 {
		if err := req.Validate(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, strings.Join(errs, "; "), nil)
		return
	}
	job, err := a.exports.Start(req)
	switch {
	case errors.Is(err, export.ErrBusy):
		writeError(w, http.StatusServiceUnavailable, err.Error(), nil)
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	w.Header().Set("Location", "/api/v1/exports/"+job.ID)
	writeJSON(w, http.StatusAccepted, toExportJSON(job))
}

func (a *exportAPI) get(w http.ResponseWriter, r *http.Request) {
	job, ok := a.exports.Get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such export", nil)
		return
	}
	writeJSON(w, http.StatusOK, toExportJSON(job))
}

// download serves the bundle's zip; ?by= names who downloads it, and the
// download is an evidence-log entry before any byte leaves.
func (a *exportAPI) download(w http.ResponseWriter, r *http.Request) {
	job, ok := a.exports.Get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such export", nil)
		return
	}
	if job.State != "done" {
		writeError(w, http.StatusConflict, "export is "+job.State+"; download it when done", nil)
		return
	}
	by := strings.TrimSpace(r.URL.Query().Get("by"))
	if by == "" || len(by) > 200 {
		writeError(w, http.StatusBadRequest, "by: say who is downloading this export (every download is logged)", nil)
		return
	}
	if _, err := os.Stat(filepath.Join(job.Result.Dir, "manifest.json")); err != nil {
		writeError(w, http.StatusGone, "the export is no longer on the server", nil)
		return
	}
	name := filepath.Base(job.Result.Dir)
	actor, err := a.people.Pseudonym(r.Context(), by)
	if err == nil {
		_, err = a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionExportDownloaded, Actor: actor,
			From: job.Request.From, To: job.Request.To, Reason: job.Request.Reason, Ref: job.ID,
			Detail: fmt.Sprintf("crime reference %s; %s.zip", job.Request.CrimeRef, name)})
	}
	if err != nil {
		a.logger.Error("evidence log cannot record a download; refused", "export", job.ID, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the evidence log cannot record this download, so it is refused; try again shortly", nil)
		return
	}
	// The zip is made as it is sent: no second copy of the bundle on disk.
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.zip"`)
	if err := export.WriteZip(w, job.Result.Dir, name); err != nil {
		a.logger.Warn("export download ended early", "export", job.ID, "error", err)
	}
}
