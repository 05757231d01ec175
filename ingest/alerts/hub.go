package alerts

import (
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Message types.
const (
	TypeAlert = "alert" // a new alert
	TypeAck   = "ack"   // an alert was acknowledged
)

// Message is one change streamed to subscribers. Alert has no thumbnail
// bytes; Thumbnail is non-nil (empty) when the alert has one.
type Message struct {
	Type  string
	Alert store.Alert
}

// SubscriberQueue is how many messages a subscriber may fall behind before
// it is cut off.
const SubscriberQueue = 64

type subscriber struct{ ch chan Message }

// hub fans messages out to subscribers without ever waiting on one: a
// subscriber whose queue is full is cut off (its channel closed), and the
// alert panel behind it reconnects and reloads the list.
type hub struct {
	gauge  prometheus.Gauge
	cut    prometheus.Counter
	logger *slog.Logger

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

// Subscribe returns a stream of alerts and acknowledgements from now on,
// and the function that ends it. The channel is closed when the stream
// ends: cancelled, cut off for falling SubscriberQueue messages behind, or
// the service closed.
func (s *Service) Subscribe() (<-chan Message, func()) {
	if s.hub == nil {
		ch := make(chan Message)
		close(ch)
		return ch, func() {}
	}
	return s.hub.subscribe()
}

func (h *hub) subscribe() (<-chan Message, func()) {
	sub := &subscriber{ch: make(chan Message, SubscriberQueue)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(sub.ch)
		return sub.ch, func() {}
	}
	h.subs[sub] = struct{}{}
	h.gauge.Inc()
	return sub.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.drop(sub)
	}
}

// drop removes and closes a subscriber once; h.mu is held.
func (h *hub) drop(sub *subscriber) {
	if _, ok := h.subs[sub]; !ok {
		return
	}
	delete(h.subs, sub)
	close(sub.ch)
	h.gauge.Dec()
}

func (h *hub) publish(m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		select {
		case sub.ch <- m:
		default:
			h.drop(sub)
			h.cut.Inc()
			h.logger.Warn("alert stream fell behind and was cut off", "queue", SubscriberQueue)
		}
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for sub := range h.subs {
		h.drop(sub)
	}
}
