package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// userAPI manages people and machine tokens. An admin manages everyone; a
// supervisor only operators (users whose one role is operator).
type userAPI struct {
	id      Identity
	cameras Cameras
	audit   Audit
	people  People
	gate    *gate
	logger  *slog.Logger
}

func (a *userAPI) routes(rt *router) {
	rt.handle("GET /api/v1/users", allow(auth.UsersManage), a.list)
	rt.handle("POST /api/v1/users", allow(auth.UsersManage), a.create)
	rt.handle("GET /api/v1/users/{name}", allow(auth.UsersManage), a.get)
	rt.handle("PATCH /api/v1/users/{name}", allow(auth.UsersManage), a.patch)
	rt.handle("POST /api/v1/users/{name}/password-reset", allow(auth.UsersManage), a.resetPassword)
	rt.handle("POST /api/v1/users/{name}/logout-everywhere", allow(auth.UsersManage), a.logoutEverywhere)
	rt.handle("POST /api/v1/users/{name}/totp-reset", allow(auth.UsersManage), a.resetTOTP)
	rt.handle("GET /api/v1/tokens", allow(auth.TokensManage), a.tokens)
	rt.handle("POST /api/v1/tokens", allow(auth.TokensManage), a.createToken)
	rt.handle("DELETE /api/v1/tokens/{id}", allow(auth.TokensManage), a.revokeToken)
}

