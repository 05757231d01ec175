package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a person does in the control room. A user may hold several.
type Role string

// The roles. Footage is seen only through operator, supervisor or (for
// their own approved requests) police; admin alone sees none.
const (
	Operator   Role = "operator"
	Supervisor Role = "supervisor"
	Police     Role = "police"
	BJAG       Role = "bjag"
	Engineer   Role = "engineer"
	Admin      Role = "admin"
)

// Roles lists every role, in the order the README's matrix shows them.
var Roles = []Role{Operator, Supervisor, Police, BJAG, Engineer, Admin}

// Permission is one thing the server lets a principal do. Routes name the
// permissions that let a request through.
type Permission string

// The permissions.
const (
	// CamerasRead lists cameras and their status (no credentials, no footage).
	CamerasRead Permission = "cameras.read"
	// CamerasManage adds, changes and removes cameras, retention included.
	CamerasManage Permission = "cameras.manage"
	// HealthRead reads camera outages and the recordings index (what was
	// recorded, gaps): no pictures.
	HealthRead Permission = "health.read"
	// FootageView is live view, playback and snapshots of cameras in scope.
	FootageView Permission = "footage.view"
	// FootageGranted is viewing recordings only where an approved export
	// request grants it (police), until the grant expires.
	FootageGranted Permission = "footage.granted"
	// BookmarksWrite marks incidents; BookmarksRead lists them (police read
	// them to base an evidence request on an incident). AlertsAck is for
	// a later issue.
	BookmarksWrite Permission = "bookmarks.write"
	BookmarksRead  Permission = "bookmarks.read"
	AlertsAck      Permission = "alerts.ack"
	HoldsRead      Permission = "holds.read"
	HoldsManage    Permission = "holds.manage"
	// ExportsRequest asks for footage for a crime reference and downloads
	// the approved bundle.
	ExportsRequest Permission = "exports.request"
	ExportsApprove Permission = "exports.approve"
	AuditRead      Permission = "audit.read"
	// UsersManage manages users; a supervisor only operators (checked by
	// the users API), an admin everyone.
	UsersManage  Permission = "users.manage"
	TokensManage Permission = "tokens.manage"
	KeysManage   Permission = "keys.manage"
	MetricsRead  Permission = "metrics.read"
	EvidenceRead Permission = "evidence.read"
	HotspotsRead Permission = "hotspots.read"
	// DeploymentsRead sees mobile camera deployments and the fleet (no
	// footage); DeploymentsRW asks for deployments (BJAG); DeploymentsApprove
	// decides them (approve, schedule, extend, remove); DeploymentsInstall
	// confirms a camera put up or taken down.
	DeploymentsRead    Permission = "deployments.read"
	DeploymentsRW      Permission = "deployments.write"
	DeploymentsApprove Permission = "deployments.approve"
	DeploymentsInstall Permission = "deployments.install"
	// AlertRulesManage decides which unusual activity raises an alert.
	AlertRulesManage Permission = "alerts.rules"
	// PlatesSearch searches number-plate reads (each search logged with its
	// reason) and reads the watch-list; WatchlistManage lists and unlists
	// vehicles.
	// PTZSteer steers a dome from the wall; PTZOverride takes one that
	// someone else holds (issue 11).
	PTZSteer        Permission = "cameras.ptz"
	PTZOverride     Permission = "cameras.ptz_override"
	PlatesSearch    Permission = "anpr.search"
	WatchlistManage Permission = "anpr.watchlist"
)

// matrix is the role x permission table: the one place it is decided.
var matrix = map[Role][]Permission{
	Operator: {CamerasRead, HealthRead, FootageView, BookmarksWrite, BookmarksRead, AlertsAck, EvidenceRead, PlatesSearch,
		DeploymentsRead, PTZSteer},
	Supervisor: {CamerasRead, HealthRead, FootageView, BookmarksWrite, BookmarksRead, AlertsAck, EvidenceRead,
		HoldsRead, HoldsManage, ExportsApprove, AuditRead, UsersManage, AlertRulesManage, PlatesSearch, WatchlistManage,
		DeploymentsRead, DeploymentsApprove, PTZSteer, PTZOverride},
	Police:   {FootageGranted, BookmarksRead, ExportsRequest, EvidenceRead},
	BJAG:     {CamerasRead, HotspotsRead, DeploymentsRead, DeploymentsRW},
	Engineer: {CamerasRead, CamerasManage, HealthRead, MetricsRead, DeploymentsRead, DeploymentsInstall},
	Admin: {CamerasRead, CamerasManage, HealthRead, UsersManage, TokensManage, KeysManage,
		AuditRead, MetricsRead, EvidenceRead},
}

// Has reports whether role r grants p.
func (r Role) Has(p Permission) bool { return slices.Contains(matrix[r], p) }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := matrix[r]; return ok }

// Permissions lists every permission some role grants, sorted.
func Permissions() []Permission {
	var out []Permission
	for _, ps := range matrix {
		for _, p := range ps {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TokenScopes are the permissions an API token may carry: machines read
// health, metrics and the audit; they never see footage or change people.
var TokenScopes = []Permission{CamerasRead, HealthRead, MetricsRead, AuditRead, EvidenceRead, HotspotsRead}

// ParseRoles reads a comma list of roles (as stored and as typed).
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	for _, f := range strings.Split(s, ",") {
		r := Role(strings.TrimSpace(f))
		if r == "" {
			continue
		}
		if !r.Valid() {
			return nil, fmt.Errorf("roles: %q is not a role (one of %s)", r, JoinRoles(Roles))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("roles: at least one of %s is required", JoinRoles(Roles))
	}
	return out, nil
}

// JoinRoles writes roles as a comma list.
func JoinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// ParseScopes reads a comma list of token scopes.
func ParseScopes(s string) ([]Permission, error) {
	var out []Permission
	for _, f := range strings.Split(s, ",") {
		p := Permission(strings.TrimSpace(f))
		if p == "" {
			continue
		}
		if !slices.Contains(TokenScopes, p) {
			return nil, fmt.Errorf("scopes: %q is not a token scope (one of %s)", p, JoinPermissions(TokenScopes))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scopes: at least one of %s is required", JoinPermissions(TokenScopes))
	}
	return out, nil
}

// JoinPermissions writes permissions as a comma list (as tokens store them).
func JoinPermissions(ps []Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

// MatrixMarkdown renders the role x permission table for the README (a
// test keeps the README in step with the code).
func MatrixMarkdown() string {
	var b strings.Builder
	b.WriteString("| permission |")
	for _, r := range Roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|")
	for range Roles {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, p := range Permissions() {
		b.WriteString("| " + string(p) + " |")
		for _, r := range Roles {
			if r.Has(p) {
				b.WriteString(" yes |")
			} else {
				b.WriteString("  |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
