package deploy

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// promqlFunctions are PromQL's functions and aggregation operators (Prometheus 2.x).
var promqlFunctions = setOf(
	// aggregation operators
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
	"bottomk", "topk", "quantile",
	// functions
	"abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
	"avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
	"count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
	"delta", "deriv", "exp", "floor", "histogram_count", "histogram_fraction",
	"histogram_quantile", "histogram_sum", "holt_winters", "hour", "idelta", "increase",
	"irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2",
	"max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
	"present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar",
	"sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time",
	"stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
)

// promqlKeywords are words that are neither metric names nor functions.
var promqlKeywords = setOf("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
	"by", "without", "on", "ignoring", "group_left", "group_right")

// promqlLabelLists are keywords followed by a parenthesised list of label names.
var promqlLabelLists = setOf("by", "without", "on", "ignoring", "group_left", "group_right")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// promqlRefs lists the metric names and the Grafana variables ($x, ${x}) an
// expression uses. It is a scanner, not a parser: strings, label matchers {...},
// range and subquery brackets [...] and label lists after by/on/... are skipped, so
// label names and values are never taken for metric names. Syntax is checked
// separately by promtool. An unknown function name, or a selector by __name__,
// is an error, because either would hide a metric name from the check.
func promqlRefs(expr string) (metrics, vars []string, err error) {
	ms, vs := map[string]bool{}, map[string]bool{}
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(s, i)
			if err != nil {
				return nil, nil, err
			}
			for _, v := range grafanaVars(s[i:end]) {
				vs[v] = true
			}
			i = end
		case c == '{' || c == '[':
			closing := map[byte]byte{'{': '}', '[': ']'}[c]
			end, err := skipUntil(s, i+1, closing)
			if err != nil {
				return nil, nil, err
			}
			inner := s[i+1 : end-1]
			if c == '{' && strings.Contains(inner, "__name__") {
				return nil, nil, fmt.Errorf("selector by __name__ hides the metric name: %s", inner)
			}
			for _, v := range grafanaVars(inner) {
				vs[v] = true
			}
			i = end
		case c == '$':
			j := i + 1
			if j < len(s) && s[j] == '{' {
				end, err := skipUntil(s, j+1, '}')
				if err != nil {
					return nil, nil, err
				}
				j = end
			} else {
				for j < len(s) && isIdentChar(s[j]) && s[j] != ':' {
					j++
				}
			}
			for _, v := range grafanaVars(s[i:j]) {
				vs[v] = true
			}
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			// number or duration: 0.02, 1e-3, 0x1f, 5m, 1h30m
			for i < len(s) && (isIdentChar(s[i]) || s[i] == '.') && s[i] != ':' {
				if (s[i] == 'e' || s[i] == 'E') && i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-') {
					i++
				}
				i++
			}
		case isIdentChar(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			word := s[i:j]
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n') {
				k++
			}
			followedByParen := k < len(s) && s[k] == '('
			lower := strings.ToLower(word)
			switch {
			case promqlLabelLists[lower]:
				if followedByParen {
					end, err := skipUntil(s, k+1, ')')
					if err != nil {
						return nil, nil, err
					}
					j = end
				}
			case promqlKeywords[lower], promqlFunctions[word]:
			case followedByParen:
				return nil, nil, fmt.Errorf("unknown PromQL function %q", word)
			default:
				ms[word] = true
			}
			i = j
		default:
			i++
		}
	}
	return sortedKeys(ms), sortedKeys(vs), nil
}

func isIdentChar(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipString returns the index just past the string literal starting at s[i].
func skipString(s string, i int) (int, error) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string in %q", s)
}

// skipUntil returns the index just past the closing byte that matches an opening
// one just before s[i], skipping strings and nested brackets of the same kind.
func skipUntil(s string, i int, closing byte) (int, error) {
	opening := map[byte]byte{'}': '{', ']': '[', ')': '('}[closing]
	depth := 1
	for i < len(s) {
		switch c := s[i]; {
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(s, i)
			if err != nil {
				return 0, err
			}
			i = end
			continue
		case c == opening:
			depth++
		case c == closing:
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
		i++
	}
	return 0, fmt.Errorf("missing %q in %q", closing, s)
}

// grafanaVars lists the names of $name and ${name} (and ${name:format}) references.
func grafanaVars(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		j := i + 1
		braced := j < len(s) && s[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && (isIdentChar(s[k]) && s[k] != ':') {
			k++
		}
		// $1 in a label_replace replacement is a regex group, not a variable.
		if k > j && !(s[j] >= '0' && s[j] <= '9') {
			out = append(out, s[j:k])
		}
		i = k - 1
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestPromQLRefs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr          string
		metrics, vars []string
	}{
		{`vigil_camera_up == 0`, []string{"vigil_camera_up"}, nil},
		{`rate(vigil_ingest_frames_total{camera=~"$camera", stream=~"${stream}"}[$__rate_interval])`,
			[]string{"vigil_ingest_frames_total"}, []string{"__rate_interval", "camera", "stream"}},
		{"sum by (camera, stream) (vigil:camera_fps:rate1m) > 1e-3 and on (camera) x_y offset 5m",
			[]string{"vigil:camera_fps:rate1m", "x_y"}, nil},
		{`label_replace(up{job="vigil"}, "dst", "$1", "instance", "(.*):.*") * 0.5`, []string{"up"}, nil},
		{`a / on (camera) group_left (reason) b unless bool c # a comment naming d`, []string{"a", "b", "c"}, nil},
		{`sum without (instance) (increase(m_total[1h:5m]))`, []string{"m_total"}, nil},
		{`absent(up{job="vigil"}) or vector(0) > Inf`, []string{"up"}, nil},
	}
	for _, c := range cases {
		metrics, vars, err := promqlRefs(c.expr)
		if err != nil {
			t.Errorf("promqlRefs(%q): %v", c.expr, err)
			continue
		}
		if len(metrics) == 0 {
			metrics = nil
		}
		if len(vars) == 0 {
			vars = nil
		}
		if !reflect.DeepEqual(metrics, c.metrics) || !reflect.DeepEqual(vars, c.vars) {
			t.Errorf("promqlRefs(%q) = %q, %q; want %q, %q", c.expr, metrics, vars, c.metrics, c.vars)
		}
	}
	for _, bad := range []string{
		`rat(x[5m])`,                   // unknown function
		`{__name__="vigil_camera_up"}`, // hidden metric name
		`x{a="b}`,                      // unterminated
	} {
		if _, _, err := promqlRefs(bad); err == nil {
			t.Errorf("promqlRefs(%q): want an error", bad)
		}
	}
}
