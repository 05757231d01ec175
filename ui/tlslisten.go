package ui

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// tlsRecordHandshake is the first byte of every TLS client hello.
	tlsRecordHandshake = 0x16
	// sniffTimeout bounds both the wait for the first byte and the whole
	// plain HTTP redirect exchange.
	sniffTimeout = 10 * time.Second
	// maxRedirectHeader bounds what a plain HTTP client may make us read.
	maxRedirectHeader = 16 << 10
	// maxSniffing bounds connections being sniffed or redirected at once, so
	// idle or slow clients cannot pile up goroutines.
	maxSniffing = 512
)

// NewRedirectListener serves TLS and plain HTTP on one port. Accept returns
// only TLS connections; a connection whose first byte is not a TLS handshake
// record is answered with a 308 redirect to https on the same host and
// closed. Sniffing happens on a goroutine per connection, so a client that
// sends nothing never holds up Accept for the others.
func NewRedirectListener(inner net.Listener, cfg *tls.Config, logger *slog.Logger) net.Listener {
	return newRedirectListener(inner, cfg, logger, maxSniffing, sniffTimeout)
}

func newRedirectListener(inner net.Listener, cfg *tls.Config, logger *slog.Logger, limit int, timeout time.Duration) *redirectListener {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &redirectListener{
		inner:   inner,
		cfg:     cfg,
		logger:  logger,
		timeout: timeout,
		ready:   make(chan net.Conn),
		errs:    make(chan error),
		slots:   make(chan struct{}, limit),
		done:    make(chan struct{}),
		active:  make(map[net.Conn]struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

type redirectListener struct {
	inner   net.Listener
	cfg     *tls.Config
	logger  *slog.Logger
	timeout time.Duration

	ready chan net.Conn // TLS conns for Accept; unbuffered so none is lost at Close
	errs  chan error    // temporary errors of inner.Accept, for http.Server to back off on
	slots chan struct{} // one per connection being sniffed or redirected
	wg    sync.WaitGroup

	doneOnce  sync.Once
	done      chan struct{} // closed by Close or a permanent inner.Accept error
	doneErr   error         // what Accept returns once done is closed
	closeOnce sync.Once

	mu         sync.Mutex
	active     map[net.Conn]struct{} // closed by Close to end their goroutines
	closed     bool
	dropped    int // connections refused for lack of a slot, since lastDropLog
	lastDropAt time.Time
}

// Accept returns the next TLS connection (its handshake not yet done).
func (l *redirectListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		// Both cases may be ready at once; Close wins.
		select {
		case <-l.done:
			c.Close()
			return nil, l.doneErr
		default:
			return c, nil
		}
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, l.doneErr
	}
}

// Close closes inner and every connection still being sniffed or
// redirected, and waits for their goroutines.
func (l *redirectListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.finish(net.ErrClosed)
		err = l.inner.Close()
		l.mu.Lock()
		l.closed = true
		for c := range l.active {
			c.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
	return err
}

func (l *redirectListener) Addr() net.Addr { return l.inner.Addr() }

func (l *redirectListener) finish(err error) {
	l.doneOnce.Do(func() {
		l.doneErr = err
		close(l.done)
	})
}

func (l *redirectListener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.inner.Accept()
		if err != nil {
			if !isTemporary(err) {
				l.finish(err)
				return
			}
			// Hand it on so http.Server logs it and backs off before the
			// next Accept, which is when this loop gets to run again.
			select {
			case l.errs <- err:
				continue
			case <-l.done:
				return
			}
		}
		select {
		case l.slots <- struct{}{}:
		default:
			c.Close()
			l.noteDropped()
			continue
		}
		if !l.track(c) {
			<-l.slots
			c.Close()
			return
		}
		l.wg.Add(1)
		go l.sniff(c)
	}
}

func isTemporary(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// noteDropped logs refused connections at most once a minute: under a flood
// a line per connection would be a second flood.
func (l *redirectListener) noteDropped() {
	l.mu.Lock()
	l.dropped++
	n := l.dropped
	now := time.Now()
	report := now.Sub(l.lastDropAt) >= time.Minute
	if report {
		l.dropped = 0
		l.lastDropAt = now
	}
	l.mu.Unlock()
	if report {
		l.logger.Warn("too many connections awaiting their first bytes; closed new ones",
			"closed", n, "limit", cap(l.slots))
	}
}

func (l *redirectListener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.active[c] = struct{}{}
	return true
}

func (l *redirectListener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.active, c)
	l.mu.Unlock()
}

// sniff reads the first byte of c and either hands c to Accept as a TLS
// connection or answers it with a redirect.
func (l *redirectListener) sniff(c net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.slots }()

	c.SetReadDeadline(time.Now().Add(l.timeout))
	var first [1]byte
	if _, err := io.ReadFull(c, first[:]); err != nil {
		l.untrack(c)
		c.Close()
		return
	}
	if first[0] != tlsRecordHandshake {
		l.redirect(c, first[0])
		l.untrack(c)
		c.Close()
		return
	}
	// http.Server sets its own deadlines for the handshake and requests.
	c.SetReadDeadline(time.Time{})
	l.untrack(c)
	tc := tls.Server(&peekedConn{Conn: c, first: first[:]}, l.cfg)
	select {
	case l.ready <- tc:
	case <-l.done:
		tc.Close()
	}
}

// redirect reads one plain HTTP request from c, whose first byte was
// already read, and answers it with a redirect to https.
func (l *redirectListener) redirect(c net.Conn, first byte) {
	c.SetDeadline(time.Now().Add(l.timeout))
	r := io.MultiReader(bytes.NewReader([]byte{first}), c)
	req, err := http.ReadRequest(bufio.NewReader(io.LimitReader(r, maxRedirectHeader)))
	if err != nil {
		l.logger.Debug("malformed plain HTTP request", "remote", c.RemoteAddr().String(), "error", err)
		const body = "Bad request\n"
		fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"+
			"Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		return
	}
	host := req.Host
	if !validHostPort(host) {
		host = "localhost"
		if _, port, err := net.SplitHostPort(l.Addr().String()); err == nil {
			host = net.JoinHostPort(host, port)
		}
	}
	path := req.URL.RequestURI()
	if !strings.HasPrefix(path, "/") { // "*" of OPTIONS, or an opaque URL
		path = "/"
	}
	target := "https://" + host + path
	body := "This server is reached over HTTPS: " + target + "\n"
	hdr := fmt.Sprintf("HTTP/1.1 308 Permanent Redirect\r\nLocation: %s\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		target, len(body))
	if req.Method == http.MethodHead {
		body = ""
	}
	io.WriteString(c, hdr+body)
}

// validHostPort accepts a Host header made of a DNS name, an IPv4 address or
// a bracketed IPv6 address, with an optional port: anything else must not
// end up in a Location header.
func validHostPort(h string) bool {
	if h == "" || len(h) > 261 {
		return false
	}
	host := h
	if i := strings.LastIndexByte(h, ':'); i > strings.LastIndexByte(h, ']') {
		var port string
		var err error
		host, port, err = net.SplitHostPort(h)
		if err != nil {
			return false
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
			return false
		}
		// Brackets are for IPv6 and IPv6 needs them.
		if strings.HasPrefix(h, "[") != strings.Contains(host, ":") {
			return false
		}
		if strings.Contains(host, ":") {
			return net.ParseIP(host) != nil
		}
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		ip := net.ParseIP(h[1 : len(h)-1])
		return ip != nil && ip.To4() == nil
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, ch := range host {
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '.', ch == '_':
		default:
			return false
		}
	}
	return true
}

// peekedConn replays the byte sniff already read before reading on.
type peekedConn struct {
	net.Conn
	first []byte
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if len(c.first) > 0 {
		n := copy(p, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
