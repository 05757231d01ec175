package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/ratelog"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// Identity is what sign-in needs of the store (*store.Store).
type Identity interface {
	CreateUser(ctx context.Context, u *store.User) error
	UserByName(ctx context.Context, username string) (store.User, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	Users(ctx context.Context) ([]store.User, error)
	SetPassword(ctx context.Context, id int64, hash string, mustChange bool, now time.Time) error
	SetUserAccess(ctx context.Context, id int64, displayName, roles, scope string, disabled bool) error
	SetTOTP(ctx context.Context, id int64, secret, pending []byte) error
	UseTOTPStep(ctx context.Context, id int64, step int64) (bool, error)
	LoginFailed(ctx context.Context, id int64, now time.Time, lockFor func(failures int) time.Duration) (store.User, error)
	LoginSucceeded(ctx context.Context, id int64) error

	CreateSession(ctx context.Context, se store.Session) error
	SessionByHash(ctx context.Context, idHash []byte) (store.Session, error)
	TouchSession(ctx context.Context, idHash []byte, seen time.Time) error
	DeleteSession(ctx context.Context, idHash []byte) error
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)

	CreateToken(ctx context.Context, t *store.APIToken) error
	TokenByHash(ctx context.Context, hash []byte) (store.APIToken, error)
	Tokens(ctx context.Context) ([]store.APIToken, error)
	RevokeToken(ctx context.Context, id int64, now time.Time) (store.APIToken, error)
	TouchToken(ctx context.Context, id int64, now time.Time) error

	// Grants are a police officer's approved export requests still in force.
	Grants(ctx context.Context, username string, now time.Time) ([]store.ExportRequest, error)
}

// AuthConfig sets the sign-in rules. Zero fields take the defaults.
type AuthConfig struct {
	SessionIdle time.Duration // 30 min without a request ends a session
	SessionMax  time.Duration // 12 h (a shift) ends it whatever the activity
	// LockAfter failed sign-ins in a row lock the account for LockFor,
	// doubled for each further failure up to LockMax.
	LockAfter int           // 5
	LockFor   time.Duration // 1 min
	LockMax   time.Duration // 1 h
	// SecureCookies marks the session cookie Secure (set whenever the
	// server speaks TLS).
	SecureCookies bool
	Hasher        auth.Hasher
}

func (c *AuthConfig) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(&c.SessionIdle, 30*time.Minute)
	set(&c.SessionMax, 12*time.Hour)
	set(&c.LockFor, time.Minute)
	set(&c.LockMax, time.Hour)
	if c.LockAfter == 0 {
		c.LockAfter = 5
	}
}

// lockFor is the back-off: nothing before the threshold, then LockFor
// doubling per further failure, at most LockMax.
func (c *AuthConfig) lockFor(failures int) time.Duration {
	if failures < c.LockAfter {
		return 0
	}
	d := c.LockFor
	for i := c.LockAfter; i < failures && d < c.LockMax; i++ {
		d *= 2
	}
	return min(d, c.LockMax)
}

const (
	sessionCookie = "vigil_session"
	csrfHeader    = "X-CSRF-Token"
	tokenPrefix   = "vgt_"
	// touchEvery bounds the writes that keep a session alive.
	touchEvery = 30 * time.Second
)

// principal is who is making a request: a person signed in with a session
// or a machine with an API token.
type principal struct {
	user    store.User
	roles   []auth.Role
	scope   auth.Scope
	session *store.Session
	token   *store.APIToken
	scopes  []auth.Permission // a token's
	// actor is the evidence-log actor: a person's pseudonym or "token:NAME".
	actor string
	// role is the role that let this request through ("" on self-service
	// routes and for tokens).
	role auth.Role
	// grants are a police officer's viewing grants, loaded when the
	// request came in through one.
	grants   []store.ExportRequest
	viaGrant bool
}

// name is the username or token name, for the service log and records.
func (p *principal) name() string {
	if p.token != nil {
		return "token:" + p.token.Name
	}
	return p.user.Username
}

