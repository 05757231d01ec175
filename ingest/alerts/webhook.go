package alerts

import (
	"fmt"
	"net/url"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Webhook is where alerts are POSTed as they are raised; zero fields but
// URL take the defaults. With no URL there is no webhook.
type Webhook struct {
	// URL receives one JSON POST per alert (http or https).
	URL string
	// Secret, when set, signs each body: X-Vigil-Signature is the hex
	// HMAC-SHA256 of the body under this key.
	Secret string
	// Timeout bounds one attempt (default 5s).
	Timeout time.Duration
	// Queue is how many alerts may wait for delivery (default 256); beyond
	// it, new alerts are not sent (counted as dropped) rather than wait.
	Queue int
	// Attempts is how many times one alert is tried (default 4), Backoff
	// the wait before the first retry (default 1s), doubling each time.
	Attempts int
	Backoff  time.Duration
}

// Webhook defaults.
const (
	DefaultWebhookTimeout  = 5 * time.Second
	DefaultWebhookQueue    = 256
	DefaultWebhookAttempts = 4
	DefaultWebhookBackoff  = time.Second
)

func (w *Webhook) defaults() {
	if w.Timeout == 0 {
		w.Timeout = DefaultWebhookTimeout
	}
	if w.Queue == 0 {
		w.Queue = DefaultWebhookQueue
	}
	if w.Attempts == 0 {
		w.Attempts = DefaultWebhookAttempts
	}
	if w.Backoff == 0 {
		w.Backoff = DefaultWebhookBackoff
	}
}

// Validate checks the webhook (zero fields are the defaults); the field
// names are the configuration's (webhook_url, ...), to be prefixed with
// the section ("alerts") by the caller.
func (w Webhook) Validate() error {
	var fe store.FieldErrors
	bad := func(field, format string, args ...any) {
		fe = append(fe, &store.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if w.URL != "" {
		u, err := url.Parse(w.URL)
		switch {
		case err != nil:
			bad("webhook_url", "is not a URL: %v", err)
		case u.Scheme != "http" && u.Scheme != "https":
			bad("webhook_url", "%q must start with https:// (or http://)", w.URL)
		case u.Host == "":
			bad("webhook_url", "%q has no host", w.URL)
		case u.User != nil:
			bad("webhook_url", "must not hold a user or password: sign with webhook_secret instead")
		}
	} else if w.Secret != "" {
		bad("webhook_secret", "is set but webhook_url is not")
	}
	if w.Secret != "" && len(w.Secret) < 16 {
		bad("webhook_secret", "must be at least 16 characters (or empty: unsigned)")
	}
	w.defaults()
	if w.Timeout < 100*time.Millisecond || w.Timeout > 2*time.Minute {
		bad("webhook_timeout", "%v must be between 100ms and 2m", w.Timeout)
	}
	if w.Queue < 1 || w.Queue > 100000 {
		bad("webhook_queue", "%d must be between 1 and 100000", w.Queue)
	}
	if w.Attempts < 1 || w.Attempts > 10 {
		bad("webhook_attempts", "%d must be between 1 and 10", w.Attempts)
	}
	if w.Backoff < 10*time.Millisecond || w.Backoff > 10*time.Minute {
		bad("webhook_backoff", "%v must be between 10ms and 10m", w.Backoff)
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}
