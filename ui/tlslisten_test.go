package ui

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer collects log output written from the listener's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type tlsTestServer struct {
	t      *testing.T
	addr   string
	ln     *redirectListener
	srv    *http.Server
	served chan error
	client *http.Client // trusts the server's certificate
	logs   *syncBuffer
}

func startTLSTestServer(t *testing.T, inner net.Listener, limit int, timeout time.Duration) *tlsTestServer {
	t.Helper()
	cert, _, err := LoadOrCreateCertificate("", "", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if inner == nil {
		if inner, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	ln := newRedirectListener(inner, ServerTLSConfig(cert), logger, limit, timeout)
	handler := HSTS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "not over TLS", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	}))
	s := &tlsTestServer{
		t:    t,
		addr: ln.Addr().String(),
		ln:   ln,
		srv: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		served: make(chan error, 1),
		logs:   logs,
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	s.client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		s.srv.Close()
		<-s.served
	})
	return s
}

// getTLS fetches path over TLS and checks the answer and the HSTS header.
func (s *tlsTestServer) getTLS(path string) {
	s.t.Helper()
	resp, err := s.client.Get("https://" + s.addr + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		s.t.Fatalf("GET %s: %s %q", path, resp.Status, body)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		s.t.Errorf("Strict-Transport-Security %q", got)
	}
	if resp.TLS == nil || !resp.TLS.HandshakeComplete {
		s.t.Error("response not over TLS")
	}
}

func (s *tlsTestServer) sniffing() int {
	s.ln.mu.Lock()
	defer s.ln.mu.Unlock()
	return len(s.ln.active)
}

func TestHSTSOverTLS(t *testing.T) {
	s := startTLSTestServer(t, nil, maxSniffing, sniffTimeout)
	s.getTLS("/api/v1/cameras")
	s.getTLS("/api/v1/cameras") // kept-alive connection
}

func TestRedirectListenerRedirectsPlainHTTP(t *testing.T) {
	s := startTLSTestServer(t, nil, maxSniffing, sniffTimeout)
	_, port, _ := net.SplitHostPort(s.addr)
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		req, _ := http.NewRequest(method, "http://"+s.addr+"/api/v1/x?y=1", strings.NewReader(""))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusPermanentRedirect {
			t.Errorf("%s: status %s", method, resp.Status)
		}
		if got, want := resp.Header.Get("Location"), "https://127.0.0.1:"+port+"/api/v1/x?y=1"; got != want {
			t.Errorf("%s: Location %q, want %q", method, got, want)
		}
		if !resp.Close {
			t.Errorf("%s: no Connection: close", method)
		}
	}

	// Missing or unusable Host headers fall back to localhost on our port.
	for _, raw := range []string{
		"GET /live?cam=2 HTTP/1.0\r\n\r\n",
		"GET /live?cam=2 HTTP/1.1\r\nHost: evil\"host\r\n\r\n",
		"GET /live?cam=2 HTTP/1.1\r\nHost: ::1\r\n\r\n",
		"GET /live?cam=2 HTTP/1.1\r\nHost: [1.2.3.4]:80\r\n\r\n",
	} {
		resp := rawRequest(t, s.addr, raw)
		if got, want := resp.Header.Get("Location"), "https://localhost:"+port+"/live?cam=2"; resp.StatusCode != http.StatusPermanentRedirect || got != want {
			t.Errorf("%q: %s Location %q, want %q", raw, resp.Status, got, want)
		}
	}
	resp := rawRequest(t, s.addr, "GET /a HTTP/1.1\r\nHost: [::1]:"+port+"\r\n\r\n")
	if got, want := resp.Header.Get("Location"), "https://[::1]:"+port+"/a"; got != want {
		t.Errorf("IPv6 host: Location %q, want %q", got, want)
	}
	resp = rawRequest(t, s.addr, "NONSENSE\r\n\r\n")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed request: %s", resp.Status)
	}
}

func rawRequest(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	resp.Body.Close()
	return resp
}

