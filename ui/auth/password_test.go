package auth

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// cheap keeps the tests fast; production uses the zero Hasher (defaults).
var cheap = Hasher{MemoryKiB: 64, Time: 1, Threads: 1}

var phcRe = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestHashVerifyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h      Hasher
		params string
	}{
		{"cheap", cheap, "m=64,t=1,p=1"},
		{"defaults", Hasher{}, "m=19456,t=2,p=1"},
		{"two threads", Hasher{MemoryKiB: 64, Time: 1, Threads: 2}, "m=64,t=1,p=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const pw = "correct horse battery staple ✓"
			enc, err := tc.h.Hash(pw)
			if err != nil {
				t.Fatal(err)
			}
			m := phcRe.FindStringSubmatch(enc)
			if m == nil {
				t.Fatalf("hash %q is not an argon2id PHC string", enc)
			}
			if got := fmt.Sprintf("m=%s,t=%s,p=%s", m[1], m[2], m[3]); got != tc.params {
				t.Errorf("parameters %s, want %s", got, tc.params)
			}
			if salt, _ := base64.RawStdEncoding.DecodeString(m[4]); len(salt) != 16 {
				t.Errorf("salt is %d bytes, want 16", len(salt))
			}
			if key, _ := base64.RawStdEncoding.DecodeString(m[5]); len(key) != 32 {
				t.Errorf("key is %d bytes, want 32", len(key))
			}
			ok, err := VerifyPassword(enc, pw)
			if err != nil || !ok {
				t.Fatalf("VerifyPassword(right) = %v, %v; want true, nil", ok, err)
			}
			for _, wrong := range []string{"", "correct horse battery staple", pw + " ", strings.ToUpper(pw)} {
				ok, err := VerifyPassword(enc, wrong)
				if err != nil || ok {
					t.Errorf("VerifyPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
			enc2, err := tc.h.Hash(pw)
			if err != nil {
				t.Fatal(err)
			}
			if enc2 == enc {
				t.Error("two hashes of one password are equal: salt is not random")
			}
		})
	}
}

func TestHashRefuses(t *testing.T) {
	if _, err := cheap.Hash(strings.Repeat("a", MaxPasswordBytes+1)); err == nil {
		t.Error("Hash accepted a password over MaxPasswordBytes")
	}
	if _, err := cheap.Hash(strings.Repeat("a", MaxPasswordBytes)); err != nil {
		t.Errorf("Hash refused a password of exactly MaxPasswordBytes: %v", err)
	}
	for _, h := range []Hasher{
		{MemoryKiB: 4, Time: 1, Threads: 1},
		{MemoryKiB: 1 << 21, Time: 1, Threads: 1},
		{MemoryKiB: 64, Time: 11, Threads: 1},
		{MemoryKiB: 64, Time: 1, Threads: 17},
		{MemoryKiB: 64, Time: 1, Threads: 16}, // m < 8*p
	} {
		if _, err := h.Hash("whatever it is"); err == nil {
			t.Errorf("Hasher%+v.Hash: no error for out-of-bounds parameters", h)
		}
	}
}

func TestVerifyLongPassword(t *testing.T) {
	enc, err := cheap.Hash(strings.Repeat("a", MaxPasswordBytes))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPassword(enc, strings.Repeat("a", MaxPasswordBytes+1)); ok || err != nil {
		t.Errorf("VerifyPassword(too long) = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := cheap.Hash("x")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$") // "", argon2id, v=19, m=64,t=1,p=1, salt, key
	salt, key := f[4], f[5]
	with := func(i int, v string) string {
		g := append([]string(nil), f...)
		g[i] = v
		return strings.Join(g, "$")
	}
	b := func(n int) string { return base64.RawStdEncoding.EncodeToString(make([]byte, n)) }
	for _, tc := range []struct {
		name, enc, wantErr string
	}{
		{"empty", "", "fields"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "fields"},
		{"argon2i", with(1, "argon2i"), "algorithm"},
		{"argon2d", with(1, "argon2d"), "algorithm"},
		{"upper case", with(1, "ARGON2ID"), "algorithm"},
		{"v=16", with(2, "v=16"), "version"},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, "fields"},
		{"m=1<<30", with(3, "m=1073741824,t=1,p=1"), "memory"},
		{"m=2^32", with(3, "m=4294967296,t=1,p=1"), "out of range"},
		{"m=7", with(3, "m=7,t=1,p=1"), "memory"},
		{"m below 8p", with(3, "m=64,t=1,p=16"), "8*p"},
		{"t=0", with(3, "m=64,t=0,p=1"), "time"},
		{"t=11", with(3, "m=64,t=11,p=1"), "time"},
		{"p=0", with(3, "m=64,t=1,p=0"), "parallelism"},
		{"p=17", with(3, "m=64,t=1,p=17"), "parallelism"},
		{"p=256", with(3, "m=64,t=1,p=256"), "parallelism"},
		{"negative", with(3, "m=-64,t=1,p=1"), "decimal"},
		{"plus sign", with(3, "m=+64,t=1,p=1"), "decimal"},
		{"leading zero", with(3, "m=064,t=1,p=1"), "decimal"},
		{"hex", with(3, "m=0x40,t=1,p=1"), "decimal"},
		{"space", with(3, "m=64, t=1,p=1"), "out of order"},
		{"order", with(3, "t=1,m=64,p=1"), "out of order"},
		{"missing p", with(3, "m=64,t=1"), "m=,t=,p="},
		{"extra param", with(3, "m=64,t=1,p=1,k=2"), "m=,t=,p="},
		{"empty value", with(3, "m=,t=1,p=1"), "decimal"},
		{"bad base64 salt", with(4, "!!!!!!!!!!!!!!!!!!!!!!"), "salt"},
		{"padded salt", with(4, salt+"=="), "salt"},
		{"url base64 key", with(5, strings.Repeat("_", len(key))), "key"},
		{"non-canonical key", with(5, key[:len(key)-1]+"B"), "key"},
		{"short salt", with(4, b(7)), "salt"},
		{"long salt", with(4, b(65)), "salt"},
		{"short key", with(5, b(15)), "key"},
		{"long key", with(5, b(65)), "key"},
		{"empty salt", with(4, ""), "salt"},
		{"missing key", strings.Join(f[:5], "$"), "fields"},
		{"extra field", good + "$" + key, "fields"},
		{"no leading $", strings.TrimPrefix(good, "$"), "fields"},
		{"trailing $", good + "$", "fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := VerifyPassword(tc.enc, "x")
			if err == nil || ok {
				t.Fatalf("VerifyPassword(%q) = %v, %v; want an error", tc.enc, ok, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
		})
	}
	// The same hash with bounds at their edges still parses and verifies.
	for _, enc := range []string{with(4, b(8)), with(4, b(64)), with(5, b(16)), with(5, b(64))} {
		if _, err := VerifyPassword(enc, "x"); err != nil {
			t.Errorf("VerifyPassword(%q): %v; want no error at the bounds", enc, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	def, err := Hasher{}.Hash("some password")
	if err != nil {
		t.Fatal(err)
	}
	c, err := cheap.Hash("some password")
	if err != nil {
		t.Fatal(err)
	}
	longKey := "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(make([]byte, 16)) +
		"$" + base64.RawStdEncoding.EncodeToString(make([]byte, 64))
	for _, tc := range []struct {
		name string
		enc  string
		h    Hasher
		want bool
	}{
		{"defaults vs zero Hasher", def, Hasher{}, false},
		{"defaults vs explicit defaults", def, Hasher{MemoryKiB: 19456, Time: 2, Threads: 1}, false},
		{"cheap vs defaults", c, Hasher{}, true},
		{"cheap vs cheap", c, cheap, false},
		{"defaults vs more memory", def, Hasher{MemoryKiB: 47104, Time: 1}, true},
		{"time differs", c, Hasher{MemoryKiB: 64, Time: 2, Threads: 1}, true},
		{"threads differ", c, Hasher{MemoryKiB: 64, Time: 1, Threads: 2}, true},
		{"key length differs", longKey, cheap, true},
		{"unparseable", "garbage", Hasher{}, true},
	} {
		if got := NeedsRehash(tc.enc, tc.h); got != tc.want {
			t.Errorf("%s: NeedsRehash = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckPasswordRules(t *testing.T) {
	for _, tc := range []struct {
		pw, user string
		wantErr  string // "" for none
	}{
		{"correct horse battery staple", "alice", ""},
		{"Xk7mP-q2wRt-9hBzc-Nf4tE", "admin", ""},
		{"twelve chars", "", ""},
		{"ünïcödé wörd", "bob", ""},           // 12 runes, more bytes
		{"ünïcödé wör", "bob", "at least 12"}, // 11 runes, 17 bytes
		{"short", "bob", "at least 12"},
		{"", "bob", "at least 12"},
		{strings.Repeat("ab", 128), "x", ""},              // 256 bytes
		{strings.Repeat("ab", 128) + "c", "x", "at most"}, // 257 bytes
		{"my name is Alice!!", "alice", "user name"},
		{"my name is ALICE!!", "Alice", "user name"},
		{"al is a fine fellow", "al", ""}, // usernames under 3 chars are not checked
		{"aaaaaaaaaaaaaaaa", "bob", "repeated"},
		{"éééééééééééé", "bob", "repeated"},
		{"123456789012", "bob", "only digits"},
		{"!!!!!!!!!!!!!1", "bob", "only digits"},
		{"passwordpassword", "bob", "common"},
		{"PasswordPassword", "bob", "common"},
		{"password123456", "bob", "common"},
		{"Password2024!!", "bob", "common"},
		{"qwertyuiop123", "bob", "common"},
		{"1q2w3e4r5t6y", "bob", "common"},
		{"administrator", "bob", "common"},
		{"vigilcctv2025", "bob", "common"},
		{"password123456x", "bob", ""}, // not only trailing digits
		{"invalid \xff utf8 text", "bob", "UTF-8"},
	} {
		err := CheckPasswordRules(tc.pw, tc.user)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("CheckPasswordRules(%q, %q) = %v, want nil", tc.pw, tc.user, err)
		case tc.wantErr != "" && err == nil:
			t.Errorf("CheckPasswordRules(%q, %q) = nil, want error about %q", tc.pw, tc.user, tc.wantErr)
		case err != nil && !strings.Contains(err.Error(), tc.wantErr):
			t.Errorf("CheckPasswordRules(%q, %q) = %v, want error about %q", tc.pw, tc.user, err, tc.wantErr)
		case err != nil && !strings.HasPrefix(err.Error(), "password: "):
			t.Errorf("error %q does not start with %q", err, "password: ")
		}
	}
}

func TestCommonPasswordsAreLowerCase(t *testing.T) {
	if n := len(commonPasswords); n < 100 {
		t.Errorf("only %d common passwords", n)
	}
	for _, p := range commonPasswords {
		if p != strings.ToLower(p) {
			t.Errorf("common password %q is not lower case", p)
		}
	}
}

var randomRe = regexp.MustCompile(`^[A-HJ-NP-Za-km-z2-9]{5}(-[A-HJ-NP-Za-km-z2-9]{5}){3}$`)

func TestRandomPassword(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		p := RandomPassword()
		if !randomRe.MatchString(p) {
			t.Fatalf("RandomPassword() = %q, not 4 groups of 5 unambiguous characters", p)
		}
		if strings.ContainsAny(p, "0O1lI") {
			t.Fatalf("RandomPassword() = %q has an ambiguous character", p)
		}
		for _, user := range []string{"", "ab", "admin", "operator"} {
			if err := CheckPasswordRules(p, user); err != nil {
				t.Fatalf("RandomPassword() = %q fails the rules for %q: %v", p, user, err)
			}
		}
		if seen[p] {
			t.Fatalf("RandomPassword() repeated %q", p)
		}
		seen[p] = true
	}
}

func TestRandomPasswordUsesWholeAlphabet(t *testing.T) {
	counts := make(map[rune]int)
	for range 200 {
		for _, r := range strings.ReplaceAll(RandomPassword(), "-", "") {
			counts[r]++
		}
	}
	// 4000 draws over 56 characters: each expected ~71 times; missing one is
	// a bias bug, not chance (probability ~56*e^-71).
	for _, r := range randomAlphabet {
		if counts[r] == 0 {
			t.Errorf("character %q never drawn", r)
		}
	}
	if len(counts) != len(randomAlphabet) {
		t.Errorf("drew %d distinct characters, want %d", len(counts), len(randomAlphabet))
	}
}

func TestRandomPasswordFor(t *testing.T) {
	// A one-group username from the alphabet: likely enough to collide in a
	// long run, and RandomPasswordFor must never return one that does.
	for _, user := range []string{"abc", "Xk7", "a-b"} {
		for range 200 {
			p := RandomPasswordFor(user)
			if err := CheckPasswordRules(p, user); err != nil {
				t.Fatalf("RandomPasswordFor(%q) = %q: %v", user, p, err)
			}
		}
	}
}
