package main_test

// Browser test of the alert rules view of the Hotspots page
// (#/hotspots?view=rules): a supervisor creates, edits, disables and
// deletes a rule through the web UI, each step checked against the API;
// the server's field errors and a name in use show next to their fields;
// an operator reads the rules without any control to change them.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

type ruleJSON struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Camera    string  `json:"camera"`
	Zone      string  `json:"zone"`
	Factor    float64 `json:"factor"`
	MinShare  float64 `json:"min_share"`
	HourFrom  int     `json:"hour_from"`
	HourTo    int     `json:"hour_to"`
	Severity  string  `json:"severity"`
	Enabled   bool    `json:"enabled"`
	CreatedBy string  `json:"created_by"`
}

// serverRules is what GET /api/v1/alert-rules answers s.
func serverRules(t *testing.T, s *site) []ruleJSON {
	t.Helper()
	var res struct {
		Rules []ruleJSON `json:"rules"`
	}
	getJSON(t, s, "/api/v1/alert-rules", &res)
	return res.Rules
}

// oneRule returns the only rule the server has.
func oneRule(t *testing.T, s *site) ruleJSON {
	t.Helper()
	rules := serverRules(t, s)
	if len(rules) != 1 {
		t.Fatalf("the server has %d rules, want 1: %+v", len(rules), rules)
	}
	return rules[0]
}

