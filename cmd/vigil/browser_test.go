package main_test

// Helpers for the browser tests: a real `vigil serve` on camsim cameras,
// a headless Debian chromium driven by chromedp, sign-in through the web
// UI, polling the page, and screenshots saved as test artefacts.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
)

const chromiumPath = "/usr/bin/chromium"

// needBrowser skips the test when there is no chromium, unless
// VIGIL_REQUIRE_BROWSER is set (CI), when it fails.
func needBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("VIGIL_REQUIRE_BROWSER") != "" {
			t.Fatalf("VIGIL_REQUIRE_BROWSER is set but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("no %s (apt-get install chromium); set VIGIL_REQUIRE_BROWSER to fail instead", chromiumPath)
	}
}

// browserSite is a running vigil serve for browser tests.
type browserSite struct {
	port   int
	data   string
	base   string // https://127.0.0.1:port
	cams   []string
	stdout *syncBuffer
	first  string // the first admin's one-time password
	sim    *sim.Server
}

// startBrowserSite builds vigil and serves n camsim cameras (cam001...,
// main and sub streams; odd ones in ward "Central", even in "Riverside";
// the last one mobile) on a fresh data directory. The cameras named in
// ptz are domes: camsim serves ONVIF (PTZ on those) and vigil steers them
// through their "main" profile.
func startBrowserSite(t *testing.T, n int, ptz ...string) *browserSite {
	t.Helper()
	needBrowser(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "vigil")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build vigil: %v\n%s", err, b)
	}
	var tune []func(*sim.Config)
	if len(ptz) > 0 {
		tune = append(tune, func(c *sim.Config) { c.PTZ = ptz; c.ONVIFListen = "127.0.0.1:0" })
	}
	cameras := simtest.Start(t, n, tune...)
	data := t.TempDir()
	port := freePort(t)
	var cams strings.Builder
	bs := &browserSite{port: port, data: data, base: fmt.Sprintf("https://127.0.0.1:%d", port), stdout: &syncBuffer{}, sim: cameras}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("cam%03d", i)
		ward, kind := "Central", "fixed"
		if i%2 == 0 {
			ward = "Riverside"
		}
		if i == n && n > 1 {
			kind = "mobile"
		}
		bs.cams = append(bs.cams, id)
		dome := ""
		if slices.Contains(ptz, id) {
			dome = fmt.Sprintf(", onvif_url: %q, ptz_profile: main", cameras.ONVIFURL(i))
		}
		fmt.Fprintf(&cams, "  - {id: %s, name: %q, ward: %s, kind: %s, main_url: %q, sub_url: %q%s}\n",
			id, fmt.Sprintf("Street %d", i), ward, kind, cameras.URL(i, "main"), cameras.URL(i, "sub"), dome)
	}
	cfg := filepath.Join(data, "vigil.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:%d
data_dir: %s
log_level: warn
ingest: {read_timeout: 3s, reconnect_min: 200ms, reconnect_max: 1s}
recorder: {segment_duration: 2s, sync_interval: 500ms, min_free_bytes: 0}
evidence: {origin: vigil.test-council.gov.uk/evidence, checkpoint_interval: 1s, verifier_dir: %s}
grafana_url: http://grafana.invalid/d/vigil-cameras
cameras:
%s`, port, data, filepath.Join(tmp, "none"), cams.String())), 0o600)
	cmd := exec.Command(bin, "serve", "-config", cfg)
	cmd.Stderr, cmd.Stdout = os.Stderr, bs.stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHTTP(t, port)
	bs.first = printedPassword(t, bs.stdout)
	return bs
}

// admin signs the first administrator in through the API and sets a real
// password (the UI then cannot use the one-time password).
func (bs *browserSite) admin(t *testing.T) *site {
	t.Helper()
	admin := newSite(t, bs.port, bs.data)
	admin.signIn(t, "admin", bs.first)
	admin.newPassword(t, bs.first)
	return admin
}

// account creates a user through the API with a password of their own
// (no forced change left) and returns the password.
func (bs *browserSite) account(t *testing.T, admin *site, name, display string, roles ...string) string {
	t.Helper()
	var u struct {
		Temp string `json:"temporary_password"`
	}
	admin.json(t, "POST", "/api/v1/users", map[string]any{"username": name, "display_name": display, "roles": roles}, 201, &u)
	p := newSite(t, bs.port, bs.data)
	p.signIn(t, name, u.Temp)
	pw := p.newPassword(t, u.Temp)
	// Sign that API session out: the browser gets its own.
	p.do(t, "DELETE", "/api/v1/session", nil)
	return pw
}

// waitOnline waits until every camera's main and sub streams are online.
func (bs *browserSite) waitOnline(t *testing.T, s *site) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct {
			Cameras []struct {
				ID      string
				Streams []struct {
					Stream string
					Status string
				}
			}
		}
		getJSON(t, s, "/api/v1/cameras", &list)
		online := 0
		for _, c := range list.Cameras {
			up := len(c.Streams) >= 2
			for _, st := range c.Streams {
				up = up && st.Status == "online"
			}
			if up {
				online++
			}
		}
		if online >= len(bs.cams) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cameras not online after 60 s: %+v", list)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// browser is one headless chromium with a fresh profile.
type browser struct {
	ctx context.Context

	close func() // ends chromium; safe to call twice

	mu       sync.Mutex
	done     bool
	console  []string
	requests []string // every URL the page asked for
}

// newBrowser starts chromium; the returned function closes it. Console
// messages and page errors are logged to the test.
func newBrowser(t *testing.T) (context.Context, func()) {
	b := startBrowser(t)
	return b.ctx, b.close
}

// startBrowser is newBrowser with access to what the page logged and asked for.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	needBrowser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// No UserDataDir: chromedp makes a fresh one and removes it once
		// chromium has exited (a t.TempDir could be removed while
		// chromium's helpers still write to it).
		chromedp.WindowSize(1600, 900),
		// chromedp gives chromium 20 s to print its DevTools address; on a
		// 2-core CI machine with other test packages running, starting
		// chromium has taken longer.
		chromedp.WSURLReadTimeout(time.Minute),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.done {
			return
		}
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range e.Args {
				if a.Value != nil {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			line := fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " "))
			b.console = append(b.console, line)
			t.Log(line)
		case *runtime.EventExceptionThrown:
			line := "page error: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				line += " " + e.ExceptionDetails.Exception.Description
			}
			b.console = append(b.console, line)
			t.Log(line)
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		}
	})
	if err := chromedp.Run(ctx, network.Enable()); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	var once sync.Once
	b.close = func() {
		once.Do(func() {
			b.mu.Lock()
			b.done = true
			b.mu.Unlock()
			cancelCtx()
			cancelAlloc()
		})
	}
	t.Cleanup(b.close)
	return b
}

// Requests returns the URLs the page has asked for so far.
func (b *browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// Errors returns page errors seen so far.
func (b *browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.console {
		if strings.HasPrefix(l, "page error") {
			out = append(out, l)
		}
	}
	return out
}

// run runs chromedp actions with a deadline, failing the test on error.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(c, actions...); err != nil {
		shot(t, ctx, "failed-"+what)
		t.Fatalf("%s: %v", what, err)
	}
}

// uiSignIn signs in through the login page and waits for the top bar to
// show who is signed in. A forced password change is left to the caller
// (the dialog #pw-dialog is then open).
func uiSignIn(t *testing.T, ctx context.Context, base, user, password string) {
	t.Helper()
	run(t, ctx, "open the login page",
		// A fresh load: a hash change alone would keep whatever was typed.
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(base+"/#/login"),
		chromedp.WaitVisible(`#login-username`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-username`, user, chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, password, chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery),
	)
	// Signed in, and off the login page: the app has gone to its landing
	// page, so a test navigating on is not overtaken by that move.
	waitJS(t, ctx, "signed in as "+user, `!!document.querySelector('#who-name') && document.querySelector('#who-name').title === `+jsString(user)+
		` && !location.hash.startsWith('#/login')`, 20*time.Second)
}

