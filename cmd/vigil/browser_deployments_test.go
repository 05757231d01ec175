package main_test

// Browser test of the Deployments page (#/deployments): a mobile camera
// deployment through its life cycle in the web UI, each step taken by the
// role that may take it, on a real vigil serve with camsim cameras and a
// mobile camera, mob01, registered in the depot. BJAG asks for a camera
// through the form, clicking the map for the point (a request without
// signage first: the server's field error shows beside the checkbox); a
// supervisor approves it (a review date of today first: refused beside the
// field) and schedules it on mob01; an engineer confirms the install with
// a privacy mask; the detail view then shows it live with its history and
// figures, the fleet view shows mob01 at its new place, and the BJAG pack
// lists it with its downloads. BJAG sees no footage: no Live or Playback
// in the nav or on the page, and playback answers 403. Then its review date
// passes: the list marks the review overdue, and the supervisor extends it.

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/vigil-cctv/vigil/ingest/store"
)

type deploymentView struct {
	ID      int64    `json:"id"`
	State   string   `json:"state"`
	Camera  string   `json:"camera"`
	Actions []string `json:"actions"`
	Request struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Ward      string  `json:"ward"`
		Address   string  `json:"address"`
		Problem   string  `json:"problem"`
		Evidence  struct {
			Incidents []string `json:"incidents"`
		} `json:"evidence"`
		Privacy struct {
			DwellingsInView bool   `json:"dwellings_in_view"`
			MasksNeeded     bool   `json:"masks_needed"`
			Notes           string `json:"notes"`
		} `json:"privacy"`
		SignageConfirmed bool `json:"signage_confirmed"`
	} `json:"request"`
	Events []struct {
		From, To, Actor, Reason string
	} `json:"events"`
}

