package ui

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// wallAPI keeps each person's saved video walls. Walls belong to people,
// so API tokens have none.
type wallAPI struct {
	records Records
	gate    *gate
	logger  *slog.Logger
}

func (a *wallAPI) routes(rt *router) {
	rt.handle("GET /api/v1/walls", allow(auth.FootageView), a.list)
	rt.handle("POST /api/v1/walls", allow(auth.FootageView), a.save)
	rt.handle("PUT /api/v1/walls/{id}", allow(auth.FootageView), a.save)
	rt.handle("DELETE /api/v1/walls/{id}", allow(auth.FootageView), a.delete)
}

type wallJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Layout      string    `json:"layout"`
	Tiles       []string  `json:"tiles"`
	Tour        []string  `json:"tour"`
	TourSeconds int       `json:"tour_seconds"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func viewWall(w store.Wall) wallJSON {
	return wallJSON{ID: w.ID, Name: w.Name, Layout: w.Layout, Tiles: w.Tiles, Tour: w.Tour,
		TourSeconds: w.TourSeconds, UpdatedAt: w.Updated}
}

func (a *wallAPI) list(w http.ResponseWriter, r *http.Request) {
	walls, err := a.records.Walls(r.Context(), who(r).user.ID)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	out := []wallJSON{}
	for _, wall := range walls {
		out = append(out, viewWall(wall))
	}
	writeJSON(w, http.StatusOK, map[string]any{"walls": out})
}

// save creates (POST) or replaces (PUT) a wall. Cameras are not checked
// against the scope here: a wall is only a layout, and each tile's live
// view is checked when it starts.
func (a *wallAPI) save(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        string   `json:"name"`
		Layout      string   `json:"layout"`
		Tiles       []string `json:"tiles"`
		Tour        []string `json:"tour"`
		TourSeconds int      `json:"tour_seconds"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	wall := store.Wall{UserID: who(r).user.ID, Name: in.Name, Layout: in.Layout, Tiles: in.Tiles, Tour: in.Tour,
		TourSeconds: in.TourSeconds, Updated: a.gate.now().UTC()}
	status := http.StatusCreated
	if r.Method == http.MethodPut {
		id, ok := pathID(w, r, "id", "a wall")
		if !ok {
			return
		}
		wall.ID, status = id, http.StatusOK
	}
	if err := a.records.SaveWall(r.Context(), &wall); err != nil {
		failStore(w, a.logger, err, "", store.ErrExists)
		return
	}
	writeJSON(w, status, viewWall(wall))
}

func (a *wallAPI) delete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "a wall")
	if !ok {
		return
	}
	if err := a.records.DeleteWall(r.Context(), who(r).user.ID, id); err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
