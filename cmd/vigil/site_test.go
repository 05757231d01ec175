package main_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// site is one person's (or a token's) view of a running vigil serve over
// HTTPS, trusting the self-signed certificate it made in DATA/tls.
type site struct {
	base   string
	data   string
	client *http.Client
	csrf   string
	token  string
}

// newSite is an anonymous client of the service on port with data dir.
func newSite(t *testing.T, port int, data string) *site {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &site{base: fmt.Sprintf("https://127.0.0.1:%d", port), data: data,
		client: &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: trustSite(t, data)}}}
}

// at is the same person, signed in, asking another node of a cluster
// (port, data dir): sessions are shared, and the cookie is the host's.
func (s *site) at(t *testing.T, port int, data string) *site {
	t.Helper()
	return &site{base: fmt.Sprintf("https://127.0.0.1:%d", port), data: data, csrf: s.csrf, token: s.token,
		client: &http.Client{Jar: s.client.Jar, Timeout: s.client.Timeout, Transport: &http.Transport{TLSClientConfig: trustSite(t, data)}}}
}

func trustSite(t *testing.T, data string) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pem, err := os.ReadFile(filepath.Join(data, "tls", "cert.pem"))
		if err == nil && pool.AppendCertsFromPEM(pem) {
			return &tls.Config{RootCAs: pool}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no TLS certificate in %s/tls: %v", data, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends a request (body: nil, a string or a value to encode as JSON)
// and returns the status and body.
func (s *site) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// raw sends a request without a body and returns the whole
// answer: for its headers.
func (s *site) raw(t *testing.T, method, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

// json sends a request that must answer want, decoding the answer into v.
func (s *site) json(t *testing.T, method, path string, body any, want int, v any) {
	t.Helper()
	code, out := s.do(t, method, path, body)
	if code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, out)
		}
	}
}

// signIn signs in and keeps the session's CSRF token.
func (s *site) signIn(t *testing.T, user, password string) {
	t.Helper()
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	s.json(t, "POST", "/api/v1/session", map[string]string{"username": user, "password": password}, 200, &sess)
	s.csrf = sess.CSRF
}

// newPassword changes a temporary password for a chosen one.
func (s *site) newPassword(t *testing.T, old string) string {
	t.Helper()
	pw := "a long passphrase for " + fmt.Sprint(time.Now().UnixNano())
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	s.json(t, "POST", "/api/v1/session/password", map[string]string{"current_password": old, "new_password": pw}, 200, &sess)
	s.csrf = sess.CSRF
	return pw
}

// syncBuffer is a Writer for a child's stdout that tests can read.
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

var bannerPassword = regexp.MustCompile(`password: (\S+)`)

// printedPassword waits for the first administrator's one-time password
// that vigil serve prints on a new store.
func printedPassword(t *testing.T, stdout *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := bannerPassword.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no first-admin password printed: %q", stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstAdmin signs the first administrator in with the printed password
// and sets a real one.
func firstAdmin(t *testing.T, port int, data string, stdout *syncBuffer) *site {
	t.Helper()
	first := printedPassword(t, stdout)
	admin := newSite(t, port, data)
	admin.signIn(t, "admin", first)
	admin.newPassword(t, first)
	return admin
}

// person has the admin create a user with roles, who signs in and sets
// their password.
func (s *site) person(t *testing.T, port int, name, display string, roles ...string) *site {
	t.Helper()
	var u struct {
		Temp string `json:"temporary_password"`
	}
	s.json(t, "POST", "/api/v1/users", map[string]any{"username": name, "display_name": display, "roles": roles}, 201, &u)
	p := newSite(t, port, s.data)
	p.signIn(t, name, u.Temp)
	p.newPassword(t, u.Temp)
	return p
}

// machine has the admin make an API token with scopes.
func (s *site) machine(t *testing.T, port int, name string, scopes ...string) *site {
	t.Helper()
	var tok struct {
		Token string `json:"token"`
	}
	s.json(t, "POST", "/api/v1/tokens", map[string]any{"name": name, "scopes": scopes, "expires_in_days": 1}, 201, &tok)
	m := newSite(t, port, s.data)
	m.token = tok.Token
	return m
}
