package deploy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Paths are relative to this directory, where `go test` runs.
const (
	promConfigFile   = "prometheus/prometheus.yml"
	dashboardFile    = "grafana/dashboards/camera-health.json"
	datasourceFile   = "grafana/provisioning/datasources/vigil-prometheus.yml"
	dashProviderFile = "grafana/provisioning/dashboards/vigil.yml"
	readmeFile       = "README.md"
)

// ruleFiles are the rule files, each with its promtool unit tests. Rule names are
// unique across all of them; a file's tests load only that file.
var ruleFiles = []struct{ rules, tests string }{
	{"prometheus/rules/vigil-ingest.rules.yml", "prometheus/rules/vigil-ingest.test.yml"},
	{"prometheus/rules/vigil-recorder.rules.yml", "prometheus/rules/vigil-recorder.test.yml"},
	{"prometheus/rules/vigil-analytics.rules.yml", "prometheus/rules/vigil-analytics.test.yml"},
	{"prometheus/rules/vigil-onvif.rules.yml", "prometheus/rules/vigil-onvif.test.yml"},
	{"prometheus/rules/vigil-s3.rules.yml", "prometheus/rules/vigil-s3.test.yml"},
}

// vigilMetrics are the series the service exposes (names fixed by the ingest issue and
// by recorder/metrics.go, recorder/retention.go and the files named below). A rule or panel may use only these,
// Prometheus's own `up`, and the recording rules defined in ruleFiles.
var vigilMetrics = []string{
	"vigil_camera_up",
	"vigil_camera_status",
	"vigil_ingest_frames_total",
	"vigil_ingest_bytes_total",
	"vigil_ingest_reconnects_total",
	"vigil_ingest_rtp_packets_lost_total",
	"vigil_ingest_decode_errors_total",
	"vigil_ingest_last_frame_age_seconds",
	"vigil_ingest_keyframe_interval_seconds",
	"vigil_ingest_clock_offset_seconds",
	"vigil_ingest_outages_total",
	"vigil_hub_dropped_frames_total",
	"vigil_cameras_configured",
	"vigil_cameras_enabled",
	// recorder: per camera (main stream only, no stream label)
	"vigil_recorder_up",
	"vigil_recorder_bytes_written_total",
	"vigil_recorder_segments_total",
	"vigil_recorder_gap_seconds_total",
	"vigil_recorder_dropped_frames_total",
	// recorder: per node. The histogram vigil_recorder_write_lag_seconds is queried
	// through its buckets only; _sum and _count are not used.
	"vigil_recorder_write_lag_seconds_bucket",
	"vigil_storage_free_bytes",
	"vigil_retention_deleted_bytes_total",
	"vigil_retention_space_blocked",
	// analytics: per camera and tamper kind (1 while the condition holds)
	"vigil_camera_tamper",
	// alerts (ingest/alerts): per node
	"vigil_alerts_total",
	"vigil_alert_webhook_deliveries_total",
	"vigil_alert_subscribers",
	// BJAG deployments (ingest/tasking): per node
	"vigil_deployments",
	"vigil_deployment_reviews_overdue",
	// several nodes (ingest/cluster): per node
	"vigil_cluster_cameras_owned",
	"vigil_cluster_nodes_live",
	"vigil_cluster_cameras_unowned",
	"vigil_cluster_placements_total",
	"vigil_cluster_round_errors_total",
	// ONVIF cameras (cmd/vigil/app/onvif.go): per camera this node runs with an onvif_url
	"vigil_onvif_up",
	"vigil_onvif_clock_offset_seconds",
	// PTZ domes (ingest/ptz/metrics.go): per node
	"vigil_ptz_commands_total",
	"vigil_ptz_refused_total",
	"vigil_ptz_dead_man_stops_total",
	"vigil_ptz_takeovers_total",
	// recordings in the shared object store (recorder/upload.go, recorder/retention.go):
	// per node, only with recorder.s3 set
	"vigil_s3_uploaded_segments_total",
	"vigil_s3_uploaded_bytes_total",
	"vigil_s3_upload_errors_total",
	"vigil_s3_upload_backlog_segments",
	"vigil_s3_upload_backlog_age_seconds",
	"vigil_s3_upload_given_up_segments",
	"vigil_s3_read_bytes_total",
	"vigil_s3_read_errors_total",
	"vigil_s3_delete_errors_total",
}

