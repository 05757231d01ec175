package sim

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// StreamSpec describes one H.264 stream of a simulated camera.
type StreamSpec struct {
	Width, Height int
	FPS           int
	GOP           time.Duration // time between IDR frames; rounded to whole frames
	Bitrate       int           // bit/s (CBR)
}

// GOPFrames returns the number of frames in a GOP (at least 1).
func (s StreamSpec) GOPFrames() int {
	n := int((s.GOP*time.Duration(s.FPS) + time.Second/2) / time.Second)
	if n < 1 {
		n = 1
	}
	return n
}

// String returns WxH@FPS/GOP/bitrate, for logs.
func (s StreamSpec) String() string {
	return fmt.Sprintf("%dx%d@%dfps gop=%v %dkbit/s", s.Width, s.Height, s.FPS, s.GOP, s.Bitrate/1000)
}

// Validate checks the spec; field names in messages are prefixed with name.
func (s StreamSpec) Validate(name string) error {
	switch {
	case s.Width < 16 || s.Width > 4096 || s.Width%2 != 0:
		return fmt.Errorf("%s.Width: %d is not an even number between 16 and 4096", name, s.Width)
	case s.Height < 16 || s.Height > 4096 || s.Height%2 != 0:
		return fmt.Errorf("%s.Height: %d is not an even number between 16 and 4096", name, s.Height)
	case s.FPS < 1 || s.FPS > 120:
		return fmt.Errorf("%s.FPS: %d is not between 1 and 120", name, s.FPS)
	case s.GOP <= 0 || s.GOP > time.Minute:
		return fmt.Errorf("%s.GOP: %v is not between 0 and 1m", name, s.GOP)
	case s.Bitrate < 16000 || s.Bitrate > 100_000_000:
		return fmt.Errorf("%s.Bitrate: %d bit/s is not between 16000 and 100000000", name, s.Bitrate)
	}
	return nil
}

// ParseSize parses "1920x1080".
func ParseSize(v string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(strings.TrimSpace(v)), "x")
	if !ok {
		return 0, 0, fmt.Errorf("size %q is not WIDTHxHEIGHT", v)
	}
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("size %q is not WIDTHxHEIGHT", v)
	}
	return w, h, nil
}

// ParseBitrate parses a bit rate in bit/s: "4000000", "4M", "512k", "1.5M".
func ParseBitrate(v string) (int, error) {
	s := strings.TrimSpace(v)
	mul := 1.0
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mul, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mul, s = 1e6, s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f*mul > 1e9 {
		return 0, fmt.Errorf("bit rate %q is not a positive number of bit/s (suffix k or M allowed)", v)
	}
	return int(f * mul), nil
}

