package ingest

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the ingest series. They are registered on an injected
// Registerer so tests and several supervisors never share globals.
type Metrics struct {
	Up               *prometheus.GaugeVec
	Status           *prometheus.GaugeVec
	Frames           *prometheus.CounterVec
	Bytes            *prometheus.CounterVec
	Reconnects       *prometheus.CounterVec
	PacketsLost      *prometheus.CounterVec
	DecodeErrors     *prometheus.CounterVec
	TimestampJumps   *prometheus.CounterVec
	Outages          *prometheus.CounterVec
	LastFrameAge     *prometheus.GaugeVec
	KeyframeInterval *prometheus.GaugeVec
	ClockOffset      *prometheus.GaugeVec
	HubDropped       *prometheus.CounterVec
	Configured       prometheus.Gauge
	Enabled          prometheus.Gauge
}

// NewMetrics creates the ingest series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	cs := []string{"camera", "stream"}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		Up:               gauge("vigil_camera_up", "1 when the camera stream is delivering frames, 0 otherwise.", cs...),
		Status:           gauge("vigil_camera_status", "1 for the stream's current status (online, offline, connecting, unsupported).", "camera", "stream", "status"),
		Frames:           counter("vigil_ingest_frames_total", "Access units (frames) received from the camera.", cs...),
		Bytes:            counter("vigil_ingest_bytes_total", "H.264 payload bytes received from the camera.", cs...),
		Reconnects:       counter("vigil_ingest_reconnects_total", "Times the stream was re-established after it had been online.", cs...),
		PacketsLost:      counter("vigil_ingest_rtp_packets_lost_total", "RTP packets the camera sent that never arrived (sequence gaps).", cs...),
		DecodeErrors:     counter("vigil_ingest_decode_errors_total", "Malformed RTP packets or H.264 payloads that were discarded.", cs...),
		TimestampJumps:   counter("vigil_ingest_timestamp_jumps_total", "Camera timestamp jumps that were rebased to keep time monotonic.", cs...),
		Outages:          counter("vigil_ingest_outages_total", "Outages of the stream, by reason.", "camera", "stream", "reason"),
		LastFrameAge:     gauge("vigil_ingest_last_frame_age_seconds", "Seconds since the last frame arrived (since the worker started if none has).", cs...),
		KeyframeInterval: gauge("vigil_ingest_keyframe_interval_seconds", "Seconds between the two latest keyframes (the GOP length).", cs...),
		ClockOffset:      gauge("vigil_ingest_clock_offset_seconds", "Camera wall clock (RTCP sender reports) minus the server clock.", cs...),
		HubDropped:       counter("vigil_hub_dropped_frames_total", "Access units a slow reader lost because its queue was full.", "camera", "stream", "reader"),
		Configured:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_cameras_configured", Help: "Cameras in the registry."}),
		Enabled:          prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_cameras_enabled", Help: "Cameras in the registry that are enabled for ingest."}),
	}
	if reg != nil {
		reg.MustRegister(m.Up, m.Status, m.Frames, m.Bytes, m.Reconnects, m.PacketsLost, m.DecodeErrors,
			m.TimestampJumps, m.Outages, m.LastFrameAge, m.KeyframeInterval, m.ClockOffset, m.HubDropped,
			m.Configured, m.Enabled)
	}
	return m
}

// forget removes every series of a camera stream, so a removed camera does
// not linger as "down" in Prometheus.
func (m *Metrics) forget(camera, stream string) {
	l := prometheus.Labels{"camera": camera, "stream": stream}
	for _, v := range []*prometheus.MetricVec{
		m.Up.MetricVec, m.Status.MetricVec, m.Frames.MetricVec, m.Bytes.MetricVec,
		m.Reconnects.MetricVec, m.PacketsLost.MetricVec, m.DecodeErrors.MetricVec,
		m.TimestampJumps.MetricVec, m.Outages.MetricVec, m.LastFrameAge.MetricVec,
		m.KeyframeInterval.MetricVec, m.ClockOffset.MetricVec, m.HubDropped.MetricVec,
	} {
		v.DeletePartialMatch(l)
	}
}