type userJSON struct {
	Username     string     `json:"username"`
	DisplayName  string     `json:"display_name"`
	Roles        []string   `json:"roles"`
	Scope        auth.Scope `json:"scope"`
	Disabled     bool       `json:"disabled"`
	MustChange   bool       `json:"must_change_password"`
	TOTPEnabled  bool       `json:"totp_enabled"`
	FailedLogins int        `json:"failed_logins"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
	Created      time.Time  `json:"created"`
	CreatedBy    string     `json:"created_by"`
	// TemporaryPassword is shown once, on creation and reset.
	TemporaryPassword string `json:"temporary_password,omitempty"`
}

func viewUser(u store.User) userJSON {
	roles, _ := auth.ParseRoles(u.Roles)
	scope, _ := auth.ParseScope(u.Scope)
	names := []string{}
	for _, r := range roles {
		names = append(names, string(r))
	}
	return userJSON{Username: u.Username, DisplayName: u.DisplayName, Roles: names, Scope: scope, Disabled: u.Disabled,
		MustChange: u.MustChange, TOTPEnabled: u.TOTPSecret != nil, FailedLogins: u.FailedLogins,
		LockedUntil: opt(u.LockedUntil), Created: u.Created, CreatedBy: u.CreatedBy}
}

type userInput struct {
	Username    *string     `json:"username"`
	DisplayName *string     `json:"display_name"`
	Roles       []string    `json:"roles"`
	Scope       *auth.Scope `json:"scope"`
	Disabled    *bool       `json:"disabled"`
}

func (a *userAPI) list(w http.ResponseWriter, r *http.Request) {
	users, err := a.id.Users(r.Context())
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	out := []userJSON{}
	for _, u := range users {
		out = append(out, viewUser(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// target loads the {name} user, answering 404 itself.
func (a *userAPI) target(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	u, err := a.id.UserByName(r.Context(), r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such user", nil)
		return u, false
	}
	if err != nil {
		a.gate.internal(w, err)
		return u, false
	}
	return u, true
}

// mayManage enforces that a supervisor manages operators only: both the
// user as they are and as they would become.
func (a *userAPI) mayManage(w http.ResponseWriter, r *http.Request, roleLists ...string) bool {
	p := who(r)
	if p.has(auth.Admin) {
		return true
	}
	for _, rl := range roleLists {
		if rl != string(auth.Operator) {
			a.gate.forbid(w, r, p, r.Pattern, "a supervisor manages operators only; ask an administrator")
			return false
		}
	}
	return true
}

// scopeWithin refuses a scope wider than the manager's own: a supervisor
// limited to some cameras cannot hand out more (an administrator can).
func (a *userAPI) scopeWithin(w http.ResponseWriter, r *http.Request, s *auth.Scope) bool {
	p := who(r)
	if p.has(auth.Admin) || p.scope.All() {
		return true
	}
	ok := s != nil && !s.All()
	if ok {
		for _, site := range s.Sites {
			ok = ok && slices.Contains(p.scope.Sites, site)
		}
		for _, ward := range s.Wards {
			ok = ok && slices.Contains(p.scope.Wards, ward)
		}
		for _, id := range s.Cameras {
			c, err := a.cameras.Get(r.Context(), id)
			ok = ok && err == nil && p.allows(c)
		}
	}
	if !ok {
		a.gate.forbid(w, r, p, r.Pattern, "you can give only a camera scope within your own")
	}
	return ok
}

func (a *userAPI) get(w http.ResponseWriter, r *http.Request) {
	if u, ok := a.target(w, r); ok {
		writeJSON(w, http.StatusOK, viewUser(u))
	}
}

// create adds a user with a temporary password, shown once, that must be
// changed at first sign-in.
func (a *userAPI) create(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if in.Username == nil || !store.ValidUsername(*in.Username) {
		writeError(w, http.StatusUnprocessableEntity, "username: 2-64 lower-case letters, digits, . _ - is required", nil)
		return
	}
	roles, err := auth.ParseRoles(strings.Join(in.Roles, ","))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error(), nil)
		return
	}
	if !a.mayManage(w, r, auth.JoinRoles(roles)) || !a.scopeWithin(w, r, in.Scope) {
		return
	}
	u := store.User{Username: *in.Username, Roles: auth.JoinRoles(roles), MustChange: true, CreatedBy: who(r).user.Username,
		Created: a.gate.now()}
	if in.DisplayName != nil {
		u.DisplayName = clip(strings.TrimSpace(*in.DisplayName), 200)
	}
	if in.Scope != nil {
		u.Scope = in.Scope.Text()
	}
	password := auth.RandomPasswordFor(u.Username)
	if u.PasswordHash, err = a.gate.cfg.Hasher.Hash(password); err != nil {
		a.gate.internal(w, err)
		return
	}
	if err := a.id.CreateUser(r.Context(), &u); err != nil {
		if errors.Is(err, store.ErrExists) {
			writeError(w, http.StatusConflict, "username "+u.Username+" is taken", nil)
			return
		}
		a.gate.internal(w, err)
		return
	}
	a.changed(r, u, fmt.Sprintf("user created with roles %s, scope %s", u.Roles, scopeText(u.Scope)))
	v := viewUser(u)
	v.TemporaryPassword = password
	w.Header().Set("Location", "/api/v1/users/"+u.Username)
	writeJSON(w, http.StatusCreated, v)
}

func scopeText(s string) string {
	if s == "" {
		return "all cameras"
	}
	return s
}

// patch changes a user's name, roles, scope or disabled state. Disabling
// ends their sessions; nobody can remove the last active administrator.
func (a *userAPI) patch(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	u, ok := a.target(w, r)
	if !ok {
		return
	}
	if in.Username != nil && *in.Username != u.Username {
		writeError(w, http.StatusBadRequest, "username: cannot change; create a new user", nil)
		return
	}
	next := u
	if in.Roles != nil {
		roles, err := auth.ParseRoles(strings.Join(in.Roles, ","))
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, err.Error(), nil)
			return
		}
		next.Roles = auth.JoinRoles(roles)
	}
	if in.DisplayName != nil {
		next.DisplayName = clip(strings.TrimSpace(*in.DisplayName), 200)
	}
	if in.Scope != nil {
		next.Scope = in.Scope.Text()
	}
	if in.Disabled != nil {
		next.Disabled = *in.Disabled
	}
	if !a.mayManage(w, r, u.Roles, next.Roles) || !a.keepsAnAdmin(w, r, u, next) ||
		next.Scope != u.Scope && !a.scopeWithin(w, r, in.Scope) {
		return
	}
	if err := a.id.SetUserAccess(r.Context(), u.ID, next.DisplayName, next.Roles, next.Scope, next.Disabled); err != nil {
		a.gate.internal(w, err)
		return
	}
	if next.Disabled || next.Roles != u.Roles || next.Scope != u.Scope {
		// New rights take effect at once: old sessions carried the old ones.
		if _, err := a.id.DeleteUserSessions(r.Context(), u.ID); err != nil {
			a.gate.internal(w, err)
			return
		}
	}
	a.changed(r, next, fmt.Sprintf("roles %s -> %s; scope %s -> %s; disabled %t -> %t; sessions ended if changed",
		u.Roles, next.Roles, scopeText(u.Scope), scopeText(next.Scope), u.Disabled, next.Disabled))
	writeJSON(w, http.StatusOK, viewUser(next))
}

// keepsAnAdmin refuses a change that would leave no active administrator.
func (a *userAPI) keepsAnAdmin(w http.ResponseWriter, r *http.Request, before, after store.User) bool {
	isAdmin := func(u store.User) bool {
		roles, _ := auth.ParseRoles(u.Roles)
		return !u.Disabled && slices.Contains(roles, auth.Admin)
	}
	if !isAdmin(before) || isAdmin(after) {
		return true
	}
	users, err := a.id.Users(r.Context())
	if err != nil {
		a.gate.internal(w, err)
		return false
	}
	for _, u := range users {
		if u.ID != before.ID && isAdmin(u) {
			return true
		}
	}
	writeError(w, http.StatusConflict, "this is the last active administrator; make another one first", nil)
	return false
}

func (a *userAPI) resetPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := a.target(w, r)
	if !ok || !a.mayManage(w, r, u.Roles) {
		return
	}
	password := auth.RandomPasswordFor(u.Username)
	hash, err := a.gate.cfg.Hasher.Hash(password)
	if err == nil {
		err = a.id.SetPassword(r.Context(), u.ID, hash, true, a.gate.now())
	}
	if err == nil {
		_, err = a.id.DeleteUserSessions(r.Context(), u.ID)
	}
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	a.changed(r, u, "password reset by an administrator; must change at next sign-in; lockout cleared; sessions ended")
	u.MustChange, u.FailedLogins, u.LockedUntil = true, 0, time.Time{}
	v := viewUser(u)
	v.TemporaryPassword = password
	writeJSON(w, http.StatusOK, v)
}

func (a *userAPI) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	u, ok := a.target(w, r)
	if !ok || !a.mayManage(w, r, u.Roles) {
		return
	}
	n, err := a.id.DeleteUserSessions(r.Context(), u.ID)
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	a.changed(r, u, fmt.Sprintf("signed out everywhere by an administrator: %d sessions ended", n))
	writeJSON(w, http.StatusOK, map[string]int{"sessions_ended": n})
}

// resetTOTP clears a lost second factor; the user enrols again.
func (a *userAPI) resetTOTP(w http.ResponseWriter, r *http.Request) {
	u, ok := a.target(w, r)
	if !ok || !a.mayManage(w, r, u.Roles) {
		return
	}
	if err := a.id.SetTOTP(r.Context(), u.ID, nil, nil); err != nil {
		a.gate.internal(w, err)
		return
	}
	a.changed(r, u, "second factor removed by an administrator")
	u.TOTPSecret = nil
	writeJSON(w, http.StatusOK, viewUser(u))
}

// changed logs a change to a user: the user appears by pseudonym only.
func (a *userAPI) changed(r *http.Request, u store.User, detail string) {
	p := who(r)
	target, err := a.people.Pseudonym(r.Context(), u.Username)
	if err == nil {
		_, err = a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionUserChanged, Actor: p.actor,
			Role: string(p.role), Ref: "user/" + target, Detail: clip(detail, 1000)})
	}
	if err != nil {
		a.logger.Error("evidence log cannot record a user change", "user", u.Username, "error", err)
	}
}

type tokenJSON struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	Expires   time.Time  `json:"expires"`
	Created   time.Time  `json:"created"`
	CreatedBy string     `json:"created_by"`
	Revoked   *time.Time `json:"revoked,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	// Token is the secret, shown once on creation.
	Token string `json:"token,omitempty"`
}