// Config is the configuration of a Server.
type Config struct {
	// Listen is the TCP address of the RTSP server; port 0 picks a free port (see Server.Addr).
	Listen string
	// UDPRTPAddress and UDPRTCPAddress enable the UDP transport when both are set
	// (an even port and the next one, e.g. ":8000" and ":8001"). TCP only when empty.
	UDPRTPAddress  string
	UDPRTCPAddress string

	// Cameras is the number of cameras, named cam001, cam002, ...
	Cameras int
	// Main and Sub are the two streams of every camera, served at camNNN/main and camNNN/sub.
	Main, Sub StreamSpec

	// ClipDir caches the generated clips (never commit them).
	ClipDir string
	// ClipSeconds is the clip length; it is rounded up to whole GOPs so the loop is seamless.
	ClipSeconds int
	// FFmpeg is the ffmpeg binary used to generate missing clips. Default "ffmpeg".
	FFmpeg string

	// User and Pass, when User is set, require digest authentication on all cameras
	// (a camera's Fault.User/Pass overrides them).
	User, Pass string

	// Faults are the initial faults, by camera name (cam003). See Server.SetFault.
	Faults map[string]Fault

	// Scenes are what cameras show, by camera name (cam003); both streams of a camera show
	// its scene. Default SceneStreet. Scene clips have their own length (see Scene).
	Scenes map[string]Scene

	// SenderReportPeriod is the period of RTCP sender reports. An extra report is sent
	// shortly after a reader starts playing. Default 2s.
	SenderReportPeriod time.Duration

	// TCPWriteDelay gathers the writes to each TCP reader for up to this long and sends them
	// with one syscall (gortsplib writes each RTP packet on its own; at 300 cameras that is two
	// thirds of camsim's CPU). Default 1ms; negative disables it.
	TCPWriteDelay time.Duration

	// ControlListen, when set, serves the HTTP control API (see Server.ControlHandler)
	// on this loopback address, e.g. "127.0.0.1:8555" (port 0 allowed, see ControlAddr).
	ControlListen string

	// PTZ names the PTZ cameras (cam002). Their streams are drawn and encoded live: a window
	// over a panorama of numbered blocks that pans, tilts and zooms (see PTZWindow), steered
	// through the ONVIF PTZ service. Their main stream is PTZMain; their sub stream is Sub.
	PTZ []string
	// PTZMain is the main stream of PTZ cameras (live encoding costs CPU). Default: Main, at
	// most 1280 pixels wide and 12 fps.
	PTZMain StreamSpec

	// ONVIFListen, when set, serves an ONVIF device service (device, media and, on PTZ
	// cameras, PTZ) for every camera, each on its own port so each looks like a device:
	// "127.0.0.1:8080" serves cam001 at http://127.0.0.1:8080/onvif/device_service, cam002
	// on 8081, ...; port 0 gives each camera a free port (Server.ONVIFURL). Credentials are the
	// camera's RTSP ones (User/Pass, or its auth fault); none: no authentication.
	ONVIFListen string
	// ONVIFLocation is the location scope cameras announce. Default "camsim".
	ONVIFLocation string
	// DiscoveryListen, when set, answers WS-Discovery probes on this UDP address:
	// "239.255.255.250:3702" joins the multicast group, "127.0.0.1:0" is unicast only
	// (Server.DiscoveryAddr). Needs ONVIFListen.
	DiscoveryListen string

	// Logger receives the simulator's logs. Default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the documented defaults: 4 cameras on 127.0.0.1:8554,
// main 1920x1080 25 fps 2 s GOP 4 Mbit/s, sub 640x360 5 fps 2 s GOP 512 kbit/s,
// 10 s clips cached in ./data/clips.
func DefaultConfig() Config {
	return Config{
		Listen:             "127.0.0.1:8554",
		Cameras:            4,
		Main:               StreamSpec{Width: 1920, Height: 1080, FPS: 25, GOP: 2 * time.Second, Bitrate: 4_000_000},
		Sub:                StreamSpec{Width: 640, Height: 360, FPS: 5, GOP: 2 * time.Second, Bitrate: 512_000},
		ClipDir:            "./data/clips",
		ClipSeconds:        10,
		FFmpeg:             "ffmpeg",
		SenderReportPeriod: 2 * time.Second,
		TCPWriteDelay:      time.Millisecond,
		ONVIFLocation:      "camsim",
	}
}

// maxCameras bounds Config.Cameras.
const maxCameras = 9999

// CameraName returns the path name of camera i (1-based): cam001.
func CameraName(i int) string {
	return fmt.Sprintf("cam%03d", i)
}

// cameraIndex parses a camera name, returning 0 when it is not one.
func cameraIndex(name string) int {
	num, ok := strings.CutPrefix(name, "cam")
	if !ok || len(num) < 3 {
		return 0
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 1 || CameraName(i) != name {
		return 0
	}
	return i
}

// Validate checks the configuration; messages name the field.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return fmt.Errorf("Listen: empty")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("Listen: %w", err)
	}
	if (c.UDPRTPAddress == "") != (c.UDPRTCPAddress == "") {
		return fmt.Errorf("UDPRTPAddress, UDPRTCPAddress: set both or neither")
	}
	if c.Cameras < 1 || c.Cameras > maxCameras {
		return fmt.Errorf("Cameras: %d is not between 1 and %d", c.Cameras, maxCameras)
	}
	if err := c.Main.Validate("Main"); err != nil {
		return err
	}
	if err := c.Sub.Validate("Sub"); err != nil {
		return err
	}
	if c.ClipDir == "" {
		return fmt.Errorf("ClipDir: empty")
	}
	if c.ClipSeconds < 1 || c.ClipSeconds > 600 {
		return fmt.Errorf("ClipSeconds: %d is not between 1 and 600", c.ClipSeconds)
	}
	if c.Pass != "" && c.User == "" {
		return fmt.Errorf("User: empty while Pass is set")
	}
	if c.SenderReportPeriod < 0 {
		return fmt.Errorf("SenderReportPeriod: negative")
	}
	if c.TCPWriteDelay > 100*time.Millisecond {
		return fmt.Errorf("TCPWriteDelay: %v is more than 100ms", c.TCPWriteDelay)
	}
	for name, f := range c.Faults {
		if i := cameraIndex(name); i == 0 || i > c.Cameras {
			return fmt.Errorf("Faults[%q]: no such camera (cam001..%s)", name, CameraName(c.Cameras))
		}
		if err := f.Validate(); err != nil {
			return fmt.Errorf("Faults[%q]: %w", name, err)
		}
	}
	for name, sc := range c.Scenes {
		if i := cameraIndex(name); i == 0 || i > c.Cameras {
			return fmt.Errorf("Scenes[%q]: no such camera (cam001..%s)", name, CameraName(c.Cameras))
		}
		if err := sc.Validate(); err != nil {
			return fmt.Errorf("Scenes[%q]: %w", name, err)
		}
	}
	if err := c.validateONVIF(); err != nil {
		return err
	}
	if c.ControlListen != "" {
		if err := checkLoopback(c.ControlListen); err != nil {
			return fmt.Errorf("ControlListen: %w", err)
		}
	}
	return nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (the control API has no authentication)", addr)
	}
	return nil
}

