package ui

import (
	"log/slog"
	"net/http"

	"github.com/vigil-cctv/vigil/evidence"
)

// serveLoggedJPEG serves a stored picture of footage (an event or alert
// thumbnail, a plate crop) once the evidence log has taken its entry e
// (the caller's action, camera, times, reason and ref; who is filled in
// here). If the log cannot take it, nothing is served.
func serveLoggedJPEG(w http.ResponseWriter, r *http.Request, audit Audit, logger *slog.Logger, e evidence.Entry, jpeg []byte) {
	p := who(r)
	e.Actor, e.Role = p.actor, string(p.role)
	if e.Detail == "" {
		e.Detail = "to " + r.RemoteAddr
	}
	if _, err := audit.Append(r.Context(), &e); err != nil {
		logger.Error("evidence log cannot record a view of a picture; refused", "action", e.Action, "ref", e.Ref, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the evidence log cannot record this access, so no footage is served; try again shortly", nil)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(jpeg)
}
