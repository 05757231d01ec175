package ui

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// flowLogin tries a sign-in with any password and code; on 200 the
// returned client carries the new session and its CSRF token.
func (rg *rig) flowLogin(t *testing.T, name, password, totp string) (*client, int, string) {
	t.Helper()
	c := rg.anon()
	in, _ := json.Marshal(loginInput{Username: name, Password: password, TOTP: totp})
	var s sessionJSON
	code, body := c.do(t, "POST", "/api/v1/session", string(in), &s)
	c.csrf = s.CSRFToken
	return c, code, body
}

// flowCookie is the session cookie value c's jar holds ("" if none).
func (c *client) flowCookie(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(c.rg.url)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.http.Jar.Cookies(u) {
		if k.Name == sessionCookie {
			return k.Value
		}
	}
	return ""
}

// flowWithCookie is a client that sends a given session cookie value.
func (rg *rig) flowWithCookie(t *testing.T, value, csrf string) *client {
	t.Helper()
	c := rg.anon()
	u, _ := url.Parse(rg.url)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: value, Path: "/"}})
	c.csrf = csrf
	return c
}

func (rg *rig) pseudonym(t *testing.T, name string) string {
	t.Helper()
	p, err := rg.st.Pseudonym(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (rg *rig) lockedUntil(t *testing.T, name string) time.Time {
	t.Helper()
	u, err := rg.st.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.LockedUntil
}

func wantCode(t *testing.T, what string, code int, body string, want int) {
	t.Helper()
	if code != want {
		t.Fatalf("%s: %d, want %d (%s)", what, code, want, body)
	}
}

func errorOf(t *testing.T, body string) string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not a JSON error: %v in %s", err, body)
	}
	return e.Error
}

func TestLoginLockoutBacksOff(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})
	actor := rg.pseudonym(t, "op1")

	var wrongBody string
	for i := 1; i <= 5; i++ {
		_, code, body := rg.flowLogin(t, "op1", "not the password at all", "")
		wantCode(t, "wrong password "+strconv.Itoa(i), code, body, 401)
		wrongBody = body
	}
	until := rg.lockedUntil(t, "op1")
	if want := rg.clock.Now().Add(time.Minute); !until.Equal(want) {
		t.Fatalf("after 5 failures locked until %v, want %v", until, want)
	}
	// Locked: even the right password is not tried.
	c := rg.anon()
	resp, body := c.raw(t, "POST", "/api/v1/session", `{"username":"op1","password":"`+testPassword+`"}`, nil)
	wantCode(t, "right password while locked", resp.StatusCode, body, 429)
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 60 || ra > 61 {
		t.Fatalf("Retry-After %q, want about 60 s", resp.Header.Get("Retry-After"))
	}
	rg.clock.add(time.Minute)
	if _, code, body := rg.flowLogin(t, "op1", testPassword, ""); code != 200 {
		t.Fatalf("sign-in after the lock: %d %s", code, body)
	}

	// The back-off doubles for each failure after the threshold.
	for i := 1; i <= 5; i++ {
		rg.flowLogin(t, "op1", "wrong again and again", "")
	}
	for _, d := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		if got, want := rg.lockedUntil(t, "op1"), rg.clock.Now().Add(d); !got.Equal(want) {
			t.Fatalf("locked until %v, want %v (%v)", got, want, d)
		}
		// A failure while locked does not count or extend the lock.
		_, code, body := rg.flowLogin(t, "op1", "wrong while locked", "")
		wantCode(t, "wrong password while locked", code, body, 429)
		rg.clock.add(d)
		_, code, body = rg.flowLogin(t, "op1", "wrong once more", "")
		wantCode(t, "wrong password after the lock", code, body, 401)
	}

	failed := rg.withAction(t, evidence.ActionLoginFailed)
	if len(failed) < 10 {
		t.Fatalf("%d auth.login_failed entries, want every failure", len(failed))
	}
	for _, e := range failed {
		if e.Actor != actor {
			t.Fatalf("auth.login_failed actor %q, want the pseudonym %q", e.Actor, actor)
		}
	}
	locked := rg.withAction(t, evidence.ActionLockedOut)
	if len(locked) != 6 {
		t.Fatalf("%d auth.locked_out entries, want 6 (one per lock)", len(locked))
	}
	for _, e := range locked {
		if e.Actor != actor || !strings.Contains(e.Detail, "locked until") {
			t.Fatalf("auth.locked_out entry %+v", e)
		}
	}

	// An unknown username looks exactly like a wrong password.
	_, code, body := rg.flowLogin(t, "nobody", "whatever it is", "")
	wantCode(t, "unknown user", code, body, 401)
	if body != wrongBody {
		t.Fatalf("unknown user answered %q, a wrong password %q", body, wrongBody)
	}
	failed = rg.withAction(t, evidence.ActionLoginFailed)
	if last := failed[len(failed)-1]; last.Actor != evidence.ActorUnknownUser || strings.Contains(last.Detail, "nobody") {
		t.Fatalf("unknown user logged as %+v", last)
	}
}

