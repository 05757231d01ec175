package live

import "github.com/prometheus/client_golang/prometheus"

// metrics are the live series, registered on the injected Registerer.
type metrics struct {
	viewers     *prometheus.GaugeVec
	sessions    *prometheus.CounterVec
	dropped     *prometheus.CounterVec
	ttff        prometheus.Histogram
	keyframes   prometheus.Counter
	nacks       prometheus.Counter
	retransmits prometheus.Counter
}

// Results of Start, the label of vigil_live_sessions_total.
const (
	resultStarted    = "started"
	resultBadOffer   = "bad_offer"
	resultNoH264     = "no_h264"
	resultBFrames    = "bframes"
	resultNoStream   = "no_stream"
	resultServerFull = "server_full"
	resultUserFull   = "user_full"
	resultFailed     = "failed"
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		viewers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_live_viewers", Help: "Live (WebRTC) viewers, by camera.",
		}, []string{"camera"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_live_sessions_total", Help: "Live view requests, by result (started, bad_offer, no_h264, bframes, no_stream, server_full, user_full, failed).",
		}, []string{"result"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_live_dropped_frames_total", Help: "Frames not sent to a live viewer that fell behind (its queue was full, then up to the next keyframe).",
		}, []string{"camera"}),
		ttff: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_live_time_to_first_frame_seconds",
			Help:    "From the WHEP request to the first keyframe packet sent to the viewer.",
			Buckets: []float64{.05, .1, .2, .3, .5, .75, 1, 1.5, 2, 3, 5, 10},
		}),
		keyframes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_live_keyframe_requests_total", Help: "Keyframe requests (RTCP PLI/FIR) received from live viewers.",
		}),
		nacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_live_nacks_total", Help: "RTP packets live viewers asked again for (RTCP NACK).",
		}),
		retransmits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_live_retransmitted_packets_total", Help: "RTP packets resent from the retransmission buffer in answer to NACKs.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.viewers, m.sessions, m.dropped, m.ttff, m.keyframes, m.nacks, m.retransmits)
	}
	return m
}
