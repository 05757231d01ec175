package ui

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// sessionAPI signs people in and out and lets them look after their own
// password and second factor.
type sessionAPI struct {
	id     Identity
	audit  Audit
	gate   *gate
	logger *slog.Logger
}

func (a *sessionAPI) routes(rt *router) {
	rt.handle("POST /api/v1/session", public, a.login)
	rt.handle("GET /api/v1/session", self, a.get)
	rt.handle("DELETE /api/v1/session", self, a.logout)
	rt.handle("POST /api/v1/session/logout-everywhere", self, a.logoutEverywhere)
	rt.handle("POST /api/v1/session/password", self, a.changePassword)
	rt.handle("POST /api/v1/session/totp", self, a.enrolTOTP)
	rt.handle("POST /api/v1/session/totp/confirm", self, a.confirmTOTP)
	rt.handle("POST /api/v1/session/totp/remove", self, a.removeTOTP)
}

type loginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

type sessionJSON struct {
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	// Permissions are what the roles grant, so the web app shows only what
	// the person may use (the server checks every request regardless).
	Permissions []auth.Permission `json:"permissions"`
	Scope       auth.Scope        `json:"scope"`
	// MustChangePassword: every route but these session ones answers 403
	// until the password is changed.
	MustChangePassword bool      `json:"must_change_password"`
	TOTPEnabled        bool      `json:"totp_enabled"`
	CSRFToken          string    `json:"csrf_token"`
	ExpiresAt          time.Time `json:"expires_at"`
	IdleTimeoutSeconds int       `json:"idle_timeout_seconds"`
}

func (a *sessionAPI) view(p *principal) sessionJSON {
	roles := make([]string, len(p.roles))
	perms := []auth.Permission{}
	for i, r := range p.roles {
		roles[i] = string(r)
	}
	for _, perm := range auth.Permissions() {
		if _, ok := p.can(perm); ok {
			perms = append(perms, perm)
		}
	}
	return sessionJSON{Username: p.user.Username, DisplayName: p.user.DisplayName, Roles: roles, Permissions: perms, Scope: p.scope,
		MustChangePassword: p.user.MustChange, TOTPEnabled: p.user.TOTPSecret != nil, CSRFToken: p.session.CSRF,
		ExpiresAt: p.session.Expires, IdleTimeoutSeconds: int(a.gate.cfg.SessionIdle.Seconds())}
}

// dummyHash is checked for unknown usernames so that a sign-in takes as
// long whether or not the user exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.Hasher{}.Hash("not a password anyone has")
	return h
})

const badCredentials = "wrong username or password"

// login checks a username, password and (when enrolled) TOTP code, and
// starts a new session: a new id every time, so a session id planted
// before sign-in is worthless after it.
func (a *sessionAPI) login(w http.ResponseWriter, r *http.Request) {
	// JSON only: a cross-site form cannot send it without a CORS preflight,
	// which is the sign-in form's CSRF protection.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "sign in with Content-Type: application/json", nil)
		return
	}
	var in loginInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	ctx, now := r.Context(), a.gate.now()
	u, err := a.id.UserByName(ctx, strings.ToLower(strings.TrimSpace(in.Username)))
	if err != nil {
		auth.VerifyPassword(dummyHash(), in.Password)
		if !errors.Is(err, store.ErrNotFound) {
			a.gate.internal(w, err)
			return
		}
		a.failed(r, nil, "unknown username")
		writeError(w, http.StatusUnauthorized, badCredentials, nil)
		return
	}
	p, err := a.gate.principalFor(ctx, u)
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	if u.Disabled {
		auth.VerifyPassword(dummyHash(), in.Password)
		a.failed(r, p, "account disabled")
		writeError(w, http.StatusUnauthorized, badCredentials, nil)
		return
	}
	// A locked account is not even tried: guessing cannot go on meanwhile.
	if now.Before(u.LockedUntil) {
		a.failed(r, p, "account locked")
		w.Header().Set("Retry-After", strconv.Itoa(int(u.LockedUntil.Sub(now).Seconds())+1))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("this account is locked after repeated failed sign-ins; try again after %s",
			local(u.LockedUntil)), nil)
		return
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, in.Password)
	if err != nil {
		a.logger.Error("a stored password hash is unreadable", "user", u.Username, "error", err)
	}
	if !ok {
		a.wrong(w, r, p, "wrong password")
		return
	}
	if u.TOTPSecret != nil {
		if strings.TrimSpace(in.TOTP) == "" {
			a.gate.logins.WithLabelValues("second_factor").Inc()
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "enter the code from your authenticator app", "totp_required": true})
			return
		}
		step, ok := auth.VerifyTOTP(u.TOTPSecret, in.TOTP, now, u.TOTPLastStep)
		if ok {
			ok, err = a.id.UseTOTPStep(ctx, u.ID, step)
			if err != nil {
				a.gate.internal(w, err)
				return
			}
		}
		if !ok {
			a.wrong(w, r, p, "wrong or reused second-factor code")
			return
		}
	}
	if err := a.id.LoginSucceeded(ctx, u.ID); err != nil {
		a.gate.internal(w, err)
		return
	}
	if auth.NeedsRehash(u.PasswordHash, a.gate.cfg.Hasher) {
		if h, err := a.gate.cfg.Hasher.Hash(in.Password); err == nil {
			a.id.SetPassword(ctx, u.ID, h, u.MustChange, u.PasswordChanged)
		}
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.id.DeleteSession(ctx, hashSecret(c.Value))
	}
	if !a.start(w, r, p) {
		return
	}
	a.gate.logins.WithLabelValues("ok").Inc()
	a.record(r, p, evidence.ActionLogin, "")
	writeJSON(w, http.StatusOK, a.view(p))
}