func TestSessionTimeouts(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})

	t.Run("idle", func(t *testing.T) {
		c := rg.login(t, "op1")
		rg.clock.add(29 * time.Minute)
		code, body := c.do(t, "GET", "/api/v1/cameras", "", nil)
		wantCode(t, "after 29 min idle", code, body, 200)
		rg.clock.add(31 * time.Minute)
		code, body = c.do(t, "GET", "/api/v1/cameras", "", nil)
		wantCode(t, "after 31 min idle", code, body, 401)
	})
	t.Run("absolute", func(t *testing.T) {
		c := rg.login(t, "op1")
		start := rg.clock.Now()
		for rg.clock.Now().Sub(start) < 12*time.Hour-20*time.Minute {
			rg.clock.add(20 * time.Minute)
			code, body := c.do(t, "GET", "/api/v1/cameras", "", nil)
			wantCode(t, "active at "+rg.clock.Now().Sub(start).String(), code, body, 200)
		}
		rg.clock.add(20 * time.Minute)
		code, body := c.do(t, "GET", "/api/v1/cameras", "", nil)
		wantCode(t, "active after 12 h", code, body, 401)
	})
}

func TestSessionRotationAndLogout(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})

	// A cookie planted before sign-in is replaced, and the session it named
	// (here a real one: the same browser signing in again) is ended.
	c := rg.login(t, "op1")
	before := c.flowCookie(t)
	var s sessionJSON
	code, body := c.do(t, "POST", "/api/v1/session", `{"username":"op1","password":"`+testPassword+`"}`, &s)
	wantCode(t, "second sign-in", code, body, 200)
	after := c.flowCookie(t)
	if before == "" || after == "" || before == after {
		t.Fatalf("session cookie not rotated: %q then %q", before, after)
	}
	old := rg.flowWithCookie(t, before, "")
	code, body = old.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "the cookie from before sign-in", code, body, 401)
	c.csrf = s.CSRFToken
	code, body = c.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "the new cookie", code, body, 200)

	// A planted cookie naming no session is ignored and replaced too.
	planted := rg.flowWithCookie(t, "planted-by-an-attacker", "")
	code, body = planted.do(t, "POST", "/api/v1/session", `{"username":"op1","password":"`+testPassword+`"}`, nil)
	wantCode(t, "sign-in with a planted cookie", code, body, 200)
	if got := planted.flowCookie(t); got == "planted-by-an-attacker" || got == "" {
		t.Fatalf("planted cookie kept: %q", got)
	}

	// Logout ends the session at once; a copy of the cookie is worthless.
	cookie := c.flowCookie(t)
	code, body = c.do(t, "DELETE", "/api/v1/session", "", nil)
	wantCode(t, "logout", code, body, 204)
	code, body = rg.flowWithCookie(t, cookie, c.csrf).do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "the cookie after logout", code, body, 401)
	if len(rg.withAction(t, evidence.ActionLogout)) != 1 {
		t.Fatal("logout not in the evidence log")
	}

	// Logout everywhere ends every session of the user.
	a, b := rg.login(t, "op1"), rg.login(t, "op1")
	var n map[string]int
	code, body = a.do(t, "POST", "/api/v1/session/logout-everywhere", "", &n)
	wantCode(t, "logout everywhere", code, body, 200)
	if n["sessions_ended"] < 2 {
		t.Fatalf("logout everywhere ended %v", n)
	}
	for i, x := range []*client{a, b, planted} {
		code, body := x.do(t, "GET", "/api/v1/cameras", "", nil)
		wantCode(t, "client "+strconv.Itoa(i)+" after logout everywhere", code, body, 401)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run("secure="+strconv.FormatBool(secure), func(t *testing.T) {
			rg := newRig(t)
			rg.srv.Auth.SecureCookies = secure
			rg.flowRestart(t)
			rg.user(t, "op1", "operator", auth.Scope{})
			c := rg.anon()
			resp, body := c.raw(t, "POST", "/api/v1/session", `{"username":"op1","password":"`+testPassword+`"}`, nil)
			wantCode(t, "login", resp.StatusCode, body, 200)
			set := resp.Header.Get("Set-Cookie")
			for _, want := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
				if !strings.Contains(set, want) {
					t.Errorf("Set-Cookie %q lacks %s", set, want)
				}
			}
			if strings.Contains(set, "Secure") != secure {
				t.Errorf("Set-Cookie %q: Secure should be %t", set, secure)
			}
		})
	}
}

