package deploy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parseYAML reads the block-style YAML subset that the files in deploy/ use, with
// the standard library only (go.mod is not ours to change). It supports nested
// block mappings and sequences, "- key: value" items, plain, single- and
// double-quoted scalars, literal (|) and folded (>) block scalars, flow sequences
// and mappings of scalars ([a, b], {a: b}), comments and a leading "---".
// Every scalar is returned as a string; mappings are map[string]any and sequences
// []any. Anything outside the subset (anchors, tags, multi-line plain scalars,
// nested flow collections, tabs in indentation, duplicate keys) is an error
// rather than a silent misreading. Prometheus and Grafana remain the authorities
// on the files; deploy_test.go cross-checks this reader against promtool's counts.
func parseYAML(src string) (any, error) {
	p := &yamlParser{}
	for i, raw := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		body := strings.TrimLeft(raw, " ")
		if strings.HasPrefix(body, "\t") {
			return nil, fmt.Errorf("line %d: tab in indentation", i+1)
		}
		trimmed := strings.TrimSpace(body)
		p.lines = append(p.lines, yamlLine{
			num:    i + 1,
			indent: len(raw) - len(body),
			text:   strings.TrimRight(body, " "),
			raw:    raw,
			blank:  trimmed == "" || strings.HasPrefix(trimmed, "#"),
		})
	}
	p.skipBlank()
	if p.pos < len(p.lines) && p.lines[p.pos].text == "---" {
		p.pos++
	}
	v, err := p.block(0)
	if err != nil {
		return nil, err
	}
	p.skipBlank()
	if p.pos < len(p.lines) {
		l := p.lines[p.pos]
		return nil, fmt.Errorf("line %d: unexpected content %q", l.num, l.text)
	}
	return v, nil
}

type yamlLine struct {
	num, indent int
	text, raw   string
	blank       bool
}

type yamlParser struct {
	lines []yamlLine
	pos   int
}

func (p *yamlParser) skipBlank() {
	for p.pos < len(p.lines) && p.lines[p.pos].blank {
		p.pos++
	}
}

func isSeqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block parses the node starting at the next non-blank line, if it is indented at
// least minIndent; otherwise the node is empty (nil).
func (p *yamlParser) block(minIndent int) (any, error) {
	p.skipBlank()
	if p.pos >= len(p.lines) || p.lines[p.pos].indent < minIndent {
		return nil, nil
	}
	l := p.lines[p.pos]
	if isSeqItem(l.text) {
		return p.seq(l.indent)
	}
	if _, _, ok := splitKey(l.text); ok {
		return p.mapping(l.indent)
	}
	// A lone scalar, as in "key:\n  value".
	p.pos++
	return parseScalar(l.text, l.num)
}

func (p *yamlParser) seq(indent int) ([]any, error) {
	out := []any{}
	for {
		p.skipBlank()
		if p.pos >= len(p.lines) {
			return out, nil
		}
		l := p.lines[p.pos]
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.num)
		}
		if l.indent < indent || !isSeqItem(l.text) {
			return out, nil
		}
		rest := strings.TrimPrefix(l.text, "-")
		inner := strings.TrimLeft(rest, " ")
		var item any
		var err error
		switch {
		case inner == "" || strings.HasPrefix(inner, "#"):
			p.pos++
			item, err = p.block(indent + 1)
		case isSeqItem(inner) || isMapEntry(inner):
			// "- key: value": the item is a node indented where "key" starts.
			childIndent := indent + 1 + len(rest) - len(inner)
			p.lines[p.pos] = yamlLine{num: l.num, indent: childIndent, text: inner, raw: l.raw}
			item, err = p.block(childIndent)
		default:
			p.pos++
			item, err = parseScalar(inner, l.num)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
}

func isMapEntry(text string) bool {
	_, _, ok := splitKey(text)
	return ok
}

