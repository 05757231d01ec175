package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

// simFlags are the camera simulator's settings, passed to the camsim child.
type simFlags struct {
	cameras     int
	listen      string
	mainSize    string
	mainFPS     int
	mainBitrate string
	gop         time.Duration
	clips       string
}

func (f simFlags) args() []string {
	return []string{
		"-cameras", fmt.Sprint(f.cameras), "-listen", f.listen,
		"-main-size", f.mainSize, "-main-fps", fmt.Sprint(f.mainFPS),
		"-main-bitrate", f.mainBitrate, "-gop", f.gop.String(), "-clips", f.clips,
	}
}

func (f simFlags) config() (sim.Config, error) {
	cfg := sim.DefaultConfig()
	cfg.Cameras = f.cameras
	cfg.Listen = f.listen
	cfg.ClipDir = f.clips
	w, h, err := sim.ParseSize(f.mainSize)
	if err != nil {
		return cfg, fmt.Errorf("-main-size: %w", err)
	}
	br, err := sim.ParseBitrate(f.mainBitrate)
	if err != nil {
		return cfg, fmt.Errorf("-main-bitrate: %w", err)
	}
	cfg.Main = sim.StreamSpec{Width: w, Height: h, FPS: f.mainFPS, GOP: f.gop, Bitrate: br}
	return cfg, cfg.Validate()
}

// simReady is the camsim child's first answer.
type simReady struct {
	Addr string `json:"addr"`
}

// simStream is what one camera's main stream sent, cumulative.
type simStream struct {
	AUs         uint64 `json:"aus"`
	Packets     uint64 `json:"packets"`
	Bytes       uint64 `json:"bytes"`
	Stalled     uint64 `json:"stalled"`
	LateSkipped uint64 `json:"late_skipped"`
	WriteErrors uint64 `json:"write_errors"`
	Readers     int    `json:"readers"`
}

// simSnap is the camsim child's answer to "stats".
type simSnap struct {
	Usage usage       `json:"usage"`
	Cams  []simStream `json:"cams"`
}

// runCamsim is the camsim role: an in-process sim.Server driven over stdin.
// Commands: "stats", "stall DURATION" (every camera stops sending),
// "clear" (faults cleared, sending resumes).
func runCamsim(f simFlags) error {
	cfg, err := f.config()
	if err != nil {
		announce(nil, err)
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("role", "camsim")
	s := &sim.Server{Config: cfg}
	if err := s.Initialize(); err != nil {
		announce(nil, err)
		return err
	}
	defer s.Close()
	announce(simReady{Addr: s.Addr()}, nil)

	names := s.CameraNames()
	return serveCommands(func(cmd, arg string) (any, error) {
		switch cmd {
		case "stats":
			st := s.Stats()
			out := simSnap{Usage: selfUsage(), Cams: make([]simStream, len(st))}
			for i, c := range st {
				m := c.Main
				out.Cams[i] = simStream{
					AUs: m.AccessUnits, Packets: m.Packets, Bytes: m.Bytes, Stalled: m.StalledPackets,
					LateSkipped: m.LateSkipped, WriteErrors: m.WriteErrors, Readers: m.Readers,
				}
			}
			return out, nil
		case "stall":
			d, err := time.ParseDuration(arg)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				if err := s.SetFault(n, sim.Fault{StallFor: d}); err != nil {
					return nil, err
				}
			}
			return nil, nil
		case "clear":
			for _, n := range names {
				s.ClearFault(n)
			}
			return nil, nil
		}
		return nil, fmt.Errorf("unknown command %q", cmd)
	})
}
