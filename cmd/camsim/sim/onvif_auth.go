package sim

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	// onvifRealm is the HTTP Digest realm of every simulated camera.
	onvifRealm = "camsim"
	// maxClockSkew is how far a UsernameToken's Created may be from the camera's clock, and
	// how long a Digest nonce lives.
	maxClockSkew = 5 * time.Minute
)

// onvifAuth checks requests against a camera's credentials: a WS-Security UsernameToken with
// PasswordDigest, or HTTP Digest (MD5, qop=auth). Digest nonces are stateless (a time and its
// HMAC under a per-server key), so no table of nonces grows.
type onvifAuth struct {
	key []byte // per server, random
}

// newNonce returns a Digest nonce issued at t.
func (a *onvifAuth) newNonce(t time.Time) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixNano()))
	m := hmac.New(sha256.New, a.key)
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// nonceFresh reports whether nonce is ours (ok) and younger than maxClockSkew (fresh).
func (a *onvifAuth) nonceFresh(nonce string, now time.Time) (ok, fresh bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 {
		return false, false
	}
	m := hmac.New(sha256.New, a.key)
	m.Write(b[:8])
	if !hmac.Equal(m.Sum(nil)[:16], b[8:]) {
		return false, false
	}
	age := now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))))
	return true, age >= -time.Minute && age <= maxClockSkew
}

// challenge is the WWW-Authenticate header of a 401.
func (a *onvifAuth) challenge(now time.Time, stale bool) string {
	h := fmt.Sprintf(`Digest realm=%q, qop="auth", nonce=%q, algorithm=MD5`, onvifRealm, a.newNonce(now))
	if stale {
		h += ", stale=true"
	}
	return h
}

// checkUsernameToken verifies a PasswordDigest token; device is the camera's clock.
func checkUsernameToken(t *usernameToken, user, pass string, device time.Time) error {
	if !strings.HasSuffix(t.PasswordType, "#PasswordDigest") {
		return fmt.Errorf("UsernameToken: password type %q, want PasswordDigest", truncate(t.PasswordType))
	}
	if subtle.ConstantTimeCompare([]byte(t.Username), []byte(user)) != 1 {
		return fmt.Errorf("UsernameToken: unknown user")
	}
	created, err := time.Parse(time.RFC3339Nano, t.Created)
	if err != nil {
		return fmt.Errorf("UsernameToken: Created %q is not an RFC 3339 time", truncate(t.Created))
	}
	if d := created.Sub(device); d > maxClockSkew || d < -maxClockSkew {
		return fmt.Errorf("UsernameToken: Created is %v from the camera's clock", d.Round(time.Second))
	}
	nonce, err := base64.StdEncoding.DecodeString(t.Nonce)
	if err != nil || len(nonce) == 0 || len(nonce) > 256 {
		return fmt.Errorf("UsernameToken: Nonce is not base64 of 1 to 256 bytes")
	}
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(t.Created))
	h.Write([]byte(pass))
	want := base64.StdEncoding.EncodeToString(h.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(t.Password), []byte(want)) != 1 {
		return fmt.Errorf("UsernameToken: wrong password digest")
	}
	return nil
}

// parseDigest parses the parameters of an "Authorization: Digest ..." header.
func parseDigest(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, "Digest ")
	if !ok || len(h) > 4096 {
		return nil, false
	}
	out := make(map[string]string)
	for rest = strings.TrimSpace(rest); rest != ""; {
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, false
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimLeft(v, " ")
		if strings.HasPrefix(v, `"`) {
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return nil, false
			}
			out[k], rest = v[1:1+end], v[2+end:]
		} else {
			val, after, _ := strings.Cut(v, ",")
			out[k], rest = strings.TrimSpace(val), ","+after
		}
		rest = strings.TrimSpace(rest)
		if rest != "" && rest[0] != ',' {
			return nil, false
		}
		rest = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return out, true
}

// checkDigest verifies an HTTP Digest (MD5, qop=auth) Authorization; stale is set when the
// nonce was ours but expired.
func (a *onvifAuth) checkDigest(r *http.Request, user, pass string, now time.Time) (stale bool, err error) {
	p, ok := parseDigest(r.Header.Get("Authorization"))
	if !ok {
		return false, fmt.Errorf("digest: malformed Authorization")
	}
	if alg := p["algorithm"]; alg != "" && !strings.EqualFold(alg, "MD5") {
		return false, fmt.Errorf("digest: algorithm %q, want MD5", truncate(alg))
	}
	if p["qop"] != "auth" {
		return false, fmt.Errorf("digest: qop %q, want auth", truncate(p["qop"]))
	}
	if p["realm"] != onvifRealm || p["uri"] != r.URL.RequestURI() {
		return false, fmt.Errorf("digest: realm or uri does not match")
	}
	ours, fresh := a.nonceFresh(p["nonce"], now)
	if !ours {
		return false, fmt.Errorf("digest: unknown nonce")
	}
	md5hex := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	ha1 := md5hex(p["username"] + ":" + onvifRealm + ":" + pass)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	want := md5hex(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if subtle.ConstantTimeCompare([]byte(p["username"]), []byte(user)) != 1 ||
		subtle.ConstantTimeCompare([]byte(strings.ToLower(p["response"])), []byte(want)) != 1 {
		return false, fmt.Errorf("digest: wrong user or password")
	}
	if !fresh {
		return true, fmt.Errorf("digest: stale nonce")
	}
	return false, nil
}