func TestBrowserDeployments(t *testing.T) {
	bs := startBrowserSite(t, 2)
	admin := bs.admin(t)
	// Fixed cameras in the borough (disabled: no streams), for the map.
	for _, c := range []struct {
		id, name, ward string
		lat, lon       float64
	}{
		{"cam201", "High Street / Market Square", "Abbey", 51.5390, 0.0810},
		{"cam202", "Ripple Road junction", "Thames", 51.5330, 0.0870},
		{"cam203", "Longbridge Road shops", "Longbridge", 51.5470, 0.0950},
	} {
		admin.json(t, "POST", "/api/v1/cameras", map[string]any{"id": c.id, "name": c.name, "ward": c.ward, "site": "Borough",
			"kind": "fixed", "enabled": false, "latitude": c.lat, "longitude": c.lon, "main_url": "rtsp://127.0.0.1:9/" + c.id}, 201, nil)
	}
	// The harness's cam002 is mobile but kept in the config file: the
	// workflow cannot move it. The engineers register mob01 in the depot
	// (disabled), its streams camsim's first camera.
	admin.json(t, "POST", "/api/v1/cameras", map[string]any{"id": "mob01", "name": "Mobile 1", "kind": "mobile", "enabled": false,
		"main_url": bs.sim.URL(1, "main"), "sub_url": bs.sim.URL(1, "sub")}, 201, nil)
	bjagPW := bs.account(t, admin, "bea.bjag", "Bea (ASB team)", "bjag")
	supPW := bs.account(t, admin, "sue.super", "Sue Supervisor", "supervisor")
	engPW := bs.account(t, admin, "eddie.eng", "Eddie Engineer", "engineer")
	bjag := newSite(t, bs.port, bs.data)
	bjag.signIn(t, "bea.bjag", bjagPW)
	london := londonTZ(t)
	day := func(days int) string { return time.Now().In(london).AddDate(0, 0, days).Format("2006-01-02") }
	deployment := func(id int64) deploymentView {
		var d deploymentView
		getJSON(t, bjag, fmt.Sprintf("/api/v1/deployments/%d", id), &d)
		return d
	}
	var text string
	fieldErr := func(t *testing.T, ctx context.Context, form, field string) string {
		evalJS(t, ctx, fmt.Sprintf(`(document.querySelector('%s .field-error[data-field="%s"]') || {}).textContent || ''`, form, field), &text)
		return text
	}
	detailState := func(t *testing.T, ctx context.Context, state string) {
		t.Helper()
		waitJS(t, ctx, "the deployment "+state, `!!document.querySelector('#dp-detail[data-state=`+state+`]') && !document.querySelector('#dp-act-dialog')`, 15*time.Second)
	}
	// act opens an action's dialog and fills its reason.
	act := func(t *testing.T, ctx context.Context, action, reason string) {
		t.Helper()
		run(t, ctx, "open "+action, chromedp.Click(`#dp-actions button[data-action="`+action+`"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#dp-act-form`, chromedp.ByQuery))
		setValue(t, ctx, `#dp-act-form textarea[name=reason]`, reason)
	}
	submitAct := func(t *testing.T, ctx context.Context) {
		run(t, ctx, "submit the action", chromedp.Click(`#dp-act-form [data-role=submit]`, chromedp.ByQuery))
	}
	var id int64
	var lat, lon float64

	t.Run("BJAGRequests", func(t *testing.T) {
		b, ctx := analyticsBrowser(t, bs.base, "bea.bjag", bjagPW)
		defer b.close()
		var nav []string
		evalJS(t, ctx, `[...document.querySelectorAll('#nav a.nav-link')].map(a => a.dataset.page)`, &nav)
		if !contains(nav, "deployments") || contains(nav, "wall") || contains(nav, "playback") {
			t.Errorf("BJAG's nav: %q (want deployments, no wall or playback)", nav)
		}
		run(t, ctx, "open the deployments", chromedp.Navigate(bs.base+"/#/deployments"))
		waitJS(t, ctx, "the empty list", `!!document.querySelector('#dp-list') && !!document.querySelector('#dp-new')
			&& document.querySelector('#dp-tab-list').getAttribute('aria-selected') === 'true'`, 15*time.Second)
		run(t, ctx, "open the form", chromedp.Click(`#dp-new`, chromedp.ByQuery), chromedp.WaitVisible(`#dp-request-form`, chromedp.ByQuery))
		waitJS(t, ctx, "the cameras on the map", `document.querySelectorAll('#dp-request-map circle.dp-ctx').length === 3`, 15*time.Second)

		// A click on the map sets the point (and guesses the ward).
		c := center(t, ctx, `#dp-request-map`)
		run(t, ctx, "click the map", chromedp.MouseClickXY(c.X+20, c.Y-10))
		waitJS(t, ctx, "the point set", `!!document.querySelector('#dp-request-map-pin') && document.querySelector('#dp-request-form [name=latitude]').value !== ''`, 10*time.Second)
		var pt struct{ Lat, Lon, PinLat, PinLon string }
		evalJS(t, ctx, `(() => { const f = document.querySelector('#dp-request-form'), pin = document.querySelector('#dp-request-map-pin');
			return {lat: f.latitude.value, lon: f.longitude.value, pinLat: pin.dataset.lat, pinLon: pin.dataset.lon}; })()`, &pt)
		fmt.Sscan(pt.Lat, &lat)
		fmt.Sscan(pt.Lon, &lon)
		if lat < 51.533 || lat > 51.547 || lon < 0.081 || lon > 0.095 || pt.PinLat != pt.Lat || pt.PinLon != pt.Lon {
			t.Fatalf("the map click set %+v: not between the cameras", pt)
		}
		var ward string
		evalJS(t, ctx, `document.querySelector('#dp-request-form [name=ward]').value`, &ward)
		if ward == "" {
			t.Errorf("no ward guessed from the nearest camera")
		}
		setValue(t, ctx, `#dp-request-form [name=ward]`, "Longbridge")
		setValue(t, ctx, `#dp-request-form [name=address]`, "Park gates, Longbridge Road")
		setValue(t, ctx, `#dp-request-form [name=problem]`, "drugs")
		setValue(t, ctx, `#dp-request-form [name=incidents]`, "CAD 1234/26\nASB/2026/0117")
		setValue(t, ctx, `#dp-request-form [name=wanted_from]`, day(1))
		setValue(t, ctx, `#dp-request-form [name=wanted_to]`, day(60))
		setValue(t, ctx, `#dp-request-form [name=purpose]`, "Deter and identify drug dealing at the park gates")
		setValue(t, ctx, `#dp-request-form [name=less_intrusive]`, "Patrols twice nightly since March have not stopped it")
		run(t, ctx, "dwellings in view", chromedp.Click(`#dp-request-form [name=dwellings_in_view]`, chromedp.ByQuery),
			chromedp.Click(`#dp-request-form [name=masks_needed]`, chromedp.ByQuery))
		setValue(t, ctx, `#dp-request-form [name=privacy_notes]`, "Flats opposite: their windows masked")

		// No signage: refused, the error beside the checkbox, nothing stored.
		run(t, ctx, "send without signage", chromedp.Click(`#dp-request-submit`, chromedp.ByQuery))
		waitJS(t, ctx, "the signage error", `document.querySelector('#dp-request-form .field-error[data-field=signage_confirmed]').textContent !== ''`, 10*time.Second)
		if e := fieldErr(t, ctx, "#dp-request-form", "signage_confirmed"); !strings.Contains(e, "signage") {
			t.Errorf("signage error %q", e)
		}
		for _, f := range []string{"latitude", "ward", "address", "problem", "purpose", "less_intrusive", "privacy.notes", "wanted_from", "wanted_to"} {
			if e := fieldErr(t, ctx, "#dp-request-form", f); e != "" {
				t.Errorf("field %s has an error: %q", f, e)
			}
		}
		shot(t, ctx, "no-signage")
		var list struct{ Deployments []deploymentView }
		getJSON(t, bjag, "/api/v1/deployments", &list)
		if len(list.Deployments) != 0 {
			t.Fatalf("a refused request was stored: %+v", list.Deployments)
		}

		run(t, ctx, "confirm signage", chromedp.Click(`#dp-request-form [name=signage_confirmed]`, chromedp.ByQuery),
			chromedp.Click(`#dp-request-submit`, chromedp.ByQuery))
		waitJS(t, ctx, "the new deployment", `/[?&]id=\d+/.test(location.hash) && !!document.querySelector('#dp-detail[data-state=requested]')`, 15*time.Second)
		var hash string
		evalJS(t, ctx, `location.hash`, &hash)
		fmt.Sscanf(hash[strings.Index(hash, "id=")+3:], "%d", &id)
		d := deployment(id)
		r := d.Request
		if d.State != "requested" || math.Abs(r.Latitude-lat) > 1e-9 || math.Abs(r.Longitude-lon) > 1e-9 || r.Ward != "Longbridge" ||
			r.Problem != "drugs" || strings.Join(r.Evidence.Incidents, "|") != "CAD 1234/26|ASB/2026/0117" || !r.Privacy.DwellingsInView ||
			!r.Privacy.MasksNeeded || r.Privacy.Notes != "Flats opposite: their windows masked" || !r.SignageConfirmed {
			t.Fatalf("deployment %d as stored: %+v", id, d)
		}
		var actions []string
		evalJS(t, ctx, `[...document.querySelectorAll('#dp-actions button')].map(b => b.dataset.action)`, &actions)
		if strings.Join(actions, ",") != "cancel" {
			t.Errorf("BJAG's buttons on a request: %q, want cancel only", actions)
		}
		pageClean(t, b, ctx)
	})
	if t.Failed() {
		return
	}

	t.Run("SupervisorApprovesAndSchedules", func(t *testing.T) {
		b, ctx := analyticsBrowser(t, bs.base, "sue.super", supPW)
		defer b.close()
		run(t, ctx, "open the deployments", chromedp.Navigate(bs.base+"/#/deployments"))
		row := fmt.Sprintf(`#dp-list tr[data-id="%d"][data-state=requested]`, id)
		waitJS(t, ctx, "the request listed", `!!document.querySelector('`+row+`')`, 15*time.Second)
		run(t, ctx, "open it", chromedp.Click(row+` td:nth-child(3)`, chromedp.ByQuery))
		detailState(t, ctx, "requested")
		var actions []string
		evalJS(t, ctx, `[...document.querySelectorAll('#dp-actions button')].map(b => b.dataset.action)`, &actions)
		if strings.Join(actions, ",") != "approve,refuse,cancel" {
			t.Errorf("the supervisor's buttons on a request: %q", actions)
		}

		// A review date of today is refused beside the field.
		act(t, ctx, "approve", "Hotspot evidence and two incidents support it")
		setValue(t, ctx, `#dp-act-form [name=review_date]`, day(0))
		submitAct(t, ctx)
		waitJS(t, ctx, "the review date refused", `document.querySelector('#dp-act-form .field-error[data-field=review_date]').textContent !== ''`, 10*time.Second)
		if e := fieldErr(t, ctx, "#dp-act-form", "review_date"); !strings.Contains(e, "after today") {
			t.Errorf("review_date error %q", e)
		}
		setValue(t, ctx, `#dp-act-form [name=review_date]`, day(30))
		submitAct(t, ctx)
		detailState(t, ctx, "approved")

		act(t, ctx, "schedule", "mob01 is free")
		// The mobile cameras: mob01 free, cam002 offered but kept in the config file.
		waitJS(t, ctx, "the mobile cameras offered", `(() => { const o = (id) => document.querySelector('#dp-act-form select[name=camera] option[value=' + id + ']');
			return !!o('mob01') && !o('mob01').disabled && !!o('cam002') && o('cam002').disabled && !o('cam001'); })()`, 10*time.Second)
		setValue(t, ctx, `#dp-act-form select[name=camera]`, "mob01")
		submitAct(t, ctx)
		detailState(t, ctx, "scheduled")
		if d := deployment(id); d.Camera != "mob01" {
			t.Fatalf("scheduled on %q", d.Camera)
		}
		pageClean(t, b, ctx)
	})
	if t.Failed() {
		return
	}

	t.Run("EngineerInstalls", func(t *testing.T) {
		b, ctx := analyticsBrowser(t, bs.base, "eddie.eng", engPW)
		defer b.close()
		run(t, ctx, "open the deployment", chromedp.Navigate(fmt.Sprintf("%s/#/deployments?id=%d", bs.base, id)))
		detailState(t, ctx, "scheduled")
		act(t, ctx, "confirm-install", "Installed on the lamp column by the gates")
		var def struct{ Lat, Lon, Address, Ward string }
		evalJS(t, ctx, `(() => { const f = document.querySelector('#dp-act-form'); return {lat: f.latitude.value, lon: f.longitude.value, address: f.address.value, ward: f.ward.value}; })()`, &def)
		if def.Lat != fmt.Sprint(lat) || def.Lon != fmt.Sprint(lon) || def.Address != "Park gates, Longbridge Road" || def.Ward != "Longbridge" {
			t.Errorf("the install form's defaults: %+v, want the request's point %v, %v", def, lat, lon)
		}
		setValue(t, ctx, `#dp-act-form [name=name]`, "Park gates (mobile)")
		setValue(t, ctx, `#dp-act-form [name=site]`, "Barking Park")
		// A bad rectangle is caught here; a good one previews.
		setValue(t, ctx, `#dp-act-form [name=privacy_masks]`, "0.7,0,0.2,0.35")
		submitAct(t, ctx)
		waitJS(t, ctx, "the mask refused", `document.querySelector('#dp-act-form .field-error[data-field=privacy_masks]').textContent !== ''`, 10*time.Second)
		setValue(t, ctx, `#dp-act-form [name=privacy_masks]`, "0.7,0,1,0.35")
		waitJS(t, ctx, "the mask previewed", `document.querySelectorAll('#dp-mask-preview .dp-mask-rect').length === 1`, 5*time.Second)
		submitAct(t, ctx)
		detailState(t, ctx, "live")

		var cam struct {
			Name      string
			Ward      string
			Site      string
			Latitude  *float64
			Longitude *float64
		}
		getJSON(t, admin, "/api/v1/cameras/mob01", &cam)
		if cam.Name != "Park gates (mobile)" || cam.Site != "Barking Park" || cam.Latitude == nil || *cam.Latitude != lat || *cam.Longitude != lon {
			t.Errorf("mob01 after the install: %+v", cam)
		}
		var set struct{ Privacy [][][2]float64 }
		getJSON(t, admin, "/api/v1/cameras/mob01/analytics", &set)
		if len(set.Privacy) != 1 || len(set.Privacy[0]) != 4 || set.Privacy[0][0] != [2]float64{0.7, 0} || set.Privacy[0][2] != [2]float64{1, 0.35} {
			t.Errorf("mob01's privacy masks: %v", set.Privacy)
		}

		// The fleet shows mob01 where it now stands.
		run(t, ctx, "the fleet", chromedp.Click(`#dp-tab-fleet`, chromedp.ByQuery))
		fleetRow := fmt.Sprintf(`#dp-fleet tr[data-camera=mob01][data-deployment="%d"][data-state=live]`, id)
		waitJS(t, ctx, "mob01 in the fleet", `!!document.querySelector('`+fleetRow+`') && !!document.querySelector('#dp-fleet-map circle.dp-pt[data-id=mob01]')`, 15*time.Second)
		var fleet struct{ Where, Dep, Lat, Lon, Tab string }
		evalJS(t, ctx, `(() => { const r = document.querySelector('`+fleetRow+`'), dot = document.querySelector('#dp-fleet-map circle.dp-pt[data-id=mob01]');
			return {where: r.querySelector('.dp-fleet-where').textContent, dep: r.querySelector('a.dp-fleet-dep').getAttribute('href'),
				lat: dot.dataset.lat, lon: dot.dataset.lon, tab: document.querySelector('#dp-tab-fleet').getAttribute('aria-selected')}; })()`, &fleet)
		if !strings.Contains(fleet.Where, "Park gates, Longbridge Road") || fleet.Dep != fmt.Sprintf("#/deployments?id=%d", id) ||
			fleet.Lat != fmt.Sprint(lat) || fleet.Lon != fmt.Sprint(lon) || fleet.Tab != "true" {
			t.Errorf("mob01 in the fleet: %+v", fleet)
		}
		shot(t, ctx, "fleet")
		pageClean(t, b, ctx)
	})
	if t.Failed() {
		return
	}

	t.Run("BJAGSeesItLive", func(t *testing.T) {
		b, ctx := analyticsBrowser(t, bs.base, "bea.bjag", bjagPW)
		defer b.close()
		run(t, ctx, "open the deployment", chromedp.Navigate(fmt.Sprintf("%s/#/deployments?id=%d", bs.base, id)))
		detailState(t, ctx, "live")
		waitJS(t, ctx, "history, figures and camera", `document.querySelectorAll('#dp-history tbody tr[data-to]').length === 4
			&& !!document.querySelector('#dp-figures') && document.querySelector('#dp-camera').dataset.camera === 'mob01'`, 10*time.Second)
		var hist []string
		evalJS(t, ctx, `[...document.querySelectorAll('#dp-history tbody tr')].map(r => r.dataset.from + '>' + r.dataset.to + ' ' + r.children[1].textContent + ': ' + r.children[3].textContent)`, &hist)
		want := []string{
			">requested bea.bjag: Deter and identify drug dealing at the park gates",
			"requested>approved sue.super: Hotspot evidence and two incidents support it",
			"approved>scheduled sue.super: mob01 is free",
			"scheduled>live eddie.eng: Installed on the lamp column by the gates",
		}
		if strings.Join(hist, "\n") != strings.Join(want, "\n") {
			t.Errorf("the history shown:\n%s\nwant:\n%s", strings.Join(hist, "\n"), strings.Join(want, "\n"))
		}
		var page struct {
			Footage int
			Buttons []string
			Health  string
		}
		evalJS(t, ctx, `({footage: document.querySelectorAll('a[href^="#/playback"], a[href^="#/wall"], #nav a[data-page=wall], #nav a[data-page=playback]').length,
			buttons: [...document.querySelectorAll('#dp-actions button')].map(b => b.dataset.action), health: document.querySelector('#dp-camera').dataset.health})`, &page)
		if page.Footage != 0 || len(page.Buttons) != 0 || page.Health == "" {
			t.Errorf("BJAG's view of a live deployment: %+v (want no footage links, no buttons, a health)", page)
		}
		shot(t, ctx, "live")
		// BJAG sees no footage.
		q := "from=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + "&to=" + time.Now().UTC().Format(time.RFC3339) + "&reason=curious"
		for _, cam := range []string{"cam001", "mob01"} {
			if code, body := bjag.do(t, "GET", "/api/v1/cameras/"+cam+"/playback?"+q, nil); code != 403 {
				t.Errorf("BJAG playback of %s: %d %s, want 403", cam, code, body)
			}
		}

		// The month's pack lists it, with its downloads.
		run(t, ctx, "the pack", chromedp.Click(`#dp-tab-pack`, chromedp.ByQuery))
		packRow := fmt.Sprintf(`#dp-pack-rows tr[data-id="%d"]`, id)
		waitJS(t, ctx, "the pack row", `!!document.querySelector('`+packRow+`')`, 15*time.Second)
		var pack struct {
			Counts   map[string]string
			CSV, PDF string
			Flags    []string
		}
		evalJS(t, ctx, `({counts: Object.fromEntries([...document.querySelectorAll('#dp-pack-counts [data-count]')].map(e => [e.dataset.count, e.querySelector('strong').textContent])),
			csv: document.querySelector('#dp-pack-csv').getAttribute('href'), pdf: document.querySelector('#dp-pack-pdf').getAttribute('href'),
			flags: [...document.querySelectorAll('`+packRow+` .dp-flag')].map(e => e.dataset.flag)})`, &pack)
		month := time.Now().In(london).Format("2006-01")
		if pack.Counts["live"] != "1" || pack.Counts["requested"] != "1" || !contains(pack.Flags, "live") || !contains(pack.Flags, "requested") ||
			pack.CSV != "/api/v1/bjag/pack?month="+month+"&format=csv" || pack.PDF != "/api/v1/bjag/pack?month="+month+"&format=pdf" {
			t.Errorf("the pack: %+v", pack)
		}
		for _, f := range []struct{ href, starts string }{{pack.CSV, ""}, {pack.PDF, "%PDF"}} {
			code, body := bjag.do(t, "GET", f.href, nil)
			if code != 200 || !strings.HasPrefix(string(body), f.starts) || (f.starts == "" && !strings.Contains(string(body), "Park gates")) {
				t.Errorf("GET %s: %d, %.80q", f.href, code, body)
			}
		}
		shot(t, ctx, "pack")
		pageClean(t, b, ctx)
	})
	if t.Failed() {
		return
	}

	t.Run("SupervisorReviews", func(t *testing.T) {
		// Time passes: the review date is ten days gone (the API takes
		// only future ones), so the review is due, and a week overdue.
		st, err := store.Open(filepath.Join(bs.data, "vigil.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx0 := context.Background()
		d, err := st.Deployment(ctx0, id)
		if err != nil {
			t.Fatal(err)
		}
		d.ReviewDate = time.Now().AddDate(0, 0, -10)
		if err := st.UpdateDeployment(ctx0, &store.DeploymentChange{Deployment: d,
			Event: store.DeploymentEvent{At: time.Now(), From: d.State, To: d.State, Actor: "test"}}); err != nil {
			t.Fatal(err)
		}

		b, ctx := analyticsBrowser(t, bs.base, "sue.super", supPW)
		defer b.close()
		run(t, ctx, "open the deployments", chromedp.Navigate(bs.base+"/#/deployments"))
		row := fmt.Sprintf(`#dp-list tr[data-id="%d"]`, id)
		waitJS(t, ctx, "the review overdue", `!!document.querySelector('`+row+`[data-due=true][data-overdue=true].dp-overdue') && !document.querySelector('#dp-due-summary').hidden`, 15*time.Second)
		evalJS(t, ctx, `document.querySelector('#dp-due-summary').textContent`, &text)
		if !strings.Contains(text, "1 review is due") || !strings.Contains(text, "1 overdue") {
			t.Errorf("the due summary: %q", text)
		}
		shot(t, ctx, "list-overdue")
		run(t, ctx, "open it", chromedp.Click(row+` td:nth-child(3)`, chromedp.ByQuery))
		waitJS(t, ctx, "the review buttons", `!!document.querySelector('#dp-detail [data-due=overdue]') && [...document.querySelectorAll('#dp-actions button')].map(b => b.dataset.action).join() === 'extend,schedule-removal'`, 15*time.Second)
		act(t, ctx, "extend", "Dealing down but not gone: keep it another month")
		submitAct(t, ctx)
		waitJS(t, ctx, "extended", `!!document.querySelector('#dp-detail[data-state=live]') && !document.querySelector('#dp-act-dialog') && !document.querySelector('#dp-detail [data-due]')
			&& document.querySelectorAll('#dp-history tbody tr[data-to]').length === 5`, 15*time.Second)
		var due struct {
			ReviewDue bool `json:"review_due"`
		}
		getJSON(t, bjag, fmt.Sprintf("/api/v1/deployments/%d", id), &due)
		if due.ReviewDue {
			t.Errorf("still due after the extension")
		}
		pageClean(t, b, ctx)
	})
}
