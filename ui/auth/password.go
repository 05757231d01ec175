// Package auth holds Vigil's identity rules: password hashing and rules, TOTP second factors, roles and their permissions.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

const (
	// MaxPasswordBytes is the longest password accepted, in bytes. It bounds
	// the work a login request can ask of the server.
	MaxPasswordBytes = 256
	// MinPasswordChars is the shortest password accepted, in characters
	// (runes), not bytes.
	MinPasswordChars = 12
)

// Default argon2id parameters: OWASP's recommendation (m=19 MiB, t=2, p=1).
const (
	DefaultMemoryKiB uint32 = 19456
	DefaultTime      uint32 = 2
	DefaultThreads   uint8  = 1

	saltBytes = 16
	keyBytes  = 32
)

// Bounds accepted when parsing a stored hash, so a corrupt or hostile row
// cannot make VerifyPassword exhaust the machine.
const (
	minMemoryKiB = 8
	maxMemoryKiB = 1 << 20
	minTime      = 1
	maxTime      = 10
	minThreads   = 1
	maxThreads   = 16
	minSaltBytes = 8
	maxSaltBytes = 64
	minKeyBytes  = 16
	maxKeyBytes  = 64
)

// ErrPasswordTooLong is returned by Hasher.Hash for a password longer than
// MaxPasswordBytes.
var ErrPasswordTooLong = fmt.Errorf("password: longer than %d bytes; use a shorter one", MaxPasswordBytes)

// Hasher hashes passwords with argon2id. Zero fields take the defaults
// (DefaultMemoryKiB, DefaultTime, DefaultThreads).
type Hasher struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// params is one set of argon2id parameters, as stored in a PHC string.
type params struct {
	memory  uint32
	time    uint32
	threads uint8
}

func (h Hasher) effective() params {
	p := params{memory: h.MemoryKiB, time: h.Time, threads: h.Threads}
	if p.memory == 0 {
		p.memory = DefaultMemoryKiB
	}
	if p.time == 0 {
		p.time = DefaultTime
	}
	if p.threads == 0 {
		p.threads = DefaultThreads
	}
	return p
}

// check applies the bounds VerifyPassword applies, so Hash never writes a
// hash that VerifyPassword would refuse.
func (p params) check() error {
	switch {
	case p.memory < minMemoryKiB || p.memory > maxMemoryKiB:
		return fmt.Errorf("argon2id: memory m=%d KiB out of range %d..%d", p.memory, minMemoryKiB, maxMemoryKiB)
	case p.time < minTime || p.time > maxTime:
		return fmt.Errorf("argon2id: time t=%d out of range %d..%d", p.time, minTime, maxTime)
	case p.threads < minThreads || p.threads > maxThreads:
		return fmt.Errorf("argon2id: parallelism p=%d out of range %d..%d", p.threads, minThreads, maxThreads)
	case p.memory < 8*uint32(p.threads):
		return fmt.Errorf("argon2id: memory m=%d KiB is below 8*p=%d KiB", p.memory, 8*uint32(p.threads))
	}
	return nil
}