// flowRestart serves the rig's server afresh after a change to its
// configuration (the handler reads it when built).
func (rg *rig) flowRestart(t *testing.T) {
	t.Helper()
	ts := httptest.NewServer(rg.srv.Handler())
	t.Cleanup(ts.Close)
	rg.url = ts.URL
}

func TestCSRF(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "op1", "operator", auth.Scope{})
	rg.user(t, "admin1", "admin", auth.Scope{})
	c := rg.login(t, "op1")
	token := c.csrf

	for _, tc := range []struct {
		name string
		csrf string
	}{{"missing", ""}, {"wrong", token + "x"}, {"another session's", rg.login(t, "op1").csrf}} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rg.withAction(t, evidence.ActionAccessDenied))
			c.csrf = tc.csrf
			code, body := c.do(t, "POST", "/api/v1/session/logout-everywhere", "", nil)
			wantCode(t, "POST", code, body, 403)
			if !strings.Contains(errorOf(t, body), csrfHeader) {
				t.Errorf("403 does not name the header: %s", body)
			}
			denied := rg.withAction(t, evidence.ActionAccessDenied)
			if len(denied) != before+1 || denied[len(denied)-1].Actor != rg.pseudonym(t, "op1") {
				t.Errorf("CSRF refusal not logged: %+v", denied)
			}
		})
	}
	// GET needs no token; the session survived the refused POSTs.
	c.csrf = ""
	code, body := c.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "GET without a CSRF token", code, body, 200)
	c.csrf = token
	code, body = c.do(t, "DELETE", "/api/v1/session", "", nil)
	wantCode(t, "DELETE with the token", code, body, 204)

	// A bearer token is no cookie a browser sends by itself: no CSRF check.
	// DELETE /api/v1/session is for anyone signed in, so a token gets past
	// the gate and the handler says a token has no session.
	admin := rg.login(t, "admin1")
	var tok tokenJSON
	code, body = admin.do(t, "POST", "/api/v1/tokens", `{"name":"prom","scopes":["cameras.read"],"expires_in_days":1}`, &tok)
	wantCode(t, "token", code, body, 201)
	m := rg.anon()
	m.token = tok.Token
	code, body = m.do(t, "DELETE", "/api/v1/session", "", nil)
	wantCode(t, "DELETE with a bearer token and no CSRF token", code, body, 400)
	code, body = m.do(t, "POST", "/api/v1/cameras", `{}`, nil)
	if code != 403 || strings.Contains(body, csrfHeader) {
		t.Fatalf("POST with a bearer token: %d %s, want 403 for the scope, not CSRF", code, body)
	}
}

