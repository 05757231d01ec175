package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/recorder/playback"
)

// Player streams recorded footage; implemented by the recorder.
type Player interface {
	Play(ctx context.Context, w io.Writer, camera string, from, to time.Time, format string) error
}

// maxReason bounds the stated reason for an access to footage.
const maxReason = 500

// playback streams a time range of a camera's footage: ?format=fmp4 (the
// default, for the web player) or mp4 (a download). A reason is required:
// every access to footage is logged with who asked and why.
func (a *cameraAPI) playback(w http.ResponseWriter, r *http.Request) {
	id, ok := a.recordedCamera(w, r, a.player != nil)
	if !ok {
		return
	}
	from, to, err := timeRange(r)
	if err == nil && a.elsewhereUntil(w, r, id, to) {
		return
	}
	if err == nil && (from.IsZero() || to.IsZero()) {
		err = errors.New("from and to are required (RFC 3339, e.g. 2026-03-29T01:30:00Z)")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "fmp4"
	}
	if format != "fmp4" && format != "mp4" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format: %q must be fmp4 or mp4", format), nil)
		return
	}
	reason, ref, ok := accessReason(w, r)
	if !ok || !a.gate.footageAllowed(w, r, id, from, to) {
		return
	}
	// The access is logged before any footage leaves; if the evidence log
	// cannot take it, no footage is served.
	p := who(r)
	seq, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionPlayback, Actor: p.actor, Role: string(p.role),
		Camera: id, From: from, To: to, Reason: reason, Ref: ref, Detail: "format " + format + " to " + r.RemoteAddr})
	if err != nil {
		a.logger.Error("evidence log cannot record a playback; refused", "camera", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the evidence log cannot record this access, so no footage is served; try again shortly", nil)
		return
	}
	w.Header().Set("X-Vigil-Evidence-Seq", strconv.FormatUint(seq, 10))

	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Cache-Control", "no-store")
	if format == "mp4" {
		name := fmt.Sprintf("%s_%s_%s.mp4", id, from.UTC().Format("20060102T150405Z"), to.UTC().Format("20060102T150405Z"))
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	cw := &countingWriter{w: w}
	err = a.player.Play(r.Context(), cw, id, from, to, format)
	switch {
	case err == nil:
	case cw.n == 0:
		for _, h := range []string{"Content-Type", "Content-Disposition", "Cache-Control"} {
			w.Header().Del(h)
		}
		switch {
		case errors.Is(err, playback.ErrBadRange), errors.Is(err, playback.ErrRangeTooLong):
			writeError(w, http.StatusBadRequest, err.Error(), nil)
		case errors.Is(err, playback.ErrNoFootage):
			writeError(w, http.StatusNotFound, err.Error(), nil)
		case r.Context().Err() != nil:
		default:
			a.internal(w, err)
		}
	default:
		// Bytes are out: the status cannot change. The player sees the
		// stream end; the log says why.
		a.logger.Warn("playback ended early", "camera", id, "from", from.UTC(), "to", to.UTC(), "error", err)
	}
}

// maxRef bounds the optional reference given with an access (an incident
// number, a crime reference).
const maxRef = 64

// accessReason reads the required ?reason= and optional ?ref= of an access
// to footage, answering 400 itself when they are missing or too long.
func accessReason(w http.ResponseWriter, r *http.Request) (reason, ref string, ok bool) {
	reason = strings.TrimSpace(r.URL.Query().Get("reason"))
	ref = strings.TrimSpace(r.URL.Query().Get("ref"))
	switch {
	case reason == "" || len(reason) > maxReason:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("reason: say why you are viewing this footage (1-%d characters); every access is logged", maxReason), nil)
	case len(ref) > maxRef:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ref: at most %d characters", maxRef), nil)
	default:
		return reason, ref, true
	}
	return "", "", false
}

// reasonOr reads an optional ?reason=, def when it is absent, answering
// 400 itself when it is too long (thumbnails of events and alerts, whose
// context says why).
func reasonOr(w http.ResponseWriter, r *http.Request, def string) (string, bool) {
	reason := strings.TrimSpace(r.URL.Query().Get("reason"))
	if reason == "" {
		return def, true
	}
	if len(reason) > maxReason {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("reason: at most %d characters", maxReason), nil)
		return "", false
	}
	return reason, true
}

type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Flush lets fMP4 fragments reach the player as they are written.
func (c *countingWriter) Flush() {
	if f, ok := c.w.(http.Flusher); ok {
		f.Flush()
	}
}
