package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// AlertRules are the activity alert rules (*store.Store).
type AlertRules interface {
	ListAlertRules(ctx context.Context) ([]store.AlertRule, error)
	AlertRuleByID(ctx context.Context, id int64) (store.AlertRule, error)
	CreateAlertRule(ctx context.Context, r *store.AlertRule) error
	UpdateAlertRule(ctx context.Context, r store.AlertRule) error
	DeleteAlertRule(ctx context.Context, id int64) error
}

// analyticsSettings reads a camera's zones, which rules name.
type analyticsSettings interface {
	CameraAnalytics(ctx context.Context, camera string) (store.CameraAnalytics, error)
}

type alertRuleAPI struct {
	rules    AlertRules
	settings analyticsSettings
	audit    Audit
	gate     *gate
	logger   *slog.Logger
}

func (a *alertRuleAPI) routes(rt *router) {
	// Operators see which rules raise the alerts they answer; supervisors
	// decide them.
	rt.handle("GET /api/v1/alert-rules", allow(auth.AlertRulesManage, auth.AlertsAck), a.list)
	rt.handle("POST /api/v1/alert-rules", allow(auth.AlertRulesManage), a.create)
	rt.handle("PUT /api/v1/alert-rules/{rule}", allow(auth.AlertRulesManage), a.replace)
	rt.handle("DELETE /api/v1/alert-rules/{rule}", allow(auth.AlertRulesManage), a.delete)
}

type alertRuleJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Camera    string    `json:"camera"`
	Zone      string    `json:"zone"`
	Factor    float64   `json:"factor"`
	MinShare  float64   `json:"min_share"`
	HourFrom  int       `json:"hour_from"`
	HourTo    int       `json:"hour_to"`
	Severity  string    `json:"severity"`
	Enabled   bool      `json:"enabled"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
}

func viewAlertRule(r store.AlertRule) alertRuleJSON {
	return alertRuleJSON{ID: r.ID, Name: r.Name, Camera: r.Camera, Zone: r.Zone, Factor: r.Factor, MinShare: r.MinShare,
		HourFrom: r.HourFrom, HourTo: r.HourTo, Severity: r.Severity, Enabled: r.Enabled, CreatedBy: r.CreatedBy, Created: r.Created}
}

// alertRuleInput is a rule as a client writes it; absent fields take
// their defaults (whole picture, 3 times usual, 5% of frames, all day,
// warning, enabled). id, created_by and created may be sent back as read.
type alertRuleInput struct {
	Name      string   `json:"name"`
	Camera    string   `json:"camera"`
	Zone      string   `json:"zone"`
	Factor    *float64 `json:"factor"`
	MinShare  *float64 `json:"min_share"`
	HourFrom  *int     `json:"hour_from"`
	HourTo    *int     `json:"hour_to"`
	Severity  string   `json:"severity"`
	Enabled   *bool    `json:"enabled"`
	ID        any      `json:"id"`
	CreatedBy any      `json:"created_by"`
	Created   any      `json:"created"`
}

func (in *alertRuleInput) rule() store.AlertRule {
	r := store.AlertRule{Name: in.Name, Camera: in.Camera, Zone: in.Zone, Factor: 3, MinShare: 0.05, HourTo: 24,
		Severity: in.Severity, Enabled: true}
	if r.Severity == "" {
		r.Severity = store.SeverityWarning
	}
	set := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Factor, in.Factor)
	set(&r.MinShare, in.MinShare)
	if in.HourFrom != nil {
		r.HourFrom = *in.HourFrom
	}
	if in.HourTo != nil {
		r.HourTo = *in.HourTo
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	return r
}

// list answers the rules on the cameras the caller may see.
func (a *alertRuleAPI) list(w http.ResponseWriter, r *http.Request) {
	rules, err := a.rules.ListAlertRules(r.Context())
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	out := make([]alertRuleJSON, 0, len(rules))
	for _, rule := range rules {
		if a.gate.visible(r, rule.Camera) {
			out = append(out, viewAlertRule(rule))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": out})
}

// read decodes a rule and checks what the store cannot: the camera exists
// and is in the caller's scope, and the zone is one of the camera's.
func (a *alertRuleAPI) read(w http.ResponseWriter, r *http.Request) (store.AlertRule, bool) {
	var in alertRuleInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return store.AlertRule{}, false
	}
	rule := in.rule()
	var f fields
	if _, err := a.gate.cameras.Get(r.Context(), rule.Camera); errors.Is(err, store.ErrNotFound) {
		f.bad("camera", "%q is not a camera", rule.Camera)
	} else if err != nil {
		failStore(w, a.logger, err, "")
		return store.AlertRule{}, false
	}
	if !f.ok(w) || !a.gate.inScope(w, r, rule.Camera) {
		return store.AlertRule{}, false
	}
	if rule.Zone != "" {
		settings, err := a.settings.CameraAnalytics(r.Context(), rule.Camera)
		if err != nil {
			failStore(w, a.logger, err, "")
			return store.AlertRule{}, false
		}
		if !slices.ContainsFunc(settings.Zones, func(z zones.Zone) bool { return z.Name == rule.Zone }) {
			f.bad("zone", "camera %s has no zone %q (its zones: %s; empty is the whole picture)", rule.Camera, rule.Zone, zoneNames(settings.Zones))
		}
	}
	return rule, f.ok(w)
}

func (a *alertRuleAPI) create(w http.ResponseWriter, r *http.Request) {
	rule, ok := a.read(w, r)
	if !ok {
		return
	}
	rule.CreatedBy, rule.Created = who(r).name(), a.gate.now().UTC()
	if err := a.rules.CreateAlertRule(r.Context(), &rule); err != nil {
		failStore(w, a.logger, err, "", store.ErrExists)
		return
	}
	a.record(r, rule, "created")
	writeJSON(w, http.StatusCreated, viewAlertRule(rule))
}

// existing reads the rule {rule} names, which must be on a camera in the
// caller's scope.
func (a *alertRuleAPI) existing(w http.ResponseWriter, r *http.Request) (store.AlertRule, bool) {
	id, ok := pathID(w, r, "rule", "an alert rule")
	if !ok {
		return store.AlertRule{}, false
	}
	old, err := a.rules.AlertRuleByID(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return store.AlertRule{}, false
	}
	return old, a.gate.inScope(w, r, old.Camera)
}

func (a *alertRuleAPI) replace(w http.ResponseWriter, r *http.Request) {
	old, ok := a.existing(w, r)
	if !ok {
		return
	}
	rule, ok := a.read(w, r)
	if !ok {
		return
	}
	rule.ID, rule.CreatedBy, rule.Created = old.ID, old.CreatedBy, old.Created
	if err := a.rules.UpdateAlertRule(r.Context(), rule); err != nil {
		failStore(w, a.logger, err, "", store.ErrExists)
		return
	}
	a.record(r, rule, "changed")
	writeJSON(w, http.StatusOK, viewAlertRule(rule))
}

func (a *alertRuleAPI) delete(w http.ResponseWriter, r *http.Request) {
	old, ok := a.existing(w, r)
	if !ok {
		return
	}
	if err := a.rules.DeleteAlertRule(r.Context(), old.ID); err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	a.record(r, old, "deleted")
	w.WriteHeader(http.StatusNoContent)
}

// record logs a rule change in the evidence log: which alerts operators
// get is a decision the audit can ask about. The change is made: a log
// failure is reported in the service log, not undone.
func (a *alertRuleAPI) record(r *http.Request, rule store.AlertRule, what string) {
	p := who(r)
	zone := rule.Zone
	if zone == "" {
		zone = "whole picture"
	}
	_, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionAlertRuleChanged, Actor: p.actor, Role: string(p.role),
		Camera: rule.Camera, Ref: fmt.Sprintf("alert-rule/%d", rule.ID),
		Detail: clip(fmt.Sprintf("%s %q: %s, over %g times usual and %.0f%% of frames, %02d-%02d h, %s, enabled %t; from %s",
			what, rule.Name, zone, rule.Factor, 100*rule.MinShare, rule.HourFrom, rule.HourTo, rule.Severity, rule.Enabled, r.RemoteAddr), 500)})
	if err != nil {
		a.logger.Error("evidence log cannot record an alert rule change", "rule", rule.ID, "error", err)
	}
}
