package analytics

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the analytics series.
type Metrics struct {
	analysed *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	errors   *prometheus.CounterVec
	events   *prometheus.CounterVec
	tamper   *prometheus.GaugeVec
	cameras  prometheus.Gauge
	lost     prometheus.Counter
	plates   *prometheus.CounterVec
	looks    *prometheus.CounterVec
}

// NewMetrics registers the analytics series on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		analysed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_analytics_frames_total",
			Help: "Pictures analysed for motion and tamper, per camera."}, []string{"camera"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_analytics_dropped_frames_total",
			Help: "Access units analytics skipped because it fell behind (it skips to the next keyframe), per camera."}, []string{"camera"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_analytics_decode_errors_total",
			Help: "Access units the decoder rejected, per camera."}, []string{"camera"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_analytics_events_total",
			Help: "Analytics events started, per camera and kind (motion, tamper.*)."}, []string{"camera", "kind"}),
		tamper: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_camera_tamper",
			Help: "1 while a camera tamper condition (covered, moved, defocused, frozen) is reported, else 0."}, []string{"camera", "kind"}),
		cameras: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_analytics_cameras",
			Help: "Cameras being analysed."}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_analytics_writes_lost_total",
			Help: "Events or activity rows not written because the writer's queue was full."}),
		plates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_anpr_reads_total",
			Help: "Number-plate reads stored (one per vehicle passage), per camera."}, []string{"camera"}),
		looks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_anpr_main_looks_total",
			Help: "Main-stream keyframes decoded to read plates too small in the analysed stream, per camera."}, []string{"camera"}),
	}
	if reg != nil {
		reg.MustRegister(m.analysed, m.dropped, m.errors, m.events, m.tamper, m.cameras, m.lost, m.plates, m.looks)
	}
	return m
}

// forget drops a camera's labelled series when it stops being analysed.
func (m *Metrics) forget(camera string) {
	m.analysed.DeleteLabelValues(camera)
	m.dropped.DeleteLabelValues(camera)
	m.errors.DeleteLabelValues(camera)
	m.plates.DeleteLabelValues(camera)
	m.looks.DeleteLabelValues(camera)
	m.events.DeletePartialMatch(prometheus.Labels{"camera": camera})
	m.tamper.DeletePartialMatch(prometheus.Labels{"camera": camera})
}
