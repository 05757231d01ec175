package ui

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ui/auth"
	"github.com/vigil-cctv/vigil/ui/live"
)

// Live is the WebRTC engine (*live.Server).
type Live interface {
	Start(ctx context.Context, r live.Request) (live.Session, error)
	Stop(id, user string) error
	EndLogin(login string) int
	Logins() []string
}

// maxOfferBytes bounds an SDP offer: a browser's is a few kilobytes.
const maxOfferBytes = 64 << 10

// liveSweepEvery is how soon a live view ends after its sign-in has.
const liveSweepEvery = 2 * time.Second

// liveAPI serves WHEP (RFC 9725): POST an SDP offer to start a live view,
// DELETE the session URL to stop it. Every live view is logged.
type liveAPI struct {
	live   Live
	id     Identity
	audit  Audit
	gate   *gate
	logger *slog.Logger
}

func (a *liveAPI) routes(rt *router) {
	rt.handle("POST /api/v1/cameras/{id}/whep", onCamera(allow(auth.FootageView)), a.start)
	rt.handle("DELETE /api/v1/live/{session}", self, a.stop)
}

// loginKey names the sign-in a live view belongs to: it ends with it.
func loginKey(p *principal) string {
	if p.session != nil {
		return "session:" + hex.EncodeToString(p.session.IDHash)
	}
	return "token:" + strconv.FormatInt(p.token.ID, 10)
}

func (a *liveAPI) start(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if a.gate.toCameraNode(w, r, id) {
		return // another node runs the camera: the picture flows from it
	}
	stream := r.URL.Query().Get("stream")
	if stream == "" {
		stream = ingest.StreamMain
	}
	if stream != ingest.StreamMain && stream != ingest.StreamSub {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("stream: %q must be main or sub", stream), nil)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/sdp" {
		writeError(w, http.StatusUnsupportedMediaType, "send the SDP offer with Content-Type: application/sdp", nil)
		return
	}
	offer, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the SDP offer must be at most %d bytes", maxOfferBytes), nil)
		return
	}
	if _, err := a.gate.cameras.Get(r.Context(), id); err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	p := who(r)
	se, err := a.live.Start(r.Context(), live.Request{Camera: id, Stream: stream, User: p.name(), Login: loginKey(p), Offer: string(offer)})
	if err != nil {
		a.fail(w, err)
		return
	}
	// A live view is an access to footage: logged before the answer lets
	// the picture flow; without the log entry, no picture.
	if _, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionLiveView, Actor: p.actor, Role: string(p.role),
		Camera: id, From: se.Started, To: se.Started, Detail: "stream " + stream + " to " + r.RemoteAddr + "; live session " + se.ID}); err != nil {
		a.live.Stop(se.ID, p.name())
		a.logger.Error("evidence log cannot record a live view; refused", "camera", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the evidence log cannot record this access, so no footage is served; try again shortly", nil)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/api/v1/live/"+se.ID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, se.Answer)
}

func (a *liveAPI) stop(w http.ResponseWriter, r *http.Request) {
	if a.gate.forward(w, r, sessionNode(r.PathValue("session"))) {
		return
	}
	if err := a.live.Stop(r.PathValue("session"), who(r).name()); err != nil {
		a.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *liveAPI) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, live.ErrBadOffer), errors.Is(err, live.ErrNoH264):
		status = http.StatusBadRequest
	case errors.Is(err, live.ErrNoStream), errors.Is(err, live.ErrNoSession):
		status = http.StatusNotFound
	case errors.Is(err, live.ErrBFrames):
		status = http.StatusConflict
	case errors.Is(err, live.ErrServerFull), errors.Is(err, live.ErrUserFull):
		status = http.StatusTooManyRequests
	case errors.Is(err, live.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	default:
		a.logger.Error("live view failed", "error", err)
		writeError(w, status, "live view failed; see the service log", nil)
		return
	}
	writeError(w, status, err.Error(), nil)
}

// sweep ends the live views whose sign-in has ended: signed out, expired,
// replaced, or the person disabled. A live view counts as activity, so a
// wall left open keeps its session from idling out (up to the session's
// absolute maximum).
func (a *liveAPI) sweep(ctx context.Context) {
	now := a.gate.now()
	for _, login := range a.live.Logins() {
		hexHash, ok := strings.CutPrefix(login, "session:")
		if !ok {
			continue // a token's views end with the token (checked at start)
		}
		hash, err := hex.DecodeString(hexHash)
		if err != nil {
			a.live.EndLogin(login)
			continue
		}
		if a.signedIn(ctx, hash, now) {
			continue
		}
		if n := a.live.EndLogin(login); n > 0 {
			a.logger.Info("live views ended with their sign-in", "views", n)
		}
	}
}

// signedIn reports whether a sign-in is still in force, and keeps it from
// idling out while it watches.
func (a *liveAPI) signedIn(ctx context.Context, hash []byte, now time.Time) bool {
	se, err := a.id.SessionByHash(ctx, hash)
	if err != nil || !now.Before(se.Expires) {
		return false
	}
	if u, err := a.id.UserByID(ctx, se.UserID); err != nil || u.Disabled {
		return false
	}
	if now.Sub(se.Seen) > touchEvery {
		a.id.TouchSession(ctx, hash, now)
	}
	return true
}

// run sweeps until ctx ends.
func (a *liveAPI) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	t := time.NewTicker(liveSweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.sweep(ctx)
		}
	}
}