func TestRedirectListenerSlowClientsDoNotBlockTLS(t *testing.T) {
	s := startTLSTestServer(t, nil, maxSniffing, sniffTimeout)

	idle, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	junk, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// The server stops reading at 16 KiB, so this write may fail.
		junk.Write(bytes.Repeat([]byte("X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), 100<<10/38))
	}()
	waitFor(t, "plain connections sniffed", func() bool { return s.sniffing() >= 1 })

	s.getTLS("/")

	junk.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(junk)
	if isTimeout(err) {
		t.Fatal("junk connection neither answered nor closed")
	}
	if len(got) > 0 && !bytes.HasPrefix(got, []byte("HTTP/1.1 400 ")) {
		t.Errorf("junk answered %q", got)
	}
	junk.Close()
	<-wrote

	// The idle client is still being waited for, and TLS still works.
	if n := s.sniffing(); n != 1 {
		t.Errorf("%d connections sniffed, want the idle one", n)
	}
	s.getTLS("/")
}

func TestRedirectListenerTimesOutIdleConnections(t *testing.T) {
	s := startTLSTestServer(t, nil, maxSniffing, 50*time.Millisecond)
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("idle connection: read %d, %v; want it closed by the server", n, err)
	}
	waitFor(t, "the idle connection forgotten", func() bool { return s.sniffing() == 0 })
	s.getTLS("/")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestRedirectListenerLimitsSniffing(t *testing.T) {
	s := startTLSTestServer(t, nil, 1, sniffTimeout)
	idle, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	waitFor(t, "the idle connection sniffed", func() bool { return s.sniffing() == 1 })

	for range 3 {
		extra, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		extra.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = extra.Read(make([]byte, 1))
		extra.Close()
		if err == nil || isTimeout(err) {
			t.Fatalf("connection over the limit not closed at once: %v", err)
		}
	}
	waitFor(t, "a log line about closed connections", func() bool {
		return strings.Contains(s.logs.String(), "too many connections")
	})
	if n := strings.Count(s.logs.String(), "too many connections"); n != 1 {
		t.Errorf("%d log lines about closed connections, want 1 a minute:\n%s", n, s.logs.String())
	}

	// Once the slot is free TLS is served again.
	idle.Close()
	waitFor(t, "the slot freed", func() bool { return s.sniffing() == 0 && len(s.ln.slots) == 0 })
	s.getTLS("/")
}

// flakyListener fails its first Accept with a temporary error.
type flakyListener struct {
	net.Listener
	once sync.Once
}

type tempError struct{}

func (tempError) Error() string   { return "accept: too many open files" }
func (tempError) Timeout() bool   { return false }
func (tempError) Temporary() bool { return true }

func (l *flakyListener) Accept() (net.Conn, error) {
	failed := false
	l.once.Do(func() { failed = true })
	if failed {
		return nil, tempError{}
	}
	return l.Listener.Accept()
}

func TestRedirectListenerSurvivesTemporaryAcceptErrors(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := startTLSTestServer(t, &flakyListener{Listener: inner}, maxSniffing, sniffTimeout)
	s.getTLS("/")
}

func TestRedirectListenerCloseWithIdleConnection(t *testing.T) {
	before := runtime.NumGoroutine()

	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := LoadOrCreateCertificate("", "", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln := NewRedirectListener(inner, ServerTLSConfig(cert), nil)
	srv := &http.Server{Handler: http.NotFoundHandler()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	rl := ln.(*redirectListener)
	waitFor(t, "the idle connection sniffed", func() bool {
		rl.mu.Lock()
		defer rl.mu.Unlock()
		return len(rl.active) == 1
	})

	closed := make(chan error, 1)
	go func() { closed <- ln.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second): // well under the 10 s sniff timeout
		t.Fatal("Close blocked on the idle connection")
	}
	select {
	case err := <-served:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve returned %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("idle connection not closed: %v", err)
	}
	idle.Close()

	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
