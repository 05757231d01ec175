package ui

import (
	"context"
	"errors"
	"net/http"

	"github.com/vigil-cctv/vigil/ingest/onvif"
	"github.com/vigil-cctv/vigil/ingest/ptz"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// PTZ steers the domes (*ptz.Controller).
type PTZ interface {
	Do(ctx context.Context, p ptz.Person, camera string, cmd ptz.Command) (ptz.Result, error)
	Take(ctx context.Context, p ptz.Person, camera string) (ptz.Lock, error)
	Release(ctx context.Context, p ptz.Person, camera string) (ptz.Lock, error)
	State(ctx context.Context, camera string) (ptz.State, error)
}

// ptzAPI steers a camera from the wall: its state (who holds it, where it
// points, its presets), commands, and taking or giving up the hold. In a
// cluster the node that runs the camera answers: the hold and the
// dead-man live there.
type ptzAPI struct {
	ptz  PTZ
	gate *gate
}

func (a *ptzAPI) routes(rt *router) {
	rt.handle("GET /api/v1/cameras/{id}/ptz", onCamera(allow(auth.PTZSteer)), a.state)
	rt.handle("POST /api/v1/cameras/{id}/ptz", onCamera(allow(auth.PTZSteer)), a.command)
	rt.handle("POST /api/v1/cameras/{id}/ptz/lock", onCamera(allow(auth.PTZSteer)), a.lock)
}

type ptzInput struct {
	Action string  `json:"action"`
	Pan    float64 `json:"pan"`
	Tilt   float64 `json:"tilt"`
	Zoom   float64 `json:"zoom"`
	Preset string  `json:"preset"`
	Name   string  `json:"name"`
}

type lockInput struct {
	// Take: true to hold the dome (a supervisor may take it from someone),
	// false to give it up.
	Take bool `json:"take"`
}

// elsewhere forwards to the node running the camera.
func (a *ptzAPI) elsewhere(w http.ResponseWriter, r *http.Request) bool {
	return a.gate.toCameraNode(w, r, r.PathValue("id"))
}

func (a *ptzAPI) person(r *http.Request) ptz.Person {
	p := who(r)
	_, override := p.can(auth.PTZOverride)
	display := p.user.DisplayName
	if display == "" {
		display = p.user.Username
	}
	return ptz.Person{Username: p.user.Username, Display: display, Actor: p.actor, Role: string(p.role), Override: override}
}

func (a *ptzAPI) state(w http.ResponseWriter, r *http.Request) {
	if a.elsewhere(w, r) {
		return
	}
	st, err := a.ptz.State(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *ptzAPI) command(w http.ResponseWriter, r *http.Request) {
	var in ptzInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if a.elsewhere(w, r) {
		return
	}
	res, err := a.ptz.Do(r.Context(), a.person(r), r.PathValue("id"),
		ptz.Command{Action: in.Action, Pan: in.Pan, Tilt: in.Tilt, Zoom: in.Zoom, Preset: in.Preset, Name: in.Name})
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *ptzAPI) lock(w http.ResponseWriter, r *http.Request) {
	var in lockInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if a.elsewhere(w, r) {
		return
	}
	op := a.ptz.Release
	if in.Take {
		op = a.ptz.Take
	}
	l, err := op(r.Context(), a.person(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lock": l})
}

// fail answers a PTZ error: held by someone else (409, with who), a bad
// command (400), no PTZ (404), the log (503), or the camera (502).
func (a *ptzAPI) fail(w http.ResponseWriter, err error) {
	var locked *ptz.LockedError
	switch {
	case errors.As(err, &locked):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "lock": locked.Lock})
	case errors.Is(err, ptz.ErrBadCommand):
		writeError(w, http.StatusBadRequest, err.Error(), nil)
	case errors.Is(err, ptz.ErrNotPTZ):
		writeError(w, http.StatusNotFound, err.Error(), nil)
	case errors.Is(err, ptz.ErrNotLogged):
		writeError(w, http.StatusServiceUnavailable, err.Error(), nil)
	case onvif.IsFault(err, "InvalidArgVal"), onvif.IsFault(err, "NoEntity"):
		writeError(w, http.StatusBadRequest, err.Error(), nil)
	default:
		writeError(w, http.StatusBadGateway, err.Error(), nil)
	}
}
