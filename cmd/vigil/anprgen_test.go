package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnprGenerateFlags(t *testing.T) {
	cases := []struct {
		args []string
		err  string // "" = valid
	}{
		{[]string{"-kind", "chars", "-n", "5", "-seed", "1000", "-out", "d"}, ""},
		{[]string{"-kind", "scenes", "-n", "5", "-seed", "0", "-out", "d", "-night", "1", "-blur", "0"}, ""},
		{[]string{"-kind", "faces", "-n", "5", "-seed", "1", "-out", "d"}, "-kind must be"},
		{[]string{"-n", "5", "-seed", "1", "-out", "d"}, "-kind must be"},
		{[]string{"-kind", "chars", "-n", "0", "-seed", "1", "-out", "d"}, "-n must be"},
		{[]string{"-kind", "chars", "-n", "x", "-seed", "1", "-out", "d"}, "invalid value"},
		{[]string{"-kind", "chars", "-n", "5", "-out", "d"}, "-seed is required"},
		{[]string{"-kind", "chars", "-n", "5", "-seed", "-3", "-out", "d"}, "-seed must not be negative"},
		{[]string{"-kind", "chars", "-n", "5", "-seed", "1"}, "-out DIR is required"},
		{[]string{"-kind", "chars", "-n", "5", "-seed", "1", "-out", "d", "-night", "1.5"}, "-night must be"},
		{[]string{"-kind", "chars", "-n", "5", "-seed", "1", "-out", "d", "-blur", "-0.1"}, "-blur must be"},
		{[]string{"-kind", "chars", "-n", "5", "-seed", "1", "-out", "d", "extra"}, "unexpected argument"},
		{[]string{"-bogus"}, "not defined"},
	}
	for _, c := range cases {
		_, err := parseGenerate(c.args)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%v: error %v, want %q", c.args, err, c.err)
		}
	}
}

func TestAnprGenerateRuns(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"chars", "scenes", "plates"} {
		out := filepath.Join(dir, kind)
		if code := anprGenerate([]string{"-kind", kind, "-n", "3", "-seed", "9999", "-out", out}); code != 0 {
			t.Fatalf("%s: exit %d", kind, code)
		}
		files, _ := os.ReadDir(out)
		if len(files) == 0 {
			t.Fatalf("%s: nothing written", kind)
		}
	}
	if code := anprGenerate([]string{"-kind", "chars"}); code != 2 {
		t.Fatalf("bad flags: exit %d, want 2", code)
	}
}