// prometheusMetrics are series Prometheus makes itself for every scrape target.
var prometheusMetrics = []string{"up"}

const promtoolPackage = `Debian package "prometheus" (apt-get install prometheus), which provides /usr/bin/promtool`

// promtool runs promtool with args and returns its output; any failure, including a
// missing promtool, fails the test.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is required to check the Prometheus files but was not found (%v): install the %s", err, promtoolPackage)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// readFile also makes `go test` cache results per file content: files read only by
// promtool would not invalidate the test cache.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	v, err := parseYAML(readFile(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is %T, want a mapping", path, v)
	}
	return m
}

func mapAt(v any, key string) map[string]any {
	m, _ := v.(map[string]any)
	sub, _ := m[key].(map[string]any)
	return sub
}

func listAt(v any, key string) []any {
	m, _ := v.(map[string]any)
	l, _ := m[key].([]any)
	return l
}

func strAt(v any, key string) string {
	m, _ := v.(map[string]any)
	s, _ := m[key].(string)
	return s
}

type rule struct {
	group, record, alert, expr, forDur string
	labels, annotations                map[string]any
}

func (r rule) name() string { return r.record + r.alert }

// loadRules returns the rules of every file in ruleFiles.
func loadRules(t *testing.T) []rule {
	t.Helper()
	var rules []rule
	for _, f := range ruleFiles {
		rules = append(rules, loadRuleFile(t, f.rules)...)
	}
	return rules
}

func loadRuleFile(t *testing.T, path string) []rule {
	t.Helper()
	doc := readYAML(t, path)
	var rules []rule
	for _, g := range listAt(doc, "groups") {
		for _, r := range listAt(g, "rules") {
			rules = append(rules, rule{
				group:       strAt(g, "name"),
				record:      strAt(r, "record"),
				alert:       strAt(r, "alert"),
				expr:        strAt(r, "expr"),
				forDur:      strAt(r, "for"),
				labels:      mapAt(r, "labels"),
				annotations: mapAt(r, "annotations"),
			})
		}
	}
	if len(rules) == 0 {
		t.Fatalf("%s: no rules found", path)
	}
	return rules
}

// allowedMetrics are the vigil series, Prometheus's own, and the recording rules.
func allowedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	allowed := setOf(append(slices.Clone(vigilMetrics), prometheusMetrics...)...)
	for _, r := range loadRules(t) {
		if r.record != "" {
			allowed[r.record] = true
		}
	}
	return allowed
}

func TestPromtoolCheckConfig(t *testing.T) {
	t.Parallel()
	readFile(t, promConfigFile)
	for _, f := range ruleFiles {
		readFile(t, f.rules)
	}
	out := promtool(t, "check", "config", "--lint=all", "--lint-fatal", installedConfig(t))
	// The config loads its rules through a glob: make sure it found our files.
	for _, f := range ruleFiles {
		if !strings.Contains(out, filepath.Base(f.rules)) {
			t.Errorf("promtool check config did not load %s:\n%s", f.rules, out)
		}
	}
}

// installedConfig lays the config out as an install would (README: cp
// to /etc/prometheus) in a temporary directory, with the token file and
// CA certificate an operator adds, so promtool checks them too.
func installedConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(readFile(t, promConfigFile)), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := filepath.Abs("prometheus/rules")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(rules, filepath.Join(dir, "rules")); err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Vigil self-signed"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "vigil-ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, "vigil.token"), []byte("vgt_example\n"), 0o600)
	return cfg
}

