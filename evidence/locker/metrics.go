package locker

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the evidence log's series.
type Metrics struct {
	Entries        prometheus.Gauge
	Batches        prometheus.Counter
	AppendErrors   prometheus.Counter
	AppendSeconds  prometheus.Histogram
	CheckpointSize prometheus.Gauge
	CheckpointTime prometheus.Gauge
	Leader         prometheus.Gauge
}

// NewMetrics registers the log's series on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Entries: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_evidence_log_entries",
			Help: "Entries in the evidence log."}),
		Batches: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_evidence_commits_total",
			Help: "Group commits (one write and fdatasync each) of the evidence log."}),
		AppendErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_evidence_append_errors_total",
			Help: "Appends to the evidence log that failed."}),
		AppendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_evidence_append_seconds",
			Help:    "Time from an append to its entry being on disk.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		CheckpointSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_evidence_checkpoint_size",
			Help: "Tree size of the last signed checkpoint."}),
		CheckpointTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_evidence_checkpoint_timestamp_seconds",
			Help: "When the last checkpoint was signed (Unix time)."}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_evidence_log_writer",
			Help: "1 while this node writes the evidence log: always on one node; in a cluster, the elected leader."}),
	}
	if reg != nil {
		reg.MustRegister(m.Entries, m.Batches, m.AppendErrors, m.AppendSeconds, m.CheckpointSize, m.CheckpointTime, m.Leader)
	}
	return m
}
