package ui

import (
	"log/slog"
	"net/http"

	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

type hotspotAPI struct {
	store  hotspots.Source
	gate   *gate
	logger *slog.Logger
}

func (a *hotspotAPI) routes(rt *router) {
	// BJAG decides where mobile cameras go from this, without footage.
	rt.handle("GET /api/v1/hotspots", allow(auth.HotspotsRead, auth.HealthRead), a.report)
}

// report answers the hotspot picture over ?from= to ?to= (default the
// last 7 days), rows ?by= camera, ward or hour, of the cameras the caller
// may see.
func (a *hotspotAPI) report(w http.ResponseWriter, r *http.Request) {
	q, errs := hotspotQuery(r.URL.Query(), a.gate.now())
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, "invalid query: "+errs.Error(), errs)
		return
	}
	all, err := a.gate.cameras.List(r.Context())
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	p := who(r)
	q.Cameras = make([]store.Camera, 0, len(all))
	for _, c := range all {
		if p.allows(c) {
			q.Cameras = append(q.Cameras, c)
		}
	}
	report, err := hotspots.Build(r.Context(), a.store, london, q)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	writeJSON(w, http.StatusOK, report)
}