func TestBrowserRules(t *testing.T) {
	bs := startBrowserSite(t, 2)
	admin := bs.admin(t)
	// Rules name a camera's zones, which engineers (here the admin) draw.
	admin.json(t, "PUT", "/api/v1/cameras/cam001/analytics", map[string]any{
		"zones": []map[string]any{{"name": "Gate", "points": [][2]float64{{0.1, 0.1}, {0.6, 0.1}, {0.6, 0.7}, {0.1, 0.7}}}},
	}, 200, nil)
	supPW := bs.account(t, admin, "sup.kim", "Kim Supervisor", "supervisor")
	opPW := bs.account(t, admin, "op.lee", "Lee Operator", "operator")
	sup := newSite(t, bs.port, bs.data)
	sup.signIn(t, "sup.kim", supPW)
	op := newSite(t, bs.port, bs.data)
	op.signIn(t, "op.lee", opPW)

	t.Run("Supervisor", func(t *testing.T) {
		b, ctx := analyticsBrowser(t, bs.base, "sup.kim", supPW)
		run(t, ctx, "open the hotspots", chromedp.Navigate(bs.base+"/#/hotspots"),
			chromedp.WaitVisible(`#hs-tab-rules`, chromedp.ByQuery), chromedp.Click(`#hs-tab-rules`, chromedp.ByQuery))
		waitJS(t, ctx, "the rules view", `location.hash.includes('view=rules') && !!document.querySelector('#rules-list .rules-empty')
			&& document.querySelector('#hs-activity').hidden && document.querySelector('#hs-tab-rules').getAttribute('aria-selected') === 'true'`, 15*time.Second)
		var text string
		errorText := func(field string) string {
			evalJS(t, ctx, fmt.Sprintf(`document.querySelector('#rule-form .field-error[data-field="%s"]').textContent`, field), &text)
			return text
		}
		submit := func() {
			run(t, ctx, "submit the rule", chromedp.Click(`#rule-form [data-role=submit]`, chromedp.ByQuery))
		}
		zonesOf := func(cam string) {
			waitJS(t, ctx, "the zones of "+cam, fmt.Sprintf(`(() => { const z = document.querySelector('#rule-form select[name=zone]');
				return !!z && z.dataset.camera === %s && !z.disabled; })()`, jsString(cam)), 15*time.Second)
		}

		// A new rule, with a factor of 0 and the same from and to hours:
		// the server refuses both and the form says so next to each.
		run(t, ctx, "open the new rule form", chromedp.Click(`#rules-new`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-form`, chromedp.ByQuery))
		setValue(t, ctx, `#rule-form select[name=camera]`, "cam002")
		zonesOf("cam002")
		var zones []string
		evalJS(t, ctx, `[...document.querySelectorAll('#rule-form select[name=zone] option')].map(o => o.value)`, &zones)
		if len(zones) != 1 || zones[0] != "" {
			t.Errorf("cam002 has no zones, the picker offers %q", zones)
		}
		setValue(t, ctx, `#rule-form select[name=camera]`, "cam001")
		zonesOf("cam001")
		evalJS(t, ctx, `[...document.querySelectorAll('#rule-form select[name=zone] option')].map(o => o.value)`, &zones)
		if strings.Join(zones, ",") != ",Gate" {
			t.Fatalf("cam001's zone picker offers %q, want the whole picture and Gate", zones)
		}
		run(t, ctx, "name the rule", chromedp.SendKeys(`#rule-form input[name=name]`, "Night at the gate", chromedp.ByQuery))
		setValue(t, ctx, `#rule-form select[name=zone]`, "Gate")
		setValue(t, ctx, `#rule-form input[name=factor]`, "0")
		setValue(t, ctx, `#rule-form select[name=hour_from]`, "6")
		setValue(t, ctx, `#rule-form select[name=hour_to]`, "6")
		submit()
		waitJS(t, ctx, "field errors", `document.querySelector('#rule-form .field-error[data-field=factor]').textContent !== ''
			&& document.querySelector('#rule-form .field-error[data-field=hour_to]').textContent !== ''`, 10*time.Second)
		if e := errorText("factor"); !strings.Contains(e, "must be 1 to 100") {
			t.Errorf("factor error %q", e)
		}
		if e := errorText("hour_to"); !strings.Contains(e, "same as hour_from") {
			t.Errorf("hour_to error %q", e)
		}
		for _, f := range []string{"name", "camera", "zone", "min_share", "hour_from", "severity"} {
			if e := errorText(f); e != "" {
				t.Errorf("%s shows an error %q", f, e)
			}
		}
		var invalid []string
		evalJS(t, ctx, `[...document.querySelectorAll('#rule-form [aria-invalid=true]')].map(e => e.name)`, &invalid)
		if strings.Join(invalid, ",") != "factor,hour_to" {
			t.Errorf("marked invalid: %q, want factor and hour_to", invalid)
		}
		shot(t, ctx, "field-errors")
		if n := len(serverRules(t, sup)); n != 0 {
			t.Fatalf("a refused rule is on the server (%d rules)", n)
		}

		// Put right: 3 times usual, 22:00 to 06:00 (the night), and saved.
		setValue(t, ctx, `#rule-form input[name=factor]`, "3")
		setValue(t, ctx, `#rule-form select[name=hour_from]`, "22")
		submit()
		waitJS(t, ctx, "the rule listed", `!document.querySelector('#rule-dialog') && !!document.querySelector('#rules-list tr[data-name="Night at the gate"]')`, 10*time.Second)
		r := oneRule(t, sup)
		want := ruleJSON{ID: r.ID, Name: "Night at the gate", Camera: "cam001", Zone: "Gate", Factor: 3, MinShare: 0.05, HourFrom: 22, HourTo: 6,
			Severity: "warning", Enabled: true, CreatedBy: "sup.kim"}
		if r != want {
			t.Fatalf("the server has %+v, want %+v", r, want)
		}
		row := fmt.Sprintf(`#rules-list tr[data-rule="%d"]`, r.ID)
		rowText := func() string {
			evalJS(t, ctx, fmt.Sprintf(`document.querySelector('%s .rule-text').textContent`, row), &text)
			return text
		}
		if got, want := rowText(), "Motion in zone 'Gate' of cam001 above 3x usual and in at least 5% of frames, 22:00–06:00, warning"; got != want {
			t.Errorf("listed as %q, want %q", got, want)
		}
		shot(t, ctx, "created")

		// The same name again: 409, said next to the name; nothing added.
		run(t, ctx, "open the new rule form again", chromedp.Click(`#rules-new`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-form`, chromedp.ByQuery))
		zonesOf("cam001")
		run(t, ctx, "name it the same", chromedp.SendKeys(`#rule-form input[name=name]`, "Night at the gate", chromedp.ByQuery))
		submit()
		waitJS(t, ctx, "name in use", `document.querySelector('#rule-form .field-error[data-field=name]').textContent.includes('name of another rule')`, 10*time.Second)
		if n := len(serverRules(t, sup)); n != 1 {
			t.Fatalf("after a name in use the server has %d rules", n)
		}
		run(t, ctx, "cancel", chromedp.Click(`#rule-form [data-role=cancel]`, chromedp.ByQuery))
		waitJS(t, ctx, "the form closed", `!document.querySelector('#rule-dialog')`, 5*time.Second)

		// Edit: the form shows the stored rule; 2.5 times, 10%, critical.
		run(t, ctx, "edit", chromedp.Click(row+` [data-act=edit]`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-form`, chromedp.ByQuery))
		zonesOf("cam001")
		var form map[string]string
		evalJS(t, ctx, `Object.fromEntries([...document.querySelectorAll('#rule-form [name]')].map(e => [e.name, e.type === 'checkbox' ? String(e.checked) : e.value]))`, &form)
		wantForm := map[string]string{"name": "Night at the gate", "camera": "cam001", "zone": "Gate", "factor": "3", "min_share": "5",
			"hour_from": "22", "hour_to": "6", "severity": "warning", "enabled": "true"}
		if fmt.Sprint(form) != fmt.Sprint(wantForm) {
			t.Errorf("the edit form shows %v, want %v", form, wantForm)
		}
		setValue(t, ctx, `#rule-form input[name=factor]`, "2.5")
		setValue(t, ctx, `#rule-form input[name=min_share]`, "10")
		setValue(t, ctx, `#rule-form select[name=severity]`, "critical")
		submit()
		waitJS(t, ctx, "the edit saved", fmt.Sprintf(`!document.querySelector('#rule-dialog') && document.querySelector('%s .rule-text').textContent.includes('critical')`, row), 10*time.Second)
		r = oneRule(t, sup)
		want.Factor, want.MinShare, want.Severity = 2.5, 0.1, "critical"
		if r != want {
			t.Fatalf("after the edit the server has %+v, want %+v", r, want)
		}
		if got, want := rowText(), "Motion in zone 'Gate' of cam001 above 2.5x usual and in at least 10% of frames, 22:00–06:00, critical"; got != want {
			t.Errorf("listed as %q, want %q", got, want)
		}

		// Disable, from the list.
		run(t, ctx, "disable", chromedp.Click(row+` [data-act=toggle]`, chromedp.ByQuery))
		waitJS(t, ctx, "shown disabled", fmt.Sprintf(`(() => { const r = document.querySelector('%s'); return !!r && r.dataset.enabled === 'false'
			&& r.querySelector('[data-act=toggle]').textContent === 'Enable'; })()`, row), 10*time.Second)
		r = oneRule(t, sup)
		want.Enabled = false
		if r != want {
			t.Fatalf("after disabling the server has %+v, want %+v", r, want)
		}
		shot(t, ctx, "disabled")

		// Delete asks first: cancelled, the rule stays; confirmed, it goes.
		run(t, ctx, "delete", chromedp.Click(row+` [data-act=delete]`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-delete`, chromedp.ByQuery))
		evalJS(t, ctx, `document.querySelector('#rule-delete').textContent`, &text)
		if !strings.Contains(text, "Night at the gate") {
			t.Errorf("the confirmation does not name the rule: %q", text)
		}
		run(t, ctx, "cancel the delete", chromedp.Click(`#rule-delete [data-role=cancel]`, chromedp.ByQuery))
		waitJS(t, ctx, "the confirmation closed", `!document.querySelector('#rule-delete')`, 5*time.Second)
		oneRule(t, sup)
		run(t, ctx, "delete again", chromedp.Click(row+` [data-act=delete]`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-delete`, chromedp.ByQuery),
			chromedp.Click(`#rule-delete [data-role=submit]`, chromedp.ByQuery))
		waitJS(t, ctx, "the rule gone", `!document.querySelector('#rule-delete') && !!document.querySelector('#rules-list .rules-empty')`, 10*time.Second)
		if rules := serverRules(t, sup); len(rules) != 0 {
			t.Fatalf("after deleting the server has %+v", rules)
		}

		if off := offSite(bs.base, b.Requests()); len(off) > 0 {
			t.Errorf("requests to other hosts: %v", off)
		}
		pageClean(t, b, ctx)
	})

	t.Run("Operator", func(t *testing.T) {
		sup.json(t, "POST", "/api/v1/alert-rules", map[string]any{"name": "Gate all day", "camera": "cam001", "zone": "Gate", "factor": 4,
			"min_share": 0.2, "severity": "info"}, 201, nil)
		sup.json(t, "POST", "/api/v1/alert-rules", map[string]any{"name": "Street 2 at night", "camera": "cam002", "hour_from": 23, "hour_to": 5,
			"enabled": false}, 201, nil)
		rules := serverRules(t, op)
		if len(rules) != 2 {
			t.Fatalf("the operator's API answer has %d rules, want 2", len(rules))
		}
		if code, body := op.do(t, "POST", "/api/v1/alert-rules", map[string]any{"name": "x", "camera": "cam001"}); code != 403 {
			t.Errorf("an operator's POST: %d %s", code, body)
		}

		b, ctx := analyticsBrowser(t, bs.base, "op.lee", opPW)
		run(t, ctx, "open the rules view", chromedp.Navigate(bs.base+"/#/hotspots?view=rules"))
		waitJS(t, ctx, "the rules listed", `document.querySelectorAll('#rules-list tr[data-rule]').length === 2`, 15*time.Second)
		var got struct {
			Texts    []string
			Controls int
			ReadOnly bool
		}
		evalJS(t, ctx, `({texts: [...document.querySelectorAll('#rules-list tr[data-rule] .rule-text')].map(e => e.textContent),
			controls: document.querySelectorAll('#rules-new, #rules-list [data-act], #rules-list button').length,
			readOnly: !!document.querySelector('#rules-readonly')})`, &got)
		want := []string{
			"Motion in zone 'Gate' of cam001 above 4x usual and in at least 20% of frames, all day, info",
			"Motion in the whole picture of cam002 above 3x usual and in at least 5% of frames, 23:00–05:00, warning",
		}
		if strings.Join(got.Texts, "\n") != strings.Join(want, "\n") {
			t.Errorf("the operator sees\n%s\nwant\n%s", strings.Join(got.Texts, "\n"), strings.Join(want, "\n"))
		}
		if got.Controls != 0 || !got.ReadOnly {
			t.Errorf("the operator has %d controls to change rules (read-only note: %t)", got.Controls, got.ReadOnly)
		}
		var disabled string
		evalJS(t, ctx, `document.querySelector('#rules-list tr[data-name="Street 2 at night"]').dataset.enabled`, &disabled)
		if disabled != "false" {
			t.Errorf("the disabled rule shows enabled=%s", disabled)
		}
		shot(t, ctx, "operator")
		if off := offSite(bs.base, b.Requests()); len(off) > 0 {
			t.Errorf("requests to other hosts: %v", off)
		}
		pageClean(t, b, ctx)
	})
}
