package alerts

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/ingest/store"
)

const testSecret = "a webhook secret of some length"

func TestWebhookValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		w     Webhook
		field string // "" = valid
	}{
		{"none", Webhook{}, ""},
		{"https, signed", Webhook{URL: "https://hooks.example.org/vigil", Secret: testSecret}, ""},
		{"not a URL", Webhook{URL: "://x"}, "webhook_url"},
		{"scheme", Webhook{URL: "ftp://example.org/"}, "webhook_url"},
		{"no host", Webhook{URL: "https:///path"}, "webhook_url"},
		{"credentials", Webhook{URL: "https://u:p@example.org/"}, "webhook_url"},
		{"secret without URL", Webhook{Secret: testSecret}, "webhook_secret"},
		{"short secret", Webhook{URL: "https://example.org/", Secret: "short"}, "webhook_secret"},
		{"timeout", Webhook{URL: "https://example.org/", Timeout: time.Hour}, "webhook_timeout"},
		{"queue", Webhook{URL: "https://example.org/", Queue: -1}, "webhook_queue"},
		{"attempts", Webhook{URL: "https://example.org/", Attempts: 11}, "webhook_attempts"},
		{"backoff", Webhook{URL: "https://example.org/", Backoff: time.Nanosecond}, "webhook_backoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.w.Validate()
			var fe store.FieldErrors
			switch {
			case tc.field == "" && err != nil:
				t.Fatal(err)
			case tc.field != "" && (!errors.As(err, &fe) || fe[0].Field != tc.field):
				t.Fatalf("got %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

// receiver is a webhook endpoint that answers each delivery with the next
// status of a script (then 200), checking the signature of each.
type receiver struct {
	mu       sync.Mutex
	script   []int
	payloads []Payload
	bad      []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !hmac.Equal([]byte(r.Header.Get(SignatureHeader)), []byte(Sign(testSecret, body))) {
		rc.bad = append(rc.bad, "signature "+r.Header.Get(SignatureHeader))
	}
	if r.Header.Get("Content-Type") != "application/json" {
		rc.bad = append(rc.bad, "content type "+r.Header.Get("Content-Type"))
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		rc.bad = append(rc.bad, err.Error())
	}
	if r.Header.Get(DeliveryHeader) != strconv.FormatInt(p.ID, 10) {
		rc.bad = append(rc.bad, "delivery header "+r.Header.Get(DeliveryHeader))
	}
	rc.payloads = append(rc.payloads, p)
	status := http.StatusOK
	if len(rc.script) > 0 {
		status, rc.script = rc.script[0], rc.script[1:]
	}
	w.WriteHeader(status)
}

func (rc *receiver) count() int { rc.mu.Lock(); defer rc.mu.Unlock(); return len(rc.payloads) }

func delivered(s *Service, result string) float64 {
	return testutil.ToFloat64(s.delivered.WithLabelValues(result))
}

func TestWebhookDeliversSigned(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s := newService(t, Webhook{URL: srv.URL, Secret: testSecret, Backoff: 10 * time.Millisecond})
	a := tamper("cam003")
	a.EventID = 42
	raised, err := s.Raise(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return delivered(s, resultOK) == 1 })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Fatalf("bad deliveries: %v", rc.bad)
	}
	p := rc.payloads[0]
	if p.ID != raised.ID || !p.At.Equal(raised.At) || p.Camera != "cam003" || p.Kind != store.AlertTamper ||
		p.Rule != store.EventTamperCovered || p.Severity != store.SeverityWarning || p.Message != a.Message ||
		p.EventID == nil || *p.EventID != 42 || p.Acked {
		t.Fatalf("payload %+v for %+v", p, raised)
	}
}

func TestWebhookRetries(t *testing.T) {
	rc := &receiver{script: []int{503, 502, 200, 400}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s := newService(t, Webhook{URL: srv.URL, Secret: testSecret, Attempts: 3, Backoff: 10 * time.Millisecond})
	if _, err := s.Raise(context.Background(), tamper("cam001")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the third attempt to succeed", func() bool { return delivered(s, resultOK) == 1 })
	if r := delivered(s, resultRetry); r != 2 {
		t.Fatalf("%v retries, want 2", r)
	}
	// A 400 is the receiver refusing this alert: not retried.
	if _, err := s.Raise(context.Background(), tamper("cam001")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refusal", func() bool { return delivered(s, resultFailed) == 1 })
	if n := rc.count(); n != 4 {
		t.Fatalf("%d attempts reached the receiver, want 4", n)
	}
}

// A receiver that never answers costs queue slots and timeouts, never a
// Raise; Close does not wait for it either.
func TestDeadWebhookNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	s := newService(t, Webhook{URL: srv.URL, Timeout: 100 * time.Millisecond, Queue: 2, Attempts: 2, Backoff: 10 * time.Millisecond})
	ch, cancel := s.Subscribe()
	defer cancel()
	const n = 10
	for range n {
		if _, err := s.Raise(context.Background(), tamper("cam001")); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		receive(t, ch) // every alert reached the panels at once
	}
	if d := delivered(s, resultDropped); d < n-3 {
		t.Fatalf("%v dropped, want at least %d (queue 2, one in flight)", d, n-3)
	}
	waitFor(t, "a delivery to give up", func() bool { return delivered(s, resultFailed) >= 1 })
	if r := delivered(s, resultRetry); r < 1 {
		t.Fatalf("%v retries, want some", r)
	}
	s.Close()
	total := delivered(s, resultFailed) + delivered(s, resultDropped) + delivered(s, resultOK)
	if total != n {
		t.Fatalf("ok+failed+dropped = %v, want every alert (%d) accounted for", total, n)
	}
}
