package sim

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A minimal ONVIF client for the tests, written against the wire contract with net/http and
// encoding/xml only (not the service's own parser).

type authMode int

const (
	authNone authMode = iota
	authWSSE
	authDigest
)

type onvifTestClient struct {
	t      *testing.T
	base   string // http://host:port
	user   string
	pass   string
	mode   authMode
	offset time.Duration // added to the local clock for UsernameToken Created
	hc     *http.Client
}

func newONVIFClient(t *testing.T, deviceURL, user, pass string, mode authMode) *onvifTestClient {
	u, err := url.Parse(deviceURL)
	if err != nil {
		t.Fatal(err)
	}
	return &onvifTestClient{t: t, base: "http://" + u.Host, user: user, pass: pass, mode: mode,
		hc: &http.Client{Timeout: 10 * time.Second}}
}

// envelope wraps a body in a SOAP 1.2 envelope with the contract's prefixes.
func (c *onvifTestClient) envelope(body string) string {
	var hdr string
	if c.mode == authWSSE {
		nonce := make([]byte, 16)
		rand.Read(nonce)
		created := time.Now().Add(c.offset).UTC().Format(time.RFC3339)
		h := sha1.New()
		h.Write(nonce)
		h.Write([]byte(created))
		h.Write([]byte(c.pass))
		hdr = `<s:Header><wsse:Security s:mustUnderstand="1" xmlns:wsse="` + nsWSSE + `" xmlns:wsu="` + nsWSU + `">` +
			`<wsse:UsernameToken><wsse:Username>` + c.user + `</wsse:Username>` +
			`<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">` +
			base64.StdEncoding.EncodeToString(h.Sum(nil)) + `</wsse:Password>` +
			`<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">` +
			base64.StdEncoding.EncodeToString(nonce) + `</wsse:Nonce><wsu:Created>` + created + `</wsu:Created>` +
			`</wsse:UsernameToken></wsse:Security></s:Header>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="` + nsSOAP + `" xmlns:tds="` + nsDevice +
		`" xmlns:trt="` + nsMedia + `" xmlns:tptz="` + nsPTZ + `" xmlns:tt="` + nsSchema + `">` + hdr +
		`<s:Body>` + body + `</s:Body></s:Envelope>`
}

// post sends raw and returns the status, the response header and body.
func (c *onvifTestClient) post(path, raw, authz string) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml; charset=utf-8")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// call sends an operation and returns the HTTP status and the response body, answering a
// Digest challenge when the mode is authDigest.
func (c *onvifTestClient) call(path, body string) (int, []byte) {
	c.t.Helper()
	raw := c.envelope(body)
	status, hdr, b := c.post(path, raw, "")
	if status == http.StatusUnauthorized && c.mode == authDigest {
		status, _, b = c.post(path, raw, c.digest(hdr.Get("WWW-Authenticate"), path))
	}
	return status, b
}

// digest answers a challenge (RFC 7616, MD5, qop=auth).
func (c *onvifTestClient) digest(challenge, uri string) string {
	c.t.Helper()
	params := map[string]string{}
	rest, ok := strings.CutPrefix(challenge, "Digest ")
	if !ok {
		c.t.Fatalf("challenge %q is not Digest", challenge)
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		params[k] = strings.Trim(v, `"`)
	}
	if params["qop"] != "auth" || params["algorithm"] != "MD5" || params["nonce"] == "" {
		c.t.Fatalf("challenge %q: want qop=auth, algorithm=MD5, a nonce", challenge)
	}
	h := func(s string) string { d := md5.Sum([]byte(s)); return hex.EncodeToString(d[:]) }
	cnonce, nc := "0a4f113b", "00000001"
	ha1 := h(c.user + ":" + params["realm"] + ":" + c.pass)
	ha2 := h("POST:" + uri)
	resp := h(ha1 + ":" + params["nonce"] + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, algorithm=MD5, qop=auth, nc=%s, cnonce=%q, response=%q`,
		c.user, params["realm"], params["nonce"], uri, nc, cnonce, resp)
}

// ok calls and decodes the Body of a 200 answer into out (a struct for the Body's content).
func (c *onvifTestClient) ok(path, body string, out any) {
	c.t.Helper()
	status, b := c.call(path, body)
	if status != http.StatusOK {
		c.t.Fatalf("%s %.60s: HTTP %d: %s", path, body, status, b)
	}
	decodeBody(c.t, b, out)
}

// decodeBody unmarshals the SOAP Body's content of b into out.
func decodeBody(t *testing.T, b []byte, out any) {
	t.Helper()
	var env struct {
		XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
		Body    struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
	}
	if err := xml.Unmarshal(b, &env); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	if out == nil {
		return
	}
	// the Body's content uses prefixes declared on the Envelope: decode it in place instead
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no Body in %s: %v", b, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == nsSOAP && se.Name.Local == "Body" {
			break
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("empty Body in %s: %v", b, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if err := d.DecodeElement(out, &se); err != nil {
				t.Fatalf("decoding %s: %v", b, err)
			}
			return
		}
	}
}

// testFault is a SOAP 1.2 Fault: the code and the subcode chain.
type testFault struct {
	Code struct {
		Value   string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
		Subcode *struct {
			Value   string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
			Subcode *struct {
				Value string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Subcode"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Subcode"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Code"`
	Reason string `xml:"http://www.w3.org/2003/05/soap-envelope Reason>Text"`
}

// subcode is the first subcode's value (its prefix resolved by hand: ter).
func (f *testFault) subcode() string {
	if f.Code.Subcode == nil {
		return ""
	}
	return f.Code.Subcode.Value
}

// fault calls and expects a fault with HTTP status and subcode.
func (c *onvifTestClient) fault(path, body string, status int, code, subcode string) *testFault {
	c.t.Helper()
	got, b := c.call(path, body)
	var f testFault
	decodeBody(c.t, b, &f)
	if got != status || f.Code.Value != code || f.subcode() != subcode {
		c.t.Fatalf("%s %.80s: HTTP %d %s/%s (%s), want %d %s/%s", path, body, got, f.Code.Value, f.subcode(),
			f.Reason, status, code, subcode)
	}
	return &f
}