// wrong counts a failed sign-in of a known user and locks the account at
// the threshold.
func (a *sessionAPI) wrong(w http.ResponseWriter, r *http.Request, p *principal, why string) {
	a.wrongAs(w, r, p, why, http.StatusUnauthorized, badCredentials)
}

func (a *sessionAPI) wrongAs(w http.ResponseWriter, r *http.Request, p *principal, why string, status int, msg string) {
	now := a.gate.now()
	u, err := a.id.LoginFailed(r.Context(), p.user.ID, now, a.gate.cfg.lockFor)
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	a.failed(r, p, fmt.Sprintf("%s (%d in a row)", why, u.FailedLogins))
	if now.Before(u.LockedUntil) {
		a.gate.logins.WithLabelValues("locked").Inc()
		a.record(r, p, evidence.ActionLockedOut, fmt.Sprintf("locked until %s after %d failed sign-ins",
			u.LockedUntil.UTC().Format(time.RFC3339), u.FailedLogins))
	}
	writeError(w, status, msg, nil)
}

// failed logs a failed sign-in; p is nil for a username nobody has (the
// name typed is not kept: it may be a password typed in the wrong box).
func (a *sessionAPI) failed(r *http.Request, p *principal, why string) {
	a.gate.logins.WithLabelValues("failed").Inc()
	if p == nil {
		p = &principal{actor: evidence.ActorUnknownUser}
	}
	a.record(r, p, evidence.ActionLoginFailed, why)
}

// record appends an account event. Sign-in goes on if the log is down
// (the control room must keep working); the failure is in the service log.
func (a *sessionAPI) record(r *http.Request, p *principal, action evidence.Action, detail string) {
	d := "from " + r.RemoteAddr
	if detail != "" {
		d = detail + "; " + d
	}
	role := ""
	if p.roles != nil {
		role = auth.JoinRoles(p.roles)
	}
	if _, err := a.audit.Append(r.Context(), &evidence.Entry{Action: action, Actor: p.actor, Role: role,
		Detail: clip(d, 1000)}); err != nil {
		a.logger.Error("evidence log cannot record an account event", "action", action, "error", err)
	}
}

// start opens a new session for p and sets its cookie.
func (a *sessionAPI) start(w http.ResponseWriter, r *http.Request, p *principal) bool {
	now := a.gate.now()
	id, csrf := randomToken(), randomToken()
	se := store.Session{IDHash: hashSecret(id), UserID: p.user.ID, CSRF: csrf, Created: now, Seen: now,
		Expires: now.Add(a.gate.cfg.SessionMax), Remote: r.RemoteAddr}
	if err := a.id.CreateSession(r.Context(), se); err != nil {
		a.gate.internal(w, err)
		return false
	}
	p.session = &se
	// Max-Age, not Expires: the browser counts the session's life from
	// its own clock, which need not agree with the server's.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: a.gate.cfg.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: int(a.gate.cfg.SessionMax / time.Second)})
	return true
}

func (a *sessionAPI) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: a.gate.cfg.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// who signed in: machines with tokens have no session to look at.
func (a *sessionAPI) person(w http.ResponseWriter, r *http.Request) (*principal, bool) {
	p := who(r)
	if p.session == nil {
		writeError(w, http.StatusBadRequest, "an API token has no session; this is for people signed in", nil)
		return nil, false
	}
	return p, true
}

func (a *sessionAPI) get(w http.ResponseWriter, r *http.Request) {
	if p, ok := a.person(w, r); ok {
		writeJSON(w, http.StatusOK, a.view(p))
	}
}

func (a *sessionAPI) logout(w http.ResponseWriter, r *http.Request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	if err := a.id.DeleteSession(r.Context(), p.session.IDHash); err != nil {
		a.gate.internal(w, err)
		return
	}
	a.gate.endLogin(p)
	a.clearCookie(w)
	a.record(r, p, evidence.ActionLogout, "")
	w.WriteHeader(http.StatusNoContent)
}

