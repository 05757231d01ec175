package recorder

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the recorder's series.
type Metrics struct {
	Up       *prometheus.GaugeVec
	Bytes    *prometheus.CounterVec
	Segments *prometheus.CounterVec
	GapSecs  *prometheus.CounterVec
	Dropped  *prometheus.CounterVec
	WriteLag prometheus.Histogram
}

// NewMetrics registers the recorder's series on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_recorder_up",
			Help: "1 while the camera's main stream is being written to disk."}, []string{"camera"}),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_recorder_bytes_written_total",
			Help: "Bytes of sealed segments written."}, []string{"camera"}),
		Segments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_recorder_segments_total",
			Help: "Segments sealed and indexed."}, []string{"camera"}),
		GapSecs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_recorder_gap_seconds_total",
			Help: "Seconds without footage, by reason."}, []string{"camera", "reason"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_recorder_dropped_frames_total",
			Help: "Frames the recorder lost: it fell behind, or could not write them."}, []string{"camera"}),
		WriteLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_recorder_write_lag_seconds",
			Help:    "Time from a frame's arrival to its being synced to disk.",
			Buckets: []float64{0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30}}),
	}
	if reg != nil {
		reg.MustRegister(m.Up, m.Bytes, m.Segments, m.GapSecs, m.Dropped, m.WriteLag)
	}
	return m
}

// gapClasses are the gap reasons the recorder reports.
var gapClasses = []string{gapCamera, gapBehind, gapDisk, gapWrite, gapStopped, gapMissing}

// start creates a camera's series at 0, so that the first gap or drop is
// an increase Prometheus can see (a series born at its first value is not).
func (m *Metrics) start(camera string) {
	for _, class := range gapClasses {
		m.GapSecs.WithLabelValues(camera, class)
	}
	m.Dropped.WithLabelValues(camera)
	m.Bytes.WithLabelValues(camera)
	m.Segments.WithLabelValues(camera)
}

// forget removes a camera's series when it is no longer recorded.
func (m *Metrics) forget(camera string) {
	l := prometheus.Labels{"camera": camera}
	for _, v := range []*prometheus.MetricVec{m.Up.MetricVec, m.Bytes.MetricVec, m.Segments.MetricVec,
		m.GapSecs.MetricVec, m.Dropped.MetricVec} {
		v.DeletePartialMatch(l)
	}
}
