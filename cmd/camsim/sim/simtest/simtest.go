// Package simtest starts camera simulators for tests, the way httptest
// starts HTTP servers: small streams on a free loopback port, clips cached in
// the repository's data/clips (shared by every test package and `make clips`).
package simtest

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

// Small streams keep tests under -race cheap: 320x180 main at 25 fps with a
// 1 s GOP, 160x96 sub at 5 fps.
var (
	Main = sim.StreamSpec{Width: 320, Height: 180, FPS: 25, GOP: time.Second, Bitrate: 300_000}
	Sub  = sim.StreamSpec{Width: 160, Height: 96, FPS: 5, GOP: 2 * time.Second, Bitrate: 64_000}
)

// ClipDir is the repository's clip cache.
func ClipDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("simtest: cannot locate the repository")
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "data", "clips")
		}
		if dir == filepath.Dir(dir) {
			t.Fatal("simtest: go.mod not found above", file)
		}
	}
}

// Config is a small, quiet simulator configuration of n cameras.
func Config(t testing.TB, n int) sim.Config {
	cfg := sim.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Cameras = n
	cfg.Main, cfg.Sub = Main, Sub
	cfg.ClipDir = ClipDir(t)
	cfg.ClipSeconds = 4
	cfg.SenderReportPeriod = time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// Start serves n small cameras until the test ends; tune may change the
// configuration first.
func Start(t testing.TB, n int, tune ...func(*sim.Config)) *sim.Server {
	t.Helper()
	cfg := Config(t, n)
	for _, f := range tune {
		f(&cfg)
	}
	s := &sim.Server{Config: cfg}
	if err := s.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
