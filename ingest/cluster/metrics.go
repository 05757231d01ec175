package cluster

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	owned   prometheus.Gauge
	live    prometheus.Gauge
	unowned prometheus.Gauge
	placed  *prometheus.CounterVec
	errors  prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		owned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_cluster_cameras_owned",
			Help: "Cameras this node holds the lease of (ingests and records)."}),
		live: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_cluster_nodes_live",
			Help: "Nodes whose heartbeat is younger than the lease TTL, as this node sees them."}),
		unowned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_cluster_cameras_unowned",
			Help: "Enabled cameras no live node has room for: not recorded."}),
		placed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_cluster_placements_total",
			Help: "Cameras this node gave an owner, by reason (new, failover, hand-over)."}, []string{"reason"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_cluster_round_errors_total",
			Help: "Heartbeat rounds that failed (the store did not answer): leases run out after the TTL."}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.owned, m.live, m.unowned, m.placed, m.errors} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
