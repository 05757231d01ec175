package onvif

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"time"
)

const (
	wssePasswordDigest = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
	wsseBase64         = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// usernameToken is the WS-Security header ONVIF devices check:
// Base64(SHA1(nonce + created + password)). created must be the device's
// clock, which is why the client learns its offset first.
func usernameToken(user, pass string, created time.Time) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce) // crypto/rand.Read does not fail on Linux (Go 1.24+ panics instead)
	return usernameTokenWith(user, pass, created, nonce)
}

func usernameTokenWith(user, pass string, created time.Time, nonce []byte) string {
	c := created.UTC().Format("2006-01-02T15:04:05Z")
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(c))
	h.Write([]byte(pass))
	digest := base64.StdEncoding.EncodeToString(h.Sum(nil))
	return `<wsse:Security s:mustUnderstand="1" xmlns:wsse="` + nsWSSE + `" xmlns:wsu="` + nsWSU + `">` +
		`<wsse:UsernameToken>` +
		text("wsse:Username", user) +
		`<wsse:Password Type="` + wssePasswordDigest + `">` + digest + `</wsse:Password>` +
		`<wsse:Nonce EncodingType="` + wsseBase64 + `">` + base64.StdEncoding.EncodeToString(nonce) + `</wsse:Nonce>` +
		text("wsu:Created", c) +
		`</wsse:UsernameToken></wsse:Security>`
}
