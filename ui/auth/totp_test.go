package auth

import (
	"bytes"
	"net/url"
	"testing"
	"time"
)

var rfcSecret = []byte("12345678901234567890")

// RFC 6238 appendix B, SHA-1 column, last 6 of the 8 digits.
var rfc6238 = []struct {
	unix int64
	code string
}{
	{59, "287082"},
	{1111111109, "081804"},
	{1111111111, "050471"},
	{1234567890, "005924"},
	{2000000000, "279037"},
	{20000000000, "353130"},
}

func TestTOTPCodeRFC6238(t *testing.T) {
	for _, tc := range rfc6238 {
		if got := TOTPCode(rfcSecret, time.Unix(tc.unix, 0)); got != tc.code {
			t.Errorf("TOTPCode(T=%d) = %s, want %s", tc.unix, got, tc.code)
		}
		step, ok := VerifyTOTP(rfcSecret, tc.code, time.Unix(tc.unix, 0), -1)
		if !ok || step != tc.unix/30 {
			t.Errorf("VerifyTOTP(T=%d, %s) = %d, %v; want %d, true", tc.unix, tc.code, step, ok, tc.unix/30)
		}
	}
}

func TestTOTPRFC4226(t *testing.T) {
	// RFC 4226 appendix D: HOTP values for counters 0..9 of the same secret.
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for c, w := range want {
		if got := hotp(rfcSecret, uint64(c)); string(got[:]) != w {
			t.Errorf("hotp(%d) = %s, want %s", c, got, w)
		}
	}
}

func TestVerifyTOTPWindow(t *testing.T) {
	now := time.Unix(1111111111, 0) // step 37037037
	cur := now.Unix() / 30
	for _, tc := range []struct {
		name  string
		delta int64 // steps from now at which the code was made
		ok    bool
	}{
		{"now", 0, true},
		{"one step behind", -1, true},
		{"one step ahead", 1, true},
		{"two steps behind", -2, false},
		{"two steps ahead", 2, false},
		{"ten steps behind", -10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := TOTPCode(rfcSecret, now.Add(time.Duration(tc.delta)*TOTPPeriod))
			step, ok := VerifyTOTP(rfcSecret, code, now, 0)
			if ok != tc.ok {
				t.Fatalf("VerifyTOTP = %d, %v; want ok=%v", step, ok, tc.ok)
			}
			if ok && step != cur+tc.delta {
				t.Errorf("step = %d, want %d", step, cur+tc.delta)
			}
		})
	}
	// Within one step, every second of it gives the same code.
	start := time.Unix(cur*30, 0)
	if a, b := TOTPCode(rfcSecret, start), TOTPCode(rfcSecret, start.Add(29999*time.Millisecond)); a != b {
		t.Errorf("codes differ within a step: %s, %s", a, b)
	}
	if a, b := TOTPCode(rfcSecret, start), TOTPCode(rfcSecret, start.Add(30*time.Second)); a == b {
		t.Errorf("codes equal across a step: %s", a)
	}
}

func TestVerifyTOTPReplay(t *testing.T) {
	now := time.Unix(1234567890, 0)
	code := TOTPCode(rfcSecret, now)
	step, ok := VerifyTOTP(rfcSecret, code, now, 0)
	if !ok {
		t.Fatal("first use refused")
	}
	if _, ok := VerifyTOTP(rfcSecret, code, now, step); ok {
		t.Error("same code accepted again with lastStep = its step")
	}
	if _, ok := VerifyTOTP(rfcSecret, code, now.Add(TOTPPeriod), step); ok {
		t.Error("same code accepted again a step later")
	}
	if _, ok := VerifyTOTP(rfcSecret, code, now, step+5); ok {
		t.Error("code accepted with lastStep after its step")
	}
	// An older code from the window is refused once a newer step was used.
	prev := TOTPCode(rfcSecret, now.Add(-TOTPPeriod))
	if _, ok := VerifyTOTP(rfcSecret, prev, now, step); ok {
		t.Error("previous step's code accepted after the current step was used")
	}
	// The next step's code is still fine.
	next := TOTPCode(rfcSecret, now.Add(TOTPPeriod))
	if s, ok := VerifyTOTP(rfcSecret, next, now.Add(TOTPPeriod), step); !ok || s != step+1 {
		t.Errorf("next step's code: %d, %v; want %d, true", s, ok, step+1)
	}
}

func TestVerifyTOTPMalformed(t *testing.T) {
	now := time.Unix(1111111109, 0) // code 081804
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{"081804", true},
		{"081 804", true},
		{" 081804 ", true},
		{"0 8 1 8 0 4", true},
		{"81804", false},
		{"0081804", false},
		{"", false},
		{"      ", false},
		{"08180a", false},
		{"+81804", false},
		{"-81804", false},
		{"081804\n", false},
		{"081\t804", false},
		{"０８１８０４", false}, // full-width digits
		{"081-804", false},
		{"081804081804", false},
		{"081804" + string(make([]byte, 100)), false},
		{"                                                                     081804", false}, // over the input bound
	} {
		_, ok := VerifyTOTP(rfcSecret, tc.code, now, 0)
		if ok != tc.ok {
			t.Errorf("VerifyTOTP(%q) ok = %v, want %v", tc.code, ok, tc.ok)
		}
	}
	if _, ok := VerifyTOTP(nil, TOTPCode(nil, now), now, 0); ok {
		t.Error("empty secret verified")
	}
	if _, ok := VerifyTOTP([]byte("another secret 1234"), "081804", now, 0); ok {
		t.Error("code verified under another secret")
	}
}

func TestNewTOTPSecret(t *testing.T) {
	a, b := NewTOTPSecret(), NewTOTPSecret()
	if len(a) != 20 || len(b) != 20 {
		t.Fatalf("secret lengths %d, %d; want 20", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Error("two secrets are equal")
	}
}

func TestTOTPSecretText(t *testing.T) {
	if got, want := TOTPSecretText(rfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; got != want {
		t.Errorf("TOTPSecretText = %s, want %s", got, want)
	}
	if got, want := TOTPSecretText([]byte("ab")), "MFRA"; got != want {
		t.Errorf("TOTPSecretText(ab) = %s, want %s (no padding)", got, want)
	}
}

func TestTOTPURL(t *testing.T) {
	for _, tc := range []struct {
		issuer, account, want string
	}{
		{"Vigil", "alice", "otpauth://totp/Vigil:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigil&algorithm=SHA1&digits=6&period=30"},
		{"Vigil Site A", "bob@example.com", "otpauth://totp/Vigil%20Site%20A:bob%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigil%20Site%20A&algorithm=SHA1&digits=6&period=30"},
		{"A&B=C+D", "x:y/z?", "otpauth://totp/A%26B%3DC%2BD:x%3Ay%2Fz%3F?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=A%26B%3DC%2BD&algorithm=SHA1&digits=6&period=30"},
	} {
		got := TOTPURL(tc.issuer, tc.account, rfcSecret)
		if got != tc.want {
			t.Errorf("TOTPURL(%q, %q)\n got %s\nwant %s", tc.issuer, tc.account, got, tc.want)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("url.Parse: %v", err)
		}
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/"+tc.issuer+":"+tc.account {
			t.Errorf("parsed %q %q %q", u.Scheme, u.Host, u.Path)
		}
		q := u.Query()
		if q.Get("issuer") != tc.issuer || q.Get("secret") != TOTPSecretText(rfcSecret) ||
			q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Errorf("parsed query %v", q)
		}
	}
}
