package main_test

// Browser tests of the analytics web UI: the Hotspots page (BJAG), the
// analytics editor (engineer), privacy masks and the alerts panel on the
// wall (operator), and events on the playback timeline (operator), all
// against a real vigil on camsim cameras.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigil-cctv/vigil/ingest/nuisance"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// analyticsSite is the shared site of the analytics browser tests.
type analyticsSite struct {
	bs                  *browserSite
	admin               *site
	bjag, eng, op       *site
	bjagPW, engPW, opPW string
}

func TestBrowserAnalytics(t *testing.T) {
	bs := startBrowserSite(t, 2)
	admin := bs.admin(t)
	placeCameras(t, admin)
	as := &analyticsSite{bs: bs, admin: admin}
	as.bjagPW = bs.account(t, admin, "bjag.ade", "Ade of BJAG", "bjag")
	as.engPW = bs.account(t, admin, "eng.ola", "Ola Engineer", "engineer")
	as.opPW = bs.account(t, admin, "op.sam", "Sam Operator", "operator")
	as.bjag = newSite(t, bs.port, bs.data)
	as.bjag.signIn(t, "bjag.ade", as.bjagPW)
	as.eng = newSite(t, bs.port, bs.data)
	as.eng.signIn(t, "eng.ola", as.engPW)
	as.op = newSite(t, bs.port, bs.data)
	as.op.signIn(t, "op.sam", as.opPW)
	bs.waitOnline(t, admin)

	t.Run("Hotspots", as.testHotspots)
	// The editor saves a privacy mask on cam001 that the wall and playback
	// tests then look for.
	t.Run("Editor", as.testEditor)
	t.Run("WallMasksAndAlerts", as.testWall)
	t.Run("PlaybackEvents", as.testPlayback)
}

// placeCameras adds three positioned cameras (disabled: no streams, but on
// the map) in the two wards of the browser site.
func placeCameras(t *testing.T, admin *site) {
	t.Helper()
	for _, c := range []struct {
		id, name, ward string
		lat, lon       float64
	}{
		{"cam101", "Market Square", "Central", 51.5074, -0.1278},
		{"cam102", "Station Forecourt", "Central", 51.5089, -0.1245},
		{"cam103", "Towpath Bridge", "Riverside", 51.5046, -0.1198},
	} {
		admin.json(t, "POST", "/api/v1/cameras", map[string]any{
			"id": c.id, "name": c.name, "ward": c.ward, "site": "Borough", "kind": "fixed", "enabled": false,
			"latitude": c.lat, "longitude": c.lon, "main_url": "rtsp://127.0.0.1:9/" + c.id,
		}, 201, nil)
	}
}

// missing reports whether the server answers path with 404: the endpoint
// is not in this build yet.
func mustExist(t *testing.T, s *site, path string) {
	t.Helper()
	if code, body := s.do(t, "GET", path, nil); code == 404 {
		t.Fatalf("GET %s: 404 %s", path, strings.TrimSpace(string(body)))
	}
}

// analyticsBrowser starts chromium, records CSP violations in every
// document, and signs user in.
func analyticsBrowser(t *testing.T, base, user, password string) (*browser, context.Context) {
	t.Helper()
	b := startBrowser(t)
	ctx := b.ctx
	run(t, ctx, "watch CSP violations", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`window.__csp = [];
			document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || e.sample || '')));`).Do(ctx)
		return err
	}))
	uiSignIn(t, ctx, base, user, password)
	return b, ctx
}

// pageClean fails the test on page errors and CSP violations.
func pageClean(t *testing.T, b *browser, ctx context.Context) {
	t.Helper()
	var csp []string
	evalJS(t, ctx, `window.__csp || []`, &csp)
	if len(csp) > 0 {
		t.Errorf("CSP violations: %v", csp)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// lastRequest returns the path and query of the last request whose URL
// contains part.
func lastRequest(b *browser, part string) string {
	reqs := b.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if strings.Contains(reqs[i], part) {
			u, err := url.Parse(reqs[i])
			if err == nil {
				return u.RequestURI()
			}
		}
	}
	return ""
}

// setValue sets a form control's value and fires input and change.
func setValue(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	var ok bool
	evalJS(t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; e.value = %s;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`,
		jsString(sel), jsString(value)), &ok)
	if !ok {
		t.Fatalf("no %s", sel)
	}
}

type point struct{ X, Y float64 }

// center returns the middle of an element on screen, scrolled into view.
func center(t *testing.T, ctx context.Context, sel string) point {
	t.Helper()
	var p point
	evalJS(t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.scrollIntoView({block: 'center'});
		const r = e.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`, jsString(sel)), &p)
	return p
}

// --- Hotspots (BJAG) ---------------------------------------------------

