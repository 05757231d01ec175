package onvif

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Bounds on what a WWW-Authenticate header may make us parse and keep.
const (
	maxChallengeHeader = 4096
	maxChallenges      = 8
	maxChallengeParams = 32
)

// challenge is one auth-scheme with its parameters (RFC 7235); keys are
// lower case, a token68 form is dropped.
type challenge struct {
	scheme string
	params map[string]string
}

// parseChallenges reads a WWW-Authenticate value, which may hold several
// comma-separated challenges ("Basic realm=x, Digest realm=y, nonce=z").
func parseChallenges(h string) ([]challenge, error) {
	if len(h) > maxChallengeHeader {
		return nil, fmt.Errorf("WWW-Authenticate longer than %d bytes", maxChallengeHeader)
	}
	p := &hparser{s: h}
	var out []challenge
	for {
		p.skip(" \t,")
		if p.done() {
			return out, nil
		}
		tok := p.token()
		if tok == "" {
			return nil, fmt.Errorf("WWW-Authenticate: unexpected %q at %d", p.s[p.i], p.i)
		}
		p.skip(" \t")
		if p.peek() != '=' {
			if len(out) == maxChallenges {
				return nil, fmt.Errorf("WWW-Authenticate: more than %d challenges", maxChallenges)
			}
			out = append(out, challenge{scheme: strings.ToLower(tok), params: map[string]string{}})
			continue
		}
		p.i++ // '='
		p.skip(" \t")
		var val string
		if p.peek() == '"' {
			v, err := p.quoted()
			if err != nil {
				return nil, err
			}
			val = v
		} else {
			val = p.token()
			// token68 padding ("abc==") leaves '=' behind: eat it.
			p.skip("=")
		}
		if len(out) == 0 {
			return nil, errors.New("WWW-Authenticate: parameter before any scheme")
		}
		c := &out[len(out)-1]
		if len(c.params) == maxChallengeParams {
			return nil, fmt.Errorf("WWW-Authenticate: more than %d parameters", maxChallengeParams)
		}
		c.params[strings.ToLower(tok)] = val
	}
}

type hparser struct {
	s string
	i int
}

func (p *hparser) done() bool { return p.i >= len(p.s) }

func (p *hparser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *hparser) skip(set string) {
	for !p.done() && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// token reads an RFC 7230 tchar run (plus '/' for token68 values).
func (p *hparser) token() string {
	start := p.i
	for !p.done() {
		c := p.s[p.i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),:;<=>?@[\]{}`, c) >= 0 {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

func (p *hparser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.done() {
				return "", errors.New("WWW-Authenticate: backslash at end")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("WWW-Authenticate: unterminated quoted string")
}

// digestChallenge is a Digest challenge we can answer.
type digestChallenge struct {
	realm, nonce, opaque string
	algorithm            string // as the camera spelt it, echoed back
	sess                 bool
	sha256               bool
	qop                  bool // qop=auth offered; false is the RFC 2069 form
	stale                bool
}

// pickDigest chooses, from all WWW-Authenticate values, the strongest Digest
// challenge we support (SHA-256 over MD5).
func pickDigest(values []string) (*digestChallenge, error) {
	var best *digestChallenge
	var firstErr error
	for _, v := range values {
		cs, err := parseChallenges(v)
		if err != nil {
			firstErr = cmp(firstErr, err)
			continue
		}
		for _, c := range cs {
			if c.scheme != "digest" {
				continue
			}
			d, err := digestFromParams(c.params)
			if err != nil {
				firstErr = cmp(firstErr, err)
				continue
			}
			if best == nil || (d.sha256 && !best.sha256) {
				best = d
			}
		}
	}
	if best == nil && firstErr == nil {
		firstErr = errors.New("no Digest challenge")
	}
	if best == nil {
		return nil, firstErr
	}
	return best, nil
}

func cmp(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func digestFromParams(p map[string]string) (*digestChallenge, error) {
	d := &digestChallenge{realm: p["realm"], nonce: p["nonce"], opaque: p["opaque"], algorithm: p["algorithm"]}
	if d.nonce == "" {
		return nil, errors.New("Digest challenge without a nonce")
	}
	for _, v := range []string{d.realm, d.nonce, d.opaque, d.algorithm} {
		// They are echoed into our Authorization header.
		if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return nil, errors.New("Digest challenge with control characters")
		}
	}
	switch strings.ToUpper(d.algorithm) {
	case "", "MD5":
	case "MD5-SESS":
		d.sess = true
	case "SHA-256":
		d.sha256 = true
	case "SHA-256-SESS":
		d.sha256, d.sess = true, true
	default:
		return nil, fmt.Errorf("Digest algorithm %q not supported", d.algorithm)
	}
	if q, ok := p["qop"]; ok {
		for _, o := range strings.Split(q, ",") {
			if strings.EqualFold(strings.TrimSpace(o), "auth") {
				d.qop = true
			}
		}
		if !d.qop {
			return nil, fmt.Errorf("Digest qop %q not supported (only auth)", q)
		}
	}
	d.stale = strings.EqualFold(p["stale"], "true")
	return d, nil
}

// authorization is the Authorization header value for one request (RFC 7616
// section 3.4); nc counts the requests made with this nonce.
func (d *digestChallenge) authorization(user, pass, method, uri string, nc uint32) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return d.authorizationWith(user, pass, method, uri, nc, hex.EncodeToString(b))
}

func (d *digestChallenge) authorizationWith(user, pass, method, uri string, nc uint32, cnonce string) string {
	h := func(s string) string {
		var f hash.Hash
		if d.sha256 {
			f = sha256.New()
		} else {
			f = md5.New()
		}
		f.Write([]byte(s))
		return hex.EncodeToString(f.Sum(nil))
	}
	ha1 := h(user + ":" + d.realm + ":" + pass)
	if d.sess {
		ha1 = h(ha1 + ":" + d.nonce + ":" + cnonce)
	}
	ha2 := h(method + ":" + uri)
	ncs := fmt.Sprintf("%08x", nc)
	var resp string
	if d.qop {
		resp = h(ha1 + ":" + d.nonce + ":" + ncs + ":" + cnonce + ":auth:" + ha2)
	} else {
		resp = h(ha1 + ":" + d.nonce + ":" + ha2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%s, realm=%s, nonce=%s, uri=%s, response="%s"`,
		quote(user), quote(d.realm), quote(d.nonce), quote(uri), resp)
	if d.algorithm != "" {
		fmt.Fprintf(&b, ", algorithm=%s", d.algorithm)
	}
	if d.opaque != "" {
		fmt.Fprintf(&b, ", opaque=%s", quote(d.opaque))
	}
	if d.qop {
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce="%s"`, ncs, cnonce)
	}
	return b.String()
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