func viewToken(t store.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Scopes: strings.Split(t.Scopes, ","), Expires: t.Expires, Created: t.Created,
		CreatedBy: t.CreatedBy, Revoked: opt(t.Revoked), LastUsed: opt(t.LastUsed)}
}

func (a *userAPI) tokens(w http.ResponseWriter, r *http.Request) {
	list, err := a.id.Tokens(r.Context())
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	out := []tokenJSON{}
	for _, t := range list {
		out = append(out, viewToken(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

const maxTokenDays = 366

// createToken makes a machine token with scopes and an expiry (required:
// a token nobody remembers must not live for ever).
func (a *userAPI) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name          string   `json:"name"`
		Scopes        []string `json:"scopes"`
		ExpiresInDays int      `json:"expires_in_days"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	scopes, err := auth.ParseScopes(strings.Join(in.Scopes, ","))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error(), nil)
		return
	}
	if in.ExpiresInDays < 1 || in.ExpiresInDays > maxTokenDays {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("expires_in_days: from 1 to %d is required", maxTokenDays), nil)
		return
	}
	secret := tokenPrefix + randomToken()
	now := a.gate.now()
	t := store.APIToken{Name: in.Name, Hash: hashSecret(secret), Scopes: auth.JoinPermissions(scopes),
		Expires: now.Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour), Created: now, CreatedBy: who(r).user.Username}
	if err := a.id.CreateToken(r.Context(), &t); err != nil {
		var fe store.FieldErrors
		switch {
		case errors.As(err, &fe):
			writeError(w, http.StatusUnprocessableEntity, err.Error(), err)
		case errors.Is(err, store.ErrExists):
			writeError(w, http.StatusConflict, "a token named "+t.Name+" exists; revoke it or pick another name", nil)
		default:
			a.gate.internal(w, err)
		}
		return
	}
	a.tokenChanged(r, t, "created with scopes "+t.Scopes+", expires "+t.Expires.UTC().Format(time.RFC3339))
	v := viewToken(t)
	v.Token = secret
	writeJSON(w, http.StatusCreated, v)
}

func (a *userAPI) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such token", nil)
		return
	}
	t, err := a.id.RevokeToken(r.Context(), id, a.gate.now())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such token", nil)
		return
	}
	if err != nil {
		a.gate.internal(w, err)
		return
	}
	a.tokenChanged(r, t, "revoked")
	writeJSON(w, http.StatusOK, viewToken(t))
}

func (a *userAPI) tokenChanged(r *http.Request, t store.APIToken, detail string) {
	p := who(r)
	if _, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionTokenChanged, Actor: p.actor,
		Role: string(p.role), Ref: "token/" + t.Name, Detail: detail}); err != nil {
		a.logger.Error("evidence log cannot record a token change", "token", t.Name, "error", err)
	}
}
