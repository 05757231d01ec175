package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest/ratelog"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Headers of a webhook delivery.
const (
	SignatureHeader = "X-Vigil-Signature" // hex HMAC-SHA256 of the body
	DeliveryHeader  = "X-Vigil-Delivery"  // the alert id: the same on every retry
)

// Payload is the JSON body of a webhook delivery.
type Payload struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Camera   string    `json:"camera"`
	Kind     string    `json:"kind"`
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	Message  string    `json:"message"`
	EventID  *int64    `json:"event_id"` // null when none
	Acked    bool      `json:"acked"`
}

func payloadOf(a store.Alert) Payload {
	p := Payload{ID: a.ID, At: a.At.UTC(), Camera: a.Camera, Kind: a.Kind, Rule: a.Rule, Severity: a.Severity,
		Message: a.Message, Acked: !a.Acked.IsZero()}
	if a.EventID != 0 {
		p.EventID = &a.EventID
	}
	return p
}

// Sign is the X-Vigil-Signature of body under secret: what a receiver
// computes to check a delivery came from Vigil.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Delivery results, the values of the result label.
const (
	resultOK      = "ok"      // a 2xx answer
	resultRetry   = "retry"   // an attempt failed and will be tried again
	resultFailed  = "failed"  // given up: attempts used, or refused (4xx)
	resultDropped = "dropped" // the queue was full, or Vigil stopped first
)

// sender POSTs alerts to the webhook from one goroutine, behind a bounded
// queue: a slow or dead receiver costs queue slots, never a Raise.
type sender struct {
	cfg     Webhook
	client  *http.Client
	queue   chan store.Alert
	results *prometheus.CounterVec
	logger  *slog.Logger

	ctx    context.Context // ends on close: in-flight attempts and backoffs stop
	cancel context.CancelFunc
	done   chan struct{}

	// warns: a dead receiver under a storm of alerts must not flood the log.
	warns ratelog.Logger
}

func newSender(cfg Webhook, results *prometheus.CounterVec, logger *slog.Logger) *sender {
	ctx, cancel := context.WithCancel(context.Background())
	return &sender{cfg: cfg, results: results, logger: logger, warns: ratelog.Logger{Logger: logger}, queue: make(chan store.Alert, cfg.Queue),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		client: &http.Client{
			// A redirect would send the signed alert somewhere not configured.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
}

// enqueue queues a delivery without waiting.
func (s *sender) enqueue(a store.Alert) {
	select {
	case s.queue <- a:
	default:
		s.results.WithLabelValues(resultDropped).Inc()
		s.warns.Warn("alert webhook queue is full; alert not sent", "alert", a.ID, "queue", s.cfg.Queue)
	}
}

func (s *sender) run() {
	defer close(s.done)
	for {
		select {
		case <-s.ctx.Done():
			if n := len(s.queue); n > 0 {
				s.results.WithLabelValues(resultDropped).Add(float64(n))
				s.logger.Warn("alert webhook stopped with alerts unsent", "alerts", n)
			}
			return
		case a := <-s.queue:
			s.deliver(a)
		}
	}
}

func (s *sender) close() {
	s.cancel()
	<-s.done
}

// deliver tries one alert up to Attempts times, waiting Backoff, then
// twice that, and so on, between tries.
func (s *sender) deliver(a store.Alert) {
	body, err := json.Marshal(payloadOf(a))
	if err != nil {
		s.results.WithLabelValues(resultFailed).Inc()
		s.logger.Error("alert webhook: cannot encode alert", "alert", a.ID, "error", err)
		return
	}
	wait := s.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err := s.post(a.ID, body)
		if err == nil {
			s.results.WithLabelValues(resultOK).Inc()
			return
		}
		if errors.Is(err, errRefused) || attempt >= s.cfg.Attempts || s.ctx.Err() != nil {
			s.results.WithLabelValues(resultFailed).Inc()
			s.warns.Warn("alert webhook delivery failed", "alert", a.ID, "attempts", attempt, "error", err)
			return
		}
		s.results.WithLabelValues(resultRetry).Inc()
		select {
		case <-s.ctx.Done():
			s.results.WithLabelValues(resultFailed).Inc()
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// errRefused marks a failure that retrying cannot mend: a 4xx answer (but
// 408 and 429), or a request that cannot be built.
var errRefused = errors.New("not retried")

func (s *sender) post(id int64, body []byte) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", errRefused, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil-Alerts/1")
	req.Header.Set(DeliveryHeader, strconv.FormatInt(id, 10))
	if s.cfg.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(s.cfg.Secret, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	// Drain a little so the connection can be reused; the answer is unused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests:
		return fmt.Errorf("%w: the receiver refused it: HTTP %d", errRefused, c)
	default:
		return fmt.Errorf("HTTP %d", c)
	}
}
