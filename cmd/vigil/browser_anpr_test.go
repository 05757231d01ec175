package main_test

// Browser test of the Plates page (#/anpr) and the wall's ANPR alert
// cards. Plate reads are seeded into the site's own SQLite file through
// the store (real reads with JPEG crops and vehicle pictures), and ANPR
// alerts are raised by the real nuisance service over that store. Then:
// a supervisor adds, edits and removes a watch-list entry through the UI
// (each step checked against the API), meeting the server's field errors
// and a plate already listed; an operator gives a reason once, sees the
// live list with its crops, searches exact, wildcard and fuzzy and by
// time, sees a read's vehicle and the link to playback, reads the
// watch-list without any control to change it, and finds the ANPR alerts
// on the wall with their picture, plate and links. Every search is in the
// audit with its reason; the page never asks for reads before the reason.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/nuisance"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// testJPEG is a w x h JPEG of one colour with a dark band (a "plate").
func testJPEG(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(w/8, h/3, w*7/8, h*2/3), &image.Uniform{color.RGBA{20, 20, 20, 255}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// storeAlerts raises alerts straight into the store (the running
// service's alert stream does not see them; the wall's panel lists them
// when it loads).
type storeAlerts struct{ st *store.Store }

func (s storeAlerts) Raise(ctx context.Context, a store.Alert) (store.Alert, error) {
	err := s.st.AddAlert(ctx, &a)
	return a, err
}

type watchEntry struct {
	ID       int64     `json:"id"`
	Plate    string    `json:"plate"`
	Category string    `json:"category"`
	Reason   string    `json:"reason"`
	AddedBy  string    `json:"added_by"`
	Expires  time.Time `json:"expires"`
	Expired  bool      `json:"expired"`
}

func serverWatchlist(t *testing.T, s *site) []watchEntry {
	t.Helper()
	var res struct {
		Watchlist []watchEntry `json:"watchlist"`
	}
	getJSON(t, s, "/api/v1/anpr/watchlist", &res)
	return res.Watchlist
}

type auditLine struct {
	Action string `json:"action"`
	Person string `json:"person"`
	Reason string `json:"reason"`
	Ref    string `json:"ref"`
	Detail string `json:"detail"`
}

func auditOf(t *testing.T, s *site, action string) []auditLine {
	t.Helper()
	var res struct {
		Entries []auditLine `json:"entries"`
	}
	getJSON(t, s, "/api/v1/audit?action="+action+"&limit=1000", &res)
	return res.Entries
}

func TestBrowserANPR(t *testing.T) {
	started := time.Now()
	bs := startBrowserSite(t, 2)
	admin := bs.admin(t)
	supPW := bs.account(t, admin, "sup.ana", "Ana Supervisor", "supervisor")
	opPW := bs.account(t, admin, "op.raj", "Raj Operator", "operator")
	sup := newSite(t, bs.port, bs.data)
	sup.signIn(t, "sup.ana", supPW)
	op := newSite(t, bs.port, bs.data)
	op.signIn(t, "op.raj", opPW)

	// The service's own database file, opened alongside it (SQLite WAL).
	st, err := store.Open(filepath.Join(bs.data, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx0 := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	type seed struct {
		plate, text, camera, dir string
		ago                      time.Duration
		conf                     float32
	}
	seeds := []seed{
		{"AB12CDE", "AB12 CDE", "cam001", "left-to-right", 10 * time.Minute, 0.97},
		{"AB12CDF", "AB12 CDF", "cam002", "towards", 20 * time.Minute, 0.91},
		{"A812CDE", "A812 CDE", "cam001", "away", 30 * time.Minute, 0.62},
		{"KL56MNO", "KL56 MNO", "cam002", "right-to-left", 40 * time.Minute, 0.88},
		{"XY34ZZZ", "XY34 ZZZ", "cam001", "", 50 * time.Minute, 0.80},
		{"AB12CDE", "AB12 CDE", "cam002", "towards", 72 * time.Hour, 0.95}, // out of the default 24 h
	}
	reads := make([]store.PlateRead, len(seeds))
	colours := []color.RGBA{{240, 200, 40, 255}, {230, 230, 230, 255}, {240, 200, 40, 255}, {230, 230, 230, 255}, {240, 200, 40, 255}, {230, 230, 230, 255}}
	for i, s := range seeds {
		at := now.Add(-s.ago)
		cc := make([]float32, len(s.plate))
		for j := range cc {
			cc[j] = s.conf
		}
		reads[i] = store.PlateRead{Camera: s.camera, At: at, First: at.Add(-1500 * time.Millisecond), Last: at.Add(time.Second),
			Plate: s.plate, Text: s.text, Format: "current", Confidence: s.conf, CharConf: cc, Direction: s.dir, Frames: 9,
			Box: [4]int{100, 200, 120, 30}, Crop: testJPEG(t, 120, 30, colours[i]), Thumbnail: testJPEG(t, 320, 180, color.RGBA{40, 80, uint8(40 * i), 255})}
		if err := st.AddPlateRead(ctx0, &reads[i]); err != nil {
			t.Fatalf("seed read %d: %v", i, err)
		}
	}
	recent := []string{"AB12CDE", "AB12CDF", "A812CDE", "KL56MNO", "XY34ZZZ"} // newest first

	t.Run("Supervisor", func(t *testing.T) {
		b, ctx := analyticsBrowser(t, bs.base, "sup.ana", supPW)
		run(t, ctx, "a 1280x720 screen", chromedp.EmulateViewport(1280, 720))
		run(t, ctx, "open the watch-list", chromedp.Navigate(bs.base+"/#/anpr?view=watchlist"))
		waitJS(t, ctx, "the empty watch-list", `!!document.querySelector('#anpr-watchlist .anpr-none') && !!document.querySelector('#anpr-watch-new')
			&& document.querySelector('#anpr-tab-watchlist').getAttribute('aria-selected') === 'true' && document.querySelector('#anpr-reads').hidden`, 15*time.Second)
		var wide struct{ Page, Bar, Screen int }
		evalJS(t, ctx, `({page: document.querySelector('.anpr-page').scrollWidth, bar: document.querySelector('#topbar').scrollWidth, screen: window.innerWidth})`, &wide)
		if wide.Page > wide.Screen {
			t.Errorf("the page is wider than a 1280x720 screen: %+v", wide)
		}
		if wide.Bar > wide.Screen {
			// A supervisor has eight pages, the clock and the name.
			t.Errorf("the top bar is %d px wide on a %d px screen", wide.Bar, wide.Screen)
		}
		var navNames []string
		evalJS(t, ctx, `[...document.querySelectorAll('#nav a.nav-link')].map(a => a.getAttribute('aria-label') + '|' + a.title)`, &navNames)
		if !slices.Contains(navNames, "Plates|Plates") {
			t.Errorf("the nav links are named %q (icons only at 1280 px)", navNames)
		}
		var text string
		fieldErr := func(form, field string) string {
			evalJS(t, ctx, fmt.Sprintf(`document.querySelector('%s .field-error[data-field="%s"]').textContent`, form, field), &text)
			return text
		}
		submit := func() { run(t, ctx, "submit", chromedp.Click(`#anpr-watch-form [data-role=submit]`, chromedp.ByQuery)) }

		// Not a plate and no reason: the server says so, next to each.
		run(t, ctx, "open the add form", chromedp.Click(`#anpr-watch-new`, chromedp.ByQuery), chromedp.WaitVisible(`#anpr-watch-form`, chromedp.ByQuery),
			chromedp.SendKeys(`#anpr-watch-form input[name=plate]`, "not a plate!", chromedp.ByQuery))
		submit()
		waitJS(t, ctx, "field errors", `document.querySelector('#anpr-watch-form .field-error[data-field=plate]').textContent !== ''
			&& document.querySelector('#anpr-watch-form .field-error[data-field=reason]').textContent !== ''`, 10*time.Second)
		if e := fieldErr("#anpr-watch-form", "plate"); !strings.Contains(e, "letters and digits") {
			t.Errorf("plate error %q", e)
		}
		if e := fieldErr("#anpr-watch-form", "reason"); !strings.Contains(e, "say why") {
			t.Errorf("reason error %q", e)
		}
		if e := fieldErr("#anpr-watch-form", "category"); e != "" {
			t.Errorf("category error %q", e)
		}
		shot(t, ctx, "field-errors")
		if n := len(serverWatchlist(t, sup)); n != 0 {
			t.Fatalf("a refused listing is on the server (%d)", n)
		}

		// Put right: listed as stolen, expiry left to the default 90 days.
		setValue(t, ctx, `#anpr-watch-form input[name=plate]`, "ab12 cde")
		setValue(t, ctx, `#anpr-watch-form select[name=category]`, "stolen")
		run(t, ctx, "give the reason", chromedp.SendKeys(`#anpr-watch-form textarea[name=reason]`, "Stolen overnight from Mill Lane, crime ref 01/23456/26", chromedp.ByQuery))
		submit()
		waitJS(t, ctx, "the vehicle listed", `!document.querySelector('#anpr-watch-dialog') && !!document.querySelector('#anpr-watchlist tr[data-plate=AB12CDE]')`, 10*time.Second)
		list := serverWatchlist(t, sup)
		if len(list) != 1 {
			t.Fatalf("the server lists %d vehicles, want 1: %+v", len(list), list)
		}
		w := list[0]
		if w.Plate != "AB12CDE" || w.Category != "stolen" || w.Reason != "Stolen overnight from Mill Lane, crime ref 01/23456/26" || w.AddedBy != "sup.ana" || w.Expired {
			t.Errorf("listed as %+v", w)
		}
		if d := time.Until(w.Expires) - 90*24*time.Hour; d > time.Minute || d < -5*time.Minute {
			t.Errorf("expires %s, want 90 days on", w.Expires)
		}
		row := fmt.Sprintf(`#anpr-watchlist tr[data-id="%d"]`, w.ID)
		evalJS(t, ctx, fmt.Sprintf(`document.querySelector('%s .anpr-plate').textContent + '|' + document.querySelector('%s').dataset.category`, row, row), &text)
		if text != "AB12 CDE|stolen" {
			t.Errorf("the row shows %q", text)
		}
		shot(t, ctx, "listed")

		// The same plate again (other spacing): 409, said next to the plate.
		run(t, ctx, "add it again", chromedp.Click(`#anpr-watch-new`, chromedp.ByQuery), chromedp.WaitVisible(`#anpr-watch-form`, chromedp.ByQuery),
			chromedp.SendKeys(`#anpr-watch-form input[name=plate]`, "AB12CDE", chromedp.ByQuery),
			chromedp.SendKeys(`#anpr-watch-form textarea[name=reason]`, "again", chromedp.ByQuery))
		submit()
		waitJS(t, ctx, "already listed", `document.querySelector('#anpr-watch-form .field-error[data-field=plate]').textContent.includes('already on the watch-list')`, 10*time.Second)
		shot(t, ctx, "conflict")
		if n := len(serverWatchlist(t, sup)); n != 1 {
			t.Fatalf("after a conflict the server lists %d", n)
		}
		run(t, ctx, "cancel", chromedp.Click(`#anpr-watch-form [data-role=cancel]`, chromedp.ByQuery))
		waitJS(t, ctx, "the form closed", `!document.querySelector('#anpr-watch-dialog')`, 5*time.Second)

		// Edit: the form shows the listing (the plate fixed); nuisance,
		// a new reason, 30 days.
		run(t, ctx, "edit", chromedp.Click(row+` [data-act=edit]`, chromedp.ByQuery), chromedp.WaitVisible(`#anpr-watch-form`, chromedp.ByQuery))
		var form map[string]string
		evalJS(t, ctx, `Object.fromEntries([...document.querySelectorAll('#anpr-watch-form [name]')].map(e => [e.name, e.value + (e.disabled ? ' (fixed)' : '')]))`, &form)
		form["expires"] = withSeconds(form["expires"])
		wantForm := map[string]string{"plate": "AB12 CDE (fixed)", "category": "stolen", "reason": w.Reason, "expires": londonInput(w.Expires)}
		if fmt.Sprint(form) != fmt.Sprint(wantForm) {
			t.Errorf("the edit form shows %v, want %v", form, wantForm)
		}
		expires := now.Add(30 * 24 * time.Hour)
		setValue(t, ctx, `#anpr-watch-form select[name=category]`, "nuisance")
		setValue(t, ctx, `#anpr-watch-form textarea[name=reason]`, "Seen at the Riverside car meets; PSPO warning given")
		setValue(t, ctx, `#anpr-watch-form input[name=expires]`, londonInput(expires))
		submit()
		waitJS(t, ctx, "the edit saved", fmt.Sprintf(`!document.querySelector('#anpr-watch-dialog') && document.querySelector('%s').dataset.category === 'nuisance'`, row), 10*time.Second)
		w2 := serverWatchlist(t, sup)[0]
		if w2.ID != w.ID || w2.Category != "nuisance" || w2.Reason != "Seen at the Riverside car meets; PSPO warning given" || !w2.Expires.Equal(expires) {
			t.Errorf("after the edit the server has %+v, want nuisance until %s", w2, expires)
		}

		// Remove asks why; without a reason nothing goes.
		run(t, ctx, "remove", chromedp.Click(row+` [data-act=delete]`, chromedp.ByQuery), chromedp.WaitVisible(`#anpr-watch-delete-form`, chromedp.ByQuery),
			chromedp.Click(`#anpr-watch-delete-form [data-role=submit]`, chromedp.ByQuery))
		waitJS(t, ctx, "a reason asked", `document.querySelector('#anpr-watch-delete-error').textContent.includes('Say why')`, 5*time.Second)
		if n := len(serverWatchlist(t, sup)); n != 1 {
			t.Fatalf("removed without a reason (%d listed)", n)
		}
		run(t, ctx, "remove with a reason", chromedp.SendKeys(`#anpr-watch-delete-form textarea[name=reason]`, "Owner traced and warned", chromedp.ByQuery),
			chromedp.Click(`#anpr-watch-delete-form [data-role=submit]`, chromedp.ByQuery))
		waitJS(t, ctx, "the listing gone", `!document.querySelector('#anpr-watch-delete') && !!document.querySelector('#anpr-watchlist .anpr-none')`, 10*time.Second)
		if n := len(serverWatchlist(t, sup)); n != 0 {
			t.Fatalf("after removing the server lists %d", n)
		}
		var changes []string
		for _, e := range auditOf(t, sup, "anpr.watchlist_changed") {
			changes = append(changes, e.Person+": "+strings.Fields(e.Detail)[0]+" "+e.Reason)
		}
		want := []string{
			"sup.ana: listed Stolen overnight from Mill Lane, crime ref 01/23456/26",
			"sup.ana: changed Seen at the Riverside car meets; PSPO warning given",
			"sup.ana: unlisted Owner traced and warned",
		}
		if !containsAll(changes, want) {
			t.Errorf("the audit has %q, want %q", changes, want)
		}
		if off := offSite(bs.base, b.Requests()); len(off) > 0 {
			t.Errorf("requests to other hosts: %v", off)
		}
		pageClean(t, b, ctx)
	})

	// For the operator: two listings in force (one by the UI's API, one
	// straight into the store already expired), and the ANPR alerts the
	// nuisance service raises for seeded reads.
	sup.json(t, "POST", "/api/v1/anpr/watchlist", map[string]any{"plate": "KL56 MNO", "category": "stolen", "reason": "Stolen from the depot"}, 201, nil)
	sup.json(t, "POST", "/api/v1/anpr/watchlist", map[string]any{"plate": "AB12CDE", "category": "pspo", "reason": "PSPO breaches"}, 201, nil)
	if err := st.AddWatch(ctx0, &store.Watch{Plate: "OLD1", Category: "other", Reason: "A listing that ran out", AddedBy: "sup.ana",
		Added: now.Add(-40 * 24 * time.Hour), Expires: now.Add(-24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ns := &nuisance.Service{Store: st, Alerts: storeAlerts{st}, Rules: []nuisance.Rule{{Name: "High Street cruising", Kind: nuisance.RepeatPass,
		Cameras: []string{"cam001", "cam002"}, Count: 3, Window: time.Hour}}}
	if err := ns.Initialize(); err != nil {
		t.Fatal(err)
	}
	ns.Observe(ctx0, reads[3]) // KL56MNO: stolen, exact → critical
	ns.Observe(ctx0, reads[2]) // A812CDE: near AB12CDE → warning, near match
	for range 3 {
		ns.Observe(ctx0, reads[4]) // XY34ZZZ three times: cruising
	}
	ns.Close()
	// An alert stored before alerts named their plate: the card reads it
	// from the message.
	if err := st.AddAlert(ctx0, &store.Alert{At: now.Add(-5 * time.Minute), Camera: "cam001", Kind: nuisance.AlertKind, Rule: "Depot dwell",
		Severity: store.SeverityInfo, Message: `A812 CDE entered area "Depot" at 05:00 (cam001) and has not been seen leaving for 25m0s`}); err != nil {
		t.Fatal(err)
	}
	alerts, err := st.Alerts(ctx0, store.AlertFilter{Unacked: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 4 {
		t.Fatalf("%d alerts, want 4 (watch-list exact and near, cruising, dwell): %+v", len(alerts), alerts)
	}

	t.Run("Operator", func(t *testing.T) {
		b, ctx := analyticsBrowser(t, bs.base, "op.raj", opPW)
		run(t, ctx, "a 1280x720 screen", chromedp.EmulateViewport(1280, 720))
		run(t, ctx, "open the plates page", chromedp.Navigate(bs.base+"/#/anpr"))
		waitJS(t, ctx, "the reason form", `!!document.querySelector('#anpr-reason-form') && !document.querySelector('#anpr-reason-form').hidden
			&& !!document.querySelector('a.nav-link[data-page=anpr][aria-current=page]')`, 15*time.Second)
		var text string
		evalJS(t, ctx, `document.querySelector('#anpr-reason-form').textContent`, &text)
		if !strings.Contains(text, "every 20 s") || !strings.Contains(text, "logged") {
			t.Errorf("the reason form does not say the list is logged: %q", text)
		}
		readsAsked := func() int {
			n := 0
			for _, u := range b.Requests() {
				if strings.Contains(u, "/api/v1/anpr/reads") {
					n++
				}
			}
			return n
		}
		if n := readsAsked(); n != 0 {
			t.Fatalf("the page asked for reads %d times before the reason", n)
		}
		shot(t, ctx, "reason")

		// No reason: said in the form, nothing asked.
		run(t, ctx, "no reason", chromedp.Click(`#anpr-reason-ok`, chromedp.ByQuery))
		waitJS(t, ctx, "reason required", `document.querySelector('#anpr-reason-err').textContent.includes('required')`, 5*time.Second)
		if n := readsAsked(); n != 0 {
			t.Fatalf("the page asked for reads without a reason")
		}
		const why = "Cruising reports on the High Street"
		run(t, ctx, "give the reason", chromedp.SendKeys(`#anpr-reason-text`, why, chromedp.ByQuery),
			chromedp.SendKeys(`#anpr-reason-ref`, "INC-4471", chromedp.ByQuery), chromedp.Click(`#anpr-reason-ok`, chromedp.ByQuery))

		// The live list: the five reads of the last 24 h, newest first,
		// each with its crop.
		waitJS(t, ctx, "the live list", `document.querySelectorAll('#anpr-live-list li.anpr-read').length === 5
			&& [...document.querySelectorAll('#anpr-live-list img.anpr-crop')].every(i => i.complete && i.naturalWidth === 120)`, 15*time.Second)
		var liveRows []struct{ Plate, Text, Camera, Time, Dir, Conf, Play string }
		evalJS(t, ctx, `[...document.querySelectorAll('#anpr-live-list li.anpr-read')].map(li => ({plate: li.dataset.plate,
			text: li.querySelector('.anpr-plate').textContent, camera: li.querySelector('.anpr-cam').textContent,
			time: li.querySelector('.anpr-time').textContent, dir: li.querySelector('.anpr-dir').title,
			conf: li.querySelector('.anpr-conf').textContent, play: li.querySelector('a[data-action=play]').getAttribute('href')}))`, &liveRows)
		london, _ := time.LoadLocation("Europe/London")
		for i, r := range liveRows {
			s := seeds[i]
			wantPlay := playHash(s.camera, reads[i].First)
			wantDir := map[string]string{"left-to-right": "left to right", "towards": "towards the camera", "away": "away from the camera",
				"right-to-left": "right to left", "": "direction unknown"}[s.dir]
			if r.Plate != recent[i] || r.Text != s.text || r.Camera != "Street "+s.camera[len(s.camera)-1:] ||
				r.Time != reads[i].At.In(london).Format("15:04:05") || r.Dir != wantDir || r.Conf != fmt.Sprintf("%.0f%%", 100*s.conf) || r.Play != wantPlay {
				t.Errorf("live row %d: %+v, want %s %s on %s at %s, %s, play %s", i, r, s.plate, s.text, s.camera, reads[i].At.In(london).Format("15:04:05"), wantDir, wantPlay)
			}
		}
		evalJS(t, ctx, `document.querySelector('#anpr-live').textContent`, &text)
		if !strings.Contains(text, "logged as a search with your reason") {
			t.Errorf("the live list does not say it is logged: %q", text)
		}
		evalJS(t, ctx, `document.querySelector('#anpr-reason-bar').textContent`, &text)
		if !strings.Contains(text, why) || !strings.Contains(text, "INC-4471") {
			t.Errorf("the reason bar says %q", text)
		}
		var overflow bool
		evalJS(t, ctx, `document.documentElement.scrollWidth > window.innerWidth`, &overflow)
		if overflow {
			t.Errorf("the page is wider than a 1280x720 screen")
		}
		shot(t, ctx, "live")

		// A vehicle passes while the page is open: the next refresh, 20 s
		// after the first, shows it on top, marked new.
		fresh := store.PlateRead{Camera: "cam002", At: time.Now().UTC(), First: time.Now().UTC().Add(-time.Second), Last: time.Now().UTC(),
			Plate: "MN07XYZ", Text: "MN07 XYZ", Confidence: 0.9, CharConf: []float32{.9, .9, .9, .9, .9, .9, .9}, Direction: "towards", Frames: 5,
			Crop: testJPEG(t, 120, 30, color.RGBA{230, 230, 230, 255}), Thumbnail: testJPEG(t, 320, 180, color.RGBA{90, 40, 40, 255})}
		if err := st.AddPlateRead(ctx0, &fresh); err != nil {
			t.Fatal(err)
		}

		// Searches, checked by the rows they show.
		var searches int
		searchFor := func(plate, mode string) []struct{ Plate, Distance string } {
			t.Helper()
			evalJS(t, ctx, `Number(document.querySelector('#anpr-results').dataset.searches)`, &searches)
			setValue(t, ctx, `#anpr-plate`, plate)
			setValue(t, ctx, `#anpr-mode`, mode)
			run(t, ctx, "search "+plate, chromedp.Click(`#anpr-search-go`, chromedp.ByQuery))
			waitJS(t, ctx, "results of "+plate, fmt.Sprintf(`Number(document.querySelector('#anpr-results').dataset.searches) === %d`, searches+1), 10*time.Second)
			var rows []struct{ Plate, Distance string }
			evalJS(t, ctx, `[...document.querySelectorAll('#anpr-results tbody tr[data-id]')].map(r => ({plate: r.dataset.plate, distance: r.dataset.distance}))`, &rows)
			return rows
		}
		plates := func(rows []struct{ Plate, Distance string }) string {
			var out []string
			for _, r := range rows {
				out = append(out, r.Plate)
			}
			return strings.Join(out, ",")
		}
		evalJS(t, ctx, `document.querySelector('#anpr-search-reason').value + '|' + document.querySelector('#anpr-search-ref').value`, &text)
		if text != why+"|INC-4471" {
			t.Errorf("the search's reason is %q, want the page's", text)
		}
		if got := plates(searchFor("ab12 cde", "exact")); got != "AB12CDE" {
			t.Errorf("exact AB12 CDE found %s", got)
		}
		if got := plates(searchFor("AB12*", "wildcard")); got != "AB12CDE,AB12CDF" {
			t.Errorf("wildcard AB12* found %s", got)
		}
		if got := plates(searchFor("*CDE", "wildcard")); got != "AB12CDE,A812CDE" {
			t.Errorf("wildcard *CDE found %s", got)
		}
		shot(t, ctx, "wildcard")
		fuzzy := searchFor("AB12CDE", "fuzzy")
		type near struct {
			plate string
			d     float64
		}
		var wantNear []near
		for _, p := range recent {
			if d := ukplate.Distance("AB12CDE", p); d <= 1 {
				wantNear = append(wantNear, near{p, d})
			}
		}
		slices.SortStableFunc(wantNear, func(a, b near) int {
			if a.d < b.d {
				return -1
			}
			if a.d > b.d {
				return 1
			}
			return 0
		})
		if len(fuzzy) != len(wantNear) || len(fuzzy) < 3 {
			t.Errorf("fuzzy AB12CDE found %+v, want %+v", fuzzy, wantNear)
		} else {
			for i, r := range fuzzy {
				if r.Plate != wantNear[i].plate || r.Distance != strconv.FormatFloat(math.Round(wantNear[i].d*100)/100, 'f', -1, 64) {
					t.Errorf("fuzzy row %d: %+v, want %s at %v", i, r, wantNear[i].plate, wantNear[i].d)
				}
			}
		}
		var distCol int
		evalJS(t, ctx, `document.querySelectorAll('#anpr-results td.anpr-distance').length`, &distCol)
		if distCol != len(fuzzy) {
			t.Errorf("%d distance cells for %d fuzzy rows", distCol, len(fuzzy))
		}
		shot(t, ctx, "fuzzy")

		// Every plate on Street 2 only.
		run(t, ctx, "pick Street 2", chromedp.Click(`.anpr-cam-pick > summary`, chromedp.ByQuery),
			chromedp.Click(`#anpr-cameras input[value=cam002]`, chromedp.ByQuery))
		evalJS(t, ctx, `document.querySelector('#anpr-cam-summary').textContent`, &text)
		if text != "1 camera" {
			t.Errorf("the camera picker says %q", text)
		}
		if got := plates(searchFor("", "exact")); got != "MN07XYZ,AB12CDF,KL56MNO" {
			t.Errorf("every plate on cam002 found %s", got)
		}
		run(t, ctx, "every camera again", chromedp.Click(`#anpr-cameras input[value=cam002]`, chromedp.ByQuery),
			chromedp.Click(`.anpr-cam-pick > summary`, chromedp.ByQuery))

		// From four days ago: the old read of AB12 CDE too.
		setValue(t, ctx, `#anpr-from`, londonInput(now.Add(-96*time.Hour)))
		if got := plates(searchFor("AB12CDE", "exact")); got != "AB12CDE,AB12CDE" {
			t.Errorf("exact AB12CDE over four days found %s", got)
		}
		setValue(t, ctx, `#anpr-from`, "")

		// A pattern the server refuses: its error next to the plate.
		setValue(t, ctx, `#anpr-plate`, "AB!2")
		setValue(t, ctx, `#anpr-mode`, "wildcard")
		run(t, ctx, "a bad pattern", chromedp.Click(`#anpr-search-go`, chromedp.ByQuery))
		waitJS(t, ctx, "the plate error", `document.querySelector('#anpr-search-form .field-error[data-field=plate]').textContent.includes('letters, digits')
			&& document.querySelector('#anpr-plate').getAttribute('aria-invalid') === 'true'`, 10*time.Second)

		// The vehicle of the first result (the exact search above).
		searchFor("AB12 CDE", "exact")
		run(t, ctx, "open the vehicle", chromedp.Click(`#anpr-results tbody tr[data-id] .anpr-crop-btn`, chromedp.ByQuery))
		waitJS(t, ctx, "the vehicle picture", `(() => { const i = document.querySelector('#anpr-picture-img'); return !!i && i.complete && i.naturalWidth === 320; })()`, 10*time.Second)
		var play string
		evalJS(t, ctx, `document.querySelector('#anpr-picture a[data-action=play]').getAttribute('href')`, &play)
		if want := playHash("cam001", reads[0].First); play != want {
			t.Errorf("play link %q, want %q", play, want)
		}
		shot(t, ctx, "vehicle")
		run(t, ctx, "close with Escape", chromedp.KeyEvent("\x1b"))
		waitJS(t, ctx, "the picture closed", `!document.querySelector('#anpr-picture')`, 5*time.Second)

		waitJS(t, ctx, "the live list refreshed", `(() => { const first = document.querySelector('#anpr-live-list li.anpr-read');
			return document.querySelector('#anpr-live').dataset.loads === '2' && document.querySelectorAll('#anpr-live-list li.anpr-read').length === 6
				&& first.dataset.plate === 'MN07XYZ' && first.classList.contains('anpr-new')
				&& !document.querySelector('#anpr-live-list li.anpr-read[data-plate=AB12CDE]').classList.contains('anpr-new'); })()`, 25*time.Second)
		shot(t, ctx, "live-refreshed")
		// Hidden (another tab, a minimised window): no refresh until seen again.
		evalJS(t, ctx, `(() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
			document.dispatchEvent(new Event('visibilitychange')); return document.querySelector('#anpr-live').dataset.state; })()`, &text)
		if text != "hidden" {
			t.Errorf("the live list is %q when the page is hidden", text)
		}
		evalJS(t, ctx, `(() => { delete document.visibilityState; document.dispatchEvent(new Event('visibilitychange'));
			return document.visibilityState + ' ' + document.querySelector('#anpr-live').dataset.state; })()`, &text)
		if text != "visible ok" {
			t.Errorf("seen again, the live list is %q", text)
		}

		// Every request for reads is in the audit, with its reason.
		var asked []string
		for _, e := range auditOf(t, sup, "anpr.search") {
			if e.Person != "op.raj" || e.Reason != why || e.Ref != "INC-4471" {
				t.Errorf("search logged as %+v", e)
			}
			asked = append(asked, e.Detail)
		}
		for _, want := range []string{`every plate on every camera in scope: 5 reads`, `every plate on every camera in scope: 6 reads`, `plate "AB12CDE" (exact) on every camera in scope: 1 reads`,
			`plate "AB12*" (wildcard) on every camera in scope: 2 reads`, `plate "*CDE" (wildcard)`, `plate "AB12CDE" (fuzzy)`,
			`plate "AB12CDE" (exact) on every camera in scope: 2 reads`, `every plate on cameras cam002: 3 reads`} {
			if !slices.ContainsFunc(asked, func(d string) bool { return strings.Contains(d, want) }) {
				t.Errorf("no search %q in the audit: %q", want, asked)
			}
		}
		images := auditOf(t, sup, "footage.plate_image")
		if len(images) < 6 {
			t.Errorf("%d picture views logged, want the crops and the vehicle", len(images))
		}
		views := map[string]int{}
		for _, e := range images {
			if e.Reason != why {
				t.Errorf("picture view logged with %q", e.Reason)
			}
			views[e.Ref+" "+strings.Fields(e.Detail)[0]]++
		}
		for k, n := range views {
			// The browser keeps a picture an hour: shown again (refresh,
			// search, dialog) it is neither fetched nor logged again. It
			// does not merge two requests for a picture still in flight,
			// though: a new read shown by the refresh and a search at the
			// same moment may be fetched, and logged, twice (CI saw it).
			if n > 2 {
				t.Errorf("%s viewed and logged %d times", k, n)
			}
		}
		if views[fmt.Sprintf("plate-read/%d crop", fresh.ID)] < 1 || views[fmt.Sprintf("plate-read/%d thumbnail", reads[0].ID)] != 1 {
			t.Errorf("picture views logged: %v", views)
		}
		// The live list asks at most once per 20 s.
		live := 0
		for _, u := range b.Requests() {
			if strings.Contains(u, "/api/v1/anpr/reads?limit=40") {
				live++
			}
		}
		if max := 1 + int(time.Since(started)/(20*time.Second)); live > max {
			t.Errorf("the live list asked %d times in %s", live, time.Since(started).Round(time.Second))
		}

		// The watch-list: read only, the expired listing marked.
		run(t, ctx, "the watch-list tab", chromedp.Click(`#anpr-tab-watchlist`, chromedp.ByQuery))
		waitJS(t, ctx, "the watch-list", `document.querySelectorAll('#anpr-watchlist tr[data-id]').length === 3 && location.hash === '#/anpr?view=watchlist'`, 10*time.Second)
		var wl struct {
			Plates   []string
			Expired  []string
			Controls int
			ReadOnly bool
		}
		evalJS(t, ctx, `({plates: [...document.querySelectorAll('#anpr-watchlist tr[data-id]')].map(r => r.querySelector('.anpr-plate').textContent),
			expired: [...document.querySelectorAll('#anpr-watchlist tr[data-expired=true]')].map(r => r.dataset.plate),
			controls: document.querySelectorAll('#anpr-watch-new, #anpr-watchlist [data-act=edit], #anpr-watchlist [data-act=delete]').length,
			readOnly: !!document.querySelector('#anpr-watch-readonly')})`, &wl)
		if strings.Join(wl.Plates, ",") != "AB12 CDE,KL56 MNO,OLD 1" || strings.Join(wl.Expired, ",") != "OLD1" || wl.Controls != 0 || !wl.ReadOnly {
			t.Errorf("the operator's watch-list: %+v", wl)
		}
		shot(t, ctx, "watchlist-operator")

		// The wall: ANPR alert cards with picture, plate and links.
		run(t, ctx, "open the wall", chromedp.Navigate(bs.base+"/#/wall"))
		waitJS(t, ctx, "the ANPR alert cards", `document.querySelectorAll('#alerts-list li.alert-anpr').length === 4
			&& [...document.querySelectorAll('#alerts-list li.alert-anpr img.alert-thumb')].every(i => i.complete && i.naturalWidth > 0)`, 20*time.Second)
		var cards []struct{ Plate, Shown, Read, Severity, Play, Reads string }
		evalJS(t, ctx, `[...document.querySelectorAll('#alerts-list li.alert-anpr')].map(li => ({plate: li.dataset.plate || '',
			shown: (li.querySelector('.alert-plate') || {}).textContent || '', read: (li.querySelector('.alert-plate-read') || {}).textContent || '',
			severity: li.dataset.severity, play: (li.querySelector('a.alert-play') || {}).hash || '', reads: (li.querySelector('a.alert-reads') || {}).hash || ''}))`, &cards)
		byPlate := map[string]int{}
		for i, c := range cards {
			byPlate[c.Plate] = i
			if !strings.HasPrefix(c.Play, "#/playback?camera=cam00") || !strings.Contains(c.Play, "&at=") {
				t.Errorf("card %+v: no playback link", c)
			}
		}
		check := func(plate, shown, sev, mode string) {
			i, ok := byPlate[plate]
			if !ok {
				t.Errorf("no card for %s: %+v", plate, cards)
				return
			}
			c := cards[i]
			if c.Shown != shown || c.Severity != sev || !strings.HasPrefix(c.Reads, "#/anpr?plate="+plate+"&mode="+mode+"&from=") {
				t.Errorf("card of %s: %+v", plate, c)
			}
		}
		check("KL56MNO", "KL56 MNO", "critical", "exact")
		check("AB12CDE", "AB12 CDE", "warning", "fuzzy")
		check("XY34ZZZ", "XY34 ZZZ", "warning", "exact")
		check("A812CDE", "A812 CDE", "info", "exact")
		if c := cards[byPlate["AB12CDE"]]; c.Read != "read as A812 CDE" {
			t.Errorf("the near match says %q", c.Read)
		}
		kl := cards[byPlate["KL56MNO"]]
		if want := playHash("cam002", reads[3].At.Add(-5*time.Second)); kl.Play != want {
			t.Errorf("KL56 MNO plays %q, want %q", kl.Play, want)
		}
		shot(t, ctx, "wall-alerts")

		// Its reads link opens the Plates page on that plate, reason first.
		run(t, ctx, "the plate's reads", chromedp.Click(`#alerts-list li.alert-anpr[data-plate=KL56MNO] a.alert-reads`, chromedp.ByQuery))
		waitJS(t, ctx, "the reason asked for KL56 MNO", `!!document.querySelector('#anpr-reason-form') && !document.querySelector('#anpr-reason-form').hidden
			&& document.querySelector('#anpr-reason-form').textContent.includes('KL56 MNO')`, 15*time.Second)
		run(t, ctx, "the reason", chromedp.SendKeys(`#anpr-reason-text`, "Stolen vehicle alert on Street 2", chromedp.ByQuery), chromedp.Click(`#anpr-reason-ok`, chromedp.ByQuery))
		waitJS(t, ctx, "its reads", `document.querySelector('#anpr-results').dataset.searches === '1'
			&& [...document.querySelectorAll('#anpr-results tbody tr[data-id]')].map(r => r.dataset.plate).join() === 'KL56MNO'`, 15*time.Second)
		shot(t, ctx, "alert-reads")

		if off := offSite(bs.base, b.Requests()); len(off) > 0 {
			t.Errorf("requests to other hosts: %v", off)
		}
		pageClean(t, b, ctx)
	})
	t.Logf("took %s", time.Since(started).Round(time.Second))
}

// playHash is the playback link the page makes: camera first, the time
// in UTC with milliseconds only when there are some.
func playHash(camera string, at time.Time) string {
	ts := at.UTC().Format("2006-01-02T15:04:05.000Z")
	ts = strings.Replace(ts, ".000Z", "Z", 1)
	return "#/playback?camera=" + url.QueryEscape(camera) + "&at=" + url.QueryEscape(ts)
}

// containsAll reports whether every want is in have.
func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
