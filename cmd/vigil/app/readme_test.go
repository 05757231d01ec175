package app

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEConfigParses: the README's annotated configuration is a
// valid config file (every key known, every value accepted).
func TestREADMEConfigParses(t *testing.T) {
	raw, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "## Configuration")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README's Configuration section has no yaml block")
	}
	for _, env := range []string{"CAM001_PASSWORD", "CAM002_PASSWORD", "CAM003_PASSWORD"} {
		t.Setenv(env, "example") // the example names passwords kept in the environment
	}
	c, err := ParseConfig("README.md", []byte(block))
	if err != nil {
		t.Fatalf("README's configuration: %v", err)
	}
	if len(c.ANPR.Rules) != 3 {
		t.Errorf("README's anpr rules: %+v", c.ANPR.Rules)
	}
}
