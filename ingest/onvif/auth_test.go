package onvif

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthMechanisms(t *testing.T) {
	cases := []struct {
		name      string
		wsse, dig bool
		user      string
		pass      string
		want      AuthMethod // AuthUnknown: expect ErrAuth
		msg       string
	}{
		{"ws-security", true, false, "admin", "Sup3r secret!", AuthWSSecurity, ""},
		{"digest", false, true, "admin", "Sup3r secret!", AuthHTTPDigest, ""},
		{"both prefers ws-security", true, true, "admin", "Sup3r secret!", AuthWSSecurity, ""},
		{"ws-security wrong password", true, false, "admin", "wrong", AuthUnknown, "camera rejected the credentials"},
		{"digest wrong password", false, true, "admin", "wrong", AuthUnknown, "camera rejected the credentials"},
		{"both wrong user", true, true, "operator", "Sup3r secret!", AuthUnknown, "camera rejected the credentials"},
		{"no credentials", true, true, "", "", AuthUnknown, "requires credentials and none are configured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeCam(t, "hik", func(f *fakeCam) { f.wsse, f.dig = c.wsse, c.dig })
			cl := f.client(t, c.user, c.pass)
			_, err := cl.GetDeviceInformation(context.Background())
			if c.want == AuthUnknown {
				if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("err %v, want ErrAuth saying %q", err, c.msg)
				}
				if !IsFault(err, NotAuthorized) {
					t.Errorf("the camera's NotAuthorized fault is not kept: %v", err)
				}
				if n := len(f.callLog()); n > 4 {
					t.Errorf("%d requests to be refused; want few", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cl.Auth(); got != c.want {
				t.Fatalf("Auth %v, want %v", got, c.want)
			}
			// Remembered: the next call is one request, with that method.
			f.reset()
			if _, err := cl.GetDeviceInformation(context.Background()); err != nil {
				t.Fatal(err)
			}
			calls := f.callLog()
			wantAuth := map[AuthMethod]string{AuthWSSecurity: "wsse", AuthHTTPDigest: "digest"}[c.want]
			if len(calls) != 1 || calls[0].auth != wantAuth {
				t.Fatalf("second call: %d requests %+v; want one by %s", len(calls), calls, wantAuth)
			}
		})
	}
}

func TestAuthWSSecurityUsesDeviceClock(t *testing.T) {
	// The camera's clock is 3 h ahead and it accepts only WS-Security,
	// whose Created must be within 5 min of its clock.
	f := newFakeCam(t, "dahua", func(f *fakeCam) { f.skew, f.dig = 3*time.Hour, false })
	cl := f.client(t, f.user, f.pass)
	if _, err := cl.GetDeviceInformation(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := f.callLog()
	if len(calls) != 2 || calls[0].op != "GetSystemDateAndTime" || calls[1].auth != "wsse" {
		t.Fatalf("calls %+v; want the clock read first, then the call by WS-Security", calls)
	}

	// Without the camera's clock our own is 3 h off and it refuses us.
	g := newFakeCam(t, "dahua", func(f *fakeCam) { f.skew, f.dig, f.noClock = 3*time.Hour, false, true })
	_, err := g.client(t, g.user, g.pass).GetDeviceInformation(context.Background())
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err %v, want ErrAuth", err)
	}
}

func TestAuthDigestStaleNonce(t *testing.T) {
	f := newFakeCam(t, "hik", func(f *fakeCam) { f.wsse, f.nonceUses = false, 1 })
	cl := f.client(t, f.user, f.pass)
	for i := range 3 {
		if _, err := cl.GetDeviceInformation(context.Background()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if cl.Auth() != AuthHTTPDigest {
		t.Fatalf("Auth %v", cl.Auth())
	}
	stale := 0
	for _, c := range f.callLog() {
		if c.auth == "stale" {
			stale++
		}
	}
	if stale != 2 {
		t.Fatalf("%d stale nonces answered; want the second and third calls to meet one each", stale)
	}
}

func TestAuthConcurrentCalls(t *testing.T) {
	f := newFakeCam(t, "hik", func(f *fakeCam) { f.wsse = false })
	cl := f.client(t, f.user, f.pass)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cl.GetDeviceInformation(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDigestChallengeParsing(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		want   digestChallenge
		err    string
	}{
		{"hikvision", []string{`Digest qop="auth", realm="IP Camera(C1234)", nonce="4e5445344d7a6b77", stale="FALSE"`},
			digestChallenge{realm: "IP Camera(C1234)", nonce: "4e5445344d7a6b77", qop: true}, ""},
		{"two headers, basic first", []string{`Basic realm="x"`, `Digest realm="cam", nonce="n1", algorithm=MD5, qop="auth,auth-int", opaque="o"`},
			digestChallenge{realm: "cam", nonce: "n1", opaque: "o", algorithm: "MD5", qop: true}, ""},
		{"two in one header", []string{`Basic realm="a, b", Digest realm="cam", nonce="n2"`},
			digestChallenge{realm: "cam", nonce: "n2"}, ""},
		{"sha-256 preferred", []string{`Digest realm="r", nonce="m", algorithm=MD5, qop="auth"`, `Digest realm="r", nonce="s", algorithm=SHA-256, qop="auth"`},
			digestChallenge{realm: "r", nonce: "s", algorithm: "SHA-256", sha256: true, qop: true}, ""},
		{"stale and escapes", []string{`Digest realm="a \"quoted\" realm", nonce="n3", stale=true, qop=auth`},
			digestChallenge{realm: `a "quoted" realm`, nonce: "n3", stale: true, qop: true}, ""},
		{"token68 scheme before", []string{`Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEFoQMCAQ6iBwMFACAAAACjggS=, Digest realm="r", nonce="n"`},
			digestChallenge{realm: "r", nonce: "n"}, ""},
		{"no nonce", []string{`Digest realm="r"`}, digestChallenge{}, "without a nonce"},
		{"auth-int only", []string{`Digest realm="r", nonce="n", qop="auth-int"`}, digestChallenge{}, "qop"},
		{"unknown algorithm", []string{`Digest realm="r", nonce="n", algorithm=SHA-512-256`}, digestChallenge{}, "not supported"},
		{"basic only", []string{`Basic realm="r"`}, digestChallenge{}, "no Digest challenge"},
		{"unterminated", []string{`Digest realm="r, nonce=n`}, digestChallenge{}, "unterminated"},
		{"too long", []string{"Digest realm=" + strings.Repeat("a", 5000)}, digestChallenge{}, "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := pickDigest(c.values)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != c.want {
				t.Fatalf("got %+v, want %+v", *got, c.want)
			}
		})
	}
}

// The worked examples of RFC 2617 section 3.5 and RFC 7616 section 3.9.1.
func TestDigestResponseRFCExamples(t *testing.T) {
	rfc2617 := &digestChallenge{realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque: "5ccc069c403ebaf9f0171e9517f40e41", qop: true}
	got := rfc2617.authorizationWith("Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b")
	if !strings.Contains(got, `response="6629fae49393a05397450978507c4ef1"`) || !strings.Contains(got, "nc=00000001") {
		t.Errorf("RFC 2617: %s", got)
	}
	for _, c := range []struct {
		alg    string
		sha    bool
		answer string
	}{
		{"MD5", false, "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", true, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		d := &digestChallenge{realm: "http-auth@example.org", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", algorithm: c.alg, sha256: c.sha, qop: true}
		got := d.authorizationWith("Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
		if !strings.Contains(got, `response="`+c.answer+`"`) {
			t.Errorf("RFC 7616 %s: %s", c.alg, got)
		}
	}
}

func TestUsernameTokenDigest(t *testing.T) {
	// Base64(SHA1(nonce + created + password)), worked with sha1sum | base64.
	created := time.Date(2025, 3, 30, 1, 2, 3, 0, time.UTC)
	got := usernameTokenWith("ad<min", "pass<&>", created, []byte("0123456789abcdef"))
	for _, want := range []string{
		"<wsse:Username>ad&lt;min</wsse:Username>",
		">uVyzwf4y0r5BWpDxds1CxrRoldk=</wsse:Password>",
		"<wsu:Created>2025-03-30T01:02:03Z</wsu:Created>",
		"<wsse:Nonce EncodingType=\"" + wsseBase64 + "\">MDEyMzQ1Njc4OWFiY2RlZg==</wsse:Nonce>",
		`Type="` + wssePasswordDigest + `"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("token lacks %s:\n%s", want, got)
		}
	}
}
