package onvif

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
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCam is an ONVIF device good enough to test the client: it answers
// from the testdata fixtures of one camera style and checks credentials
// with its own code (not the client's), as a camera would.
type fakeCam struct {
	t     testing.TB
	style string // fixture directory: hik, dahua, axis
	user  string
	pass  string
	wsse  bool          // accepts WS-Security UsernameToken
	dig   bool          // accepts HTTP Digest
	skew  time.Duration // device clock minus real time
	// nonceUses makes a Digest nonce stale after that many uses (0: never).
	nonceUses int
	// noClock answers GetSystemDateAndTime with a fault.
	noClock bool
	// failStream answers GetStreamUri for these tokens with a fault.
	failStream map[string]bool
	// override, when set, answers every request instead.
	override http.HandlerFunc

	srv *httptest.Server

	mu     sync.Mutex
	calls  []fakeCall
	nonces map[string]int // issued Digest nonce -> uses
}

type fakeCall struct {
	op     string
	ns     string
	auth   string // none, wsse, digest, stale (nonce), rejected
	path   string
	fields map[string]string // leaf text and attributes under the op, by path
	raw    []byte
	ctype  string
}

func newFakeCam(t testing.TB, style string, opts ...func(*fakeCam)) *fakeCam {
	f := &fakeCam{t: t, style: style, user: "admin", pass: "Sup3r secret!", wsse: true, dig: true, nonces: map[string]int{}}
	for _, o := range opts {
		o(f)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCam) xaddr() string { return f.srv.URL + "/onvif/device_service" }

func (f *fakeCam) client(t testing.TB, user, pass string, mod ...func(*Config)) *Client {
	cfg := Config{XAddr: f.xaddr(), Username: user, Password: pass, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func (f *fakeCam) callLog() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

func (f *fakeCam) reset() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

// lastCall is the last request for op.
func (f *fakeCam) lastCall(op string) (fakeCall, bool) {
	calls := f.callLog()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].op == op {
			return calls[i], true
		}
	}
	return fakeCall{}, false
}

func (f *fakeCam) serve(w http.ResponseWriter, r *http.Request) {
	if f.override != nil {
		f.override(w, r)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call, tok, err := parseFakeRequest(raw)
	if err != nil {
		f.t.Errorf("fake camera: unreadable request: %v\n%s", err, raw)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call.path, call.raw, call.ctype = r.URL.Path, raw, r.Header.Get("Content-Type")
	call.auth = f.authenticate(r, call.op, tok)
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()

	if call.auth == "rejected" || call.auth == "stale" {
		if f.dig {
			stale := strings.ToUpper(fmt.Sprint(call.auth == "stale"))
			w.Header().Add("WWW-Authenticate", `Basic realm="IP Camera(C1234)"`)
			w.Header().Add("WWW-Authenticate", fmt.Sprintf(`Digest qop="auth", realm="IP Camera(C1234)", nonce="%s", stale="%s", opaque="5ccc069c403ebaf9f0171e9517f40e41"`, f.newNonce(), stale))
			f.fault(w, http.StatusUnauthorized, "Sender", "NotAuthorized", "", "Sender not Authorized")
			return
		}
		f.fault(w, http.StatusBadRequest, "Sender", "NotAuthorized", "", "Sender not Authorized")
		return
	}
	f.answer(w, call)
}

// authenticate says which mechanism the request passed, or "rejected".
func (f *fakeCam) authenticate(r *http.Request, op string, tok usernameTokenXML) string {
	if f.wsse && tok.Username != "" {
		if tok.Username == f.user && f.checkWSSE(tok) {
			return "wsse"
		}
		return "rejected"
	}
	if f.dig {
		if h := r.Header.Get("Authorization"); h != "" {
			switch ok, stale := f.checkDigest(h, r.Method, r.URL.RequestURI()); {
			case ok:
				return "digest"
			case stale:
				return "stale"
			}
			return "rejected"
		}
	}
	if op == "GetSystemDateAndTime" || (!f.wsse && !f.dig) {
		return "none"
	}
	return "rejected"
}

func (f *fakeCam) checkWSSE(tok usernameTokenXML) bool {
	nonce, err := base64.StdEncoding.DecodeString(tok.Nonce)
	if err != nil {
		return false
	}
	created, err := time.Parse(time.RFC3339, tok.Created)
	if err != nil {
		return false
	}
	if d := created.Sub(time.Now().Add(f.skew)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	h := sha1.Sum([]byte(string(nonce) + tok.Created + f.pass))
	return base64.StdEncoding.EncodeToString(h[:]) == tok.Password
}

var authParam = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))`)

// checkDigest verifies an RFC 7616 MD5 qop=auth answer to one of our nonces.
func (f *fakeCam) checkDigest(h, method, uri string) (ok, stale bool) {
	if !strings.HasPrefix(h, "Digest ") {
		return false, false
	}
	p := map[string]string{}
	for _, m := range authParam.FindAllStringSubmatch(h[len("Digest "):], -1) {
		v := m[2] + m[3]
		p[m[1]] = strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(v)
	}
	f.mu.Lock()
	uses, known := f.nonces[p["nonce"]]
	if known {
		f.nonces[p["nonce"]]++
	}
	f.mu.Unlock()
	if !known || p["uri"] != uri || p["qop"] != "auth" || p["username"] != f.user {
		return false, false
	}
	md := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	ha1 := md(f.user + ":" + "IP Camera(C1234)" + ":" + f.pass)
	want := md(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + md(method+":"+uri))
	if want != p["response"] {
		return false, false
	}
	if f.nonceUses > 0 && uses >= f.nonceUses {
		return false, true
	}
	return true, false
}

func (f *fakeCam) newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	n := hex.EncodeToString(b)
	f.mu.Lock()
	f.nonces[n] = 0
	f.mu.Unlock()
	return n
}

var emptyOps = map[string]string{
	"ContinuousMove": nsPTZ, "RelativeMove": nsPTZ, "AbsoluteMove": nsPTZ, "Stop": nsPTZ,
	"GotoPreset": nsPTZ, "GotoHomePosition": nsPTZ, "RemovePreset": nsPTZ,
}

func (f *fakeCam) answer(w http.ResponseWriter, call fakeCall) {
	u, _ := url.Parse(f.srv.URL)
	now := time.Now().Add(f.skew).UTC()
	tok := call.fields["ProfileToken"]
	d := fixtureData{
		Base: f.srv.URL, Host: u.Hostname(),
		Year: now.Year(), Month: int(now.Month()), Day: now.Day(), Hour: now.Hour(), Minute: now.Minute(), Second: now.Second(),
		Token: tok, Op: call.op, Prefix: "tptz", NS: call.ns, PresetToken: "34",
	}
	if tok != "" {
		d.Last = tok[len(tok)-1:]
	}
	if t := call.fields["PresetToken"]; t != "" {
		d.PresetToken = t
	}
	switch {
	case call.op == "GetSystemDateAndTime" && f.noClock:
		f.fault(w, http.StatusInternalServerError, "Receiver", "ActionNotSupported", "", "clock service disabled")
		return
	case strings.HasPrefix(tok, "missing") || f.failStream[tok]:
		f.fault(w, http.StatusBadRequest, "Sender", "InvalidArgVal", "NoProfile", "The requested profile token ProfileToken does not exist")
		return
	}
	name := filepath.Join(f.style, call.op+".xml")
	if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
		if ns, ok := emptyOps[call.op]; ok && ns == call.ns && f.style != "dahua" {
			name = filepath.Join(f.style, "empty.xml")
		} else {
			f.fault(w, http.StatusInternalServerError, "Receiver", "ActionNotSupported", "", "Optional Action Not Implemented")
			return
		}
	}
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	_, _ = w.Write(renderFixture(f.t, name, d))
}

func (f *fakeCam) fault(w http.ResponseWriter, status int, code, sub, sub2, reason string) {
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(renderFixture(f.t, filepath.Join(f.style, "fault.xml"), fixtureData{Code: code, Subcode: sub, Subcode2: sub2, Reason: reason}))
}

type usernameTokenXML struct {
	Username string `xml:"Username"`
	Password string `xml:"Password"`
	Nonce    string `xml:"Nonce"`
	Created  string `xml:"Created"`
}

// parseFakeRequest reads a request the way a camera might: the token from
// the header, the operation and its fields from the body.
func parseFakeRequest(raw []byte) (fakeCall, usernameTokenXML, error) {
	var env struct {
		Token usernameTokenXML `xml:"Header>Security>UsernameToken"`
	}
	if err := xml.Unmarshal(raw, &env); err != nil {
		return fakeCall{}, usernameTokenXML{}, err
	}
	d := xml.NewDecoder(bytes.NewReader(raw))
	var call fakeCall
	inBody := false
	var path []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fakeCall{}, usernameTokenXML{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case !inBody && t.Name.Local == "Body" && t.Name.Space == nsSOAP:
				inBody = true
			case inBody && call.op == "":
				call.op, call.ns, call.fields = t.Name.Local, t.Name.Space, map[string]string{}
			case call.op != "":
				path = append(path, t.Name.Local)
				for _, a := range t.Attr {
					call.fields[strings.Join(path, "/")+"@"+a.Name.Local] = a.Value
				}
			}
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		case xml.CharData:
			if len(path) > 0 && strings.TrimSpace(string(t)) != "" {
				call.fields[strings.Join(path, "/")] = string(t)
			}
		}
	}
	if call.op == "" {
		return fakeCall{}, usernameTokenXML{}, fmt.Errorf("no operation in the body")
	}
	return call, env.Token, nil
}
