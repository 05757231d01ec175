package main_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-cctv/vigil/ui/web"
)

// TestBrowserPlaybackToEvidence follows an incident through the web UI: an
// operator plays a camera back (giving a reason first), scrubs on the
// timeline and bookmarks the moment; the bookmark is found by search; a
// police officer requests the footage; a supervisor approves it; the
// officer sees it approved, and downloads the bundle once it is built.
func TestBrowserPlaybackToEvidence(t *testing.T) {
	bs := startBrowserSite(t, 2)
	admin := bs.admin(t)
	opPW := bs.account(t, admin, "olivia", "Olivia Operator", "operator")
	supPW := bs.account(t, admin, "sam", "Sam Supervisor", "supervisor")
	polPW := bs.account(t, admin, "pc4821", "PC 4821 Patel", "police")
	bs.waitOnline(t, admin)

	// Wait until cam001 has recorded some seconds, so that there is footage
	// to play and, earlier in it, somewhere to scrub to.
	var first time.Time
	deadline := time.Now().Add(90 * time.Second)
	for {
		var rec struct {
			Spans []struct{ Start, End time.Time }
		}
		getJSON(t, admin, "/api/v1/cameras/cam001/recordings", &rec)
		var total time.Duration
		for _, s := range rec.Spans {
			total += s.End.Sub(s.Start)
		}
		if len(rec.Spans) > 0 && total >= 20*time.Second {
			first = rec.Spans[0].Start
			t.Logf("cam001 has %v recorded in %d spans", total.Round(time.Millisecond), len(rec.Spans))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cam001 has not recorded 20 s after 90 s: %+v", rec)
		}
		time.Sleep(250 * time.Millisecond)
	}

	b := startBrowser(t)
	ctx := b.ctx

	// --- the operator plays cam001 back: a reason first.
	uiSignIn(t, ctx, bs.base, "olivia", opPW)
	start := time.Now().Add(-8 * time.Second).UTC()
	run(t, ctx, "open playback",
		chromedp.Navigate(bs.base+"/#/playback?camera=cam001&at="+start.Format(time.RFC3339)),
		chromedp.WaitVisible(`#pb-reason-form`, chromedp.ByQuery))
	// No footage before the reason: the video has no source yet.
	var src string
	evalJS(t, ctx, `document.querySelector('#pb-grid video') ? document.querySelector('#pb-grid video').src : 'none'`, &src)
	if src != "" && src != "none" {
		t.Errorf("the video has a source (%s) before a reason was given", src)
	}
	shot(t, ctx, "1-reason")
	run(t, ctx, "give a reason",
		chromedp.SendKeys(`#pb-reason-text`, "Reported theft from a car on Street 1", chromedp.ByQuery),
		chromedp.SendKeys(`#pb-reason-ref`, "INC-2041", chromedp.ByQuery),
		chromedp.Click(`#pb-reason-ok`, chromedp.ByQuery))
	waitPlaying(t, ctx, `#pb-grid video`)
	waitJS(t, ctx, "the picture time shown", `!!document.querySelector('#pb-time').dataset.wall`, 10*time.Second)
	var wall0 float64
	evalJS(t, ctx, `Number(document.querySelector('#pb-time').dataset.wall)`, &wall0)
	if d := time.UnixMilli(int64(wall0)).Sub(start); d < -5*time.Second || d > 10*time.Second {
		t.Errorf("picture time %v, asked for %v", time.UnixMilli(int64(wall0)).UTC(), start)
	}
	// The page asked for the stream with the reason and reference.
	var asked bool
	for _, u := range b.Requests() {
		if strings.Contains(u, "/api/v1/cameras/cam001/playback?") && strings.Contains(u, "reason=Reported+theft") && strings.Contains(u, "ref=INC-2041") {
			asked = true
		}
	}
	if !asked {
		t.Errorf("no playback request with the reason and reference among %v", b.Requests())
	}
	shot(t, ctx, "2-playing")

	// --- 2x, then scrub: zoom to 5 minutes and click the timeline 3 s
	// after the first footage, well before the picture now.
	run(t, ctx, "play at 2x", chromedp.Click(`.pb-rate[data-rate="2"]`, chromedp.ByQuery))
	waitJS(t, ctx, "rate 2x", `document.querySelector('#pb-grid video').playbackRate === 2`, 5*time.Second)
	run(t, ctx, "zoom to 5 min", chromedp.Click(`.pb-zoom[data-zoom="5m"]`, chromedp.ByQuery))
	waitJS(t, ctx, "recorded spans on the timeline", `document.querySelectorAll('#pb-timeline .tl-span').length > 0`, 10*time.Second)
	target := first.Add(3 * time.Second)
	var pt struct{ X, Y, From, To float64 }
	evalJS(t, ctx, fmt.Sprintf(`(() => {
		const tl = document.querySelector('#pb-timeline');
		tl.scrollIntoView({block: 'center'});
		const r = tl.querySelector('.tl-track').getBoundingClientRect();
		const from = Number(tl.getAttribute('aria-valuemin')), to = Number(tl.getAttribute('aria-valuemax'));
		return {x: r.left + r.width * (%d - from) / (to - from), y: r.top + r.height / 2, from, to};
	})()`, target.UnixMilli()), &pt)
	if float64(target.UnixMilli()) < pt.From || float64(target.UnixMilli()) > pt.To {
		t.Fatalf("scrub target %v outside the timeline window %v-%v", target, time.UnixMilli(int64(pt.From)), time.UnixMilli(int64(pt.To)))
	}
	var before float64
	evalJS(t, ctx, `Number(document.querySelector('#pb-time').dataset.wall)`, &before)
	run(t, ctx, "click the timeline", chromedp.MouseClickXY(pt.X, pt.Y))
	// One pixel is under a second at this zoom: the picture lands within
	// 2 s of the target (the nearest frame of the stream).
	waitJS(t, ctx, "the picture at the scrubbed time", fmt.Sprintf(
		`Math.abs(Number(document.querySelector('#pb-time').dataset.wall) - %d) < 2500`, target.UnixMilli()), 20*time.Second)
	waitPlaying(t, ctx, `#pb-grid video`)
	var after float64
	evalJS(t, ctx, `Number(document.querySelector('#pb-time').dataset.wall)`, &after)
	if before-after < 3000 {
		t.Errorf("scrubbing moved the picture from %v to %v, want at least 3 s back", time.UnixMilli(int64(before)), time.UnixMilli(int64(after)))
	}
	shot(t, ctx, "3-scrubbed")

	// Synchronised playback: add cam002; both play on one clock.
	run(t, ctx, "add a camera", chromedp.Evaluate(`(() => { const s = document.querySelector('#pb-add'); s.value = 'cam002';
		s.dispatchEvent(new Event('change')); })()`, nil))
	waitJS(t, ctx, "two tiles", `document.querySelectorAll('#pb-grid video').length === 2`, 5*time.Second)
	waitPlaying(t, ctx, `#pb-grid .pb-tile[data-camera="cam002"] video`)
	waitPlaying(t, ctx, `#pb-grid .pb-tile[data-camera="cam001"] video`)
	waitJS(t, ctx, "two cameras in step", `(() => { const w = [...document.querySelectorAll('#pb-grid .pb-tile')].map(x => Number(x.dataset.wall));
		return w.length === 2 && w.every(x => x > 0) && Math.abs(w[0] - w[1]) < 400; })()`, 15*time.Second)
	shot(t, ctx, "3b-synchronised")

	// Frame step: paused, one frame forward moves the picture by about a frame.
	run(t, ctx, "step a frame", chromedp.Click(`#pb-step-fwd`, chromedp.ByQuery))
	waitJS(t, ctx, "paused", `document.querySelector('#pb-grid video').paused`, 5*time.Second)
	var s1, s2 float64
	evalJS(t, ctx, `new Promise(r => setTimeout(() => r(Number(document.querySelector('#pb-time').dataset.wall)), 300))`, &s1)
	run(t, ctx, "step again", chromedp.Click(`#pb-step-fwd`, chromedp.ByQuery))
	evalJS(t, ctx, `new Promise(r => setTimeout(() => r(Number(document.querySelector('#pb-time').dataset.wall)), 300))`, &s2)
	if d := s2 - s1; d < 10 || d > 200 {
		t.Errorf("one frame forward moved the picture %.0f ms", d)
	}

	// --- bookmark the moment from playback.
	var at float64
	evalJS(t, ctx, `Number(document.querySelector('#pb-time').dataset.wall)`, &at)
	note := "Red hatchback, two men, tried car doors heading north"
	run(t, ctx, "bookmark",
		chromedp.Click(`#pb-bookmark`, chromedp.ByQuery),
		chromedp.WaitVisible(`#bm-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#bm-note`, note, chromedp.ByQuery))
	var picked []string
	evalJS(t, ctx, `[...document.querySelectorAll('#bm-form input[name="bm-cameras"]:checked')].map(i => i.value)`, &picked)
	if strings.Join(picked, ",") != "cam001,cam002" {
		t.Errorf("the bookmark form picked cameras %v, want the two on screen", picked)
	}
	shot(t, ctx, "4-bookmark-form")
	run(t, ctx, "save the bookmark", chromedp.Click(`#bm-save`, chromedp.ByQuery))
	waitJS(t, ctx, "bookmark saved", `!document.querySelector('#bm-form')`, 10*time.Second)
	waitJS(t, ctx, "bookmark on the timeline", `document.querySelectorAll('#pb-timeline .tl-bookmark').length === 1`, 10*time.Second)

	// Found by search on the incidents page, with a link back to playback.
	run(t, ctx, "open incidents", chromedp.Navigate(bs.base+"/#/bookmarks"), chromedp.WaitVisible(`#bm-q`, chromedp.ByQuery))
	run(t, ctx, "search", chromedp.SendKeys(`#bm-q`, "hatchback", chromedp.ByQuery), chromedp.Click(`#bm-search`, chromedp.ByQuery))
	waitJS(t, ctx, "the bookmark found", `[...document.querySelectorAll('#bm-rows tr[data-id]')].length === 1 && document.querySelector('#bm-rows').textContent.includes('Red hatchback')`, 10*time.Second)
	var play string
	evalJS(t, ctx, `document.querySelector('#bm-rows a[data-action="play"]').getAttribute('href')`, &play)
	if !strings.HasPrefix(play, "#/playback?camera=cam001&at=") || !strings.HasSuffix(play, "&cameras=cam001%2Ccam002") {
		t.Errorf("play link %q", play)
	}
	run(t, ctx, "search for something else", setInput(`#bm-q`, "bicycle"), chromedp.Click(`#bm-search`, chromedp.ByQuery))
	waitJS(t, ctx, "nothing found", `document.querySelectorAll('#bm-rows tr[data-id]').length === 0`, 10*time.Second)
	shot(t, ctx, "5-incidents")
	uiSignOut(t, ctx)

	// --- the police officer finds the incident and asks for its footage:
	// the form comes prefilled from it (its cameras, 5 minutes either
	// side, its note); the officer narrows the range to what was recorded.
	bmAt := time.UnixMilli(int64(at)).UTC()
	uiSignIn(t, ctx, bs.base, "pc4821", polPW)
	run(t, ctx, "open incidents", chromedp.Navigate(bs.base+"/#/bookmarks"), chromedp.WaitVisible(`#bm-q`, chromedp.ByQuery))
	run(t, ctx, "search", chromedp.SendKeys(`#bm-q`, "hatchback", chromedp.ByQuery), chromedp.Click(`#bm-search`, chromedp.ByQuery))
	waitJS(t, ctx, "the incident found by the officer", `document.querySelectorAll('#bm-rows tr[data-id]').length === 1 && !!document.querySelector('#bm-rows button[data-action="request"]')`, 10*time.Second)
	// Clicked in the page, in one step: the list may be drawn again (the
	// page's first load landing after the search) between finding the
	// button and a click by node.
	var clicked bool
	evalJS(t, ctx, `(() => { const b = document.querySelector('#bm-rows button[data-action="request"]'); if (b) b.click(); return !!b; })()`, &clicked)
	if !clicked {
		t.Fatal("no request button on the incident")
	}
	run(t, ctx, "request from the incident", chromedp.WaitVisible(`#ex-form`, chromedp.ByQuery))
	var pre struct{ Cameras, From, To, Reason string }
	evalJS(t, ctx, `({cameras: document.querySelector('#ex-cameras').value, from: document.querySelector('#ex-from').value,
		to: document.querySelector('#ex-to').value, reason: document.querySelector('#ex-reason').value})`, &pre)
	if pre.Cameras != "cam001, cam002" || withSeconds(pre.From) != londonInput(bmAt.Add(-5*time.Minute)) || withSeconds(pre.To) != londonInput(bmAt.Add(5*time.Minute)) || pre.Reason != note {
		t.Errorf("request prefilled from the incident: %+v (bookmark at %v)", pre, bmAt)
	}
	shot(t, ctx, "6-request-from-incident")
	run(t, ctx, "fill in the request",
		chromedp.SendKeys(`#ex-crime`, "01/123456/26", chromedp.ByQuery),
		setInput(`#ex-from`, londonInput(bmAt.Add(-20*time.Second))),
		setInput(`#ex-to`, londonInput(bmAt.Add(3*time.Second))))
	shot(t, ctx, "7-police-request")
	run(t, ctx, "send the request", chromedp.Click(`#ex-submit`, chromedp.ByQuery))
	waitJS(t, ctx, "request filed", `!document.querySelector('#ex-form')`, 10*time.Second)
	run(t, ctx, "open evidence", chromedp.Navigate(bs.base+"/#/evidence"), chromedp.WaitVisible(`#ex-new`, chromedp.ByQuery))
	waitJS(t, ctx, "the request listed", `!!document.querySelector('#ex-mine tr[data-state="requested"]')`, 10*time.Second)
	var exID string
	evalJS(t, ctx, `document.querySelector('#ex-mine tr[data-state="requested"]').dataset.id`, &exID)
	// Police cannot play before approval.
	var links int
	evalJS(t, ctx, `document.querySelectorAll('#ex-mine a[data-action="play"]').length`, &links)
	if links != 0 {
		t.Errorf("a requested (not approved) export offers playback")
	}
	uiSignOut(t, ctx)

	// --- the supervisor approves it.
	uiSignIn(t, ctx, bs.base, "sam", supPW)
	run(t, ctx, "open evidence", chromedp.Navigate(bs.base+"/#/evidence"), chromedp.WaitVisible(`#ex-pending`, chromedp.ByQuery))
	row := fmt.Sprintf(`#ex-pending tr[data-id=%q]`, exID)
	waitJS(t, ctx, "the request pending", fmt.Sprintf(`!!document.querySelector(%s)`, jsString(row)), 10*time.Second)
	shot(t, ctx, "8-supervisor-pending")
	run(t, ctx, "approve",
		chromedp.Click(row+` button[data-action="approve"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ev-reason-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#ev-reason`, "Proportionate: a named crime, 23 s of two cameras", chromedp.ByQuery),
		chromedp.Click(`#ev-confirm`, chromedp.ByQuery))
	waitJS(t, ctx, "approved", fmt.Sprintf(`!document.querySelector(%s) && !!document.querySelector('#ex-decided tr[data-id=%q][data-state="approved"]')`, jsString(row), exID), 10*time.Second)
	shot(t, ctx, "9-supervisor-approved")

	// A legal hold on the incident's footage; its release needs a second
	// supervisor, so the one who asks for it cannot confirm it.
	run(t, ctx, "place a hold",
		chromedp.Click(`#hold-new`, chromedp.ByQuery),
		chromedp.WaitVisible(`#hold-form`, chromedp.ByQuery),
		chromedp.Click(`#hold-form input[name="hold-cameras"][value="cam001"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#hold-asked`, "PC 4821 Patel", chromedp.ByQuery),
		chromedp.SendKeys(`#hold-reason`, "Crime 01/123456/26 under investigation", chromedp.ByQuery),
		chromedp.Click(`#hold-submit`, chromedp.ByQuery))
	waitJS(t, ctx, "the hold listed", `!document.querySelector('#hold-form') && document.querySelectorAll('#hold-rows tr[data-id]').length === 1`, 10*time.Second)
	run(t, ctx, "ask to release it",
		chromedp.Click(`#hold-rows button[data-action="release-request"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ev-reason-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#ev-reason`, "Charged; the bundle holds the footage", chromedp.ByQuery),
		chromedp.Click(`#ev-confirm`, chromedp.ByQuery))
	waitJS(t, ctx, "release awaits a second supervisor", `!!document.querySelector('#hold-rows button[data-action="release"]') && document.querySelector('#hold-rows button[data-action="release"]').disabled`, 10*time.Second)
	shot(t, ctx, "9b-hold")
	uiSignOut(t, ctx)

	// --- the officer sees it approved, may view it, and downloads the bundle once built.
	uiSignIn(t, ctx, bs.base, "pc4821", polPW)
	run(t, ctx, "open evidence", chromedp.Navigate(bs.base+"/#/evidence"), chromedp.WaitVisible(`#ex-mine`, chromedp.ByQuery))
	mine := fmt.Sprintf(`#ex-mine tr[data-id=%q]`, exID)
	waitJS(t, ctx, "approved for the officer", fmt.Sprintf(`document.querySelector(%s)?.dataset.state === 'approved'`, jsString(mine)), 10*time.Second)
	shot(t, ctx, "10-police-approved")
	waitJS(t, ctx, "bundle built", fmt.Sprintf(`document.querySelector(%s)?.dataset.build === 'done'`, jsString(mine)), 90*time.Second)
	run(t, ctx, "create a download link", chromedp.Click(mine+` button[data-action="link"]`, chromedp.ByQuery))
	waitJS(t, ctx, "download link", fmt.Sprintf(`!!document.querySelector(%s)`, jsString(mine+` a[data-action="download"]`)), 10*time.Second)
	shot(t, ctx, "11-police-download")
	var got string
	evalJS(t, ctx, fmt.Sprintf(`fetch(document.querySelector(%s).href).then(async r => r.status + ' ' + r.headers.get('content-type') + ' ' + (await r.arrayBuffer()).byteLength)`,
		jsString(mine+` a[data-action="download"]`)), &got)
	if !strings.HasPrefix(got, "200 application/zip ") || strings.HasSuffix(got, " 0") {
		t.Errorf("download: %s", got)
	}
	t.Logf("bundle download: %s", got)

	// The grant lets the officer play the footage, after giving a reason.
	run(t, ctx, "view the granted footage",
		chromedp.Click(mine+` a[data-action="play"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#pb-reason-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#pb-reason-text`, "Reviewing before charge", chromedp.ByQuery),
		chromedp.SendKeys(`#pb-reason-ref`, "01/123456/26", chromedp.ByQuery),
		chromedp.Click(`#pb-reason-ok`, chromedp.ByQuery))
	waitPlaying(t, ctx, `#pb-grid .pb-tile[data-camera="cam001"] video`)
	shot(t, ctx, "12-police-playback")

	if off := offSite(bs.base, b.Requests()); len(off) > 0 {
		t.Errorf("requests to other hosts: %v", off)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// waitPlaying waits until a <video> shows pictures and its time advances.
func waitPlaying(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	q := jsString(sel)
	waitJS(t, ctx, "video has pictures", fmt.Sprintf(`(() => { const v = document.querySelector(%s); return !!v && v.videoWidth > 0 && v.readyState >= 2; })()`, q), 20*time.Second)
	waitJS(t, ctx, "video time advancing", fmt.Sprintf(`new Promise(res => { const v = document.querySelector(%s); const t0 = v.currentTime;
		setTimeout(() => res(!v.paused && v.currentTime > t0 + 0.2), 700); })`, q), 20*time.Second)
}

// uiSignOut signs out through the top bar.
func uiSignOut(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, "sign out", chromedp.Click(`#logout`, chromedp.ByQuery))
	waitJS(t, ctx, "signed out", `location.hash.startsWith('#/login') && !!document.querySelector('#login-username')`, 10*time.Second)
}

// setInput sets an input's value as a person would (input and change events).
func setInput(sel, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return e.value; })()`,
		jsString(sel), jsString(value)), nil)
}

// londonInput is what lib/time.js's toLondonInput makes of t.
func londonInput(t time.Time) string {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return t.In(loc).Format("2006-01-02T15:04:05")
}

// withSeconds puts back the ":00" seconds that a datetime-local input's
// value leaves out when they are zero (a bookmark on a whole minute).
func withSeconds(v string) string {
	if len(v) == len("2006-01-02T15:04") {
		return v + ":00"
	}
	return v
}

// TestBrowserLondonTime runs lib/time.js in chromium: Europe/London shown
// and read right on both sides of the GMT/BST changes, the repeated
// October hour read as its first occurrence, the skipped March hour moved
// on, and UTC sent to the API.
func TestBrowserLondonTime(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	ctx, done := newBrowser(t)
	defer done()
	run(t, ctx, "open the app", chromedp.Navigate(srv.URL+"/"))
	cases := []struct{ in, utc, note, shown string }{
		{"2026-03-29T00:30:00", "2026-03-29T00:30:00Z", "", "Sun 29 Mar 2026 00:30:00 GMT"},
		{"2026-03-29T01:30:00", "2026-03-29T01:30:00Z", "does not exist", "Sun 29 Mar 2026 02:30:00 BST"},
		{"2026-03-29T02:30:00", "2026-03-29T01:30:00Z", "", "Sun 29 Mar 2026 02:30:00 BST"},
		{"2026-10-25T00:30:00", "2026-10-24T23:30:00Z", "", "Sun 25 Oct 2026 00:30:00 BST"},
		{"2026-10-25T01:30:00", "2026-10-25T00:30:00Z", "happens twice", "Sun 25 Oct 2026 01:30:00 BST"},
		{"2026-10-25T02:30:00", "2026-10-25T02:30:00Z", "", "Sun 25 Oct 2026 02:30:00 GMT"},
		{"2026-11-24T14:05:03", "2026-11-24T14:05:03Z", "", "Tue 24 Nov 2026 14:05:03 GMT"},
		{"2026-07-01T12:00", "2026-07-01T11:00:00Z", "", "Wed 1 Jul 2026 12:00:00 BST"},
		{"2026-02-31T00:00", "", "", ""},
		{"yesterday", "", "", ""},
	}
	for _, c := range cases {
		var got struct{ UTC, Note, Shown, Back string }
		evalJS(t, ctx, fmt.Sprintf(`import('/static/lib/time.js').then(T => { const r = T.parseLondonDetail(%s);
			return r ? {utc: T.rfc3339(r.date), note: r.note, shown: T.londonDateTime(r.date), back: T.toLondonInput(r.date)} : {}; })`, jsString(c.in)), &got)
		if got.UTC != c.utc || !strings.Contains(got.Note, c.note) || got.Shown != c.shown {
			t.Errorf("%s: %+v, want %s %q %s", c.in, got, c.utc, c.note, c.shown)
		}
		if c.utc != "" && c.note == "" && got.Back[:16] != c.in[:16] {
			t.Errorf("%s: back to the input as %s", c.in, got.Back)
		}
	}
	// A London day is 23 or 25 hours long on the change days.
	var hours []float64
	evalJS(t, ctx, `import('/static/lib/time.js').then(T => ['2026-03-29T12:00:00Z', '2026-10-25T12:00:00Z', '2026-06-01T12:00:00Z']
		.map(d => { const [a, b] = T.londonDayBounds(new Date(d)); return (b - a) / 3600e3; }))`, &hours)
	if fmt.Sprint(hours) != "[23 25 24]" {
		t.Errorf("London day lengths %v, want [23 25 24]", hours)
	}
}
