package main_test

import (
	"encoding/base32"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// TestBrowserSignIn: the first administrator signs in with the one-time
// password, is made to choose a new one, sees their name and role and only
// their pages, and signs out. The login page paints fast and nothing is
// asked of any other host.
func TestBrowserSignIn(t *testing.T) {
	bs := startBrowserSite(t, 1)
	b := startBrowser(t)
	ctx := b.ctx

	// First paint of the login page, cold (a fresh profile, no cache).
	run(t, ctx, "open the site", chromedp.Navigate(bs.base+"/"), chromedp.WaitVisible(`#login-username`, chromedp.ByQuery))
	var paint struct {
		FCP  float64 `json:"fcp"`
		Load float64 `json:"load"`
	}
	waitJS(t, ctx, "first contentful paint", `performance.getEntriesByName('first-contentful-paint').length > 0`, 10*time.Second)
	evalJS(t, ctx, `({fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,
		load: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd})`, &paint)
	t.Logf("login page: first contentful paint %.0f ms, DOMContentLoaded %.0f ms", paint.FCP, paint.Load)
	if paint.FCP <= 0 || paint.FCP > 1000 {
		t.Errorf("first contentful paint %.0f ms, want under 1 s on loopback", paint.FCP)
	}
	shot(t, ctx, "login")

	// A wrong password: a clear error, still on the login page.
	run(t, ctx, "wrong password",
		chromedp.SendKeys(`#login-username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, "not the password", chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery))
	waitJS(t, ctx, "an error shown", `document.querySelector('#login-error').textContent.includes('wrong username or password')`, 10*time.Second)

	uiSignIn(t, ctx, bs.base, "admin", bs.first)
	uiChangePassword(t, ctx, bs.first, "a long passphrase for the browser test")
	var bar struct {
		Name  string   `json:"name"`
		Roles string   `json:"roles"`
		Pages []string `json:"pages"`
	}
	waitJS(t, ctx, "landing page", `location.hash.startsWith('#/') && !location.hash.startsWith('#/login')`, 10*time.Second)
	evalJS(t, ctx, `({name: document.querySelector('#who-name').textContent,
		roles: document.querySelector('#who-roles').textContent,
		pages: [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)})`, &bar)
	if bar.Name != "First administrator" || bar.Roles != "Administrator" {
		t.Errorf("top bar shows %q %q", bar.Name, bar.Roles)
	}
	// Hotspots are activity counts, no pictures: health readers see them.
	if got := strings.Join(bar.Pages, ","); got != "hotspots,health,admin" {
		t.Errorf("an administrator's pages: %s, want hotspots,health,admin (no footage)", got)
	}
	shot(t, ctx, "signed-in")

	run(t, ctx, "sign out", chromedp.Click(`#logout`, chromedp.ByQuery))
	waitJS(t, ctx, "back at the login page", `location.hash.startsWith('#/login') && !!document.querySelector('#login-username')`, 10*time.Second)
	// The session is over on the server too.
	waitJS(t, ctx, "session ended", `fetch('/api/v1/session').then(r => r.status === 401)`, 10*time.Second)

	// A supervisor with a second factor: the code field appears when the
	// password is right, and the code signs them in.
	admin := newSite(t, bs.port, bs.data)
	admin.signIn(t, "admin", "a long passphrase for the browser test")
	pw := bs.account(t, admin, "sup.khan", "Supervisor Khan", "supervisor")
	sup := newSite(t, bs.port, bs.data)
	sup.signIn(t, "sup.khan", pw)
	var enrol struct{ Secret string }
	sup.json(t, "POST", "/api/v1/session/totp", map[string]any{}, 200, &enrol)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enrol.Secret)
	if err != nil {
		t.Fatal(err)
	}
	sup.json(t, "POST", "/api/v1/session/totp/confirm", map[string]string{"code": auth.TOTPCode(secret, time.Now())}, 200, nil)
	run(t, ctx, "sign in with a second factor",
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(bs.base+"/#/login"),
		chromedp.WaitVisible(`#login-username`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-username`, "sup.khan", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, pw, chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#login-totp`, chromedp.ByQuery))
	shot(t, ctx, "second-factor")
	// The next step's code: the one confirmed above cannot be used again.
	run(t, ctx, "enter the code",
		chromedp.SendKeys(`#login-totp`, auth.TOTPCode(secret, time.Now().Add(30*time.Second)), chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery))
	waitJS(t, ctx, "signed in with the code", `!!document.querySelector('#who-name') && document.querySelector('#who-name').title === 'sup.khan'`, 20*time.Second)

	// Lockout: after five wrong passwords the account is locked, and the
	// page says so and holds the button until the lock ends.
	bs.account(t, admin, "op.locked", "Operator Locked", "operator")
	run(t, ctx, "sign out", chromedp.Click(`#logout`, chromedp.ByQuery))
	run(t, ctx, "wrong passwords",
		chromedp.WaitVisible(`#login-username`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-username`, "op.locked", chromedp.ByQuery))
	for i := 0; i < 6; i++ {
		run(t, ctx, "a wrong password",
			chromedp.Evaluate(`document.querySelector('#login-password').value = 'wrong password `+fmt.Sprint(i)+`'`, nil),
			chromedp.Click(`#login-submit`, chromedp.ByQuery))
		waitJS(t, ctx, "an answer", `(() => { const b = document.querySelector('#login-submit'), e = document.querySelector('#login-error').textContent;
			return e.includes('locked') || (!b.disabled && e.includes('wrong username or password')); })()`, 10*time.Second)
		run(t, ctx, "clear the error", chromedp.Evaluate(`(e => { if (!e.textContent.includes('locked')) e.textContent = ''; })(document.querySelector('#login-error'))`, nil))
	}
	waitJS(t, ctx, "locked", `document.querySelector('#login-error').textContent.includes('locked') && document.querySelector('#login-submit').disabled`, 10*time.Second)
	shot(t, ctx, "locked")

	if off := offSite(bs.base, b.Requests()); len(off) > 0 {
		t.Errorf("requests to other hosts: %v", off)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// TestBrowserWall: an operator signs in through the UI, fills a 2x2 wall
// (clicks, and a drag and drop), and the four <video> elements play: a
// picture (videoWidth > 0) and time advancing. Dense grids use the sub
// stream; a maximised tile switches to the main stream. Keys select and
// clear tiles. Nothing is asked of another host.
func TestBrowserWall(t *testing.T) {
	bs := startBrowserSite(t, 4)
	admin := bs.admin(t)
	pw := bs.account(t, admin, "op.jones", "Operator Jones", "operator")
	bs.waitOnline(t, admin)
	b := startBrowser(t)
	ctx := b.ctx

	uiSignIn(t, ctx, bs.base, "op.jones", pw)
	var who struct{ Name, Roles string }
	evalJS(t, ctx, `({Name: document.querySelector('#who-name').textContent, Roles: document.querySelector('#who-roles').textContent})`, &who)
	if who.Name != "Operator Jones" || who.Roles != "Operator" {
		t.Errorf("top bar shows %+v", who)
	}
	// An operator lands on the wall.
	waitJS(t, ctx, "the wall", `location.hash === '#/wall' && document.querySelectorAll('#cam-list .cam-item').length === 4`, 20*time.Second)
	run(t, ctx, "2x2 layout", chromedp.Click(`.wall-bar button[data-layout="2x2"]`, chromedp.ByQuery))
	waitJS(t, ctx, "four tiles", `document.querySelectorAll('#wall-grid .tile').length === 4`, 5*time.Second)

	// Search by ward narrows the picker.
	run(t, ctx, "search", chromedp.SendKeys(`#cam-search`, "riverside", chromedp.ByQuery))
	waitJS(t, ctx, "two Riverside cameras", `[...document.querySelectorAll('#cam-list .cam-item')].map(e => e.dataset.camera).join() === 'cam002,cam004'`, 5*time.Second)
	run(t, ctx, "clear search", chromedp.Evaluate(`(e => { e.value = ''; return e.dispatchEvent(new Event('input')); })(document.querySelector('#cam-search'))`, nil))
	waitJS(t, ctx, "all cameras listed", `document.querySelectorAll('#cam-list .cam-item').length === 4`, 5*time.Second)

	// Three cameras by click (tile, then camera: the next empty tile is
	// selected by itself), the fourth by drag and drop.
	run(t, ctx, "assign by click",
		chromedp.Click(`.tile[data-index="0"]`, chromedp.ByQuery),
		chromedp.Click(`#cam-list .cam-item[data-camera="cam001"]`, chromedp.ByQuery),
		chromedp.Click(`#cam-list .cam-item[data-camera="cam002"]`, chromedp.ByQuery),
		chromedp.Click(`#cam-list .cam-item[data-camera="cam003"]`, chromedp.ByQuery),
	)
	run(t, ctx, "assign by drag and drop", chromedp.Evaluate(`(() => {
		const dt = new DataTransfer();
		const src = document.querySelector('#cam-list .cam-item[data-camera="cam004"]');
		const dst = document.querySelector('.tile[data-index="3"]');
		src.dispatchEvent(new DragEvent('dragstart', {bubbles: true, cancelable: true, dataTransfer: dt}));
		dst.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
		dst.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
		return true;
	})()`, nil))
	waitJS(t, ctx, "four cameras on the wall", `[...document.querySelectorAll('.tile')].map(e => e.dataset.camera).join() === 'cam001,cam002,cam003,cam004'`, 5*time.Second)

	// All four play: a picture, and time moving on.
	const videos = `[...document.querySelectorAll('.tile[data-camera] video')]`
	start := time.Now()
	waitJS(t, ctx, "four pictures", videos+`.length === 4 && `+videos+`.every(v => v.videoWidth > 0 && v.readyState >= 2)`, 45*time.Second)
	t.Logf("four pictures after %s", time.Since(start).Round(time.Millisecond))
	// currentTime of a WebRTC video runs with the clock; the decoded frame
	// count shows pictures really arriving.
	var t0, f0 []float64
	evalJS(t, ctx, videos+`.map(v => v.currentTime)`, &t0)
	evalJS(t, ctx, videos+`.map(v => v.getVideoPlaybackQuality().totalVideoFrames)`, &f0)
	waitJS(t, ctx, "time advancing and frames decoded in all four", fmt.Sprintf(`(() => { const t0 = %s, f0 = %s;
		return %s.every((v, i) => v.currentTime > t0[i] + 0.5 && v.getVideoPlaybackQuality().totalVideoFrames > f0[i] + 2 && !v.paused); })()`,
		floats(t0), floats(f0), videos), 20*time.Second)
	waitJS(t, ctx, "tiles say playing", `[...document.querySelectorAll('.tile[data-camera]')].every(e => e.dataset.state === 'playing')`, 10*time.Second)
	var streams []string
	evalJS(t, ctx, `[...document.querySelectorAll('.tile')].map(e => e.dataset.stream)`, &streams)
	if strings.Join(streams, ",") != "sub,sub,sub,sub" {
		t.Errorf("2x2 streams: %v, want sub everywhere", streams)
	}
	shot(t, ctx, "wall-2x2")

	// Save this wall for later.
	run(t, ctx, "save the wall",
		chromedp.SendKeys(`#wall-name`, "Night shift", chromedp.ByQuery),
		chromedp.Click(`#wall-save`, chromedp.ByQuery))
	waitJS(t, ctx, "wall saved", `[...document.querySelectorAll('#wall-saved option')].some(o => o.textContent === 'Night shift (2x2)')`, 10*time.Second)

	// Maximise tile 1 (double-click): it switches to the main stream.
	run(t, ctx, "maximise", chromedp.DoubleClick(`.tile[data-index="0"]`, chromedp.ByQuery))
	waitJS(t, ctx, "main stream when maximised", `(() => { const e = document.querySelector('.tile[data-index="0"]');
		const v = e.querySelector('video'); return e.dataset.stream === 'main' && v.videoWidth >= 320 && e.dataset.state === 'playing'; })()`, 30*time.Second)
	shot(t, ctx, "wall-maximised")
	run(t, ctx, "back to the grid", chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, "sub stream again", `document.querySelector('.tile[data-index="0"]').dataset.stream === 'sub'`, 10*time.Second)

	// Keys: 2 selects tile 2, Delete clears it.
	run(t, ctx, "keys", chromedp.KeyEvent("2"))
	waitJS(t, ctx, "tile 2 selected", `document.querySelector('.tile.selected').dataset.index === '1'`, 5*time.Second)
	run(t, ctx, "clear", chromedp.KeyEvent(kb.Delete))
	waitJS(t, ctx, "tile 2 cleared", `!document.querySelector('.tile[data-index="1"]').dataset.camera && !document.querySelector('.tile[data-index="1"] video')`, 5*time.Second)

	// The 1x1 layout keeps the first camera, on the main stream.
	run(t, ctx, "1x1 layout", chromedp.Click(`.wall-bar button[data-layout="1x1"]`, chromedp.ByQuery))
	waitJS(t, ctx, "one main tile", `document.querySelectorAll('.tile').length === 1 && document.querySelector('.tile').dataset.stream === 'main' &&
		document.querySelector('.tile video').videoWidth >= 320`, 30*time.Second)
	shot(t, ctx, "wall-1x1")

	// 5x5: 25 tiles, the camera back on its sub stream.
	run(t, ctx, "5x5 layout", chromedp.Click(`.wall-bar button[data-layout="5x5"]`, chromedp.ByQuery))
	waitJS(t, ctx, "25 tiles, sub stream", `document.querySelectorAll('.tile').length === 25 && (e => e.dataset.stream === 'sub' &&
		e.dataset.state === 'playing' && e.querySelector('video').videoWidth === 160)(document.querySelector('.tile[data-index="0"]'))`, 30*time.Second)

	// f: full screen (the key press is the user gesture the API needs).
	run(t, ctx, "full screen", chromedp.Click(`.tile[data-index="0"]`, chromedp.ByQuery), chromedp.KeyEvent("f"))
	waitJS(t, ctx, "in full screen", `!!document.fullscreenElement && document.fullscreenElement.classList.contains('wall-main')`, 10*time.Second)
	shot(t, ctx, "wall-fullscreen")
	run(t, ctx, "leave full screen", chromedp.KeyEvent("f"))
	waitJS(t, ctx, "out of full screen", `!document.fullscreenElement`, 10*time.Second)

	// The saved wall brings back the 2x2 and its four cameras.
	run(t, ctx, "open the saved wall", chromedp.Evaluate(`(s => { s.value = [...s.options].find(o => o.textContent.startsWith('Night shift')).value;
		return s.dispatchEvent(new Event('change')); })(document.querySelector('#wall-saved'))`, nil))
	waitJS(t, ctx, "saved wall back", `document.querySelector('#wall-grid').dataset.layout === '2x2' &&
		[...document.querySelectorAll('.tile')].map(e => e.dataset.camera).join() === 'cam001,cam002,cam003,cam004'`, 10*time.Second)

	// A tour of two cameras on tile 1; the arrows step it.
	run(t, ctx, "tour",
		chromedp.Click(`.tile[data-index="0"]`, chromedp.ByQuery),
		chromedp.Click(`#cam-list [data-tour-add="cam002"]`, chromedp.ByQuery),
		chromedp.Click(`#cam-list [data-tour-add="cam003"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#tour-seconds').value = '60'`, nil),
		chromedp.Click(`#tour-toggle`, chromedp.ByQuery))
	waitJS(t, ctx, "tour on cam002", `document.querySelector('.tile[data-index="0"]').dataset.camera === 'cam002'`, 5*time.Second)
	run(t, ctx, "step", chromedp.KeyEvent(kb.ArrowRight))
	waitJS(t, ctx, "tour on cam003", `document.querySelector('.tile[data-index="0"]').dataset.camera === 'cam003'`, 5*time.Second)
	run(t, ctx, "step back", chromedp.KeyEvent(kb.ArrowLeft))
	waitJS(t, ctx, "tour back on cam002", `document.querySelector('.tile[data-index="0"]').dataset.camera === 'cam002'`, 5*time.Second)
	waitJS(t, ctx, "the toured camera plays", `(() => { const e = document.querySelector('.tile[data-index="0"]'); return e.dataset.state === 'playing' && e.querySelector('video').videoWidth > 0; })()`, 30*time.Second)
	run(t, ctx, "stop the tour", chromedp.Click(`#tour-toggle`, chromedp.ByQuery))
	shot(t, ctx, "wall-tour")

	// The server has the wall's live views; leaving the page ends them all
	// (each player DELETEs its session).
	if n := liveViewers(t, admin); n < 1 {
		t.Errorf("live viewers on the server while the wall plays: %v", n)
	}
	run(t, ctx, "leave the wall", chromedp.Click(`#nav a[data-page="health"]`, chromedp.ByQuery))
	deadline := time.Now().Add(10 * time.Second)
	for liveViewers(t, admin) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("live viewers left on the server after leaving the wall: %v", liveViewers(t, admin))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Back to the wall: it comes back as left (the saved 2x2), playing.
	run(t, ctx, "back to the wall", chromedp.Click(`#nav a[data-page="wall"]`, chromedp.ByQuery))
	waitJS(t, ctx, "the wall as left", `[...document.querySelectorAll('.tile')].map(e => e.dataset.camera).join() === 'cam002,cam002,cam003,cam004' &&
		[...document.querySelectorAll('.tile')].every(e => e.dataset.state === 'playing')`, 30*time.Second)
	// A supervisor signs the operator out everywhere: the live views end
	// on the server and the page goes back to the login.
	admin.json(t, "POST", "/api/v1/users/op.jones/logout-everywhere", map[string]any{}, 200, nil)
	ended := time.Now()
	waitJS(t, ctx, "sent to the login page", `location.hash.startsWith('#/login') && !!document.querySelector('#login-username')`, 20*time.Second)
	t.Logf("the wall noticed the end of its sign-in after %s", time.Since(ended).Round(time.Millisecond))
	deadline = time.Now().Add(10 * time.Second)
	for liveViewers(t, admin) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("live viewers left on the server after the sign-in ended: %v", liveViewers(t, admin))
		}
		time.Sleep(100 * time.Millisecond)
	}

	if off := offSite(bs.base, b.Requests()); len(off) > 0 {
		t.Errorf("requests to other hosts: %v", off)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// liveViewers sums vigil_live_viewers over cameras, from /metrics.
func liveViewers(t *testing.T, admin *site) float64 {
	t.Helper()
	code, body := admin.do(t, "GET", "/metrics", nil)
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "vigil_live_viewers{") {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			sum += v
		}
	}
	return sum
}

func floats(fs []float64) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fmt.Sprint(f)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// TestBrowserHealthAndAdmin: an administrator reads the camera-health
// table (sorted by a click on a heading) and creates an operator in the
// admin page, whose temporary password is shown once; the new operator
// signs in with it and must choose their own.
func TestBrowserHealthAndAdmin(t *testing.T) {
	bs := startBrowserSite(t, 3)
	admin := bs.admin(t)
	pw := bs.account(t, admin, "it.admin", "IT Admin", "admin", "engineer")
	bs.waitOnline(t, admin)
	b := startBrowser(t)
	ctx := b.ctx
	uiSignIn(t, ctx, bs.base, "it.admin", pw)

	run(t, ctx, "health page", chromedp.Navigate(bs.base+"/#/health"))
	waitJS(t, ctx, "three online cameras", `document.querySelectorAll('#health-rows tr[data-status="online"]').length === 3`, 20*time.Second)
	run(t, ctx, "sort by name", chromedp.Click(`#health-table th[data-sort="name"]`, chromedp.ByQuery))
	waitJS(t, ctx, "sorted a-z", `[...document.querySelectorAll('#health-rows tr')].map(r => r.dataset.camera).join() === 'cam001,cam002,cam003'`, 5*time.Second)
	run(t, ctx, "sort by name, reversed", chromedp.Click(`#health-table th[data-sort="name"]`, chromedp.ByQuery))
	waitJS(t, ctx, "sorted z-a", `[...document.querySelectorAll('#health-rows tr')].map(r => r.dataset.camera).join() === 'cam003,cam002,cam001' &&
		document.querySelector('#health-table th[data-sort="name"]').getAttribute('aria-sort') === 'descending'`, 5*time.Second)
	var grafana string
	evalJS(t, ctx, `(a => a.hidden ? '' : a.href)(document.querySelector('#health-grafana'))`, &grafana)
	if grafana != "http://grafana.invalid/d/vigil-cameras" {
		t.Errorf("Grafana link %q", grafana)
	}
	shot(t, ctx, "health")

	run(t, ctx, "admin page", chromedp.Navigate(bs.base+"/#/admin"))
	waitJS(t, ctx, "users listed", `!!document.querySelector('#admin-users tr[data-user="it.admin"]')`, 10*time.Second)
	var tabs []string
	evalJS(t, ctx, `[...document.querySelectorAll('.admin-tabs button')].map(b => b.textContent)`, &tabs)
	if strings.Join(tabs, ",") != "Users,Cameras,API tokens" {
		t.Errorf("admin tabs: %v", tabs)
	}
	run(t, ctx, "new user",
		chromedp.Click(`#admin-new-user`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal input[name="username"]`, chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name="username"]`, "op.new", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name="display_name"]`, "New Operator", chromedp.ByQuery),
		chromedp.Click(`.modal input[name="role"][value="operator"]`, chromedp.ByQuery),
		chromedp.Click(`.modal button[type="submit"]`, chromedp.ByQuery),
	)
	waitJS(t, ctx, "temporary password shown", `!!document.querySelector('#admin-secret') && document.querySelector('#admin-secret').textContent.length >= 12`, 10*time.Second)
	var temp string
	evalJS(t, ctx, `document.querySelector('#admin-secret').textContent`, &temp)
	shot(t, ctx, "admin-user-created")
	run(t, ctx, "close", chromedp.Click(`.modal button[type="submit"]`, chromedp.ByQuery))
	waitJS(t, ctx, "new user listed", `!document.querySelector('.modal') && !!document.querySelector('#admin-users tr[data-user="op.new"]')`, 10*time.Second)

	run(t, ctx, "cameras tab", chromedp.Click(`#admin-tab-cameras`, chromedp.ByQuery))
	waitJS(t, ctx, "cameras listed", `document.querySelectorAll('#admin-cameras tbody tr').length === 3`, 10*time.Second)

	// A camera added through the web, disabled, then deleted.
	run(t, ctx, "add a camera",
		chromedp.Click(`#admin-new-camera`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal input[name="id"]`, chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name="id"]`, "cam-web", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name="name"]`, "Market Square", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name="ward"]`, "Central", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name="retention_days"]`, "14", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name="main_url"]`, bs.sim.URL(1, "main"), chromedp.ByQuery),
		chromedp.Click(`.modal button[type="submit"]`, chromedp.ByQuery))
	waitJS(t, ctx, "camera added", `!document.querySelector('.modal') && !!document.querySelector('#admin-cameras tr[data-camera="cam-web"]') &&
		document.querySelector('#admin-cameras tr[data-camera="cam-web"]').textContent.includes('14 d')`, 10*time.Second)
	shot(t, ctx, "admin-cameras")
	// The row's button named Disable (not by position: the row has others).
	var clicked bool
	evalJS(t, ctx, `(b => !!b && (b.click(), true))([...document.querySelectorAll('#admin-cameras tr[data-camera="cam-web"] button')].find(b => b.textContent.trim() === 'Disable'))`, &clicked)
	if !clicked {
		t.Fatal("the camera's row has no Disable button")
	}
	waitJS(t, ctx, "camera disabled", `(r => !!r && r.querySelector('.badge').textContent === 'disabled')(document.querySelector('#admin-cameras tr[data-camera="cam-web"]'))`, 10*time.Second)
	var enabled struct{ Enabled bool }
	getJSON(t, admin, "/api/v1/cameras/cam-web", &enabled)
	if enabled.Enabled {
		t.Error("the camera disabled in the web is enabled in the API")
	}
	run(t, ctx, "delete it",
		chromedp.Click(`#admin-cameras tr[data-camera="cam-web"] button.btn-danger`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal button[type="submit"]`, chromedp.ByQuery),
		chromedp.Click(`.modal button[type="submit"]`, chromedp.ByQuery))
	waitJS(t, ctx, "camera deleted", `!document.querySelector('.modal') && !document.querySelector('#admin-cameras tr[data-camera="cam-web"]')`, 10*time.Second)

	// The new operator: signs in with the temporary password, must change it.
	run(t, ctx, "sign out", chromedp.Click(`#logout`, chromedp.ByQuery))
	waitJS(t, ctx, "signed out", `!!document.querySelector('#login-username')`, 10*time.Second)
	uiSignIn(t, ctx, bs.base, "op.new", temp)
	uiChangePassword(t, ctx, temp, "the new operator's own long passphrase")
	waitJS(t, ctx, "on the wall", `location.hash === '#/wall'`, 10*time.Second)

	if off := offSite(bs.base, b.Requests()); len(off) > 0 {
		t.Errorf("requests to other hosts: %v", off)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// TestBrowserWallCameraOffline: a wall opened from a link
// (#/wall?layout=2x2&cams=...) plays; a camera that dies shows the
// offline/reconnecting overlay on its tile, the other tile plays on, and
// the picture comes back by itself with the camera.
func TestBrowserWallCameraOffline(t *testing.T) {
	bs := startBrowserSite(t, 2)
	admin := bs.admin(t)
	pw := bs.account(t, admin, "op.night", "Operator Night", "operator")
	bs.waitOnline(t, admin)
	b := startBrowser(t)
	ctx := b.ctx
	uiSignIn(t, ctx, bs.base, "op.night", pw)
	run(t, ctx, "open a wall by link", chromedp.Navigate(bs.base+"/#/wall?layout=2x2&cams=cam001,cam002"))
	tile := func(i int) string { return fmt.Sprintf(`document.querySelector('.tile[data-index="%d"]')`, i) }
	waitJS(t, ctx, "both tiles play", tile(0)+`.dataset.state === 'playing' && `+tile(1)+`.dataset.state === 'playing'`, 30*time.Second)

	if err := bs.sim.SetFault("cam001", sim.Fault{Refuse: true}); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "tile 1 shows the outage", `(e => (e.dataset.state === 'reconnecting' || e.dataset.state === 'offline') &&
		!e.querySelector('.tile-overlay').hidden)(`+tile(0)+`)`, 30*time.Second)
	shot(t, ctx, "camera-offline")
	var other string
	evalJS(t, ctx, tile(1)+`.dataset.state`, &other)
	if other != "playing" {
		t.Errorf("the other tile: %s, want playing", other)
	}

	bs.sim.ClearFault("cam001")
	waitJS(t, ctx, "tile 1 plays again", `(e => e.dataset.state === 'playing' && e.querySelector('.tile-overlay').hidden)(`+tile(0)+`)`, 60*time.Second)
	shot(t, ctx, "camera-back")
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