// can reports the first of p's roles that grants perm.
func (p *principal) can(perm auth.Permission) (auth.Role, bool) {
	if p.token != nil {
		return "", slices.Contains(p.scopes, perm)
	}
	for _, r := range p.roles {
		if r.Has(perm) {
			return r, true
		}
	}
	return "", false
}

// mayAny reports whether p holds any of perms.
func (p *principal) mayAny(perms ...auth.Permission) bool {
	for _, perm := range perms {
		if _, ok := p.can(perm); ok {
			return true
		}
	}
	return false
}

// has reports whether p holds role r.
func (p *principal) has(r auth.Role) bool { return slices.Contains(p.roles, r) }

// allows reports whether a camera is in p's scope: a police officer's
// scope is the cameras of their grants.
func (p *principal) allows(c store.Camera) bool {
	if p.viaGrant {
		for _, g := range p.grants {
			if slices.Contains(g.Cameras, c.ID) {
				return true
			}
		}
		return false
	}
	return p.scope.Allows(c.ID, c.Site, c.Ward)
}

// covers reports whether p may see a camera's footage over [from,to): in
// scope, and for police inside one grant.
func (p *principal) covers(camera string, from, to time.Time) bool {
	if !p.viaGrant {
		return true // scope was checked by the gate
	}
	for _, g := range p.grants {
		if g.Covers(camera, from, to) {
			return true
		}
	}
	return false
}

type principalKey struct{}

// who returns the principal the gate let through. Routes that are not
// public always have one.
func who(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	return p
}

// access says who may call a route.
type access struct {
	// public routes need no sign-in (health, sign-in itself, the log's key).
	public bool
	// self routes are for any signed-in person, even one who must change
	// their password first (their session, password and second factor).
	self bool
	// perms: any one of them lets a request through, tried in order.
	perms []auth.Permission
	// camera: the {id} path value is a camera that must be in scope.
	camera bool
}

func allow(perms ...auth.Permission) access { return access{perms: perms} }

// gate authenticates every request and checks it against its route's
// access before the handler runs. A refusal is logged: 403s in the
// evidence log (a person tried to reach what they may not), 401s in the
// service log and metrics only, since anyone can send those.
type gate struct {
	id      Identity
	cameras Cameras
	audit   Audit
	people  People
	cfg     AuthConfig
	now     func() time.Time
	logger  *slog.Logger

	refused *prometheus.CounterVec
	logins  *prometheus.CounterVec
	// onLoginEnd ends what hangs on a sign-in (live views); may be nil.
	onLoginEnd func(key string)
	// nodes forwards requests to the node that can answer them (nil on a
	// single node).
	nodes Nodes

	// warns: a scanner hammering the API must not flood the log.
	warns ratelog.Logger
}

func newGate(s *Server) *gate {
	cfg := s.Auth
	cfg.defaults()
	g := &gate{id: s.Identity, cameras: s.Cameras, audit: s.Audit, people: s.People, cfg: cfg, now: s.Now, logger: s.Logger, nodes: s.Nodes,
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_http_refused_total",
			Help: "Requests refused by sign-in or access rules, by status (401, 403)."}, []string{"status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_auth_logins_total",
			Help: "Sign-in attempts by result (ok, failed, locked, second_factor)."}, []string{"result"}),
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.warns = ratelog.Logger{Logger: g.logger, Now: g.now}
	if s.Registerer != nil {
		g.refused = register(s.Registerer, g.refused)
		g.logins = register(s.Registerer, g.logins)
	}
	return g
}

// register registers c, or returns the collector already registered in
// its place (Handler and Routes may both build the routes).
func register[C prometheus.Collector](r prometheus.Registerer, c C) C {
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
		panic(err)
	}
	return c
}