func (p *yamlParser) mapping(indent int) (map[string]any, error) {
	out := map[string]any{}
	for {
		p.skipBlank()
		if p.pos >= len(p.lines) {
			return out, nil
		}
		l := p.lines[p.pos]
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.num)
		}
		if l.indent < indent || isSeqItem(l.text) {
			return out, nil
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: expected \"key: value\", got %q", l.num, l.text)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", l.num, key)
		}
		p.pos++
		rest = stripComment(rest)
		var v any
		var err error
		switch {
		case rest == "":
			p.skipBlank()
			if p.pos < len(p.lines) && p.lines[p.pos].indent == indent && isSeqItem(p.lines[p.pos].text) {
				v, err = p.seq(indent) // "key:\n- item" at the key's own indentation
			} else {
				v, err = p.block(indent + 1)
			}
		case rest[0] == '|' || rest[0] == '>':
			v, err = p.blockScalar(indent, rest, l.num)
		default:
			v, err = parseScalar(rest, l.num)
		}
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
}

// blockScalar reads the lines of a | or > scalar whose key is at parentIndent.
func (p *yamlParser) blockScalar(parentIndent int, header string, num int) (string, error) {
	style, chomp := header[0], header[1:]
	if chomp != "" && chomp != "-" && chomp != "+" {
		return "", fmt.Errorf("line %d: unsupported block scalar header %q", num, header)
	}
	var body []string
	blockIndent := -1
	for p.pos < len(p.lines) {
		l := p.lines[p.pos]
		if strings.TrimSpace(l.raw) == "" {
			body = append(body, "")
			p.pos++
			continue
		}
		if l.indent <= parentIndent {
			break
		}
		if blockIndent < 0 {
			blockIndent = l.indent
		}
		if l.indent < blockIndent {
			return "", fmt.Errorf("line %d: block scalar line less indented than its first line", l.num)
		}
		body = append(body, strings.TrimRight(l.raw[blockIndent:], " "))
		p.pos++
	}
	// Trailing blank lines belong to the chomping, not the content.
	trailing := 0
	for len(body) > 0 && body[len(body)-1] == "" {
		body = body[:len(body)-1]
		trailing++
	}
	var s string
	if style == '|' {
		s = strings.Join(body, "\n")
	} else {
		var b strings.Builder
		for i, line := range body {
			switch {
			case i == 0:
			case line == "" || body[i-1] == "":
				if line == "" {
					b.WriteString("\n")
				}
			default:
				b.WriteString(" ")
			}
			b.WriteString(line)
		}
		s = b.String()
	}
	switch {
	case len(body) == 0:
		return "", nil
	case chomp == "-":
		return s, nil
	case chomp == "+":
		return s + strings.Repeat("\n", trailing+1), nil
	default:
		return s + "\n", nil
	}
}

// splitKey splits "key: rest" (or "key:"). Flow collections and scalars such as
// "http://host:9090" are not keys.
func splitKey(text string) (key, rest string, ok bool) {
	if text == "" || text[0] == '[' || text[0] == '{' || text[0] == '#' {
		return "", "", false
	}
	if text[0] == '"' || text[0] == '\'' {
		k, n, err := parseQuoted(text, 0)
		if err != nil {
			return "", "", false
		}
		after := text[n:]
		if after == ":" || strings.HasPrefix(after, ": ") {
			return k, strings.TrimSpace(after[1:]), true
		}
		return "", "", false
	}
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '#' && i > 0 && text[i-1] == ' ':
			return "", "", false
		case text[i] == ':' && (i+1 == len(text) || text[i+1] == ' '):
			return strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+1:]), true
		}
	}
	return "", "", false
}

// stripComment removes a " # comment" from an unquoted value.
func stripComment(s string) string {
	if s == "" || s[0] == '"' || s[0] == '\'' {
		return s
	}
	if s[0] == '#' {
		return ""
	}
	if i := strings.Index(s, " #"); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func parseScalar(s string, num int) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	switch s[0] {
	case '"', '\'':
		v, n, err := parseQuoted(s, 0)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", num, err)
		}
		if tail := strings.TrimSpace(s[n:]); tail != "" && !strings.HasPrefix(tail, "#") {
			return nil, fmt.Errorf("line %d: text after quoted scalar: %q", num, tail)
		}
		return v, nil
	case '[', '{':
		return parseFlow(stripComment(s), num)
	case '&', '*', '!', '%', '@', '`', '|', '>':
		return nil, fmt.Errorf("line %d: unsupported YAML construct %q", num, s)
	}
	return stripComment(s), nil
}

