package onvif

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"text/template"
)

// fixtureData fills the templates in testdata (the parts a real camera
// would vary: its address, clock, tokens).
type fixtureData struct {
	Base, Host                             string
	Year, Month, Day, Hour, Minute, Second int
	Token, Last, PresetToken               string
	Op, Prefix, NS                         string
	Code, Subcode, Subcode2, Reason        string
	RelatesTo, UUID, XAddr                 string // discovery
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func renderFixture(t testing.TB, name string, d fixtureData) []byte {
	t.Helper()
	tpl, err := template.New(name).Option("missingkey=error").Parse(string(readFixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