func (a *sessionAPI) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	n, err := a.id.DeleteUserSessions(r.Context(), p.user.ID)
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	a.clearCookie(w)
	a.record(r, p, evidence.ActionLogout, fmt.Sprintf("everywhere: %d sessions ended", n))
	writeJSON(w, http.StatusOK, map[string]int{"sessions_ended": n})
}

type passwordInput struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// changePassword sets a new password. Every session of the user ends and
// this one is replaced by a fresh one.
func (a *sessionAPI) changePassword(w http.ResponseWriter, r *http.Request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	var in passwordInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if !a.checkPassword(w, r, p, in.Current) {
		return
	}
	if in.New == in.Current {
		writeError(w, http.StatusUnprocessableEntity, "new_password: must differ from the current one", nil)
		return
	}
	if err := auth.CheckPasswordRules(in.New, p.user.Username); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "new_"+err.Error(), nil)
		return
	}
	hash, err := a.gate.cfg.Hasher.Hash(in.New)
	if err == nil {
		err = a.id.SetPassword(r.Context(), p.user.ID, hash, false, a.gate.now())
	}
	if err == nil {
		_, err = a.id.DeleteUserSessions(r.Context(), p.user.ID)
	}
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	p.user.MustChange = false
	if !a.start(w, r, p) {
		return
	}
	a.record(r, p, evidence.ActionPasswordChanged, "by the user; other sessions ended")
	writeJSON(w, http.StatusOK, a.view(p))
}

// checkPassword re-checks the current password before a change to the
// account; failures count towards the lockout like a sign-in.
func (a *sessionAPI) checkPassword(w http.ResponseWriter, r *http.Request, p *principal, password string) bool {
	if ok, _ := auth.VerifyPassword(p.user.PasswordHash, password); ok {
		return true
	}
	// Not 401: the session is fine, only the password typed is wrong.
	a.wrongAs(w, r, p, "wrong current password", http.StatusUnprocessableEntity, "current_password: wrong password")
	return false
}

func (a *sessionAPI) enrolTOTP(w http.ResponseWriter, r *http.Request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	secret := auth.NewTOTPSecret()
	if err := a.id.SetTOTP(r.Context(), p.user.ID, p.user.TOTPSecret, secret); err != nil {
		a.gate.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"secret":      auth.TOTPSecretText(secret),
		"otpauth_url": auth.TOTPURL("Vigil", p.user.Username, secret),
		"next":        "POST /api/v1/session/totp/confirm with a code from the app to switch it on",
	})
}

type codeInput struct {
	Code string `json:"code"`
}

func (a *sessionAPI) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	var in codeInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if p.user.TOTPPending == nil {
		writeError(w, http.StatusConflict, "no second factor is being set up: POST /api/v1/session/totp first", nil)
		return
	}
	step, ok := auth.VerifyTOTP(p.user.TOTPPending, in.Code, a.gate.now(), p.user.TOTPLastStep)
	if ok {
		var err error
		if ok, err = a.id.UseTOTPStep(r.Context(), p.user.ID, step); err != nil {
			a.gate.internal(w, err)
			return
		}
	}
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "code: wrong or already used; check the time on your phone", nil)
		return
	}
	if err := a.id.SetTOTP(r.Context(), p.user.ID, p.user.TOTPPending, nil); err != nil {
		a.gate.internal(w, err)
		return
	}
	a.record(r, p, evidence.ActionSecondFactor, "second factor switched on")
	writeJSON(w, http.StatusOK, map[string]bool{"totp_enabled": true})
}

func (a *sessionAPI) removeTOTP(w http.ResponseWriter, r *http.Request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if !a.checkPassword(w, r, p, in.Password) {
		return
	}
	if err := a.id.SetTOTP(r.Context(), p.user.ID, nil, nil); err != nil {
		a.gate.internal(w, err)
		return
	}
	a.record(r, p, evidence.ActionSecondFactor, "second factor switched off by the user")
	writeJSON(w, http.StatusOK, map[string]bool{"totp_enabled": false})
}

// EnsureFirstAdmin creates the first administrator when there are no
// users, with a random password that must be changed at first sign-in. It
// returns the password ("" when users already exist): show it once.
func EnsureFirstAdmin(ctx context.Context, id Identity, h auth.Hasher) (username, password string, err error) {
	users, err := id.Users(ctx)
	if err != nil || len(users) > 0 {
		return "", "", err
	}
	username = "admin"
	password = auth.RandomPasswordFor(username)
	hash, err := h.Hash(password)
	if err != nil {
		return "", "", err
	}
	u := store.User{Username: username, DisplayName: "First administrator", Roles: string(auth.Admin),
		PasswordHash: hash, MustChange: true, CreatedBy: "system:first-start"}
	if err := id.CreateUser(ctx, &u); err != nil {
		return "", "", err
	}
	return username, password, nil
}
