package auth

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzPassword is the password the seed hashes in
// testdata/fuzz/FuzzVerifyPassword were made from.
const fuzzPassword = "fuzzing is fun, really"

// fuzzMaxCost bounds memory*time (KiB-passes) of the hashes the fuzzer has
// VerifyPassword actually compute, so mutated parameters near the 1 GiB
// limit do not stall the fuzzer; larger ones still go through the parser.
const fuzzMaxCost = 1 << 16

func FuzzVerifyPassword(f *testing.F) {
	valid, err := cheap.Hash(fuzzPassword)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(strings.Replace(valid, "argon2id", "argon2i", 1))
	f.Fuzz(func(t *testing.T, encoded string) {
		p, perr := parsePHC(encoded)
		if perr == nil && uint64(p.memory)*uint64(p.time) > fuzzMaxCost {
			return
		}
		ok, err := VerifyPassword(encoded, fuzzPassword)
		if (err == nil) != (perr == nil) {
			t.Fatalf("VerifyPassword error %v, parsePHC error %v", err, perr)
		}
		if err != nil && ok {
			t.Fatalf("ok with error %v", err)
		}
		if err == nil && !strings.HasPrefix(encoded, "$argon2id$v=19$m=") {
			t.Fatalf("accepted %q", encoded)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "argon2id hash: ") {
			t.Fatalf("error %q lacks its prefix", err)
		}
		_ = NeedsRehash(encoded, Hasher{})
	})
}

func FuzzVerifyTOTP(f *testing.F) {
	now := time.Unix(1111111111, 0)
	f.Add("050471")
	f.Add("050 471")
	f.Add("12345")
	f.Fuzz(func(t *testing.T, code string) {
		step, ok := VerifyTOTP(rfcSecret, code, now, 0)
		if !ok {
			if step != 0 {
				t.Fatalf("refused with step %d", step)
			}
			return
		}
		cur := now.Unix() / 30
		if step < cur-1 || step > cur+1 {
			t.Fatalf("step %d outside the window around %d", step, cur)
		}
		want := TOTPCode(rfcSecret, time.Unix(step*30, 0))
		if strings.ReplaceAll(code, " ", "") != want {
			t.Fatalf("accepted %q for step %d whose code is %s", code, step, want)
		}
		if _, again := VerifyTOTP(rfcSecret, code, now, step); again {
			t.Fatalf("replay of %q accepted", code)
		}
	})
}

// TestFuzzSeeds checks that the seed corpora say what their names say, so
// the fuzzers start from both sides of the line.
func TestFuzzSeeds(t *testing.T) {
	for _, tc := range []struct {
		fuzz  string
		check func(string) bool
	}{
		{"FuzzVerifyPassword", func(s string) bool {
			ok, err := VerifyPassword(s, fuzzPassword)
			return ok && err == nil
		}},
		{"FuzzVerifyTOTP", func(s string) bool {
			_, ok := VerifyTOTP(rfcSecret, s, time.Unix(1111111111, 0), 0)
			return ok
		}},
	} {
		dir := filepath.Join("testdata", "fuzz", tc.fuzz)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var valid, invalid int
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
				!strings.HasPrefix(lines[1], "string(") || !strings.HasSuffix(lines[1], ")") {
				t.Fatalf("%s/%s: not a one-string go test fuzz v1 file", dir, e.Name())
			}
			s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, e.Name(), err)
			}
			want := strings.HasPrefix(e.Name(), "valid-")
			if !want && !strings.HasPrefix(e.Name(), "invalid-") {
				continue // found by the fuzzer, not a hand-made seed
			}
			if got := tc.check(s); got != want {
				t.Errorf("%s/%s: verifies = %v, want %v", dir, e.Name(), got, want)
			}
			if want {
				valid++
			} else {
				invalid++
			}
		}
		if valid == 0 || invalid == 0 {
			t.Errorf("%s: %d valid and %d invalid seeds; want some of each", dir, valid, invalid)
		}
	}
}