// seedRuleHits gives Market Square (cam101) and Station Forecourt (cam102)
// the same motion two hours ago, straight into the service's database
// (SQLite WAL), and Station Forecourt three nuisance-vehicle behaviour
// alerts in that hour; Market Square gets a watch-list and a tamper alert,
// which are not rule hits. The alerts are acknowledged (they still count)
// so the wall's alerts panel is as the other tests expect. It returns the
// local hour of the hits.
func seedRuleHits(t *testing.T, data string) time.Time {
	t.Helper()
	st, err := store.Open(filepath.Join(data, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	hour := time.Now().In(londonTZ(t)).Add(-2 * time.Hour).Truncate(time.Hour)
	var acts []store.Activity
	for _, cam := range []string{"cam101", "cam102"} {
		acts = append(acts, store.Activity{Camera: cam, Bucket: hour.Add(15 * time.Minute), Frames: 100, MotionFrames: 20, Objects: 1})
	}
	if err := st.AddActivity(ctx, acts); err != nil {
		t.Fatal(err)
	}
	for i, a := range []store.Alert{
		{Camera: "cam102", Rule: "Station cruising", Message: "AB12 CDE passed Station Forecourt 4 times in 30 minutes"},
		{Camera: "cam102", Rule: "Forecourt dwell", Message: "KX19 LMN stayed on the forecourt 45 minutes"},
		{Camera: "cam102", Rule: "Station car meet", Message: "6 vehicles with repeat passes at Station Forecourt"},
		{Camera: "cam101", Rule: nuisance.WatchlistRule, Message: "watch-listed YK19 RXT at Market Square"},
		{Camera: "cam101", Kind: store.AlertTamper, Rule: store.EventTamperCovered, Message: "Market Square covered"},
	} {
		a.At, a.Severity = hour.Add(time.Duration(5+10*i)*time.Minute), store.SeverityWarning
		if a.Kind == "" {
			a.Kind = nuisance.AlertKind
		}
		if err := st.AddAlert(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AckAlert(ctx, a.ID, "admin", "Seeded for the hotspots test", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return hour
}

func (as *analyticsSite) testHotspots(t *testing.T) {
	hitsHour := seedRuleHits(t, as.bs.data)
	b, ctx := analyticsBrowser(t, as.bs.base, "bjag.ade", as.bjagPW)
	var pages []string
	evalJS(t, ctx, `[...document.querySelectorAll('#nav a')].map(a => a.dataset.page)`, &pages)
	if !contains(pages, "hotspots") {
		t.Fatalf("BJAG's pages %v lack hotspots", pages)
	}
	// BJAG has no footage: the hotspots page is where they land.
	waitJS(t, ctx, "the hotspots page", `location.hash.startsWith('#/hotspots') && !!document.querySelector('#hs-status')`, 10*time.Second)
	waitJS(t, ctx, "hotspots loaded", `(() => { const s = document.querySelector('#hs-status').textContent; return s !== '' && s !== 'Loading…'; })()`, 20*time.Second)
	mustExist(t, as.bjag, "/api/v1/hotspots")
	// The page shows what the API answers for the same query.
	q := lastRequest(b, "/api/v1/hotspots?")
	if !strings.Contains(q, "by=camera") || !strings.Contains(q, "from=") || !strings.Contains(q, "to=") {
		t.Fatalf("the page asked %q", q)
	}
	var hs struct {
		Rows    []hotspotRow      `json:"rows"`
		Heat    []json.RawMessage `json:"heat"`
		Cameras []struct {
			ID       string   `json:"id"`
			Name     string   `json:"name"`
			Ward     string   `json:"ward"`
			Lat      *float64 `json:"lat"`
			Lon      *float64 `json:"lon"`
			RuleHits int      `json:"rule_hits"`
		} `json:"cameras"`
	}
	getJSON(t, as.bjag, q, &hs)
	placed := 0
	wards := map[string]bool{}
	for _, c := range hs.Cameras {
		if c.Lat != nil && c.Lon != nil && (*c.Lat != 0 || *c.Lon != 0) {
			placed++
			if c.Ward != "" {
				wards[c.Ward] = true
			}
		}
	}
	t.Logf("hotspots: %d rows, %d heat cells, %d cameras (%d placed)", len(hs.Rows), len(hs.Heat), len(hs.Cameras), placed)
	var got struct {
		Circles, Wards, HeatRows, HeatCells, Rows, EmptyRows int
		Note                                                 string
	}
	read := func() {
		evalJS(t, ctx, `({circles: document.querySelectorAll('#hs-map circle.hs-cam').length,
			wards: document.querySelectorAll('#hs-map .hs-ward').length,
			heatRows: document.querySelectorAll('#hs-heat tbody tr').length,
			heatCells: document.querySelectorAll('#hs-heat td.hs-cell').length,
			rows: document.querySelectorAll('#hs-rows tbody tr[data-key]').length,
			emptyRows: document.querySelectorAll('#hs-rows .hs-empty-row').length,
			note: document.querySelector('#hs-map-note').textContent})`, &got)
	}
	read()
	if got.Circles != placed {
		t.Errorf("map shows %d cameras, the API places %d", got.Circles, placed)
	}
	if got.Wards != len(wards) {
		t.Errorf("map outlines %d wards, want %d", got.Wards, len(wards))
	}
	if got.HeatRows != 7 || got.HeatCells != 7*24 {
		t.Errorf("heat table %d rows, %d cells; want 7 × 24", got.HeatRows, got.HeatCells)
	}
	if got.Rows != len(hs.Rows) || (len(hs.Rows) == 0) != (got.EmptyRows == 1) {
		t.Errorf("ranked table: %d rows (%d empty-state rows), the API has %d", got.Rows, got.EmptyRows, len(hs.Rows))
	}
	if placed < len(hs.Cameras) && !strings.Contains(got.Note, "Not on the map") {
		t.Errorf("cameras without a position are not named: note %q", got.Note)
	}
	var stray []string
	evalJS(t, ctx, `[...document.querySelector('.page-hotspots').childNodes].filter(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()).map(n => n.textContent)`, &stray)
	if len(stray) > 0 {
		t.Errorf("stray text on the page: %q", stray)
	}
	shot(t, ctx, "hotspots")

	// Hover and click a camera: its card.
	if placed > 0 {
		p := center(t, ctx, `#hs-map circle.hs-cam`)
		run(t, ctx, "hover a camera", chromedp.MouseEvent("mouseMoved", p.X, p.Y))
		waitJS(t, ctx, "hover card", `!document.querySelector('#hs-tip').hidden && document.querySelector('#hs-tip').textContent.includes('score')`, 5*time.Second)
		run(t, ctx, "click a camera", chromedp.MouseClickXY(p.X, p.Y))
		waitJS(t, ctx, "camera card", `!document.querySelector('#hs-camera').hidden && !!document.querySelector('#hs-camera').dataset.camera`, 5*time.Second)
		var picked string
		evalJS(t, ctx, `document.querySelector('#hs-camera').dataset.camera + ' ' + document.querySelector('#hs-camera').textContent`, &picked)
		t.Logf("picked %s", picked)
		shot(t, ctx, "hotspots-camera")
	}
	as.checkRuleHits(t, ctx, hs.Rows, hitsHour)

	// Group by ward, then by hour: new requests, new headings.
	setValue(t, ctx, "#hs-by", "ward")
	waitJS(t, ctx, "ranked by ward", `document.querySelector('#hs-rows thead th:nth-child(2)').textContent === 'Ward'`, 10*time.Second)
	if q := lastRequest(b, "/api/v1/hotspots?"); !strings.Contains(q, "by=ward") {
		t.Errorf("by ward: the page asked %q", q)
	}
	setValue(t, ctx, "#hs-by", "hour")
	waitJS(t, ctx, "ranked by hour", `document.querySelector('#hs-rows thead th:nth-child(2)').textContent === 'Hour of day'`, 10*time.Second)
	// A narrower range: from two days ago.
	from := time.Now().In(londonTZ(t)).AddDate(0, 0, -2).Format("2006-01-02")
	setValue(t, ctx, "#hs-from", from)
	waitJS(t, ctx, "range in the address", fmt.Sprintf(`location.hash.includes('from=%s') && location.hash.includes('by=hour')`, from), 10*time.Second)
	waitJS(t, ctx, "loaded again", `(() => { const s = document.querySelector('#hs-status').textContent; return s !== 'Loading…' && !s.startsWith('Cannot'); })()`, 10*time.Second)
	q2 := lastRequest(b, "/api/v1/hotspots?")
	vals, _ := url.ParseQuery(q2[strings.Index(q2, "?")+1:])
	f, err := time.Parse(time.RFC3339, vals.Get("from"))
	if err != nil || f.In(londonTZ(t)).Format("2006-01-02") != from || f.In(londonTZ(t)).Hour() != 0 {
		t.Errorf("from %q is not London midnight of %s (%v)", vals.Get("from"), from, err)
	}
	// A from after the to is refused in the page.
	setValue(t, ctx, "#hs-from", time.Now().In(londonTZ(t)).AddDate(0, 0, 3).Format("2006-01-02"))
	waitJS(t, ctx, "range refused", `document.querySelector('#hs-status').textContent.includes('on or before')`, 5*time.Second)
	shot(t, ctx, "hotspots-by-hour")
	pageClean(t, b, ctx)
}

// hotspotRow is a ranked row of the hotspots API.
type hotspotRow struct {
	Key      string  `json:"key"`
	Score    float64 `json:"score"`
	RuleHits int     `json:"rule_hits"`
}

// checkRuleHits: Station Forecourt's three behaviour alerts are its rule
// hits in the API, the ranked table, the map and its card and the heat
// table, and rank it above Market Square, as busy and with only a
// watch-list and a tamper alert.
func (as *analyticsSite) checkRuleHits(t *testing.T, ctx context.Context, rows []hotspotRow, hour time.Time) {
	t.Helper()
	rank := map[string]int{}
	for i, r := range rows {
		rank[r.Key] = i
	}
	market, station := rows[rank["cam101"]], rows[rank["cam102"]]
	if station.RuleHits != 3 || market.RuleHits != 0 || math.Abs(station.Score-market.Score-3) > 1e-6 || rank["cam102"] > rank["cam101"] {
		t.Errorf("API: Station Forecourt %+v (rank %d), Market Square %+v (rank %d): want 3 hits, 3 more score, above",
			station, rank["cam102"], market, rank["cam101"])
	}
	var shown struct {
		Station, Market               int
		StationHits, MarketHits       string
		StationText, Help, CircleHits string
	}
	waitJS(t, ctx, "rule hits in the ranked table", `!!document.querySelector('#hs-rows tr[data-key="cam102"] td.hs-hits')`, 10*time.Second)
	evalJS(t, ctx, `(() => { const keys = [...document.querySelectorAll('#hs-rows tbody tr[data-key]')].map(r => r.dataset.key);
		const cell = (k) => document.querySelector('#hs-rows tr[data-key="' + k + '"] td.hs-hits');
		return {station: keys.indexOf('cam102'), market: keys.indexOf('cam101'),
			stationHits: cell('cam102').dataset.hits, marketHits: cell('cam101').dataset.hits, stationText: cell('cam102').textContent,
			help: document.querySelector('#hs-help').textContent,
			circleHits: document.querySelector('#hs-map circle.hs-cam[data-camera="cam102"]').dataset.hits}; })()`, &shown)
	if shown.Station < 0 || shown.Market < 0 || shown.Station > shown.Market {
		t.Errorf("ranked table: Station Forecourt at %d, Market Square at %d: want it above", shown.Station, shown.Market)
	}
	if shown.StationHits != "3" || !strings.HasPrefix(shown.StationText, "3") || shown.MarketHits != "0" || shown.CircleHits != "3" {
		t.Errorf("hits shown: Station Forecourt %q (%q), Market Square %q, on the map %q", shown.StationHits, shown.StationText, shown.MarketHits, shown.CircleHits)
	}
	if !strings.Contains(shown.Help, "vehicle rule hit") || !strings.Contains(shown.Help, "Watch-list") {
		t.Errorf("the help does not say how rule hits count: %q", shown.Help)
	}
	// The heat table's cell of that hour says so in its title.
	dow := (int(hour.Weekday()) + 6) % 7
	var cell struct{ Hits, Title string }
	evalJS(t, ctx, fmt.Sprintf(`(() => { const c = document.querySelector('#hs-heat td.hs-cell[data-dow="%d"][data-hour="%d"]');
		return {hits: c.dataset.hits, title: c.title}; })()`, dow, hour.Hour()), &cell)
	if cell.Hits != "3" || !strings.Contains(cell.Title, "3 vehicle rule hits") {
		t.Errorf("heat cell of %s: hits %q, title %q", hour.Format("Mon 15:04"), cell.Hits, cell.Title)
	}
	// Hover Station Forecourt on the map, then pick it: its card.
	sel := `#hs-map circle.hs-cam[data-camera="cam102"]`
	p := center(t, ctx, sel)
	run(t, ctx, "hover Station Forecourt", chromedp.MouseEvent("mouseMoved", p.X, p.Y))
	waitJS(t, ctx, "hover card with rule hits", `!document.querySelector('#hs-tip').hidden && document.querySelector('#hs-tip').textContent.includes('Station Forecourt') &&
		document.querySelector('#hs-tip').textContent.includes('3 vehicle rule hits')`, 5*time.Second)
	run(t, ctx, "pick Station Forecourt", chromedp.Click(`#hs-rows tr[data-key="cam102"]`, chromedp.ByQuery))
	waitJS(t, ctx, "camera card with rule hits", `document.querySelector('#hs-camera').dataset.camera === 'cam102' && !document.querySelector('#hs-camera').hidden &&
		document.querySelector('#hs-camera').textContent.includes('3 vehicle rule hits')`, 5*time.Second)
	shot(t, ctx, "hotspots-rule-hits")
}

func londonTZ(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// --- Analytics editor (engineer) ---------------------------------------

type analyticsJSON struct {
	Enabled     bool    `json:"enabled"`
	Sensitivity int     `json:"sensitivity"`
	MinArea     float64 `json:"min_area"`
	Zones       []struct {
		Name   string       `json:"name"`
		Points [][2]float64 `json:"points"`
	} `json:"zones"`
	Exclusions [][][2]float64 `json:"exclusions"`
	Privacy    [][][2]float64 `json:"privacy"`
	UpdatedBy  string         `json:"updated_by"`
}

// privacyMask is the mask the editor test draws on cam001 (frame fractions).
var privacyMask = [][2]float64{{0.05, 0.05}, {0.3, 0.05}, {0.3, 0.35}, {0.05, 0.35}}

func (as *analyticsSite) testEditor(t *testing.T) {
	b, ctx := analyticsBrowser(t, as.bs.base, "eng.ola", as.engPW)
	run(t, ctx, "open the cameras", chromedp.Navigate(as.bs.base+"/#/admin?tab=cameras"),
		chromedp.WaitVisible(`#admin-cameras tr[data-camera="cam001"] .an-open`, chromedp.ByQuery),
		chromedp.Click(`#admin-cameras tr[data-camera="cam001"] .an-open`, chromedp.ByQuery))
	waitJS(t, ctx, "the editor", `!!document.querySelector('#an-editor[data-camera="cam001"]') && location.hash.includes('analytics=cam001')`, 10*time.Second)
	waitJS(t, ctx, "settings loaded", `(() => { const s = document.querySelector('#an-status').textContent; return s !== '' && s !== 'Loading…'; })()`, 10*time.Second)
	mustExist(t, as.eng, "/api/v1/cameras/cam001/analytics")
	// An engineer has no footage: a plain frame with a grid, and why.
	var pic struct {
		Kind, Note string
		Lines      int
	}
	evalJS(t, ctx, `({kind: document.querySelector('#an-canvas').dataset.picture, note: document.querySelector('#an-picture-note').textContent,
		lines: document.querySelectorAll('#an-canvas .an-grid line').length})`, &pic)
	if pic.Kind != "grid" || !strings.Contains(pic.Note, "no footage access") || pic.Lines != 18 {
		t.Errorf("picture: %+v, want the grid and why", pic)
	}
	for _, r := range b.Requests() {
		if strings.Contains(r, "/snapshot") {
			t.Errorf("the editor asked for a snapshot without footage access: %s", r)
		}
	}

	// clickAt clicks a point of the frame given in fractions.
	clickAt := func(x, y float64) {
		t.Helper()
		var r struct{ Left, Top, Width, Height float64 }
		evalJS(t, ctx, `(() => { const e = document.querySelector('#an-canvas svg.an-svg'); e.scrollIntoView({block: 'center'});
			const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, width: r.width, height: r.height}; })()`, &r)
		run(t, ctx, "click the frame", chromedp.MouseClickXY(r.Left+x*r.Width, r.Top+y*r.Height))
	}
	draw := func(kind string, pts [][2]float64, closeOnFirst bool) {
		t.Helper()
		run(t, ctx, "draw a "+kind, chromedp.Click(`#an-type-`+kind, chromedp.ByQuery))
		for _, p := range pts {
			clickAt(p[0], p[1])
		}
		if closeOnFirst {
			clickAt(pts[0][0], pts[0][1])
		} else {
			run(t, ctx, "finish", chromedp.Click(`#an-finish`, chromedp.ByQuery))
		}
		waitJS(t, ctx, "polygon closed", `!document.querySelector('#an-canvas .an-draft')`, 5*time.Second)
	}
	draw("privacy", privacyMask, false)
	run(t, ctx, "start a zone", chromedp.Click(`#an-type-zone`, chromedp.ByQuery))
	setValue(t, ctx, "#an-zone-name", "Doorway")
	zone := [][2]float64{{0.55, 0.45}, {0.9, 0.45}, {0.9, 0.9}, {0.55, 0.9}}
	for _, p := range zone {
		clickAt(p[0], p[1])
	}
	clickAt(zone[0][0], zone[0][1]) // the first point again closes it
	waitJS(t, ctx, "zone closed", `!document.querySelector('#an-canvas .an-draft')`, 5*time.Second)
	draw("exclusion", [][2]float64{{0.35, 0.6}, {0.48, 0.6}, {0.42, 0.92}}, false)
	setValue(t, ctx, "#an-sensitivity", "8")
	setValue(t, ctx, "#an-min-area", "0.5")
	var shapes []string
	evalJS(t, ctx, `[...document.querySelectorAll('#an-canvas .an-shape')].map(g => g.dataset.type)`, &shapes)
	if strings.Join(shapes, ",") != "privacy,zone,exclusion" {
		t.Errorf("drawn: %v", shapes)
	}
	shot(t, ctx, "editor-drawn")
	run(t, ctx, "save", chromedp.Click(`#an-save`, chromedp.ByQuery))
	waitJS(t, ctx, "saved", `document.querySelector('#an-status').textContent.includes('Last changed')`, 10*time.Second)

	var a analyticsJSON
	getJSON(t, as.eng, "/api/v1/cameras/cam001/analytics", &a)
	if len(a.Privacy) != 1 || len(a.Zones) != 1 || a.Zones[0].Name != "Doorway" || len(a.Exclusions) != 1 || a.Sensitivity != 8 ||
		math.Abs(a.MinArea-0.005) > 1e-9 || a.UpdatedBy != "eng.ola" {
		t.Fatalf("saved settings: %+v", a)
	}
	// Points land where they were clicked (to a pixel or so).
	for i, p := range a.Privacy[0] {
		if math.Abs(p[0]-privacyMask[i][0]) > 0.01 || math.Abs(p[1]-privacyMask[i][1]) > 0.01 {
			t.Errorf("privacy point %d: %v, clicked %v", i, p, privacyMask[i])
		}
	}

	// A zone whose outline crosses itself: the server's error is shown.
	run(t, ctx, "start a bad zone", chromedp.Click(`#an-type-zone`, chromedp.ByQuery))
	setValue(t, ctx, "#an-zone-name", "Crossed")
	for _, p := range [][2]float64{{0.1, 0.5}, {0.25, 0.75}, {0.25, 0.5}, {0.1, 0.75}} {
		clickAt(p[0], p[1])
	}
	run(t, ctx, "finish", chromedp.Click(`#an-finish`, chromedp.ByQuery))
	run(t, ctx, "save the bad zone", chromedp.Click(`#an-save`, chromedp.ByQuery))
	waitJS(t, ctx, "field errors shown", `document.querySelectorAll('#an-errors li').length > 0`, 10*time.Second)
	var errText string
	evalJS(t, ctx, `document.querySelector('#an-errors').textContent`, &errText)
	t.Logf("field errors: %s", errText)
	if !strings.Contains(errText, "zones") {
		t.Errorf("the error does not name the zones: %q", errText)
	}
	var marked int
	evalJS(t, ctx, `document.querySelectorAll('#an-canvas .an-shape.invalid').length`, &marked)
	if marked != 1 {
		t.Logf("polygons marked invalid: %d (the server's field name did not say which)", marked)
	}
	shot(t, ctx, "editor-error")
	getJSON(t, as.eng, "/api/v1/cameras/cam001/analytics", &a)
	if len(a.Zones) != 1 {
		t.Errorf("a refused save changed the zones: %+v", a.Zones)
	}
	// Delete the bad zone: saving works again.
	run(t, ctx, "delete the bad zone", chromedp.Click(`#an-shapes li[data-index="3"] .an-delete`, chromedp.ByQuery))
	waitJS(t, ctx, "three polygons", `document.querySelectorAll('#an-canvas .an-shape').length === 3`, 5*time.Second)
	run(t, ctx, "save again", chromedp.Click(`#an-save`, chromedp.ByQuery))
	waitJS(t, ctx, "saved again", `document.querySelectorAll('#an-errors li').length === 0 && document.querySelector('#an-status').textContent.includes('Last changed')`, 10*time.Second)
	pageClean(t, b, ctx)
}

// --- Wall: privacy masks and the alerts panel (operator) ---------------

func (as *analyticsSite) testWall(t *testing.T) {
	b, ctx := analyticsBrowser(t, as.bs.base, "op.sam", as.opPW)
	run(t, ctx, "open the wall", chromedp.Navigate(as.bs.base+"/#/wall?layout=2x2&cams=cam001,cam002"))
	waitJS(t, ctx, "tiles playing", `[...document.querySelectorAll('.tile[data-camera]')].length === 2 &&
		[...document.querySelectorAll('.tile[data-camera]')].every(e => e.dataset.state === 'playing')`, 40*time.Second)

	mustExist(t, as.op, "/api/v1/cameras/cam001/analytics")
	{
		var a analyticsJSON
		getJSON(t, as.op, "/api/v1/cameras/cam001/analytics", &a)
		want := len(a.Privacy)
		waitJS(t, ctx, "privacy mask on cam001", fmt.Sprintf(`(() => { const m = document.querySelector('.tile[data-camera="cam001"] svg.privacy-mask');
			return !!m && m.dataset.masks === '%d'; })()`, want), 10*time.Second)
		if want > 0 {
			checkMaskBox(t, ctx, `.tile[data-camera="cam001"]`)
			// Maximised, the mask follows the bigger picture.
			run(t, ctx, "maximise cam001", chromedp.DoubleClick(`.tile[data-camera="cam001"]`, chromedp.ByQuery))
			waitJS(t, ctx, "maximised", `document.querySelector('.wall-grid').classList.contains('maxed')`, 5*time.Second)
			waitJS(t, ctx, "main stream", `(() => { const v = document.querySelector('.tile[data-camera="cam001"] video'); return v.videoWidth >= 320 && v.closest('.tile').dataset.state === 'playing'; })()`, 30*time.Second)
			checkMaskBox(t, ctx, `.tile[data-camera="cam001"]`)
			shot(t, ctx, "wall-mask-max")
			run(t, ctx, "back to the grid", chromedp.DoubleClick(`.tile[data-camera="cam001"]`, chromedp.ByQuery))
		}
		var other string
		evalJS(t, ctx, `(document.querySelector('.tile[data-camera="cam002"] svg.privacy-mask') || {dataset: {}}).dataset.masks || ''`, &other)
		if other != "0" {
			t.Errorf("cam002 has no masks, its overlay says %q", other)
		}
	}

	// The alerts panel.
	waitJS(t, ctx, "alerts panel", `!!document.querySelector('#alerts-panel')`, 5*time.Second)
	mustExist(t, as.op, "/api/v1/alerts?unacked=1")
	waitJS(t, ctx, "alert stream open", `document.querySelector('#alerts-panel').dataset.stream === 'open'`, 15*time.Second)
	// The badge counts what the API lists as unacknowledged (asked afresh:
	// alerts may arrive while the test runs).
	waitJS(t, ctx, "count badge", `fetch('/api/v1/alerts?unacked=1').then(r => r.json()).then(j =>
		String(j.alerts.length) === document.querySelector('#alerts-count').textContent &&
		document.querySelectorAll('#alerts-list li.alert').length === j.alerts.length)`, 10*time.Second)
	var unacked int
	evalJS(t, ctx, `document.querySelectorAll('#alerts-list li.alert').length`, &unacked)
	if unacked == 0 {
		waitJS(t, ctx, "empty state", `!!document.querySelector('#alerts-empty')`, 5*time.Second)
	} else {
		// A real alert: acknowledge it with a note through the panel.
		var id string
		evalJS(t, ctx, `document.querySelector('#alerts-list li.alert').dataset.id`, &id)
		li := `#alerts-list li.alert[data-id="` + id + `"]`
		run(t, ctx, "acknowledge", chromedp.Click(li+` .alert-ack`, chromedp.ByQuery),
			chromedp.WaitVisible(li+` .alert-note`, chromedp.ByQuery),
			chromedp.SendKeys(li+` .alert-note`, "Looked at the camera: a van parked in front", chromedp.ByQuery))
		shot(t, ctx, "wall-alert-ack")
		run(t, ctx, "confirm", chromedp.Click(li+` .alert-ack-ok`, chromedp.ByQuery))
		waitJS(t, ctx, "acknowledged alert leaves the list", `!document.querySelector(`+jsString(li)+`)`, 10*time.Second)
		var al struct {
			Alerts []struct {
				ID      int64   `json:"id"`
				AckedBy string  `json:"acked_by"`
				AckNote string  `json:"ack_note"`
				Acked   *string `json:"acked"`
			} `json:"alerts"`
		}
		getJSON(t, as.op, "/api/v1/alerts?limit=1000", &al)
		found := false
		for _, a := range al.Alerts {
			if fmt.Sprint(a.ID) == id {
				found = true
				if a.Acked == nil || a.AckedBy != "op.sam" || !strings.Contains(a.AckNote, "van parked") {
					t.Errorf("alert %s after the acknowledgement: %+v", id, a)
				}
			}
		}
		if !found {
			t.Errorf("alert %s not listed", id)
		}
	}
	// Sound: off by default, on with a click, remembered after a reload.
	var pressed string
	evalJS(t, ctx, `document.querySelector('#alerts-sound').getAttribute('aria-pressed')`, &pressed)
	if pressed != "false" {
		t.Errorf("sound starts %s, want off", pressed)
	}
	run(t, ctx, "sound on", chromedp.Click(`#alerts-sound`, chromedp.ByQuery))
	waitJS(t, ctx, "sound on", `document.querySelector('#alerts-sound').getAttribute('aria-pressed') === 'true' && localStorage.getItem('vigil.alerts.sound') === '1'`, 5*time.Second)
	shot(t, ctx, "wall-alerts")
	run(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "sound still on", `!!document.querySelector('#alerts-sound') && document.querySelector('#alerts-sound').getAttribute('aria-pressed') === 'true'`, 15*time.Second)

	// The panel's drawing of alerts, newest first with severity and
	// thumbnail, and the acknowledgement form, on alerts fed to a second
	// panel (the API has no way to raise an alert on demand): the note is
	// required, and the server's answer to an unknown alert is shown.
	var drawn struct {
		Order     []string `json:"order"`
		Sev       []string `json:"sev"`
		Thumbs    int      `json:"thumbs"`
		Count     string   `json:"count"`
		Beeps     string   `json:"beeps"`
		NoteError string   `json:"noteError"`
		Server    string   `json:"server"`
	}
	now := time.Now().UTC()
	evalJS(t, ctx, fmt.Sprintf(`(async () => {
		const { AlertsPanel } = await import('/static/lib/alerts-panel.js');
		const box = document.createElement('section');
		document.body.append(box);
		const p = new AlertsPanel(box, { cameraName: (id) => 'Street ' + id.slice(-1) });
		p.sound = true;
		const feed = (a) => p.onAlert({ data: JSON.stringify(a) });
		feed({ id: 900001, at: %q, camera: 'cam001', kind: 'activity', rule: 'late-night', severity: 'warning', message: 'unusual activity in Doorway', thumbnail: null, acked: null });
		feed({ id: 900002, at: %q, camera: 'cam002', kind: 'tamper', rule: 'tamper.covered', severity: 'critical', message: 'camera covered', thumbnail: '/api/v1/alerts/900002/thumbnail', acked: null });
		feed({ id: 900003, at: %q, camera: 'cam001', kind: 'activity', rule: 'early', severity: 'info', message: 'older one', thumbnail: null, acked: null });
		const items = [...box.querySelectorAll('#alerts-list li.alert')];
		const out = { order: items.map((li) => li.dataset.id), sev: items.map((li) => li.dataset.severity),
			thumbs: box.querySelectorAll('img.alert-thumb').length, count: box.querySelector('#alerts-count').textContent,
			beeps: box.dataset.beeps || '' };
		const li = items[0];
		li.querySelector('.alert-ack').click();
		li.querySelector('.alert-ack-ok').click();
		out.noteError = li.querySelector('.alert-ack-error').textContent;
		li.querySelector('.alert-note').value = 'Checked on camera, nothing there';
		li.querySelector('.alert-ack-ok').click();
		for (let i = 0; i < 50 && !li.querySelector('.alert-ack-error').textContent; i++) await new Promise((r) => setTimeout(r, 100));
		out.server = li.querySelector('.alert-ack-error').textContent;
		p.stop();
		box.remove();
		return out;
	})()`, now.Add(-time.Minute).Format(time.RFC3339), now.Format(time.RFC3339), now.Add(-time.Hour).Format(time.RFC3339)), &drawn)
	t.Logf("drawn alerts: %+v", drawn)
	if strings.Join(drawn.Order, ",") != "900002,900001,900003" || strings.Join(drawn.Sev, ",") != "critical,warning,info" {
		t.Errorf("order %v severities %v, want newest first", drawn.Order, drawn.Sev)
	}
	if drawn.Thumbs != 1 || drawn.Count != "3" || drawn.Beeps != "3" {
		t.Errorf("thumbs %d count %s beeps %s, want 1, 3, 3", drawn.Thumbs, drawn.Count, drawn.Beeps)
	}
	if !strings.Contains(drawn.NoteError, "note is required") {
		t.Errorf("an empty note: %q", drawn.NoteError)
	}
	if drawn.Server == "" || strings.Contains(strings.ToLower(drawn.Server), "csrf") {
		t.Errorf("acknowledging an unknown alert: %q, want the server's not-found answer", drawn.Server)
	}
	pageClean(t, b, ctx)
}

// checkMaskBox checks that a tile's privacy overlay sits exactly on the
// video's picture (its content box inside any letterbox bars).
func checkMaskBox(t *testing.T, ctx context.Context, tile string) {
	t.Helper()
	var g struct {
		Mask, Want struct{ X, Y, W, H float64 }
		Hidden     bool
	}
	evalJS(t, ctx, fmt.Sprintf(`(() => {
		const tile = document.querySelector(%s), v = tile.querySelector('video'), m = tile.querySelector('svg.privacy-mask');
		const vr = v.getBoundingClientRect(), mr = m.getBoundingClientRect();
		const a = v.videoWidth / v.videoHeight;
		let w = vr.width, h = vr.width / a;
		if (h > vr.height) { h = vr.height; w = h * a; }
		return { mask: { x: mr.left, y: mr.top, w: mr.width, h: mr.height },
			want: { x: vr.left + (vr.width - w) / 2, y: vr.top + (vr.height - h) / 2, w, h }, hidden: m.hidden };
	})()`, jsString(tile)), &g)
	if g.Hidden || math.Abs(g.Mask.X-g.Want.X) > 1.5 || math.Abs(g.Mask.Y-g.Want.Y) > 1.5 ||
		math.Abs(g.Mask.W-g.Want.W) > 1.5 || math.Abs(g.Mask.H-g.Want.H) > 1.5 {
		t.Errorf("mask overlay at %+v (hidden %v), the picture is at %+v", g.Mask, g.Hidden, g.Want)
	}
}

// --- Playback: events on the timeline (operator) -----------------------

type eventJSON struct {
	ID    int64      `json:"id"`
	Kind  string     `json:"kind"`
	Zone  string     `json:"zone"`
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end"`
}

func (as *analyticsSite) testPlayback(t *testing.T) {
	// Some footage first.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var rec struct {
			Spans []struct{ Start, End time.Time }
		}
		getJSON(t, as.op, "/api/v1/cameras/cam001/recordings", &rec)
		var total time.Duration
		for _, s := range rec.Spans {
			total += s.End.Sub(s.Start)
		}
		if total >= 10*time.Second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cam001 has not recorded 10 s: %+v", rec)
		}
		time.Sleep(250 * time.Millisecond)
	}
	mustExist(t, as.op, "/api/v1/cameras/cam001/events")
	// Motion events: the analytics engine sees the street's cars.
	var events []eventJSON
	{
		deadline := time.Now().Add(30 * time.Second)
		for {
			var ev struct {
				Events []eventJSON `json:"events"`
			}
			q := url.Values{"from": {time.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)}, "to": {time.Now().UTC().Format(time.RFC3339)}}
			getJSON(t, as.op, "/api/v1/cameras/cam001/events?"+q.Encode(), &ev)
			events = ev.Events
			if len(events) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		t.Logf("cam001 has %d events", len(events))
	}

	b, ctx := analyticsBrowser(t, as.bs.base, "op.sam", as.opPW)
	at := time.Now().Add(-8 * time.Second).UTC()
	run(t, ctx, "open playback", chromedp.Navigate(as.bs.base+"/#/playback?camera=cam001&at="+at.Format(time.RFC3339)),
		chromedp.WaitVisible(`#pb-reason-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#pb-reason-text`, "Checking the doorway after a report", chromedp.ByQuery),
		chromedp.Click(`#pb-reason-ok`, chromedp.ByQuery))
	waitPlaying(t, ctx, `#pb-grid video`)
	var legend string
	evalJS(t, ctx, `document.querySelector('#pb-legend').textContent`, &legend)
	if !strings.Contains(legend, "motion") || !strings.Contains(legend, "tamper") {
		t.Errorf("legend %q", legend)
	}
	// The privacy mask drawn in the editor covers the playback picture too.
	mustExist(t, as.op, "/api/v1/cameras/cam001/analytics")
	{
		var a analyticsJSON
		getJSON(t, as.op, "/api/v1/cameras/cam001/analytics", &a)
		waitJS(t, ctx, "privacy mask on playback", fmt.Sprintf(`(() => { const m = document.querySelector('.pb-tile[data-camera="cam001"] svg.privacy-mask');
			return !!m && m.dataset.masks === '%d'; })()`, len(a.Privacy)), 10*time.Second)
		if len(a.Privacy) > 0 {
			checkMaskBox(t, ctx, `.pb-tile[data-camera="cam001"]`)
		}
	}
	waitJS(t, ctx, "events counted", `/\d+ events?/.test(document.querySelector('#pb-events-note').textContent)`, 15*time.Second)
	if len(events) == 0 {
		var note string
		evalJS(t, ctx, `document.querySelector('#pb-events-note').textContent`, &note)
		if note != "0 events" {
			t.Errorf("no events, the legend says %q", note)
		}
		shot(t, ctx, "playback-no-events")
		t.Error("the analytics engine raised no motion events on the street's cars in 30 s")
		pageClean(t, b, ctx)
		return
	}
	waitJS(t, ctx, "event markers", `document.querySelectorAll('#pb-timeline .tl-event').length > 0`, 15*time.Second)
	// Closer: five minutes around the picture, the markers reloaded for it.
	run(t, ctx, "zoom to 5 min", chromedp.Click(`.pb-zoom[data-zoom="5m"]`, chromedp.ByQuery))
	waitJS(t, ctx, "5 min window", `(() => { const tl = document.querySelector('#pb-timeline');
		return Number(tl.getAttribute('aria-valuemax')) - Number(tl.getAttribute('aria-valuemin')) === 300000; })()`, 5*time.Second)
	waitJS(t, ctx, "event markers in the window", `document.querySelectorAll('#pb-timeline .tl-event').length > 0`, 15*time.Second)
	var marks []struct {
		Kind, Start, Tip string
	}
	evalJS(t, ctx, `[...document.querySelectorAll('#pb-timeline .tl-event')].map(e => ({kind: e.dataset.kind, start: e.dataset.start, tip: e.dataset.tip}))`, &marks)
	t.Logf("%d markers, first %+v", len(marks), marks[0])
	for _, m := range marks {
		if m.Kind != "motion" && m.Kind != "tamper" {
			t.Errorf("marker kind %q", m.Kind)
		}
	}
	// Colours differ by kind.
	var colours []string
	evalJS(t, ctx, `['motion', 'tamper'].map(k => { const e = document.createElement('div'); e.className = 'tl-event tl-event-' + k;
		document.querySelector('#pb-timeline .tl-track').append(e); const c = getComputedStyle(e).backgroundColor; e.remove(); return c; })`, &colours)
	if colours[0] == colours[1] {
		t.Errorf("motion and tamper share the colour %s", colours[0])
	}
	shot(t, ctx, "playback-events")
	// Click the most recent marker that starts inside the window: the
	// picture goes to its start.
	var target struct {
		X, Y  float64
		Start string
	}
	evalJS(t, ctx, `(() => { const tl = document.querySelector('#pb-timeline'); tl.scrollIntoView({block: 'center'});
		const from = Number(tl.getAttribute('aria-valuemin'));
		const es = [...tl.querySelectorAll('.tl-event')].filter(e => Date.parse(e.dataset.start) > from + 1000);
		const e = es[es.length - 1] || tl.querySelector('.tl-event');
		const r = e.getBoundingClientRect(); return {x: r.left + Math.min(2, r.width / 2), y: r.top + r.height / 2, start: e.dataset.start}; })()`, &target)
	start, err := time.Parse(time.RFC3339Nano, target.Start)
	if err != nil {
		t.Fatalf("marker start %q: %v", target.Start, err)
	}
	run(t, ctx, "click an event", chromedp.MouseClickXY(target.X, target.Y))
	waitJS(t, ctx, "the picture at the event", fmt.Sprintf(
		`Math.abs(Number(document.querySelector('#pb-time').dataset.wall) - %d) < 2500`, start.UnixMilli()), 20*time.Second)
	pageClean(t, b, ctx)
}