// Hash returns password hashed with argon2id as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, with a 16-byte random salt,
// a 32-byte key, both in unpadded standard base64.
func (h Hasher) Hash(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	p := h.effective()
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("argon2id: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, keyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// b64 is the PHC string's base64: standard alphabet, no padding, and strict
// about unused trailing bits so each hash has exactly one spelling.
var b64 = base64.RawStdEncoding.Strict()

type phc struct {
	params
	salt []byte
	key  []byte
}

// parsePHC parses an argon2id PHC string strictly. Its errors name what is
// wrong; they never include the salt or key.
func parsePHC(encoded string) (phc, error) {
	var out phc
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return out, fmt.Errorf("argon2id hash: want 5 '$'-separated fields, have %d", len(fields)-1)
	}
	if fields[1] != "argon2id" {
		return out, errors.New("argon2id hash: algorithm is not argon2id")
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return out, fmt.Errorf("argon2id hash: version field is not v=%d", argon2.Version)
	}
	ps := strings.Split(fields[3], ",")
	if len(ps) != 3 {
		return out, errors.New("argon2id hash: parameters are not exactly m=,t=,p=")
	}
	var err error
	if out.memory, err = parseParam(ps[0], "m"); err != nil {
		return out, err
	}
	if out.time, err = parseParam(ps[1], "t"); err != nil {
		return out, err
	}
	threads, err := parseParam(ps[2], "p")
	if err != nil {
		return out, err
	}
	if threads > maxThreads {
		return out, fmt.Errorf("argon2id hash: parallelism p=%d out of range %d..%d", threads, minThreads, maxThreads)
	}
	out.threads = uint8(threads)
	if err := out.params.check(); err != nil {
		return out, fmt.Errorf("argon2id hash: %w", err)
	}
	// Check encoded lengths before decoding so a huge field costs nothing.
	if n := len(fields[4]); n < b64.EncodedLen(minSaltBytes) || n > b64.EncodedLen(maxSaltBytes) {
		return out, fmt.Errorf("argon2id hash: salt is not %d..%d bytes", minSaltBytes, maxSaltBytes)
	}
	if n := len(fields[5]); n < b64.EncodedLen(minKeyBytes) || n > b64.EncodedLen(maxKeyBytes) {
		return out, fmt.Errorf("argon2id hash: key is not %d..%d bytes", minKeyBytes, maxKeyBytes)
	}
	if out.salt, err = b64.DecodeString(fields[4]); err != nil {
		return out, errors.New("argon2id hash: salt is not unpadded standard base64")
	}
	if out.key, err = b64.DecodeString(fields[5]); err != nil {
		return out, errors.New("argon2id hash: key is not unpadded standard base64")
	}
	return out, nil
}

// parseParam parses "name=decimal" with no sign, no spaces and no leading zeros.
func parseParam(s, name string) (uint32, error) {
	v, ok := strings.CutPrefix(s, name+"=")
	if !ok {
		return 0, fmt.Errorf("argon2id hash: parameter %q missing or out of order (want m=,t=,p=)", name)
	}
	if v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("argon2id hash: parameter %s is not a plain decimal number", name)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("argon2id hash: parameter %s is out of range", name)
	}
	return uint32(n), nil
}

