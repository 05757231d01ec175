package main_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

// TestBrowserPTZ: an operator steers camsim's dome (cam002) from its wall
// tile: holding the pad's right button pans it for longer than the
// server's 1 s dead-man (the page repeats the move) and letting go stops
// it; a held arrow key tilts it, the browser's key repeat not turned into
// a flood of requests. A second operator sees who steers and is refused
// (409). A preset saved in the page brings the dome back; Shift+click on
// the picture moves it towards the point. A supervisor takes the dome over
// with the tile's button. Leaving the page, and killing the browser, while
// a button is held leaves the dome stopped within 2 s.
func TestBrowserPTZ(t *testing.T) {
	const dome = "cam002"
	bs := startBrowserSite(t, 2, dome)
	admin := bs.admin(t)
	opPW := bs.account(t, admin, "op.olly", "Olly Operator", "operator")
	op2PW := bs.account(t, admin, "op.ria", "Ria Operator", "operator")
	supPW := bs.account(t, admin, "sup.khan", "Supervisor Khan", "supervisor")
	bs.waitOnline(t, admin)
	status := func() sim.PTZStatus {
		t.Helper()
		st, err := bs.sim.PTZStatus(dome)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// until polls the dome until cond holds.
	until := func(what string, timeout time.Duration, cond func(sim.PTZStatus) bool) (sim.PTZStatus, time.Duration) {
		t.Helper()
		start := time.Now()
		for {
			st := status()
			if cond(st) {
				return st, time.Since(start)
			}
			if time.Since(start) > timeout {
				t.Fatalf("dome: %s: not after %s (%+v)", what, timeout, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stopped := func(st sim.PTZStatus) bool { return !st.PanTiltMoving && !st.ZoomMoving }

	b := startBrowser(t)
	ctx := b.ctx
	uiSignIn(t, ctx, bs.base, "op.olly", opPW)
	tile := `.tile[data-camera="` + dome + `"]`
	panel := tile + ` .ptz-panel`
	openControls := func() {
		t.Helper()
		run(t, ctx, "open a wall with the dome", chromedp.Navigate(bs.base+"/#/wall?layout=2x2&cams=cam001,"+dome))
		waitJS(t, ctx, "the dome plays", `(e => !!e && e.dataset.state === 'playing')(document.querySelector('`+tile+`'))`, 30*time.Second)
		// Only the dome's tile can be steered.
		waitJS(t, ctx, "a PTZ button on the dome only", `!!document.querySelector('`+tile+` .ptz-toggle') &&
			!document.querySelector('.tile[data-camera="cam001"] .ptz-toggle')`, 10*time.Second)
		run(t, ctx, "open the PTZ controls",
			chromedp.Click(tile+` .tile-label`, chromedp.ByQuery, chromedp.NodeReady), // selects the tile: its buttons show
			chromedp.Click(tile+` .ptz-toggle`, chromedp.ByQuery))
		waitJS(t, ctx, "controls open", `(p => !p.hidden && p.dataset.lock !== undefined && !p.querySelector('.ptz-status').textContent.startsWith('Checking'))(document.querySelector('`+panel+`'))`, 10*time.Second)
	}
	// press and lift drive the real mouse over a pad button.
	press := func(button string) point {
		t.Helper()
		p := center(t, ctx, panel+` .ptz-pad button[data-ptz="`+button+`"], `+panel+` .ptz-zoom button[data-ptz="`+button+`"]`)
		run(t, ctx, "press "+button,
			chromedp.MouseEvent(input.MouseMoved, p.X, p.Y),
			chromedp.MouseEvent(input.MousePressed, p.X, p.Y, chromedp.ButtonType(input.Left), chromedp.ClickCount(1)))
		return p
	}
	lift := func(button string) {
		t.Helper()
		p := center(t, ctx, panel+` .ptz-pad button[data-ptz="`+button+`"]`)
		run(t, ctx, "let go of "+button, chromedp.MouseEvent(input.MouseReleased, p.X, p.Y, chromedp.ButtonType(input.Left), chromedp.ClickCount(1)))
	}

	// Start low on the left, so that the moves below stay inside the range
	// and end away from home (the centre).
	if err := bs.sim.PTZMove(dome, sim.PTZPosition{Pan: -0.8, Tilt: -0.6}); err != nil {
		t.Fatal(err)
	}
	until("at the start", 10*time.Second, func(st sim.PTZStatus) bool { return stopped(st) && st.Position.Pan == -0.8 })
	openControls()
	var lockText string
	evalJS(t, ctx, `document.querySelector('`+panel+`').dataset.lock + ':' + document.querySelector('`+panel+` .ptz-status').textContent`, &lockText)
	if lockText != "free:Free" {
		t.Errorf("an untouched dome's status: %q, want free:Free", lockText)
	}
	shot(t, ctx, "ptz-open")

	// The pad: held for longer than the dead-man, the dome keeps panning
	// right; let go, it stops.
	p0 := status().Position
	at := press("right")
	held := time.Now()
	until("panning right", 10*time.Second, func(st sim.PTZStatus) bool { return st.PanTiltMoving && st.Position.Pan > p0.Pan+0.02 })
	// A shaky hand: the mouse moves on the button while it is held, and
	// the hold goes on. (The page also refuses to start a drag of the tile
	// from its controls; CDP's synthetic moves do not start HTML drags, so
	// that guard is not what this checks.)
	held1 := func(p *input.DispatchMouseEventParams) *input.DispatchMouseEventParams {
		return p.WithButton(input.Left).WithButtons(1)
	}
	run(t, ctx, "wobble", chromedp.MouseEvent(input.MouseMoved, at.X+8, at.Y+5, held1), chromedp.MouseEvent(input.MouseMoved, at.X+10, at.Y-6, held1))
	time.Sleep(time.Until(held.Add(1800 * time.Millisecond))) // the hold itself: past the 1 s dead-man
	if st := status(); !st.PanTiltMoving {
		t.Errorf("1.8 s into holding the right button the dome has stopped (%+v): the page does not repeat the move", st)
	}
	waitJS(t, ctx, "you are steering", `(p => p.dataset.lock === 'mine' && p.querySelector('.ptz-status').textContent === 'You are steering')(document.querySelector('`+panel+`'))`, 5*time.Second)
	shot(t, ctx, "ptz-steering")
	lift("right")
	st, took := until("stopped after letting go", 5*time.Second, stopped)
	t.Logf("pad: panned %.3f → %.3f; stopped %s after letting go", p0.Pan, st.Position.Pan, took.Round(time.Millisecond))
	if st.Position.Pan < p0.Pan+0.3 || st.Position.Pan >= 1 {
		t.Errorf("pan %.3f after 1.8 s at half speed, from %.3f: want at least +0.3", st.Position.Pan, p0.Pan)
	}
	if again := status(); math.Abs(again.Position.Pan-st.Position.Pan) > 1e-6 {
		t.Errorf("the dome moved on after stopping: %.4f then %.4f", st.Position.Pan, again.Position.Pan)
	}

	// An arrow key on the focused tile: held (with the browser's key
	// repeat), it tilts up; let go, it stops.
	run(t, ctx, "focus the tile", chromedp.Evaluate(`document.querySelector('`+tile+`').focus()`, nil))
	keys := kb.Encode([]rune(kb.ArrowUp)[0])
	down, up := *keys[0], *keys[len(keys)-1]
	p1 := status().Position
	before := len(b.Requests())
	run(t, ctx, "arrow up down", chromedp.ActionFunc(func(c context.Context) error { return down.Do(c) }))
	held = time.Now()
	for time.Since(held) < 1800*time.Millisecond {
		rep := down
		rep.AutoRepeat = true
		run(t, ctx, "arrow up repeats", chromedp.ActionFunc(func(c context.Context) error { return rep.Do(c) }))
		time.Sleep(30 * time.Millisecond)
	}
	if st := status(); !st.PanTiltMoving || st.Position.Tilt <= p1.Tilt+0.05 {
		t.Errorf("1.8 s into holding the up arrow: %+v, from tilt %.3f", st, p1.Tilt)
	}
	run(t, ctx, "arrow up released", chromedp.ActionFunc(func(c context.Context) error { return up.Do(c) }))
	st, took = until("stopped after the key", 5*time.Second, stopped)
	t.Logf("arrow: tilted %.3f → %.3f; stopped %s after the key came up", p1.Tilt, st.Position.Tilt, took.Round(time.Millisecond))
	posts := 0
	for _, u := range b.Requests()[before:] {
		if strings.HasSuffix(u, "/api/v1/cameras/"+dome+"/ptz") {
			posts++
		}
	}
	// 1.8 s at one command per 250 ms, a stop, and a state read or two.
	if posts < 5 || posts > 16 {
		t.Errorf("%d PTZ requests while the key was held 1.8 s (with key repeat): want one every 250 ms", posts)
	}
	var selected string
	evalJS(t, ctx, `document.querySelector('.tile.selected').dataset.camera`, &selected)
	if selected != dome {
		t.Errorf("the arrow keys moved the wall's selection to %s", selected)
	}

	// Another operator: sees who steers, and is refused.
	ria := newSite(t, bs.port, bs.data)
	ria.signIn(t, "op.ria", op2PW)
	var state struct {
		Lock struct{ Holder, Display string }
	}
	getJSON(t, ria, "/api/v1/cameras/"+dome+"/ptz", &state)
	if state.Lock.Holder != "op.olly" || state.Lock.Display != "Olly Operator" {
		t.Errorf("another operator sees the lock %+v", state.Lock)
	}
	code, body := ria.do(t, "POST", "/api/v1/cameras/"+dome+"/ptz", map[string]any{"action": "continuous", "pan": -0.5})
	if code != 409 || !strings.Contains(string(body), "Olly Operator is steering") {
		t.Errorf("another operator's move: %d %s, want 409 naming Olly Operator", code, body)
	}
	if st := status(); !stopped(st) {
		t.Errorf("the refused move moved the dome: %+v", st)
	}
	code, body = ria.do(t, "POST", "/api/v1/cameras/"+dome+"/ptz/lock", map[string]any{"take": true})
	if code != 409 {
		t.Errorf("another operator takes the dome: %d %s, want 409", code, body)
	}

	// A preset saved in the page, the dome sent home, the preset recalled.
	saved := status().Position
	run(t, ctx, "save a preset",
		chromedp.Click(panel+` .ptz-save-preset`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ptz-preset-dialog input[name="name"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#ptz-preset-dialog input[name="name"]`, "Market cross", chromedp.ByQuery),
		chromedp.Click(`#ptz-preset-dialog button[type="submit"]`, chromedp.ByQuery))
	waitJS(t, ctx, "the preset listed", `!document.querySelector('.modal') &&
		[...document.querySelectorAll('`+panel+` .ptz-preset')].some(b => b.textContent === 'Market cross')`, 10*time.Second)
	run(t, ctx, "home", chromedp.Click(panel+` button[data-ptz="home"]`, chromedp.ByQuery))
	until("home", 10*time.Second, func(st sim.PTZStatus) bool {
		return stopped(st) && math.Abs(st.Position.Pan) < 0.01 && math.Abs(st.Position.Tilt) < 0.01
	})
	run(t, ctx, "go to the preset", chromedp.Evaluate(`[...document.querySelectorAll('`+panel+` .ptz-preset')].find(b => b.textContent === 'Market cross').click()`, nil))
	st, _ = until("back at the preset", 10*time.Second, func(st sim.PTZStatus) bool {
		return stopped(st) && math.Abs(st.Position.Pan-saved.Pan) < 0.01 && math.Abs(st.Position.Tilt-saved.Tilt) < 0.01
	})
	t.Logf("preset: saved at %+v, recalled to %+v", saved, st.Position)
	shot(t, ctx, "ptz-preset")

	// Shift+click right of and above the picture's centre, on the dome's
	// tile maximised: a relative move right and up (approximate by design;
	// only the direction is checked).
	run(t, ctx, "maximise the dome", chromedp.DoubleClick(tile+` .tile-label`, chromedp.ByQuery, chromedp.NodeReady))
	waitJS(t, ctx, "maximised, main stream playing", `(e => e.classList.contains('tile-max') && e.dataset.stream === 'main' && e.dataset.state === 'playing' &&
		e.querySelector('video').videoWidth > 0)(document.querySelector('`+tile+`'))`, 30*time.Second)
	var pt point
	evalJS(t, ctx, `(() => { const v = document.querySelector('`+tile+` video'); const r = v.getBoundingClientRect();
		const x = r.left + r.width * 0.6, y = r.top + r.height * 0.3;
		return document.elementFromPoint(x, y) === v ? {x, y} : {x: -1, y: -1}; })()`, &pt)
	if pt.X < 0 {
		t.Fatal("the picture is covered where the test would click")
	}
	before0 := status().Position
	run(t, ctx, "shift+click", chromedp.MouseClickXY(pt.X, pt.Y, chromedp.ButtonModifiers(input.ModifierShift)))
	st, _ = until("moved towards the click", 10*time.Second, func(st sim.PTZStatus) bool {
		return stopped(st) && st.Position.Pan > before0.Pan+0.05
	})
	t.Logf("click to centre: pan %.3f → %.3f, tilt %.3f → %.3f", before0.Pan, st.Position.Pan, before0.Tilt, st.Position.Tilt)
	if st.Position.Tilt <= before0.Tilt {
		t.Errorf("a click above the centre did not tilt up: %.3f → %.3f", before0.Tilt, st.Position.Tilt)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	// A supervisor sees the operator steering and takes over.
	uiSignOut(t, ctx)
	uiSignIn(t, ctx, bs.base, "sup.khan", supPW)
	openControls()
	waitJS(t, ctx, "Olly is steering, Take over offered", `(p => p.dataset.lock === 'other' && p.querySelector('.ptz-status').textContent === 'Olly Operator is steering' &&
		!p.querySelector('.ptz-take').hidden)(document.querySelector('`+panel+`'))`, 10*time.Second)
	shot(t, ctx, "ptz-other")
	run(t, ctx, "take over", chromedp.Click(panel+` .ptz-take`, chromedp.ByQuery))
	waitJS(t, ctx, "the supervisor steers", `(p => p.dataset.lock === 'mine' && p.querySelector('.ptz-take').hidden)(document.querySelector('`+panel+`'))`, 10*time.Second)
	getJSON(t, ria, "/api/v1/cameras/"+dome+"/ptz", &state)
	if state.Lock.Holder != "sup.khan" {
		t.Errorf("after the take-over the lock is %+v", state.Lock)
	}

	// Leaving the page while a button is held: the dome stops.
	press("left")
	until("panning left", 10*time.Second, func(st sim.PTZStatus) bool { return st.PanTiltMoving })
	run(t, ctx, "leave the page while holding", chromedp.Navigate("about:blank"))
	_, took = until("stopped after leaving the page", 2*time.Second, stopped)
	t.Logf("left the page while holding: the dome stopped %s later", took.Round(time.Millisecond))
	run(t, ctx, "mouse up", chromedp.MouseEvent(input.MouseReleased, 0, 0, chromedp.ButtonType(input.Left)))

	// Killing the browser while a button is held: the server's dead-man.
	openControls()
	press("zoom-in")
	until("zooming in", 10*time.Second, func(st sim.PTZStatus) bool { return st.ZoomMoving })
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
	b.close()
	_, took = until("stopped after the browser died", 2*time.Second, stopped)
	t.Logf("browser killed while holding: the dome stopped %s later", took.Round(time.Millisecond))

}
