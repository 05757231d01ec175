// Command camsim serves synthetic RTSP/H.264 cameras for development, demos and tests.
//
//	camsim -cameras 8 -listen 127.0.0.1:8554
//	camsim -generate -clips ./data/clips          # only make the clips, then exit
//	camsim -cameras 10 -fault cam003:drop=30s -fault cam004:stall=5s/60s -control 127.0.0.1:8555
//	camsim -scene cam001:zone -scene cam002:covered  # test scenes with ground truth (see sim.Scene)
//	camsim -onvif 127.0.0.1:8080 -ptz cam002 -discovery 239.255.255.250:3702  # ONVIF, a PTZ dome
//
// See package github.com/vigil-cctv/vigil/cmd/camsim/sim.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "camsim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	d := sim.DefaultConfig()
	fs := flag.NewFlagSet("camsim", flag.ContinueOnError)
	var (
		cameras     = fs.Int("cameras", d.Cameras, "number of cameras (cam001, cam002, ...)")
		listen      = fs.String("listen", d.Listen, "RTSP listen address (TCP)")
		udpRTP      = fs.String("udp-rtp", "", "UDP RTP address (even port, e.g. :8000); enables UDP with -udp-rtcp")
		udpRTCP     = fs.String("udp-rtcp", "", "UDP RTCP address (the next port, e.g. :8001)")
		mainSize    = fs.String("main-size", fmt.Sprintf("%dx%d", d.Main.Width, d.Main.Height), "main stream size")
		mainFPS     = fs.Int("main-fps", d.Main.FPS, "main stream frame rate")
		mainBitrate = fs.String("main-bitrate", fmt.Sprint(d.Main.Bitrate), "main stream bit rate, bit/s (k, M suffixes allowed)")
		subSize     = fs.String("sub-size", fmt.Sprintf("%dx%d", d.Sub.Width, d.Sub.Height), "sub stream size")
		subFPS      = fs.Int("sub-fps", d.Sub.FPS, "sub stream frame rate")
		subBitrate  = fs.String("sub-bitrate", fmt.Sprint(d.Sub.Bitrate), "sub stream bit rate, bit/s (k, M suffixes allowed)")
		gop         = fs.Duration("gop", d.Main.GOP, "GOP (IDR interval) of both streams")
		clips       = fs.String("clips", d.ClipDir, "clip cache directory")
		clipSeconds = fs.Int("clip-seconds", d.ClipSeconds, "clip length, rounded up to whole GOPs")
		ffmpeg      = fs.String("ffmpeg", d.FFmpeg, "ffmpeg binary used to generate clips")
		user        = fs.String("user", "", "require digest auth with this user on all cameras")
		pass        = fs.String("pass", "", "password for -user")
		srPeriod    = fs.Duration("sr-period", d.SenderReportPeriod, "RTCP sender report period")
		control     = fs.String("control", "", "serve the HTTP fault control API on this loopback address (e.g. 127.0.0.1:8555)")
		generate    = fs.Bool("generate", false, "generate the clips for these flags into -clips and exit")
		logLevel    = fs.String("log-level", "info", "debug, info, warn or error")
		cpuProfile  = fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
		onvif       = fs.String("onvif", "", "serve an ONVIF device service per camera from this address: cam001 on its port,\n"+
			"cam002 on the next, ... (port 0: free ports); http://ADDR/onvif/device_service")
		onvifLoc  = fs.String("onvif-location", d.ONVIFLocation, "location scope the cameras announce (default camsim)")
		discovery = fs.String("discovery", "", "answer WS-Discovery probes on this UDP address (239.255.255.250:3702 joins\n"+
			"the multicast group); needs -onvif")
		ptzMain = fs.String("ptz-main", "", "PTZ cameras' main stream WxH@FPS (default: -main-size at most 1280 wide, at most 12 fps)")
		faults  stringList
		scenes  stringList
		ptzs    stringList
	)
	fs.Var(&ptzs, "ptz", "PTZ cameras, repeatable or comma-separated: cam002 (live-encoded view, steered over ONVIF)")
	fs.Var(&faults, "fault", "CAMERA:OPTIONS, repeatable: cam003:drop=30s, cam004:stall=5s/60s, cam005:corrupt=0.01,\n"+
		"cam006:jump=10m/30s, cam007:refuse, cam008:auth=user:pass, cam009:clock=-3s, cam010:codec=h265")
	fs.Var(&scenes, "scene", "CAMERA:SCENE, repeatable: what a camera shows, one of street (default), zone, covered, moved,\n"+
		"defocus, frozen, plates (60 s loops; the tamper scenes are tampered from 30 s on; plates: vehicles with\n"+
		"known UK number plates passing, drawn by the ANPR renderer), e.g. cam002:covered")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := d
	cfg.Logger = logger
	cfg.Cameras = *cameras
	cfg.Listen = *listen
	cfg.UDPRTPAddress, cfg.UDPRTCPAddress = *udpRTP, *udpRTCP
	cfg.ClipDir, cfg.ClipSeconds, cfg.FFmpeg = *clips, *clipSeconds, *ffmpeg
	cfg.User, cfg.Pass = *user, *pass
	cfg.SenderReportPeriod = *srPeriod
	cfg.ControlListen = *control
	cfg.ONVIFListen, cfg.ONVIFLocation, cfg.DiscoveryListen = *onvif, *onvifLoc, *discovery
	for _, v := range ptzs {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				cfg.PTZ = append(cfg.PTZ, name)
			}
		}
	}
	var err error
	if cfg.Main, err = streamSpec("main", *mainSize, *mainFPS, *mainBitrate, *gop); err != nil {
		return err
	}
	if cfg.Sub, err = streamSpec("sub", *subSize, *subFPS, *subBitrate, *gop); err != nil {
		return err
	}
	if *ptzMain != "" {
		size, fpsText, ok := strings.Cut(*ptzMain, "@")
		fps, ferr := strconv.Atoi(fpsText)
		if !ok || ferr != nil {
			return fmt.Errorf("-ptz-main: %q is not WxH@FPS", *ptzMain)
		}
		if cfg.PTZMain, err = streamSpec("ptz-main", size, fps, fmt.Sprint(min(cfg.Main.Bitrate, 2_000_000)), *gop); err != nil {
			return err
		}
	}
	if cfg.Faults, err = sim.ParseFaults(faults); err != nil {
		return err
	}
	if cfg.Scenes, err = sim.ParseScenes(scenes); err != nil {
		return err
	}

	if *generate {
		start := time.Now()
		paths, err := sim.GenerateClips(context.Background(), cfg)
		if err != nil {
			return err
		}
		logger.Info("camsim: clips ready", "paths", paths, "took", time.Since(start).Round(time.Millisecond))
		return nil
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	s := &sim.Server{Config: cfg}
	if err := s.Initialize(); err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("camsim: shutting down")
	s.Close()
	return nil
}

func streamSpec(name, size string, fps int, bitrate string, gop time.Duration) (sim.StreamSpec, error) {
	w, h, err := sim.ParseSize(size)
	if err != nil {
		return sim.StreamSpec{}, fmt.Errorf("-%s-size: %w", name, err)
	}
	br, err := sim.ParseBitrate(bitrate)
	if err != nil {
		return sim.StreamSpec{}, fmt.Errorf("-%s-bitrate: %w", name, err)
	}
	return sim.StreamSpec{Width: w, Height: h, FPS: fps, GOP: gop, Bitrate: br}, nil
}
