package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

const (
	// alertPingEvery keeps proxies from closing a quiet stream.
	alertPingEvery = 15 * time.Second
	// alertRecheckEvery is how soon a stream ends after its sign-in has
	// (signed out, expired, disabled, roles changed): the same few seconds
	// the live sweeper takes.
	alertRecheckEvery = 2 * time.Second
)

// stream sends alerts and acknowledgements on the caller's cameras as
// server-sent events (event: alert / ack, data: the alert's JSON), with a
// ": ping" comment every 15 s. It ends with the request, with the sign-in
// (after a last "event: end"), or when the caller falls too far behind; an
// EventSource then reconnects, and the panel reloads GET /api/v1/alerts.
// Like a live view, an open stream keeps its session from idling out.
func (a *alertAPI) stream(w http.ResponseWriter, r *http.Request) {
	if !acceptsEventStream(r) {
		// Also what keeps a plain API client from hanging on the stream.
		writeError(w, http.StatusNotAcceptable, "this is a server-sent event stream: ask with Accept: text/event-stream (EventSource does)", nil)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // the stream outlives any write timeout
	msgs, cancel := a.alerts.Subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	// retry: how long an EventSource waits before reconnecting.
	if _, err := io.WriteString(w, "retry: 3000\n: connected\n\n"); err != nil || rc.Flush() != nil {
		return
	}

	p := who(r)
	seen := map[string]bool{} // camera → visible to p, until the next recheck
	visible := func(camera string) bool {
		v, ok := seen[camera]
		if !ok {
			v = a.canSee(r, p, camera)
			seen[camera] = v
		}
		return v
	}
	ping := time.NewTicker(alertPingEvery)
	defer ping.Stop()
	recheck := time.NewTicker(alertRecheckEvery)
	defer recheck.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return // cut off, or Vigil stopping
			}
			if !visible(m.Alert.Camera) {
				continue
			}
			err = writeEvent(w, m.Type, viewAlert(m.Alert))
		case <-ping.C:
			_, err = io.WriteString(w, ": ping\n\n")
		case <-recheck.C:
			var why string
			if p, why = a.stillSignedIn(r); p == nil {
				writeEvent(w, "end", map[string]string{"reason": why})
				rc.Flush()
				return
			}
			clear(seen) // scope and cameras may have changed
			continue
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// stillSignedIn authenticates the stream's request again, as the gate did
// when it began: nil and why when its sign-in has ended or no longer
// allows alerts.
func (a *alertAPI) stillSignedIn(r *http.Request) (*principal, string) {
	p, why := a.gate.authenticate(r)
	switch {
	case p == nil:
		return nil, why
	case p.user.MustChange:
		return nil, "change your password first"
	}
	if _, ok := p.can(auth.AlertsAck); !ok {
		return nil, "your roles no longer allow alerts"
	}
	return p, ""
}

// canSee is gate.visible for a principal reloaded since the request began.
func (a *alertAPI) canSee(r *http.Request, p *principal, camera string) bool {
	c, err := a.gate.cameras.Get(r.Context(), camera)
	if errors.Is(err, store.ErrNotFound) {
		return p.scope.All() && !p.viaGrant
	}
	return err == nil && p.allows(c)
}

func writeEvent(w io.Writer, event string, v any) error {
	data, err := json.Marshal(v) // one line: JSON escapes newlines
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
	return err
}

// acceptsEventStream reports whether the request asks for text/event-stream.
func acceptsEventStream(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true
		}
	}
	return false
}
