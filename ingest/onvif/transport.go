package onvif

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
)

// call sends req to xaddr, authenticating as the camera wants, and decodes
// the answer into out (nil to only check it). The whole exchange, auth
// retries included, is bounded by Config.Timeout.
func (c *Client) call(ctx context.Context, xaddr string, req request, out any) error {
	if !req.public && c.needClock() {
		c.syncClock(ctx)
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	m := c.firstMethod(req)
	var tried []AuthMethod
	var last reply
	for len(tried) < 4 {
		r, err := c.send(cctx, ctx, xaddr, req, m, out)
		if err != nil {
			return err
		}
		tried = append(tried, m)
		if r.digest != nil {
			c.setDigest(r.digest)
		}
		if !r.authFailed {
			if !req.public {
				c.setAuth(m)
			}
			return r.err
		}
		last = r
		if m = c.nextMethod(m, r, tried); m == AuthUnknown {
			break
		}
	}
	return c.authError(req, xaddr, tried, last)
}

// reply is what one HTTP exchange told us.
type reply struct {
	authFailed bool             // 401, or a NotAuthorized fault
	digest     *digestChallenge // a Digest challenge we can answer
	usedNonce  string           // the Digest nonce this request answered
	fault      *Fault
	err        error // the call's result when not an auth failure
}

func (c *Client) send(ctx, parent context.Context, xaddr string, req request, m AuthMethod, out any) (reply, error) {
	var r reply
	header := ""
	if m == AuthWSSecurity {
		header = usernameToken(c.cfg.Username, c.cfg.Password, c.deviceNow())
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, xaddr, bytes.NewReader(envelope(header, req.body)))
	if err != nil {
		return r, fmt.Errorf("onvif: %s: %w", req.op, err)
	}
	hreq.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+req.action()+`"`)
	if m == AuthHTTPDigest {
		if a, nonce, ok := c.digestAuth(hreq.URL.RequestURI()); ok {
			hreq.Header.Set("Authorization", a)
			r.usedNonce = nonce
		}
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return r, transportError(parent, req.op, xaddr, c.cfg.Timeout, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponse+1))
	if err != nil {
		return r, transportError(parent, req.op, xaddr, c.cfg.Timeout, err)
	}
	where := fmt.Sprintf("onvif: %s at %s", req.op, hostOf(xaddr))
	if int64(len(data)) > c.cfg.MaxResponse {
		return r, &callError{msg: fmt.Sprintf("%s: response larger than %s", where, size(c.cfg.MaxResponse)), kind: ErrTooLarge}
	}
	if resp.StatusCode/100 == 3 {
		return r, fmt.Errorf("%s: camera answered HTTP %d redirecting to %q; redirects are not followed", where, resp.StatusCode, resp.Header.Get("Location"))
	}

	perr := parseResponse(data, req.want(), out)
	var f *Fault
	if errors.As(perr, &f) {
		f.HTTPStatus = resp.StatusCode
		r.fault = f
	}
	r.authFailed = resp.StatusCode == http.StatusUnauthorized || (f != nil && f.Has(NotAuthorized))
	if r.authFailed {
		if vals := resp.Header.Values("WWW-Authenticate"); len(vals) > 0 {
			if d, err := pickDigest(vals); err == nil {
				r.digest = d
			} else {
				c.log.Debug("onvif: unusable WWW-Authenticate", "error", err)
			}
		}
		return r, nil
	}
	switch {
	case f != nil:
		r.err = fmt.Errorf("%s: %w", where, f)
	case perr != nil && resp.StatusCode/100 != 2:
		r.err = fmt.Errorf("%s: camera answered HTTP %s (%q): %w", where, resp.Status, snippet(data), perr)
	case perr != nil:
		r.err = fmt.Errorf("%s: %w", where, perr)
	}
	return r, nil
}

func (c *Client) firstMethod(req request) AuthMethod {
	if req.public {
		return AuthNone
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.auth != AuthUnknown:
		return c.auth
	case c.cfg.Username == "":
		return AuthNone
	}
	return AuthWSSecurity
}

// nextMethod picks what to try after an auth failure, AuthUnknown to give
// up. WS-Security goes first (one round trip, works on most cameras); a
// Digest challenge moves us to HTTP Digest; a stale or new nonce earns
// Digest one more try.
func (c *Client) nextMethod(m AuthMethod, r reply, tried []AuthMethod) AuthMethod {
	if c.cfg.Username == "" {
		return AuthUnknown
	}
	count := func(x AuthMethod) int {
		n := 0
		for _, t := range tried {
			if t == x {
				n++
			}
		}
		return n
	}
	c.mu.Lock()
	haveDigest := c.digest != nil
	remembered := c.auth
	c.mu.Unlock()
	switch m {
	case AuthNone:
		if remembered == AuthHTTPDigest && count(AuthHTTPDigest) == 0 {
			return AuthHTTPDigest
		}
		if count(AuthWSSecurity) == 0 {
			return AuthWSSecurity
		}
	case AuthWSSecurity:
		if haveDigest && count(AuthHTTPDigest) == 0 {
			return AuthHTTPDigest
		}
	case AuthHTTPDigest:
		if r.digest != nil && count(AuthHTTPDigest) < 2 && (r.digest.stale || r.digest.nonce != r.usedNonce) {
			return AuthHTTPDigest
		}
	}
	return AuthUnknown
}

func (c *Client) authError(req request, xaddr string, tried []AuthMethod, last reply) error {
	where := fmt.Sprintf("onvif: %s at %s", req.op, hostOf(xaddr))
	var cause error
	if last.fault != nil {
		cause = last.fault
	}
	if c.cfg.Username == "" {
		return &callError{msg: where + ": camera requires credentials and none are configured", kind: ErrAuth, cause: cause}
	}
	var names []string
	for _, t := range tried {
		if s := t.String(); t != AuthNone && !contains(names, s) {
			names = append(names, s)
		}
	}
	return &callError{
		msg:  fmt.Sprintf("%s: camera rejected the credentials of %q (tried %s)", where, c.cfg.Username, strings.Join(names, ", ")),
		kind: ErrAuth, cause: cause,
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (c *Client) setAuth(m AuthMethod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.auth != m {
		c.log.Debug("onvif: authentication settled", "method", m.String())
	}
	c.auth = m
}

func (c *Client) setDigest(d *digestChallenge) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.digest == nil || c.digest.nonce != d.nonce {
		c.digest, c.nc = d, 0
	}
}

// digestAuth answers the latest challenge, counting requests per nonce.
func (c *Client) digestAuth(uri string) (header, nonce string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.digest == nil {
		return "", "", false
	}
	c.nc++
	return c.digest.authorization(c.cfg.Username, c.cfg.Password, http.MethodPost, uri, c.nc), c.digest.nonce, true
}

// snippet is the start of a non-SOAP answer, printable, for an error message.
func snippet(data []byte) string {
	const n = 80
	s := strings.Join(strings.Fields(string(data)), " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	return truncate(s, n)
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
