package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 with its defaults, which every authenticator
// app supports): HMAC-SHA1, 6 digits, 30-second steps counted from the Unix
// epoch.
const (
	TOTPDigits      = 6
	TOTPPeriod      = 30 * time.Second
	TOTPSecretBytes = 20

	totpPeriodSeconds = 30
	totpModulus       = 1000000 // 10^TOTPDigits
	// totpMaxInput bounds the code text VerifyTOTP looks at, spaces
	// included, so a huge request field costs nothing.
	totpMaxInput = 64
)

var totpBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a fresh random 20-byte (160-bit) TOTP secret, the
// length RFC 4226 recommends for HMAC-SHA1.
func NewTOTPSecret() []byte {
	s := make([]byte, TOTPSecretBytes)
	if _, err := rand.Read(s); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // crypto/rand.Read does not fail on supported platforms
	}
	return s
}

// TOTPSecretText returns secret as unpadded base32, the text a person types
// into an authenticator app.
func TOTPSecretText(secret []byte) string {
	return totpBase32.EncodeToString(secret)
}

// TOTPURL returns the otpauth:// URL (Google Authenticator's Key Uri Format)
// that an authenticator app reads from a QR code:
// otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30.
// Issuer and account are percent-escaped (a colon in either too, since the
// colon separates them in the label; a space becomes %20, never "+").
func TOTPURL(issuer, account string, secret []byte) string {
	label := escapeOTP(issuer) + ":" + escapeOTP(account)
	return "otpauth://totp/" + label +
		"?secret=" + TOTPSecretText(secret) +
		"&issuer=" + escapeOTP(issuer) +
		"&algorithm=SHA1&digits=6&period=30"
}

// escapeOTP percent-escapes s for both the label and a query value of an
// otpauth URL: everything but RFC 3986's unreserved characters is escaped.
func escapeOTP(s string) string {
	// QueryEscape leaves only unreserved characters and turns a space into
	// "+" (a literal "+" becomes "%2B"), so swapping "+" for "%20" is safe.
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// totpStep is the RFC 6238 time step of t: floor(unix seconds / 30).
func totpStep(t time.Time) int64 {
	u := t.Unix()
	s := u / totpPeriodSeconds
	if u%totpPeriodSeconds < 0 {
		s--
	}
	return s
}

// hotp is RFC 4226's HOTP value for counter, as TOTPDigits decimal digits.
func hotp(secret []byte, counter uint64) [TOTPDigits]byte {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	v %= totpModulus
	var out [TOTPDigits]byte
	for i := TOTPDigits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return out
}

// TOTPCode returns the 6-digit code for secret at time t.
func TOTPCode(secret []byte, t time.Time) string {
	c := hotp(secret, uint64(totpStep(t)))
	return string(c[:])
}

// VerifyTOTP checks code against secret at time t, allowing one step of
// clock drift either way. The code must be exactly 6 ASCII digits once
// spaces are removed ("123 456" is fine). A step at or before lastStep is
// refused, so a code cannot be used twice: on success the caller stores the
// returned step and passes it as lastStep next time. Codes are compared in
// constant time. A nil or empty secret never verifies.
func VerifyTOTP(secret []byte, code string, t time.Time, lastStep int64) (step int64, ok bool) {
	if len(secret) == 0 || len(code) > totpMaxInput {
		return 0, false
	}
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != TOTPDigits {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
	}
	now := totpStep(t)
	found := false
	// Try every step in the window without stopping at a match, so the time
	// taken does not depend on which one matched.
	for s := now - 1; s <= now+1; s++ {
		want := hotp(secret, uint64(s))
		match := subtle.ConstantTimeCompare(want[:], []byte(code)) == 1
		if match && s > lastStep && !found {
			step, found = s, true
		}
	}
	if !found {
		return 0, false
	}
	return step, true
}
