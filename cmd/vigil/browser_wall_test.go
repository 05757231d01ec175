package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	if got := strings.Join(bar.Pages, ","); got != "health,admin" {
		t.Errorf("an administrator's pages: %s, want health,admin (no footage)", got)
	}
	shot(t, ctx, "signed-in")

	run(t, ctx, "sign out", chromedp.Click(`#logout`, chromedp.ByQuery))
	waitJS(t, ctx, "back at the login page", `location.hash.startsWith('#/login') && !!document.querySelector('#login-username')`, 10*time.Second)
	// The session is over on the server too.
	waitJS(t, ctx, "session ended", `fetch('/api/v1/session').then(r => r.status === 401)`, 10*time.Second)

	if off := offSite(bs.base, b.Requests()); len(off) > 0 {
		t.Errorf("requests to other hosts: %v", off)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
