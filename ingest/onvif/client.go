package onvif

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Defaults for zero Config fields.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxResponse = 1 << 20
)

// Config says which camera to talk to and how patiently.
type Config struct {
	// XAddr is the device service URL, e.g. http://10.1.2.3/onvif/device_service
	// (what WS-Discovery reports).
	XAddr string
	// Username and Password; empty Username sends no credentials.
	Username string
	Password string
	// Timeout bounds each call from sending to the last byte read, retries
	// for authentication included. Zero is DefaultTimeout.
	Timeout time.Duration
	// MaxResponse bounds an answer's body in bytes. Zero is DefaultMaxResponse.
	MaxResponse int64
	// HTTPClient sends the requests (set it for HTTPS with the camera's own
	// certificate). Nil is a client of our own that follows no redirects.
	HTTPClient *http.Client
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the local clock (tests set it); nil is time.Now.
	Now func() time.Time
}

// Validate names the first bad field.
func (c Config) Validate() error {
	if c.XAddr == "" {
		return errors.New("onvif: Config.XAddr is empty")
	}
	if err := checkHTTPURL(c.XAddr); err != nil {
		return fmt.Errorf("onvif: Config.XAddr: %w", err)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("onvif: Config.Timeout %v is negative", c.Timeout)
	}
	if c.MaxResponse < 0 {
		return fmt.Errorf("onvif: Config.MaxResponse %d is negative", c.MaxResponse)
	}
	if c.Password != "" && c.Username == "" {
		return errors.New("onvif: Config.Password is set but Config.Username is empty")
	}
	return nil
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http or https URL", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	return nil
}

// Client talks to one camera. It is safe for concurrent use; it remembers
// the camera's clock offset, which authentication worked and the service
// addresses, so the first calls cost a few extra round trips and later ones
// none.
type Client struct {
	cfg       Config
	http      *http.Client
	transport *http.Transport // ours to close; nil when the caller gave a client
	log       *slog.Logger
	now       func() time.Time

	mu         sync.Mutex
	auth       AuthMethod
	offset     time.Duration
	clockKnown bool
	clockTried bool
	digest     *digestChallenge
	nc         uint32
	services   *Services
}

// New checks cfg and returns a client; nothing is sent yet.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxResponse == 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	c := &Client{cfg: cfg, log: cfg.Logger, now: cfg.Now, http: cfg.HTTPClient}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("camera", cfg.XAddr)
	if c.now == nil {
		c.now = time.Now
	}
	if c.http == nil {
		// Our own transport: no shared global pool, and few idle
		// connections, since a camera is called seldom.
		c.transport = &http.Transport{
			DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: cfg.Timeout,
		}
		c.http = &http.Client{
			Transport: c.transport,
			// A redirected POST becomes a GET or goes to a host we did
			// not choose; report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

// Close releases idle connections. The client must not be used after.
func (c *Client) Close() {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
}

// AuthMethod is how the client proves who it is.
type AuthMethod int

// Authentication methods; AuthUnknown until a call succeeded with one.
const (
	AuthUnknown AuthMethod = iota
	AuthNone
	AuthWSSecurity
	AuthHTTPDigest
)

func (m AuthMethod) String() string {
	switch m {
	case AuthNone:
		return "none"
	case AuthWSSecurity:
		return "WS-Security UsernameToken"
	case AuthHTTPDigest:
		return "HTTP Digest"
	}
	return "unknown"
}

// Auth is the method that last worked with this camera.
func (c *Client) Auth() AuthMethod {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.auth
}

// ClockOffset is the camera's clock minus ours, and whether it was measured.
func (c *Client) ClockOffset() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset, c.clockKnown
}