func (c *Config) setDefaults() {
	d := DefaultConfig()
	if c.ClipDir == "" {
		c.ClipDir = d.ClipDir
	}
	if c.ClipSeconds == 0 {
		c.ClipSeconds = d.ClipSeconds
	}
	if c.FFmpeg == "" {
		c.FFmpeg = d.FFmpeg
	}
	if c.SenderReportPeriod == 0 {
		c.SenderReportPeriod = d.SenderReportPeriod
	}
	if c.TCPWriteDelay == 0 {
		c.TCPWriteDelay = d.TCPWriteDelay
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PTZMain == (StreamSpec{}) {
		c.PTZMain = defaultPTZMain(c.Main)
	}
	if c.ONVIFLocation == "" {
		c.ONVIFLocation = "camsim"
	}
}

// defaultPTZMain is main at most 1280 pixels wide (height kept in proportion, even) and
// 12 fps: a live 1080p25 encoder takes half a core, 720p12 under a tenth.
func defaultPTZMain(main StreamSpec) StreamSpec {
	s := main
	if s.Width > 1280 {
		s.Height = s.Height * 1280 / s.Width &^ 1
		s.Width = 1280
	}
	s.FPS = min(s.FPS, 12)
	s.Bitrate = min(s.Bitrate, 2_000_000)
	return s
}

// validateONVIF checks the PTZ, ONVIF and discovery fields.
func (c *Config) validateONVIF() error {
	seen := make(map[string]bool)
	for _, name := range c.PTZ {
		if i := cameraIndex(name); i == 0 || i > c.Cameras {
			return fmt.Errorf("PTZ: %q: no such camera (cam001..%s)", name, CameraName(c.Cameras))
		}
		if seen[name] {
			return fmt.Errorf("PTZ: %q listed twice", name)
		}
		seen[name] = true
		if _, ok := c.Scenes[name]; ok {
			return fmt.Errorf("PTZ: %q also has a scene (a PTZ camera shows its own)", name)
		}
	}
	if len(c.PTZ) > 0 {
		if err := c.PTZMain.Validate("PTZMain"); err != nil {
			return err
		}
	}
	if c.ONVIFListen != "" {
		_, port, err := net.SplitHostPort(c.ONVIFListen)
		if err != nil {
			return fmt.Errorf("ONVIFListen: %w", err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("ONVIFListen: port %q", port)
		}
		if p != 0 && p+c.Cameras-1 > 65535 {
			return fmt.Errorf("ONVIFListen: ports %d.. for %d cameras run past 65535", p, c.Cameras)
		}
	}
	if c.DiscoveryListen != "" {
		if c.ONVIFListen == "" {
			return fmt.Errorf("DiscoveryListen: set ONVIFListen too (probe matches carry its URLs)")
		}
		if _, err := net.ResolveUDPAddr("udp", c.DiscoveryListen); err != nil {
			return fmt.Errorf("DiscoveryListen: %w", err)
		}
	}
	if len(c.ONVIFLocation) > 128 {
		return fmt.Errorf("ONVIFLocation: longer than 128 bytes")
	}
	return nil
}