func TestAPITokens(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "admin1", "admin", auth.Scope{})
	admin := rg.login(t, "admin1")

	for _, tc := range []struct{ name, body string }{
		{"footage scope", `{"name":"t1","scopes":["footage.view"],"expires_in_days":30}`},
		{"no scopes", `{"name":"t1","scopes":[],"expires_in_days":30}`},
		{"no expiry", `{"name":"t1","scopes":["metrics.read"]}`},
		{"zero expiry", `{"name":"t1","scopes":["metrics.read"],"expires_in_days":0}`},
		{"400 days", `{"name":"t1","scopes":["metrics.read"],"expires_in_days":400}`},
		{"bad name", `{"name":"Not A Name","scopes":["metrics.read"],"expires_in_days":30}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := admin.do(t, "POST", "/api/v1/tokens", tc.body, nil)
			wantCode(t, tc.name, code, body, 422)
		})
	}

	var tok tokenJSON
	code, body := admin.do(t, "POST", "/api/v1/tokens", `{"name":"prometheus","scopes":["metrics.read"],"expires_in_days":30}`, &tok)
	wantCode(t, "create", code, body, 201)
	if !strings.HasPrefix(tok.Token, tokenPrefix) {
		t.Fatalf("token %q", tok.Token)
	}
	code, body = admin.do(t, "POST", "/api/v1/tokens", `{"name":"prometheus","scopes":["metrics.read"],"expires_in_days":30}`, nil)
	wantCode(t, "same name again", code, body, 409)

	m := rg.anon()
	m.token = tok.Token
	code, body = m.do(t, "GET", "/metrics", "", nil)
	wantCode(t, "metrics with the token", code, body, 200)
	code, body = m.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "cameras with a metrics token", code, body, 403)
	if d := rg.withAction(t, evidence.ActionAccessDenied); len(d) == 0 || d[len(d)-1].Actor != "token:prometheus" {
		t.Fatalf("token refusal not logged as the token: %+v", d)
	}
	for _, bad := range []string{"Bearer " + tok.Token + "x", "Bearer nonsense", "Basic " + tok.Token} {
		resp, body := m.raw(t, "GET", "/metrics", "", http.Header{"Authorization": {bad}})
		wantCode(t, bad, resp.StatusCode, body, 401)
	}

	// The list never shows a secret.
	code, body = admin.do(t, "GET", "/api/v1/tokens", "", nil)
	wantCode(t, "list", code, body, 200)
	if strings.Contains(body, tok.Token) || strings.Contains(body, `"token"`) || !strings.Contains(body, "prometheus") {
		t.Fatalf("token list shows a secret or lacks the token: %s", body)
	}

	// Expiry.
	rg.clock.add(30*24*time.Hour - time.Second)
	code, body = m.do(t, "GET", "/metrics", "", nil)
	wantCode(t, "a second before expiry", code, body, 200)
	rg.clock.add(time.Second)
	code, body = m.do(t, "GET", "/metrics", "", nil)
	wantCode(t, "at expiry", code, body, 401)

	// Revocation.
	admin = rg.login(t, "admin1")
	var tok2 tokenJSON
	code, body = admin.do(t, "POST", "/api/v1/tokens", `{"name":"grafana","scopes":["metrics.read","cameras.read"],"expires_in_days":1}`, &tok2)
	wantCode(t, "create", code, body, 201)
	m.token = tok2.Token
	code, body = m.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "cameras with a cameras token", code, body, 200)
	code, body = admin.do(t, "DELETE", "/api/v1/tokens/"+strconv.FormatInt(tok2.ID, 10), "", nil)
	wantCode(t, "revoke", code, body, 200)
	code, body = m.do(t, "GET", "/metrics", "", nil)
	wantCode(t, "after revocation", code, body, 401)
	code, body = admin.do(t, "DELETE", "/api/v1/tokens/99999", "", nil)
	wantCode(t, "revoke unknown", code, body, 404)
	if n := len(rg.withAction(t, evidence.ActionTokenChanged)); n != 3 {
		t.Fatalf("%d token.changed entries, want 3 (two created, one revoked)", n)
	}
}

func TestFirstAdmin(t *testing.T) {
	rg := newRig(t)
	ctx := context.Background()
	name, password, err := EnsureFirstAdmin(ctx, rg.st, cheapHasher)
	if err != nil || name != "admin" || password == "" {
		t.Fatalf("first start: %q %q %v", name, password, err)
	}
	if err := auth.CheckPasswordRules(password, name); err != nil {
		t.Fatalf("the generated password breaks the rules: %v", err)
	}
	if n, p, err := EnsureFirstAdmin(ctx, rg.st, cheapHasher); err != nil || n != "" || p != "" {
		t.Fatalf("second start: %q %q %v", n, p, err)
	}

	c, code, body := rg.flowLogin(t, "admin", password, "")
	wantCode(t, "first sign-in", code, body, 200)
	if !strings.Contains(body, `"must_change_password": true`) {
		t.Fatalf("first sign-in does not ask for a new password: %s", body)
	}
	other, _, _ := rg.flowLogin(t, "admin", password, "")
	code, body = c.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "cameras before the change", code, body, 403)
	if !strings.Contains(body, "change your password first") {
		t.Fatalf("403 does not say why: %s", body)
	}
	code, body = c.do(t, "GET", "/api/v1/session", "", nil)
	wantCode(t, "own session before the change", code, body, 200)

	change := func(current, next string) (int, string) {
		in, _ := json.Marshal(passwordInput{Current: current, New: next})
		var s sessionJSON
		code, body := c.do(t, "POST", "/api/v1/session/password", string(in), &s)
		if code == 200 {
			c.csrf = s.CSRFToken
		}
		return code, body
	}
	for _, tc := range []struct{ name, current, next string }{
		{"short", password, "short"},
		{"common", password, "password123456"},
		{"contains the username", password, "admin admin admin 2026"},
		{"unchanged", password, password},
		{"wrong current", "not the password", "a long and unusual phrase"},
	} {
		code, body := change(tc.current, tc.next)
		wantCode(t, tc.name, code, body, 422)
	}
	code, body = change(password, "violet tractor umbrella seven")
	wantCode(t, "good new password", code, body, 200)
	code, body = c.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "cameras after the change", code, body, 200)
	code, body = other.do(t, "GET", "/api/v1/session", "", nil)
	wantCode(t, "another session from before the change", code, body, 401)
	if _, code, _ := rg.flowLogin(t, "admin", password, ""); code != 401 {
		t.Fatalf("the old password still signs in: %d", code)
	}
	if _, code, body := rg.flowLogin(t, "admin", "violet tractor umbrella seven", ""); code != 200 || strings.Contains(body, `"must_change_password": true`) {
		t.Fatalf("the new password: %d %s", code, body)
	}
}

func TestTOTP(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "sup1", "supervisor", auth.Scope{})
	c := rg.login(t, "sup1")

	code, body := c.do(t, "POST", "/api/v1/session/totp/confirm", `{"code":"123456"}`, nil)
	wantCode(t, "confirm before enrolling", code, body, 409)
	var enrol map[string]string
	code, body = c.do(t, "POST", "/api/v1/session/totp", "", &enrol)
	wantCode(t, "enrol", code, body, 200)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enrol["secret"])
	if err != nil || len(secret) == 0 {
		t.Fatalf("secret %q: %v", enrol["secret"], err)
	}
	if !strings.Contains(enrol["otpauth_url"], enrol["secret"]) {
		t.Fatalf("otpauth URL %q", enrol["otpauth_url"])
	}
	// Not on until confirmed.
	if _, code, body := rg.flowLogin(t, "sup1", testPassword, ""); code != 200 {
		t.Fatalf("sign-in before confirming: %d %s", code, body)
	}
	code, body = c.do(t, "POST", "/api/v1/session/totp/confirm", `{"code":"000000"}`, nil)
	if code != 422 && auth.TOTPCode(secret, rg.clock.Now()) != "000000" {
		t.Fatalf("confirm with a wrong code: %d %s", code, body)
	}
	code, body = c.do(t, "POST", "/api/v1/session/totp/confirm", `{"code":"`+auth.TOTPCode(secret, rg.clock.Now())+`"}`, nil)
	wantCode(t, "confirm", code, body, 200)

	rg.clock.add(30 * time.Second)
	_, code, body = rg.flowLogin(t, "sup1", testPassword, "")
	wantCode(t, "sign-in without a code", code, body, 401)
	var second struct {
		TOTPRequired bool `json:"totp_required"`
	}
	if json.Unmarshal([]byte(body), &second); !second.TOTPRequired {
		t.Fatalf("no totp_required: %s", body)
	}
	_, code, body = rg.flowLogin(t, "sup1", "wrong password", auth.TOTPCode(secret, rg.clock.Now()))
	wantCode(t, "a right code with a wrong password", code, body, 401)
	codeNow := auth.TOTPCode(secret, rg.clock.Now())
	c, code, body = rg.flowLogin(t, "sup1", testPassword, codeNow)
	wantCode(t, "sign-in with the code", code, body, 200)
	_, code, body = rg.flowLogin(t, "sup1", testPassword, codeNow)
	wantCode(t, "the same code again", code, body, 401)
	rg.clock.add(30 * time.Second)
	c, code, body = rg.flowLogin(t, "sup1", testPassword, auth.TOTPCode(secret, rg.clock.Now()))
	wantCode(t, "the next step's code", code, body, 200)

	code, body = c.do(t, "POST", "/api/v1/session/totp/remove", `{"password":"not it"}`, nil)
	wantCode(t, "remove with a wrong password", code, body, 422)
	code, body = c.do(t, "POST", "/api/v1/session/totp/remove", `{}`, nil)
	wantCode(t, "remove without a password", code, body, 422)
	code, body = c.do(t, "POST", "/api/v1/session/totp/remove", `{"password":"`+testPassword+`"}`, nil)
	wantCode(t, "remove", code, body, 200)
	if _, code, body := rg.flowLogin(t, "sup1", testPassword, ""); code != 200 {
		t.Fatalf("sign-in after removing: %d %s", code, body)
	}
	if n := len(rg.withAction(t, evidence.ActionSecondFactor)); n != 2 {
		t.Fatalf("%d auth.totp_changed entries, want 2", n)
	}
}

func TestCameraScope(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "north.op", "operator", auth.Scope{Sites: []string{"north"}})
	rg.user(t, "admin1", "admin", auth.Scope{})
	rg.user(t, "eng1", "engineer", auth.Scope{})
	rg.user(t, "adminop", "admin,operator", auth.Scope{})
	op := rg.login(t, "north.op")

	var list struct {
		Cameras []struct {
			ID string `json:"id"`
		} `json:"cameras"`
	}
	code, body := op.do(t, "GET", "/api/v1/cameras", "", &list)
	wantCode(t, "list", code, body, 200)
	if len(list.Cameras) != 1 || list.Cameras[0].ID != "cam002" {
		t.Fatalf("north operator lists %s", body)
	}
	playback := "/playback?from=2026-11-24T08:00:00Z&to=2026-11-24T08:01:00Z&reason=incident"
	for _, tc := range []struct {
		who, path, camera string
		want              int
	}{
		{"north.op", "/api/v1/cameras/cam001", "cam001", 403},
		{"north.op", "/api/v1/cameras/cam001" + playback, "cam001", 403},
		{"north.op", "/api/v1/cameras/nosuch", "nosuch", 403}, // no telling which ids exist
		{"north.op", "/api/v1/cameras/cam002", "", 200},
		{"admin1", "/api/v1/cameras/cam001" + playback, "cam001", 403},
		{"eng1", "/api/v1/cameras/cam001" + playback, "cam001", 403},
		{"admin1", "/api/v1/cameras/nosuch", "", 404},
		// Footage with another role: through the gate (no player here).
		{"adminop", "/api/v1/cameras/cam001" + playback, "", 404},
	} {
		t.Run(tc.who+tc.path, func(t *testing.T) {
			before := len(rg.withAction(t, evidence.ActionAccessDenied))
			code, body := rg.login(t, tc.who).do(t, "GET", tc.path, "", nil)
			wantCode(t, tc.who, code, body, tc.want)
			denied := rg.withAction(t, evidence.ActionAccessDenied)
			if tc.want != 403 {
				if len(denied) != before {
					t.Fatalf("logged a refusal for a %d", code)
				}
				return
			}
			if len(denied) != before+1 {
				t.Fatalf("refusal not logged")
			}
			if e := denied[len(denied)-1]; e.Camera != tc.camera || e.Actor != rg.pseudonym(t, tc.who) {
				t.Fatalf("refusal logged as %+v", e)
			}
		})
	}
}

func TestUsersAdmin(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "admin1", "admin", auth.Scope{})
	rg.user(t, "sup1", "supervisor", auth.Scope{})
	rg.user(t, "op1", "operator", auth.Scope{})
	sup := rg.login(t, "sup1")

	var made userJSON
	code, body := sup.do(t, "POST", "/api/v1/users", `{"username":"op2","display_name":"Op Two","roles":["operator"]}`, &made)
	wantCode(t, "supervisor creates an operator", code, body, 201)
	if made.TemporaryPassword == "" || !made.MustChange {
		t.Fatalf("new user: %s", body)
	}
	code, body = sup.do(t, "GET", "/api/v1/users/op2", "", nil)
	wantCode(t, "get", code, body, 200)
	if strings.Contains(body, made.TemporaryPassword) || strings.Contains(body, "temporary_password") {
		t.Fatalf("the temporary password is shown again: %s", body)
	}
	code, body = sup.do(t, "POST", "/api/v1/users", `{"username":"op2","roles":["operator"]}`, nil)
	wantCode(t, "taken username", code, body, 409)
	op2, code, body := rg.flowLogin(t, "op2", made.TemporaryPassword, "")
	wantCode(t, "first sign-in with the temporary password", code, body, 200)
	code, body = op2.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "before changing the temporary password", code, body, 403)

	for _, tc := range []struct{ name, method, path, body string }{
		{"create a supervisor", "POST", "/api/v1/users", `{"username":"sup2","roles":["supervisor"]}`},
		{"create an operator-admin", "POST", "/api/v1/users", `{"username":"sup3","roles":["operator","admin"]}`},
		{"edit an admin", "PATCH", "/api/v1/users/admin1", `{"display_name":"x"}`},
		{"disable an admin", "PATCH", "/api/v1/users/admin1", `{"disabled":true}`},
		{"promote an operator", "PATCH", "/api/v1/users/op1", `{"roles":["supervisor"]}`},
		{"reset an admin's password", "POST", "/api/v1/users/admin1/password-reset", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := sup.do(t, tc.method, tc.path, tc.body, nil)
			wantCode(t, tc.name, code, body, 403)
		})
	}
	if _, err := rg.st.UserByName(context.Background(), "sup2"); err == nil {
		t.Fatal("a refused user was created")
	}

	admin := rg.login(t, "admin1")
	code, body = admin.do(t, "PATCH", "/api/v1/users/admin1", `{"disabled":true}`, nil)
	wantCode(t, "disable the last admin", code, body, 409)
	code, body = admin.do(t, "PATCH", "/api/v1/users/admin1", `{"roles":["operator"]}`, nil)
	wantCode(t, "demote the last admin", code, body, 409)
	code, body = admin.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "the last admin still works", code, body, 200)

	// Disabling and changing roles take effect at once.
	op := rg.login(t, "op1")
	code, body = sup.do(t, "PATCH", "/api/v1/users/op1", `{"scope":{"sites":["north"]}}`, nil)
	wantCode(t, "scope change", code, body, 200)
	code, body = op.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "old session after a scope change", code, body, 401)
	op = rg.login(t, "op1")
	code, body = admin.do(t, "PATCH", "/api/v1/users/op1", `{"roles":["operator","engineer"]}`, nil)
	wantCode(t, "roles change", code, body, 200)
	code, body = op.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "old session after a roles change", code, body, 401)
	op = rg.login(t, "op1")
	code, body = admin.do(t, "PATCH", "/api/v1/users/op1", `{"display_name":"Renamed"}`, nil)
	wantCode(t, "rename", code, body, 200)
	code, body = op.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "session after a rename", code, body, 200)
	code, body = admin.do(t, "PATCH", "/api/v1/users/op1", `{"disabled":true}`, nil)
	wantCode(t, "disable", code, body, 200)
	code, body = op.do(t, "GET", "/api/v1/cameras", "", nil)
	wantCode(t, "session of a disabled user", code, body, 401)
	_, code, body = rg.flowLogin(t, "op1", testPassword, "")
	wantCode(t, "sign-in of a disabled user", code, body, 401)
	if len(rg.withAction(t, evidence.ActionUserChanged)) < 5 {
		t.Fatal("user changes not logged")
	}
}

func TestBadInput(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "admin1", "admin", auth.Scope{})
	admin := rg.login(t, "admin1")
	big := `{"username":"admin1","password":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, tc := range []struct {
		name, path, ctype, body string
		want                    int
		msg                     string
	}{
		{"malformed", "/api/v1/session", "application/json", `{"username":`, 400, "invalid JSON"},
		{"not an object", "/api/v1/session", "application/json", `["admin1"]`, 400, "invalid JSON"},
		{"unknown field", "/api/v1/session", "application/json", `{"username":"admin1","password":"x","remember":true}`, 400, "unknown field"},
		{"two values", "/api/v1/session", "application/json", `{"username":"admin1"} {}`, 400, "more than one value"},
		{"empty", "/api/v1/session", "application/json", ``, 400, "empty"},
		{"too big", "/api/v1/session", "application/json", big, 400, "larger than"},
		{"form", "/api/v1/session", "application/x-www-form-urlencoded", `username=admin1&password=x`, 415, "application/json"},
		{"text", "/api/v1/session", "text/plain", `{"username":"admin1","password":"x"}`, 415, "application/json"},
		{"no type", "/api/v1/session", "", `{"username":"admin1","password":"x"}`, 415, "application/json"},
		{"malformed token", "/api/v1/tokens", "application/json", `{"name":`, 400, "invalid JSON"},
		{"unknown user field", "/api/v1/users", "application/json", `{"username":"x1","roles":["operator"],"admin":true}`, 400, "unknown field"},
		{"too big user", "/api/v1/users", "application/json", `{"display_name":"` + strings.Repeat("x", 70<<10) + `"}`, 400, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := admin
			if tc.path == "/api/v1/session" {
				c = rg.anon()
			}
			resp, body := c.raw(t, "POST", tc.path, tc.body, http.Header{"Content-Type": {tc.ctype}})
			wantCode(t, tc.name, resp.StatusCode, body, tc.want)
			if msg := errorOf(t, body); !strings.Contains(msg, tc.msg) {
				t.Fatalf("error %q does not say %q", msg, tc.msg)
			}
		})
	}
	// Nothing above counted as a failed sign-in.
	if u, _ := rg.st.UserByName(context.Background(), "admin1"); u.FailedLogins != 0 {
		t.Fatalf("%d failed logins counted from bad requests", u.FailedLogins)
	}
}

// A supervisor limited to some cameras cannot give an operator more.
func TestScopedSupervisorCannotWidenScope(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "sup.north", "supervisor", auth.Scope{Sites: []string{"north"}})
	sup := rg.login(t, "sup.north")
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"username":"op.a","roles":["operator"]}`, 403},
		{`{"username":"op.b","roles":["operator"],"scope":{"sites":["south"]}}`, 403},
		{`{"username":"op.c","roles":["operator"],"scope":{"cameras":["cam001"]}}`, 403},
		{`{"username":"op.d","roles":["operator"],"scope":{"cameras":["cam002"]}}`, 201},
		{`{"username":"op.e","roles":["operator"],"scope":{"sites":["north"]}}`, 201},
	} {
		if code, body := sup.do(t, "POST", "/api/v1/users", c.body, nil); code != c.want {
			t.Errorf("%s: %d, want %d: %s", c.body, code, c.want, body)
		}
	}
	if code, body := sup.do(t, "PATCH", "/api/v1/users/op.e", `{"scope":{}}`, nil); code != 403 {
		t.Errorf("widening op.e to every camera: %d %s", code, body)
	}
}