// uiChangePassword answers the forced "choose a new password" dialog.
func uiChangePassword(t *testing.T, ctx context.Context, old, next string) {
	t.Helper()
	run(t, ctx, "change the password",
		chromedp.WaitVisible(`#pw-dialog`, chromedp.ByQuery),
		chromedp.SendKeys(`#pw-current`, old, chromedp.ByQuery),
		chromedp.SendKeys(`#pw-new`, next, chromedp.ByQuery),
		chromedp.SendKeys(`#pw-again`, next, chromedp.ByQuery),
		chromedp.Click(`#pw-submit`, chromedp.ByQuery),
	)
	waitJS(t, ctx, "password dialog closed", `!document.querySelector('#pw-dialog')`, 20*time.Second)
}

// waitJS polls a JavaScript expression until it is true, or fails the
// test after timeout with a screenshot.
func waitJS(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		var ok bool
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Run(c, chromedp.Evaluate(expr, &ok, awaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err.Error()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			shot(t, ctx, "timeout-"+what)
			t.Fatalf("waiting for %s (%s): not true after %s %s", what, expr, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// evalJS evaluates an expression into v.
func evalJS(t *testing.T, ctx context.Context, expr string, v any) {
	t.Helper()
	run(t, ctx, "evaluate "+expr[:min(len(expr), 40)], chromedp.Evaluate(expr, v, awaitPromise))
}

// awaitPromise makes Evaluate wait for a promise's value.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// artefacts is where screenshots go: $VIGIL_ARTEFACTS or /tmp/vigil-artefacts.
func artefacts(t *testing.T) string {
	dir := os.Getenv("VIGIL_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "vigil-artefacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("no artefact directory: %v", err)
	}
	return dir
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// shot saves a PNG screenshot of the page as a test artefact; a failure
// to take it is logged, not fatal.
func shot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	if ctx.Err() != nil {
		return ""
	}
	var png []byte
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(c, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(artefacts(t), unsafeName.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	t.Logf("screenshot: %s", file)
	return file
}

// offSite lists the URLs not on base's host (data: and blob: URLs, made
// by the page itself, are on it).
func offSite(base string, urls []string) []string {
	b, _ := url.Parse(base)
	var out []string
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil {
			out = append(out, u)
			continue
		}
		switch p.Scheme {
		case "data", "blob":
			continue
		}
		if p.Host != b.Host {
			out = append(out, u)
		}
	}
	return out
}
