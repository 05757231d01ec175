// Package alerts raises the alerts an operator must see and acknowledge:
// it stores them, streams them to everyone watching (the alert panels) and
// posts them to a webhook. Analytics (tamper) and the hotspot rules raise
// them through Raiser.
package alerts

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Store is what the service needs of the store (*store.Store).
type Store interface {
	AddAlert(ctx context.Context, a *store.Alert) error
	Alert(ctx context.Context, id int64) (store.Alert, error)
	Alerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	AlertThumbnail(ctx context.Context, id int64) (camera string, jpeg []byte, err error)
	AckAlert(ctx context.Context, id int64, by, note string, at time.Time) (store.Alert, error)
}

// Raiser is what raises alerts: the analytics engine and the rule evaluator.
type Raiser interface {
	Raise(ctx context.Context, a store.Alert) (store.Alert, error)
}

// ErrClosed is returned by a Service that is not running.
var ErrClosed = errors.New("alerts: service is not running")

// Service raises, streams and acknowledges alerts.
type Service struct {
	Store      Store
	Webhook    Webhook // no URL: no webhook
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time // nil is time.Now

	raised    *prometheus.CounterVec
	delivered *prometheus.CounterVec
	subGauge  prometheus.Gauge
	cut       prometheus.Counter

	hub    *hub
	sender *sender // nil without a webhook

	mu      sync.Mutex
	running bool
}

// Initialize checks the webhook, registers the metrics and starts the
// webhook sender.
func (s *Service) Initialize() error {
	if s.Store == nil {
		return errors.New("alerts: Service needs a Store")
	}
	if err := s.Webhook.Validate(); err != nil {
		return err
	}
	s.Webhook.defaults()
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.raised = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_alerts_total",
		Help: "Alerts raised, by kind (tamper, activity) and severity."}, []string{"kind", "severity"})
	s.delivered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_alert_webhook_deliveries_total",
		Help: "Alert webhook attempts and outcomes: ok, retry, failed (given up), dropped (queue full or stopped)."}, []string{"result"})
	s.subGauge = prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_alert_subscribers",
		Help: "Alert streams open (alert panels watching)."})
	s.cut = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_alert_subscribers_cut_total",
		Help: "Alert streams cut off because they fell behind."})
	if s.Registerer != nil {
		for _, c := range []prometheus.Collector{s.raised, s.delivered, s.subGauge, s.cut} {
			if err := s.Registerer.Register(c); err != nil {
				return err
			}
		}
	}
	s.hub = &hub{gauge: s.subGauge, cut: s.cut, logger: s.Logger, subs: map[*subscriber]struct{}{}}
	if s.Webhook.URL != "" {
		s.sender = newSender(s.Webhook, s.delivered, s.Logger)
		go s.sender.run()
	}
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	return nil
}

// Close ends every alert stream and stops the webhook sender, waiting for
// it; alerts still queued for the webhook are counted as dropped.
func (s *Service) Close() {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
	if s.hub != nil {
		s.hub.closeAll()
	}
	if s.sender != nil {
		s.sender.close()
	}
}

func (s *Service) isRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Raise stores an alert (At defaults to now), streams it to every
// subscriber and queues it for the webhook. It never waits on either.
func (s *Service) Raise(ctx context.Context, a store.Alert) (store.Alert, error) {
	if !s.isRunning() {
		return store.Alert{}, ErrClosed
	}
	if a.At.IsZero() {
		a.At = s.Now()
	}
	a.At = a.At.UTC()
	if err := s.Store.AddAlert(ctx, &a); err != nil {
		return store.Alert{}, err
	}
	s.raised.WithLabelValues(a.Kind, a.Severity).Inc()
	s.Logger.Info("alert raised", "alert", a.ID, "camera", a.Camera, "kind", a.Kind, "rule", a.Rule, "severity", a.Severity)
	s.hub.publish(Message{Type: TypeAlert, Alert: listed(a)})
	if s.sender != nil {
		s.sender.enqueue(a)
	}
	return a, nil
}

// Ack records an operator's acknowledgement and streams it; the store's
// ErrNotFound and ErrAlreadyAcked come back as they are.
func (s *Service) Ack(ctx context.Context, id int64, by, note string) (store.Alert, error) {
	if !s.isRunning() {
		return store.Alert{}, ErrClosed
	}
	a, err := s.Store.AckAlert(ctx, id, by, note, s.Now().UTC())
	if err != nil {
		return a, err
	}
	s.Logger.Info("alert acknowledged", "alert", a.ID, "camera", a.Camera, "by", by)
	s.hub.publish(Message{Type: TypeAck, Alert: a})
	return a, nil
}

// List lists stored alerts (without thumbnails), newest first.
func (s *Service) List(ctx context.Context, f store.AlertFilter) ([]store.Alert, error) {
	return s.Store.Alerts(ctx, f)
}

// Get returns one stored alert (without its thumbnail).
func (s *Service) Get(ctx context.Context, id int64) (store.Alert, error) {
	return s.Store.Alert(ctx, id)
}

// Thumbnail returns an alert's camera and JPEG; ErrNotFound when none.
func (s *Service) Thumbnail(ctx context.Context, id int64) (camera string, jpeg []byte, err error) {
	return s.Store.AlertThumbnail(ctx, id)
}

// listed is a as the store lists it: a thumbnail is only marked (non-nil,
// empty), so streams do not carry pictures.
func listed(a store.Alert) store.Alert {
	if len(a.Thumbnail) > 0 {
		a.Thumbnail = []byte{}
	} else {
		a.Thumbnail = nil
	}
	return a
}