// wrap puts the gate in front of a route's handler.
func (g *gate) wrap(pattern string, a access, h http.HandlerFunc) http.HandlerFunc {
	if a.public {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		p, why := g.authenticate(r)
		if p == nil {
			g.unauthorized(w, r, why)
			return
		}
		if p.session != nil && !safeMethod(r.Method) &&
			subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(p.session.CSRF)) != 1 {
			g.forbid(w, r, p, pattern, "the "+csrfHeader+" header is missing or wrong (read it from GET /api/v1/session)")
			return
		}
		if p.user.MustChange && !a.self {
			g.forbid(w, r, p, pattern, "change your password first: POST /api/v1/session/password")
			return
		}
		if !a.self {
			var perm auth.Permission
			ok := false
			for _, perm = range a.perms {
				if p.role, ok = p.can(perm); ok {
					break
				}
			}
			if !ok {
				g.forbid(w, r, p, pattern, "your roles ("+p.rolesText()+") do not allow this")
				return
			}
			if perm == auth.FootageGranted {
				grants, err := g.id.Grants(r.Context(), p.user.Username, g.now())
				if err != nil {
					g.internal(w, err)
					return
				}
				p.grants, p.viaGrant = grants, true
			}
		}
		if a.camera {
			c, err := g.cameras.Get(r.Context(), r.PathValue("id"))
			switch {
			case errors.Is(err, store.ErrNotFound) && p.scope.All() && !p.viaGrant:
				// Nothing to hide from someone who may see every camera:
				// the handler answers 404.
			case err != nil && !errors.Is(err, store.ErrNotFound):
				g.internal(w, err)
				return
			case err != nil || !p.allows(c):
				g.forbid(w, r, p, pattern, "camera "+r.PathValue("id")+" is outside your scope")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (p *principal) rolesText() string {
	if p.token != nil {
		return "token scopes " + auth.JoinPermissions(p.scopes)
	}
	return auth.JoinRoles(p.roles)
}

// authenticate finds the principal from a bearer token or the session
// cookie; nil and why not otherwise.
func (g *gate) authenticate(r *http.Request) (*principal, string) {
	ctx, now := r.Context(), g.now()
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(secret, tokenPrefix) {
			return nil, "the Authorization header must be \"Bearer " + tokenPrefix + "...\""
		}
		t, err := g.id.TokenByHash(ctx, hashSecret(secret))
		switch {
		case err != nil:
			return nil, "unknown API token"
		case !t.Revoked.IsZero():
			return nil, "the API token " + t.Name + " was revoked"
		case !now.Before(t.Expires):
			return nil, "the API token " + t.Name + " has expired"
		}
		scopes, err := auth.ParseScopes(t.Scopes)
		if err != nil {
			return nil, "the API token " + t.Name + " has no valid scopes"
		}
		if now.Sub(t.LastUsed) > touchEvery {
			g.id.TouchToken(ctx, t.ID, now)
		}
		return &principal{token: &t, scopes: scopes, actor: "token:" + t.Name}, ""
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, "sign in first: POST /api/v1/session"
	}
	hash := hashSecret(c.Value)
	se, err := g.id.SessionByHash(ctx, hash)
	if err != nil {
		return nil, "your session has ended; sign in again"
	}
	if !now.Before(se.Expires) || now.Sub(se.Seen) >= g.cfg.SessionIdle {
		g.id.DeleteSession(ctx, hash)
		return nil, "your session has expired; sign in again"
	}
	u, err := g.id.UserByID(ctx, se.UserID)
	if err != nil || u.Disabled {
		g.id.DeleteSession(ctx, hash)
		return nil, "your account is disabled"
	}
	p, err := g.principalFor(ctx, u)
	if err != nil {
		g.logger.Error("cannot load a signed-in user", "user", u.Username, "error", err)
		return nil, "your account cannot be loaded; ask an administrator"
	}
	p.session = &se
	if now.Sub(se.Seen) > touchEvery {
		g.id.TouchSession(ctx, hash, now)
	}
	return p, ""
}

// principalFor loads a person's roles, scope and evidence-log pseudonym.
func (g *gate) principalFor(ctx context.Context, u store.User) (*principal, error) {
	roles, err := auth.ParseRoles(u.Roles)
	if err != nil {
		return nil, err
	}
	scope, err := auth.ParseScope(u.Scope)
	if err != nil {
		return nil, err
	}
	actor, err := g.people.Pseudonym(ctx, u.Username)
	if err != nil {
		return nil, err
	}
	return &principal{user: u, roles: roles, scope: scope, actor: actor}, nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func (g *gate) unauthorized(w http.ResponseWriter, r *http.Request, why string) {
	g.refused.WithLabelValues("401").Inc()
	g.warns.Warn("request refused: not signed in", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "why", why)
	w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
	writeError(w, http.StatusUnauthorized, why, nil)
}

// forbid refuses a signed-in principal and logs it in the evidence log:
// attempts to reach footage or functions beyond one's role are what a
// data-protection officer asks about.
func (g *gate) forbid(w http.ResponseWriter, r *http.Request, p *principal, pattern, why string) {
	g.forbidCamera(w, r, p, pattern, cameraOf(r, pattern), why)
}

// forbidCamera is forbid for a camera the route does not name in its path
// (a hold's, an export's), so that the audit finds the refusal by camera.
func (g *gate) forbidCamera(w http.ResponseWriter, r *http.Request, p *principal, pattern, camera, why string) {
	g.refused.WithLabelValues("403").Inc()
	g.logger.Warn("request refused", "who", p.name(), "method", r.Method, "route", pattern, "why", why)
	_, err := g.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionAccessDenied, Actor: p.actor,
		Role: p.rolesText(), Camera: clip(camera, 64), Ref: pattern, Detail: clip(why+"; from "+r.RemoteAddr, 500)})
	if err != nil {
		g.logger.Error("evidence log cannot record a refusal", "error", err)
	}
	writeError(w, http.StatusForbidden, why, nil)
}

// cameraOf is the camera a route's {id} names, if the route is a camera's.
func cameraOf(r *http.Request, pattern string) string {
	if strings.Contains(pattern, "/cameras/{id}") {
		return clip(r.PathValue("id"), 64)
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (g *gate) internal(w http.ResponseWriter, err error) {
	g.logger.Error("access check failed", "error", err)
	writeError(w, http.StatusInternalServerError, "internal error; see the service log", nil)
}

// footageAllowed checks the time range of a police officer's request to
// footage against their grants; it answers 403 (and logs it) if outside.
func (g *gate) footageAllowed(w http.ResponseWriter, r *http.Request, camera string, from, to time.Time) bool {
	p := who(r)
	if p.covers(camera, from, to) {
		return true
	}
	g.forbidCamera(w, r, p, r.Pattern, camera, fmt.Sprintf("your grants do not cover camera %s from %s to %s",
		camera, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)))
	return false
}

// visible reports whether a camera is in the caller's scope; a camera
// since removed is visible only to those who see every camera.
func (g *gate) visible(r *http.Request, camera string) bool {
	p := who(r)
	c, err := g.cameras.Get(r.Context(), camera)
	if err != nil {
		return p.scope.All()
	}
	return p.allows(c)
}

// inScope answers 403 (logged) for a camera outside the caller's scope.
func (g *gate) inScope(w http.ResponseWriter, r *http.Request, camera string) bool {
	if g.visible(r, camera) {
		return true
	}
	g.forbidCamera(w, r, who(r), r.Pattern, camera, "camera "+camera+" is outside your scope")
	return false
}

// endLogin ends at once what hangs on a sign-in that ends (live views).
// Sign-ins that end other ways (expiry, a password change, a disabled
// account) are caught by the live sweeper within seconds.
func (g *gate) endLogin(p *principal) {
	if g.onLoginEnd != nil {
		g.onLoginEnd(loginKey(p))
	}
}