// VerifyPassword reports whether password matches the PHC string encoded.
// A wrong password is (false, nil); a hash that does not parse, or whose
// parameters are outside the accepted bounds, is an error. A password longer
// than MaxPasswordBytes never matches, since Hash refuses to hash one.
func VerifyPassword(encoded, password string) (bool, error) {
	h, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordBytes {
		return false, nil
	}
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// NeedsRehash reports whether the hash encoded was made with parameters other
// than h's effective ones (memory, time, parallelism, salt or key length), so
// the caller should store a fresh hash after the next successful login. A
// hash that does not parse needs rehashing too.
func NeedsRehash(encoded string, h Hasher) bool {
	stored, err := parsePHC(encoded)
	if err != nil {
		return true
	}
	return stored.params != h.effective() || len(stored.salt) != saltBytes || len(stored.key) != keyBytes
}

// CheckPasswordRules applies Vigil's password rules, after the UK NCSC's
// advice: long rather than complex. A password must have at least
// MinPasswordChars characters and at most MaxPasswordBytes bytes, must not
// contain the username (when that has 3 or more characters), must not be one
// character repeated or only digits and punctuation, and must not be a common
// password (also with trailing digits or punctuation removed, so
// "password123456" is refused). Errors start with "password: " and say
// what to do instead.
func CheckPasswordRules(password, username string) error {
	if !utf8.ValidString(password) {
		return errors.New("password: is not valid UTF-8 text; type it again")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordChars {
		return fmt.Errorf("password: use at least %d characters (this has %d); three or four unrelated words make a strong one", MinPasswordChars, n)
	}
	if len(password) > MaxPasswordBytes {
		return fmt.Errorf("password: use at most %d bytes; choose a shorter one", MaxPasswordBytes)
	}
	lower := strings.ToLower(password)
	if u := strings.ToLower(strings.TrimSpace(username)); utf8.RuneCountInString(u) >= 3 && strings.Contains(lower, u) {
		return errors.New("password: must not contain the user name; choose something else")
	}
	first, _ := utf8.DecodeRuneInString(password)
	if strings.Trim(password, string(first)) == "" {
		return errors.New("password: must not be one character repeated; choose something less guessable")
	}
	if strings.Trim(password, trailingJunk) == "" {
		return errors.New("password: must not be only digits or punctuation; three or four unrelated words make a strong one")
	}
	if isCommonPassword(lower) {
		return errors.New("password: is too common and is among the first that attackers try; choose something less guessable")
	}
	return nil
}

func isCommonPassword(lower string) bool {
	if commonSet[lower] {
		return true
	}
	return commonSet[strings.TrimRight(lower, trailingJunk)]
}

// trailingJunk is what people append to a common password to get past
// rules: digits and punctuation.
const trailingJunk = "0123456789!@#$%^&*?.,;:-_+= "

var commonSet = func() map[string]bool {
	m := make(map[string]bool, len(commonPasswords))
	for _, p := range commonPasswords {
		m[strings.ToLower(p)] = true
	}
	return m
}()

// commonPasswords are among the most used passwords in public breach lists,
// plus words an attacker would try first against a CCTV system. Compared in
// lower case, so each entry is stored in lower case.
var commonPasswords = []string{
	"123456", "password", "12345678", "qwerty", "123456789", "12345",
	"1234", "111111", "1234567", "dragon", "123123", "baseball", "abc123",
	"football", "monkey", "letmein", "shadow", "master", "696969", "mustang",
	"michael", "pussy", "superman", "fuckyou", "121212", "killer", "trustno",
	"jordan", "jennifer", "hunter", "buster", "soccer", "harley", "batman",
	"andrew", "tigger", "sunshine", "iloveyou", "charlie", "robert", "thomas",
	"hockey", "ranger", "daniel", "starwars", "klaster", "112233", "george",
	"computer", "michelle", "jessica", "pepper", "zxcvbnm", "freedom", "ginger",
	"princess", "joshua", "cheese", "amanda", "summer", "love", "ashley",
	"nicole", "chelsea", "biteme", "matthew", "access", "yankees", "dallas",
	"austin", "thunder", "taylor", "matrix", "welcome", "login", "admin",
	"administrator", "passw0rd", "p@ssw0rd", "p@ssword", "qwertyuiop",
	"qwertyuiopasdfghjkl", "1q2w3e4r", "1q2w3e4r5t6y", "1qaz2wsx",
	"1qaz2wsx3edc", "qazwsx", "asdfghjkl", "asdfasdf", "zaq12wsx",
	"changeme", "secret", "default", "guest", "root", "toor",
	"passwordpassword", "correcthorsebatterystaple", "iloveyoubaby",
	"welcomewelcome", "abcdefghijkl", "abcdefghijklmnop", "abcd1234",
	"aaaaaaaaaaaa", "qwerty123", "password1", "vigil", "vigilcctv", "cctv",
	"camera", "security", "surveillance", "hikvision", "dahua", "supervisor",
	"operator", "monitor",
}

// randomAlphabet has no characters that are easy to confuse when read aloud
// or copied from paper: no 0/O, 1/l/I.
const randomAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// RandomPassword returns a fresh password for a first administrator or a
// reset: 4 groups of 5 characters from an unambiguous alphabet, joined by
// "-", such as "Xk7mP-q2wRt-9hBzc-Nf4tE" (about 116 bits of entropy). It
// passes CheckPasswordRules for any username shorter than 3 characters; for
// a particular user use RandomPasswordFor, which also rules out the (small)
// chance that the username turns up inside it.
func RandomPassword() string {
	const groups, per = 4, 5
	b := make([]byte, 0, groups*per+groups-1)
	buf := make([]byte, 64)
	for len(b) < cap(b) {
		if _, err := rand.Read(buf); err != nil {
			panic("auth: crypto/rand failed: " + err.Error()) // crypto/rand.Read does not fail on supported platforms
		}
		for _, x := range buf {
			// Rejection sampling keeps every character equally likely.
			if int(x) >= 256-256%len(randomAlphabet) {
				continue
			}
			if len(b) == cap(b) {
				break
			}
			if len(b)%(per+1) == per {
				b = append(b, '-')
			}
			b = append(b, randomAlphabet[int(x)%len(randomAlphabet)])
		}
	}
	return string(b)
}

// RandomPasswordFor returns a RandomPassword that passes CheckPasswordRules
// for username.
func RandomPasswordFor(username string) string {
	for {
		p := RandomPassword()
		if CheckPasswordRules(p, username) == nil {
			return p
		}
	}
}
