package ui

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

// healthAPI is the engineers' table of every camera's health.
type healthAPI struct {
	cameras Cameras
	recs    Recordings // nil when recording is off
	grafana string
	gate    *gate
	logger  *slog.Logger
}

type healthRow struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Site        string       `json:"site"`
	Ward        string       `json:"ward"`
	Kind        string       `json:"kind"`
	Enabled     bool         `json:"enabled"`
	Status      ingest.State `json:"status"`
	FPS         float64      `json:"fps"`
	BitrateBPS  float64      `json:"bitrate_bps"`
	PacketsLost uint64       `json:"packets_lost"`
	Reconnects  uint64       `json:"reconnects"`
	LastFrame   time.Time    `json:"last_frame,omitzero"`
	// GapsToday counts the recording gaps since midnight, Europe/London;
	// nil when recording is off.
	GapsToday *int `json:"gaps_today"`
	// Sub is the sub stream's state, when the camera has one.
	Sub ingest.State `json:"sub_status,omitempty"`
}

// list answers {"grafana_url", "cameras": [...]}: the main stream's figures,
// as operators and engineers judge a camera by its recorded stream.
func (a *healthAPI) list(w http.ResponseWriter, r *http.Request) {
	cams, err := a.cameras.List(r.Context())
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	now := a.gate.now()
	y, m, d := now.In(london).Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, london)
	rows := []healthRow{}
	for _, c := range cams {
		if !who(r).allows(c) {
			continue
		}
		row := healthRow{ID: c.ID, Name: c.Name, Site: c.Site, Ward: c.Ward, Kind: c.Kind, Enabled: c.Enabled, Status: ingest.StateDisabled}
		if st, ok := a.cameras.Status(c.ID); ok {
			for _, s := range st.Streams {
				switch s.Stream {
				case ingest.StreamMain:
					row.Status, row.FPS, row.BitrateBPS, row.PacketsLost, row.Reconnects, row.LastFrame =
						s.State, s.FPS, s.BitrateBPS, s.PacketsLost, s.Reconnects, s.LastFrame
				case ingest.StreamSub:
					row.Sub = s.State
				}
			}
		}
		if a.recs != nil {
			gaps, err := a.recs.Gaps(r.Context(), c.ID, midnight, now)
			if err != nil {
				failStore(w, a.logger, err, "")
				return
			}
			n := len(gaps)
			row.GapsToday = &n
		}
		rows = append(rows, row)
	}
	writeJSON(w, http.StatusOK, map[string]any{"grafana_url": a.grafana, "cameras": rows})
}