// parseQuoted reads a quoted scalar starting at s[i]; it returns the value and the
// index just past the closing quote.
func parseQuoted(s string, i int) (string, int, error) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case q == '\'' && c == '\'':
			if j+1 < len(s) && s[j+1] == '\'' {
				b.WriteByte('\'')
				j++
				continue
			}
			return b.String(), j + 1, nil
		case q == '"' && c == '"':
			return b.String(), j + 1, nil
		case q == '"' && c == '\\':
			if j+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated escape in %q", s)
			}
			j++
			switch s[j] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\', '"', '/':
				b.WriteByte(s[j])
			default:
				return "", 0, fmt.Errorf("unsupported escape \\%c in %q", s[j], s)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted scalar %q", s)
}

// parseFlow reads a one-line flow sequence or mapping of scalars.
func parseFlow(s string, num int) (any, error) {
	open, closing := s[0], map[byte]byte{'[': ']', '{': '}'}[s[0]]
	if s[len(s)-1] != closing {
		return nil, fmt.Errorf("line %d: unterminated flow collection %q", num, s)
	}
	inner := strings.TrimSpace(s[1 : len(s)-1])
	var parts []string
	if inner != "" {
		start, quote := 0, byte(0)
		for j := 0; j < len(inner); j++ {
			c := inner[j]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '[' || c == '{':
				return nil, fmt.Errorf("line %d: nested flow collections are not supported: %q", num, s)
			case c == ',':
				parts = append(parts, strings.TrimSpace(inner[start:j]))
				start = j + 1
			}
		}
		parts = append(parts, strings.TrimSpace(inner[start:]))
	}
	if open == '[' {
		out := []any{}
		for _, part := range parts {
			v, err := parseScalar(part, num)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	out := map[string]any{}
	for _, part := range parts {
		k, rest, ok := splitKey(part)
		if !ok {
			return nil, fmt.Errorf("line %d: expected \"key: value\" in %q", num, s)
		}
		v, err := parseScalar(rest, num)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func TestParseYAML(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      any
	}{
		{"map", "a: 1\nb: two # comment\n", map[string]any{"a": "1", "b": "two"}},
		{"nested", "a:\n  b:\n    c: d\n", map[string]any{"a": map[string]any{"b": map[string]any{"c": "d"}}}},
		{"seq of maps", "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n",
			map[string]any{"groups": []any{map[string]any{"name": "g", "rules": []any{
				map[string]any{"record": "r", "expr": "x"}}}}}},
		{"seq at key indent", "a:\n- x\n- y\nb: z\n", map[string]any{"a": []any{"x", "y"}, "b": "z"}},
		{"quoted", "a: \"x: #y \\\"q\\\"\"\nb: 'it''s'\n", map[string]any{"a": "x: #y \"q\"", "b": "it's"}},
		{"url is a scalar", "- http://localhost:9090\n", []any{"http://localhost:9090"}},
		{"flow", "a: []\nb: [x, \"y:1\"]\nc: {severity: warning}\n",
			map[string]any{"a": []any{}, "b": []any{"x", "y:1"}, "c": map[string]any{"severity": "warning"}}},
		{"literal", "a: |\n  x > 1\n    and y\nb: c\n", map[string]any{"a": "x > 1\n  and y\n", "b": "c"}},
		{"folded strip", "a: >-\n  one\n  two\n\n  three\nb: c\n", map[string]any{"a": "one two\nthree", "b": "c"}},
		{"empty value", "a:\nb: c\n", map[string]any{"a": nil, "b": "c"}},
		{"document marker", "---\na: b\n", map[string]any{"a": "b"}},
	}
	for _, c := range cases {
		got, err := parseYAML(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, got, c.want)
		}
	}
	for _, bad := range []string{
		"a: 1\na: 2\n",           // duplicate key
		"a: 1\n  b: 2\n",         // stray indentation
		"a:\n\tb: 1\n",           // tab
		"a: &anchor x\n",         // anchors unsupported
		"a: [x, [y]]\n",          // nested flow
		"a: \"unterminated\n",    // quote
		"a: 1\n b\n",             // multi-line plain scalar
		"- a\nb: c\n",            // sequence then mapping at top level
		"a: |x\n  y\n",           // bad block header
		"a: 'x' trailing text\n", // text after quote
	} {
		if v, err := parseYAML(bad); err == nil {
			t.Errorf("parseYAML(%q) = %#v, want an error", bad, v)
		}
	}
}
