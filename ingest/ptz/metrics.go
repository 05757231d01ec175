package ptz

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the PTZ series.
type Metrics struct {
	Commands       *prometheus.CounterVec // by action, carried out
	Refused        *prometheus.CounterVec // by why: held, bad, log, camera
	DeadManStops   prometheus.Counter
	HoldsTakenOver prometheus.Counter
}

// NewMetrics registers the series on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ptz_commands_total",
			Help: "PTZ commands carried out, by action (a repeated continuous move counts once)."}, []string{"action"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ptz_refused_total",
			Help: "PTZ commands not carried out, by why: held (someone else steers), bad, log (not recorded), camera (it failed)."}, []string{"why"}),
		DeadManStops: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_ptz_dead_man_stops_total",
			Help: "Continuous moves stopped because the operator's browser stopped repeating them."}),
		HoldsTakenOver: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_ptz_takeovers_total",
			Help: "Domes a supervisor took from the operator steering them."}),
	}
	if reg != nil {
		reg.MustRegister(m.Commands, m.Refused, m.DeadManStops, m.HoldsTakenOver)
	}
	return m
}