func TestPromtoolCheckRules(t *testing.T) {
	t.Parallel()
	for _, f := range ruleFiles {
		readFile(t, f.rules)
		out := promtool(t, "check", "rules", "--lint=all", "--lint-fatal", f.rules)
		// Cross-check the YAML reader used by the other tests against promtool.
		m := regexp.MustCompile(`SUCCESS: (\d+) rules found`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("unexpected promtool output:\n%s", out)
		}
		if n, _ := strconv.Atoi(m[1]); n != len(loadRuleFile(t, f.rules)) {
			t.Errorf("%s: promtool found %d rules, the test's YAML reader %d", f.rules, n, len(loadRuleFile(t, f.rules)))
		}
	}
}

func TestPromtoolTestRules(t *testing.T) {
	t.Parallel()
	for _, f := range ruleFiles {
		readFile(t, f.rules)
		readFile(t, f.tests)
		out := promtool(t, "test", "rules", f.tests)
		if !strings.Contains(out, "SUCCESS") {
			t.Errorf("promtool test rules %s did not report SUCCESS:\n%s", f.tests, out)
		}
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	allowed := allowedMetrics(t)
	readme := readFile(t, readmeFile)
	recordName := regexp.MustCompile(`^vigil:[a-z0-9_]+:[a-z0-9_]+$`)
	seen := map[string]bool{}
	alerts := 0
	for _, r := range loadRules(t) {
		name := r.name()
		switch {
		case r.record != "" && r.alert != "":
			t.Errorf("rule %q is both a recording and an alerting rule", name)
		case name == "":
			t.Errorf("group %s: a rule has neither record nor alert", r.group)
		case seen[name]:
			t.Errorf("rule %q is defined twice", name)
		}
		seen[name] = true
		if r.expr == "" {
			t.Errorf("rule %q has no expr", name)
		}
		metrics, vars, err := promqlRefs(r.expr)
		if err != nil {
			t.Errorf("rule %q: %v", name, err)
		}
		for _, m := range metrics {
			if !allowed[m] {
				t.Errorf("rule %q uses %q, which is neither a Vigil series nor a recording rule", name, m)
			}
		}
		if len(vars) > 0 {
			t.Errorf("rule %q uses Grafana variables %q", name, vars)
		}
		if r.record != "" {
			if !recordName.MatchString(r.record) {
				t.Errorf("recording rule %q is not named vigil:<what>:<how>", r.record)
			}
			continue
		}
		alerts++
		if sev, _ := r.labels["severity"].(string); sev != "warning" && sev != "critical" {
			t.Errorf("alert %q: severity label is %q, want warning or critical", name, sev)
		}
		for _, key := range []string{"summary", "description", "runbook"} {
			if s, _ := r.annotations[key].(string); strings.TrimSpace(s) == "" {
				t.Errorf("alert %q has no %s annotation", name, key)
			}
		}
		// The runbook hint points at the alert's section of the README.
		anchor := "deploy/README.md#" + strings.ToLower(name)
		if rb, _ := r.annotations["runbook"].(string); !strings.Contains(rb, anchor) {
			t.Errorf("alert %q: runbook annotation does not point at %s", name, anchor)
		}
		if !regexp.MustCompile(`(?m)^### ` + regexp.QuoteMeta(name) + `\s*$`).MatchString(readme) {
			t.Errorf("alert %q has no \"### %s\" section in %s", name, name, readmeFile)
		}
	}
	if alerts == 0 {
		t.Error("no alerting rules found")
	}
}

// TestRuleUnitTestsCoverEveryAlert checks that the promtool unit tests have, for every
// alert, a case where it fires and a case where it must stay silent.
func TestRuleUnitTestsCoverEveryAlert(t *testing.T) {
	t.Parallel()
	for _, f := range ruleFiles {
		checkRuleUnitTests(t, f.rules, f.tests)
	}
}

func checkRuleUnitTests(t *testing.T, rulesFile, rulesTestFile string) {
	t.Helper()
	doc := readYAML(t, rulesTestFile)
	if files := listAt(doc, "rule_files"); len(files) != 1 || files[0] != filepath.Base(rulesFile) {
		t.Errorf("%s: rule_files = %v, want [%s]", rulesTestFile, files, filepath.Base(rulesFile))
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range listAt(doc, "tests") {
		for _, at := range listAt(tc, "alert_rule_test") {
			name := strAt(at, "alertname")
			if len(listAt(at, "exp_alerts")) > 0 {
				fires[name] = true
			} else {
				silent[name] = true
			}
		}
	}
	for _, r := range loadRuleFile(t, rulesFile) {
		if r.alert == "" {
			continue
		}
		if !fires[r.alert] {
			t.Errorf("%s: no test shows %s firing", rulesTestFile, r.alert)
		}
		if !silent[r.alert] {
			t.Errorf("%s: no test shows %s staying silent", rulesTestFile, r.alert)
		}
	}
}

func TestPrometheusConfig(t *testing.T) {
	t.Parallel()
	doc := readYAML(t, promConfigFile)
	global := mapAt(doc, "global")
	if got := strAt(global, "scrape_interval"); got != "15s" {
		t.Errorf("global scrape_interval = %q, want 15s", got)
	}
	var vigil map[string]any
	for _, sc := range listAt(doc, "scrape_configs") {
		if strAt(sc, "job_name") == "vigil" {
			vigil, _ = sc.(map[string]any)
		}
	}
	if vigil == nil {
		t.Fatal("no scrape config for job vigil")
	}
	if iv := strAt(vigil, "scrape_interval"); iv != "" && iv != "15s" {
		t.Errorf("job vigil scrape_interval = %q, want 15s", iv)
	}
	// /metrics is behind sign-in (issue 5): HTTPS and a bearer token.
	if strAt(vigil, "scheme") != "https" || strAt(mapAt(vigil, "authorization"), "credentials_file") == "" {
		t.Errorf("job vigil must scrape over https with an authorization credentials_file: %v", vigil)
	}
	if p := strAt(vigil, "metrics_path"); p != "" && p != "/metrics" {
		t.Errorf("job vigil metrics_path = %q, want /metrics", p)
	}
	var targets []string
	for _, sc := range listAt(vigil, "static_configs") {
		for _, tg := range listAt(sc, "targets") {
			s, _ := tg.(string)
			targets = append(targets, s)
		}
	}
	if len(targets) == 0 || !strings.HasSuffix(targets[0], ":8080") {
		t.Errorf("job vigil targets = %q, want HOST:8080", targets)
	}
	// rule_files must load the rules and not the unit tests.
	var loaded []string
	for _, pat := range listAt(doc, "rule_files") {
		s, _ := pat.(string)
		m, err := filepath.Glob(filepath.Join(filepath.Dir(promConfigFile), s))
		if err != nil {
			t.Fatal(err)
		}
		loaded = append(loaded, m...)
	}
	for _, f := range ruleFiles {
		if !slices.Contains(loaded, filepath.Clean(f.rules)) || slices.Contains(loaded, filepath.Clean(f.tests)) {
			t.Errorf("rule_files load %q; want %s and not %s", loaded, f.rules, f.tests)
		}
	}
}

func TestGrafanaProvisioning(t *testing.T) {
	t.Parallel()
	ds := readYAML(t, datasourceFile)
	var prom map[string]any
	for _, d := range listAt(ds, "datasources") {
		if strAt(d, "type") == "prometheus" {
			prom, _ = d.(map[string]any)
		}
	}
	if strAt(ds, "apiVersion") != "1" || prom == nil {
		t.Fatalf("%s: want apiVersion 1 and a datasource of type prometheus", datasourceFile)
	}
	if !strings.HasPrefix(strAt(prom, "url"), "http") {
		t.Errorf("%s: prometheus datasource url = %q", datasourceFile, strAt(prom, "url"))
	}
	// $__rate_interval is only right if Grafana knows the scrape interval.
	scrape := strAt(mapAt(readYAML(t, promConfigFile), "global"), "scrape_interval")
	if got := strAt(mapAt(prom, "jsonData"), "timeInterval"); got != scrape {
		t.Errorf("%s: jsonData.timeInterval = %q, want the scrape interval %q", datasourceFile, got, scrape)
	}

	dp := readYAML(t, dashProviderFile)
	providers := listAt(dp, "providers")
	if strAt(dp, "apiVersion") != "1" || len(providers) == 0 {
		t.Fatalf("%s: want apiVersion 1 and a provider", dashProviderFile)
	}
	readme := readFile(t, readmeFile)
	for _, p := range providers {
		path := strAt(mapAt(p, "options"), "path")
		if strAt(p, "type") != "file" || path == "" {
			t.Errorf("%s: provider %q needs type file and options.path", dashProviderFile, strAt(p, "name"))
		}
		if !strings.Contains(readme, path) {
			t.Errorf("%s does not say where to put the dashboards (%s)", readmeFile, path)
		}
	}
}

// Grafana dashboard JSON, only the fields the checks need.
type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Panels        []panel
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int      `json:"id"`
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Datasource *dsRef   `json:"datasource"`
	GridPos    gridPos  `json:"gridPos"`
	Targets    []target `json:"targets"`
	Panels     []panel  `json:"panels"` // a collapsed row's panels
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type gridPos struct{ H, W, X, Y int }

type target struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	Datasource *dsRef `json:"datasource"`
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Query      json.RawMessage `json:"query"`
	Datasource *dsRef          `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
}

// queryString returns a variable's query, stored as a string or as {"query": ...}.
func (v variable) queryString() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct{ Query string }
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(readFile(t, dashboardFile)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// allPanels flattens rows: panels of collapsed rows are nested inside them.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// builtinVars are Grafana's own variables that the dashboard may use.
var builtinVars = setOf("__rate_interval", "__interval", "__range")

const datasourceVar = "${datasource}"

func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion = %d, want ~39", d.SchemaVersion)
	}

	// Template variables.
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.queryString() != "prometheus" {
		t.Errorf("want a datasource variable named datasource for prometheus, got %+v", v)
	}
	wantQuery := map[string]string{
		"camera": "label_values(vigil_camera_up, camera)",
		"stream": `label_values(vigil_camera_up{camera=~"$camera"}, stream)`,
	}
	allowed := allowedMetrics(t)
	for name, q := range wantQuery {
		v, ok := vars[name]
		switch {
		case !ok:
			t.Errorf("no %s variable", name)
			continue
		case v.Type != "query" || v.queryString() != q:
			t.Errorf("variable %s: type %q query %q, want a query variable %q", name, v.Type, v.queryString(), q)
		case !v.Multi || !v.IncludeAll:
			t.Errorf("variable %s: want multi-select with All", name)
		case v.Datasource == nil || v.Datasource.UID != datasourceVar:
			t.Errorf("variable %s: datasource %+v, want uid %s", name, v.Datasource, datasourceVar)
		}
	}

	panels := allPanels(d.Panels)
	ids := map[int]string{}
	var rows []panel
	for _, p := range panels {
		if p.ID <= 0 {
			t.Errorf("panel %q has no id", p.Title)
		} else if other, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", other, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		g := p.GridPos
		if g.W < 1 || g.H < 1 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: bad gridPos %+v", p.Title, g)
		}
		if p.Type == "row" {
			rows = append(rows, p)
		}
	}
	checkNoOverlap(t, d.Panels)

	// rowOf is the row a top-level panel sits under: the last row above it.
	rowOf := func(p panel) string {
		title := ""
		for _, r := range rows {
			if r.GridPos.Y <= p.GridPos.Y {
				title = r.Title
			}
		}
		return title
	}

	var exprs []string
	used := map[string]bool{}
	for _, p := range panels {
		if p.Type == "row" || p.Type == "text" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != datasourceVar || p.Datasource.Type != "prometheus" {
			t.Errorf("panel %q: datasource %+v, want {prometheus %s}", p.Title, p.Datasource, datasourceVar)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		row := rowOf(p)
		perCamera := strings.Contains(row, "$camera")
		// The recorder's series have no stream label (it records main streams only):
		// a per-camera row follows the stream picker only if its title shows $stream.
		perStream := perCamera && strings.Contains(row, "$stream")
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			where := fmt.Sprintf("panel %q query %s", p.Title, tg.RefID)
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: missing or duplicate refId", where)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || tg.Datasource.UID != datasourceVar {
				t.Errorf("%s: datasource %+v, want uid %s", where, tg.Datasource, datasourceVar)
			}
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: empty expr", where)
				continue
			}
			exprs = append(exprs, tg.Expr)
			metrics, vs, err := promqlRefs(tg.Expr)
			if err != nil {
				t.Errorf("%s: %v", where, err)
			}
			for _, m := range metrics {
				used[m] = true
				if !allowed[m] {
					t.Errorf("%s uses %q, which is neither a Vigil series nor a recording rule", where, m)
				}
			}
			for _, v := range vs {
				if _, ok := vars[v]; !ok && !builtinVars[v] {
					t.Errorf("%s uses undefined variable $%s", where, v)
				}
			}
			// Per-camera panels follow the camera (and stream) pickers their row names;
			// fleet panels show the whole fleet whatever is picked.
			hasCam, hasStream := slices.Contains(vs, "camera"), slices.Contains(vs, "stream")
			if perStream && (!hasCam || !hasStream) {
				t.Errorf("%s is in a per-camera row but does not filter by $camera and $stream", where)
			}
			if perCamera && !perStream && (!hasCam || hasStream) {
				t.Errorf("%s is in a row for $camera only but does not filter by $camera alone", where)
			}
			if !perCamera && (hasCam || hasStream) {
				t.Errorf("%s is in a fleet row but filters by $camera or $stream", where)
			}
		}
	}
	if !slices.ContainsFunc(rows, func(r panel) bool { return strings.Contains(r.Title, "$camera") }) {
		t.Error("no per-camera row (a row whose title shows $camera)")
	}

	// Every Vigil series is on the dashboard, directly or through a recording rule.
	rules := loadRules(t)
	for changed := true; changed; {
		changed = false
		for _, r := range rules {
			if r.record == "" || !used[r.record] {
				continue
			}
			ms, _, _ := promqlRefs(r.expr)
			for _, m := range ms {
				if !used[m] {
					used[m], changed = true, true
				}
			}
		}
	}
	for _, m := range vigilMetrics {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}

	// Grafana does not check PromQL: have promtool parse every query, with the
	// variables replaced by values Grafana could give them.
	for _, q := range wantQuery {
		exprs = append(exprs, strings.TrimSuffix(strings.TrimPrefix(q[:strings.LastIndex(q, ",")], "label_values("), ")"))
	}
	checkPromQLSyntax(t, exprs)
}

// checkNoOverlap fails if two top-level panels cover the same grid cell.
func checkNoOverlap(t *testing.T, ps []panel) {
	t.Helper()
	cells := map[[2]int]string{}
	for _, p := range ps {
		g := p.GridPos
		for y := g.Y; y < g.Y+g.H; y++ {
			for x := g.X; x < g.X+g.W; x++ {
				if other, ok := cells[[2]int{x, y}]; ok {
					t.Errorf("panels %q and %q overlap at x=%d y=%d", other, p.Title, x, y)
					return
				}
				cells[[2]int{x, y}] = p.Title
			}
		}
	}
}

var varValues = map[string]string{
	"camera": ".*", "stream": ".*",
	"__rate_interval": "1m", "__interval": "1m", "__range": "1h",
}

func checkPromQLSyntax(t *testing.T, exprs []string) {
	t.Helper()
	varRef := regexp.MustCompile(`\$\{(\w+)\}|\$([A-Za-z_]\w*)`)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard-queries\n    rules:\n")
	for i, e := range exprs {
		e = varRef.ReplaceAllStringFunc(e, func(ref string) string {
			name := strings.Trim(ref, "${}")
			v, ok := varValues[name]
			if !ok {
				t.Errorf("no test value for variable %s in %q", ref, e)
			}
			return v
		})
		fmt.Fprintf(&b, "      - record: dashboard:query_%d:check\n        expr: |\n", i)
		for _, line := range strings.Split(e, "\n") {
			fmt.Fprintf(&b, "          %s\n", line)
		}
	}
	path := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	promtool(t, "check", "rules", "--lint=none", path)
}
