package app

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is an App.Banner the test reads while the App may write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var bannerLine = regexp.MustCompile(`│\s+(username|password):\s+(\S+)\s+│`)

// firstAdmin reads the first administrator's name and password from the
// banner printed by Initialize.
func firstAdmin(t *testing.T, banner string) (username, password string) {
	t.Helper()
	for _, m := range bannerLine.FindAllStringSubmatch(banner, -1) {
		if m[1] == "username" {
			username = m[2]
		} else {
			password = m[2]
		}
	}
	if username == "" || password == "" {
		t.Fatalf("no first administrator in the banner: %q", banner)
	}
	return username, password
}

// client is one signed-in person: a cookie jar holding the session and the
// CSRF token that goes with it.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

// newClient is a client with an empty cookie jar; tr nil is the default
// transport.
func newClient(t *testing.T, base string, tr http.RoundTripper) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &client{t: t, base: base, hc: &http.Client{Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send makes a request with the session cookie (from the jar), the CSRF
// token and a JSON body; extra headers come in name, value pairs.
func (c *client) send(method, path, body string, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return res, raw
}

func (c *client) do(method, path, body string) (int, map[string]any, string) {
	c.t.Helper()
	res, raw := c.send(method, path, body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	return res.StatusCode, out, string(raw)
}

func (c *client) camera(id string) map[string]any {
	c.t.Helper()
	_, out, _ := c.do("GET", "/api/v1/cameras/"+id, "")
	return out
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// signIn starts a session and keeps its CSRF token; it answers the
// sign-in's response for the caller to inspect.
func (c *client) signIn(username, password string) *http.Response {
	c.t.Helper()
	res, raw := c.send("POST", "/api/v1/session", jsonBody(map[string]string{"username": username, "password": password}))
	var out struct {
		CSRF       string `json:"csrf_token"`
		MustChange bool   `json:"must_change_password"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.CSRF == "" {
		c.t.Fatalf("sign-in as %s: %d %s", username, res.StatusCode, raw)
	}
	c.csrf = out.CSRF
	return res
}

// changePassword sets a new password; the session is replaced by a fresh
// one with a new CSRF token.
func (c *client) changePassword(current, next string) {
	c.t.Helper()
	res, raw := c.send("POST", "/api/v1/session/password", jsonBody(map[string]string{"current_password": current, "new_password": next}))
	var out struct {
		CSRF       string `json:"csrf_token"`
		MustChange bool   `json:"must_change_password"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.CSRF == "" || out.MustChange {
		c.t.Fatalf("password change: %d %s", res.StatusCode, raw)
	}
	c.csrf = out.CSRF
}

// newPassword is a password that passes the rules, different per user.
func newPassword(username string) string {
	return "correct staple battery " + strings.ToUpper(username[:1]) + fmt.Sprint(len(username)*7919)
}

// addUser has the administrator c create a user with roles; the user
// signs in with the temporary password and sets their own.
func (c *client) addUser(username string, roles ...string) *client {
	c.t.Helper()
	code, out, raw := c.do("POST", "/api/v1/users", jsonBody(map[string]any{"username": username, "display_name": "Test " + username, "roles": roles}))
	temp, _ := out["temporary_password"].(string)
	if code != http.StatusCreated || temp == "" || out["must_change_password"] != true {
		c.t.Fatalf("creating user %s: %d %s", username, code, raw)
	}
	u := newClient(c.t, c.base, c.hc.Transport)
	u.signIn(username, temp)
	u.changePassword(temp, newPassword(username))
	return u
}

// team signs in the first administrator, whose password is in the banner,
// sets their password and has them create one user per role named after
// it ("engineer", "operator"...). The result maps "admin" and each role to
// a signed-in client over base.
func team(t *testing.T, a *App, base string, tr http.RoundTripper, roles ...string) map[string]*client {
	t.Helper()
	name, password := firstAdmin(t, a.Banner.(*lockedBuffer).String())
	admin := newClient(t, base, tr)
	admin.signIn(name, password)
	admin.changePassword(password, newPassword(name))
	out := map[string]*client{"admin": admin}
	for _, r := range roles {
		out[r] = admin.addUser(r, r)
	}
	return out
}

// TestTLSAndFirstSignIn runs the service as shipped: TLS on with a
// self-signed certificate, one administrator who must set a password.
func TestTLSAndFirstSignIn(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Listen, cfg.DataDir, cfg.LogLevel = "127.0.0.1:0", dir, "warn"
	cfg.Live.UDPPort, cfg.Live.TCPPort = 0, 0 // tests run side by side
	if err := cfg.Validate(); err != nil || cfg.TLS.Mode != "on" {
		t.Fatalf("default config: mode %q, %v", cfg.TLS.Mode, err)
	}
	banner := &lockedBuffer{}
	a := &App{Config: cfg, LogOutput: io.Discard, Banner: banner}
	if err := a.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if a != nil {
			a.Close()
		}
	}()
	addr := a.Addr()
	_, port, _ := net.SplitHostPort(addr)
	if want := "https://localhost:" + port; a.URL() != want && a.URL() != "https://"+addr {
		t.Errorf("URL %s, want https", a.URL())
	}

	// Plain HTTP on the same port is sent to HTTPS.
	plain := newClient(t, "http://"+addr, nil)
	res, _ := plain.send("GET", "/healthz", "")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusPermanentRedirect || loc != "https://"+addr+"/healthz" {
		t.Fatalf("plain HTTP: %d Location %q", res.StatusCode, loc)
	}

	// HTTPS with the self-signed certificate kept in DATA_DIR/tls.
	pemBytes, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("DATA_DIR/tls/cert.pem holds no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	base := "https://" + addr
	anon := newClient(t, base, tr)
	res, body := anon.send("GET", "/healthz", "")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("https /healthz: %d %v %s", res.StatusCode, res.Header, body)
	}
	if res, body := anon.send("GET", "/readyz", ""); res.StatusCode != http.StatusOK || string(body) != "ready\n" {
		t.Fatalf("https /readyz: %d %s", res.StatusCode, body)
	}
	if code, _, raw := anon.do("GET", "/api/v1/cameras", ""); code != http.StatusUnauthorized {
		t.Errorf("unauthenticated GET /api/v1/cameras: %d %s", code, raw)
	}

	// The first administrator: printed once, must change the password.
	name, password := firstAdmin(t, banner.String())
	if name != "admin" || !regexp.MustCompile(`^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$`).MatchString(password) {
		t.Errorf("first administrator %q with password %q", name, password)
	}
	admin := newClient(t, base, tr)
	res = admin.signIn(name, password)
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "vigil_session" {
			session = ck
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %v, want Secure, HttpOnly, SameSite=Strict", session)
	}
	if code, _, raw := admin.do("GET", "/api/v1/cameras", ""); code != http.StatusForbidden || !strings.Contains(raw, "change your password") {
		t.Errorf("GET /api/v1/cameras before the password change: %d %s", code, raw)
	}
	admin.changePassword(password, newPassword(name))
	if code, _, raw := admin.do("GET", "/api/v1/cameras", ""); code != http.StatusOK {
		t.Errorf("GET /api/v1/cameras after the password change: %d %s", code, raw)
	}

	// /metrics: a token with metrics.read, not anyone.
	if code, _, _ := anon.do("GET", "/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("unauthenticated /metrics: %d", code)
	}
	code, out, raw := admin.do("POST", "/api/v1/tokens", `{"name":"prometheus","scopes":["metrics.read"],"expires_in_days":30}`)
	token, _ := out["token"].(string)
	if code != http.StatusCreated || token == "" {
		t.Fatalf("creating a metrics token: %d %s", code, raw)
	}
	res, body = anon.send("GET", "/metrics", "", "Authorization", "Bearer "+token)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "vigil_http_refused_total") {
		t.Errorf("/metrics with a metrics.read token: %d %.300s", res.StatusCode, body)
	}

	// A restart on the same data: no new administrator, no banner; the
	// password set above still works.
	a.Close()
	banner2 := &lockedBuffer{}
	a = &App{Config: cfg, LogOutput: io.Discard, Banner: banner2}
	if err := a.Initialize(); err != nil {
		a = nil // Initialize closed what it started
		t.Fatal(err)
	}
	if s := banner2.String(); s != "" {
		t.Errorf("banner printed again on restart: %q", s)
	}
	again := newClient(t, "https://"+a.Addr(), tr)
	again.signIn(name, newPassword(name))
	if code, _, raw := again.do("GET", "/api/v1/cameras", ""); code != http.StatusOK {
		t.Errorf("after a restart: %d %s", code, raw)
	}
}
