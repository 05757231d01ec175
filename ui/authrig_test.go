package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/export"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/onvif"
	"github.com/vigil-cctv/vigil/ingest/ptz"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/tasking"
	"github.com/vigil-cctv/vigil/ui/auth"
	"github.com/vigil-cctv/vigil/ui/live"
)

// cheapHasher keeps tests fast; the format and checks are the real ones.
var cheapHasher = auth.Hasher{Time: 1, MemoryKiB: 64, Threads: 1}

const testPassword = "correct horse battery staple"

// clock is a settable time for session, lockout and grant expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rig is a signed-in API over a real store: cameras cam001..cam003 and
// cam009 (on site "north" for cam002), users created on demand.
type rig struct {
	url   string
	st    *store.Store
	audit *locker.Log
	clock *clock
	srv   *Server
	live  *live.Server
	// alerts serves Server.Alerts (raise alerts through it in tests).
	alerts *alerts.Service
	// tasking serves Server.Deployments on the rig's clock (tests sweep it).
	tasking *tasking.Service
}

func newRig(t testing.TB) *rig {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, id := range []string{"cam001", "cam002", "cam003", "cam009"} {
		c := store.Camera{ID: id, MainURL: "rtsp://10.0.0.1/" + id, Enabled: true, ManagedBy: store.ManagedByAPI}
		if id == "cam002" {
			c.Site = "north"
		}
		c.Normalize()
		if err := st.CreateCamera(context.Background(), &c); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	logger := slog.New(slog.DiscardHandler)
	audit := &locker.Log{Dir: t.TempDir(), Origin: "test/evidence", CreateKey: true, CheckpointInterval: -1, Logger: logger}
	if err := audit.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	jobs := &export.Jobs{Exporter: &export.Exporter{Store: st, Log: audit, RecordingsDir: t.TempDir(),
		OutDir: t.TempDir(), Logger: logger}}
	jobs.Initialize()
	t.Cleanup(jobs.Close)
	// Live views are served by a real WebRTC engine, on hubs that exist
	// for every camera (no pictures unless a test publishes some).
	lv := &live.Server{Config: live.Config{UDPPort: 0, TCPPort: -1, MaxViewersPerUser: 3},
		Hubs: &hubs{m: map[string]*ingest.Hub{}}, Registerer: prometheus.NewRegistry(), Logger: logger}
	if err := lv.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lv.Close)
	al := &alerts.Service{Store: st, Logger: logger, Now: clk.Now}
	if err := al.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(al.Close)
	tk := &tasking.Service{Store: st, Cameras: registry{st}, Audit: audit, Alerts: al, Logger: logger, Now: clk.Now, Interval: time.Hour}
	if err := tk.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tk.Close)
	// PTZ and ONVIF are real: no camera here is a dome (404), and the
	// network they would probe has nobody on it.
	srv := &Server{PTZ: &ptz.Controller{Cameras: storeDomes{st}, Audit: audit, Logger: logger}, ONVIF: noDevices{},
		Live: lv, Alerts: al, Analytics: st, Plates: st, Cameras: registry{st}, Deployments: tk, DeploymentRecords: st, Recordings: st, Records: st, Holds: st, Audit: audit, People: st, Identity: st,
		Exports: jobs, ExportRequests: st, AuditLog: audit, Checkpoints: audit, Gatherer: prometheus.NewRegistry(), Registerer: prometheus.NewRegistry(),
		Logger: logger, Now: clk.Now, Auth: AuthConfig{Hasher: cheapHasher}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &rig{url: ts.URL, st: st, audit: audit, clock: clk, srv: srv, live: lv, alerts: al, tasking: tk}
}

// storeDomes finds a camera's dome in the store, as the service does.
type storeDomes struct{ st *store.Store }

func (d storeDomes) PTZDevice(ctx context.Context, camera string) (ptz.Device, error) {
	c, err := d.st.GetCamera(ctx, camera)
	if err != nil {
		return ptz.Device{}, err
	}
	if c.PTZProfile == "" {
		return ptz.Device{}, fmt.Errorf("camera %s: %w", camera, ptz.ErrNotPTZ)
	}
	return ptz.Device{XAddr: c.ONVIFURL, Username: c.Username, Password: c.Password, Profile: c.PTZProfile}, nil
}

// noDevices probes a loopback port nobody answers, and imports from one
// that refuses connections.
type noDevices struct{}

func (noDevices) Discover(ctx context.Context, _, _ string) ([]DiscoveredDevice, error) {
	_, err := onvif.Probe(ctx, onvif.ProbeOptions{Unicast: "127.0.0.1:9", Timeout: 50 * time.Millisecond})
	return nil, err
}

func (noDevices) Import(ctx context.Context, _, user, pass string) (onvif.Summary, error) {
	c, err := onvif.New(onvif.Config{XAddr: "http://127.0.0.1:1/onvif/device_service", Username: user, Password: pass, Timeout: time.Second})
	if err != nil {
		return onvif.Summary{}, err
	}
	defer c.Close()
	return c.Import(ctx)
}

// rebuild serves the rig's server anew, after a test changed its fields.
func (rg *rig) rebuild(t *testing.T) {
	ts := httptest.NewServer(rg.srv.Handler())
	t.Cleanup(ts.Close)
	rg.url = ts.URL
}

// user creates a user with testPassword.
func (rg *rig) user(t testing.TB, name, roles string, scope auth.Scope) store.User {
	t.Helper()
	hash, err := cheapHasher.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{Username: name, DisplayName: strings.ToUpper(name), Roles: roles, Scope: scope.Text(),
		PasswordHash: hash, CreatedBy: "test", Created: rg.clock.Now()}
	if err := rg.st.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// client is a browser: a cookie jar and the CSRF token of its session.
type client struct {
	rg    *rig
	http  *http.Client
	csrf  string
	token string // a bearer token instead of a session
}

func (rg *rig) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{rg: rg, http: &http.Client{Jar: jar}}
}

// login signs a user in, failing the test if that does not work.
func (rg *rig) login(t *testing.T, name string) *client {
	t.Helper()
	c := rg.anon()
	var s sessionJSON
	if code, body := c.do(t, "POST", "/api/v1/session", `{"username":"`+name+`","password":"`+testPassword+`"}`, &s); code != 200 {
		t.Fatalf("login %s: %d %s", name, code, body)
	}
	c.csrf = s.CSRFToken
	return c
}

// raw sends a request as c and returns the whole response: for the
// headers (Set-Cookie, Retry-After) that client.do drops. Extra headers in
// h replace the client's.
func (c *client) raw(t *testing.T, method, path, body string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.rg.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set(csrfHeader, c.csrf)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// do sends a JSON request and decodes a 2xx answer into out.
func (c *client) do(t *testing.T, method, path, body string, out any) (int, string) {
	t.Helper()
	resp, raw := c.raw(t, method, path, body, nil)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal([]byte(raw), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

// entries reads the evidence log back.
func (rg *rig) entries(t *testing.T) []evidence.Entry {
	t.Helper()
	var out []evidence.Entry
	if err := rg.audit.Scan(0, rg.audit.Size(), func(e evidence.Entry, _ []byte) bool {
		out = append(out, e)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// last returns the newest entries with an action.
func (rg *rig) withAction(t *testing.T, a evidence.Action) []evidence.Entry {
	t.Helper()
	var out []evidence.Entry
	for _, e := range rg.entries(t) {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}
