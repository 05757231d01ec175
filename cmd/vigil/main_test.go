package main_test

import (
	"os"
	"testing"
)

// TestMain gives every `vigil serve` the tests start free ports for live
// media (VIGIL_LIVE_*, inherited by the child processes): several run side
// by side, and a developer's own demo site may hold the default 8189.
func TestMain(m *testing.M) {
	os.Setenv("VIGIL_LIVE_UDP_PORT", "0")
	os.Setenv("VIGIL_LIVE_TCP_PORT", "0")
	os.Exit(m.Run())
}
