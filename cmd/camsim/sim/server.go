package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/auth"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
)

// Server is an RTSP server publishing Config.Cameras synthetic H.264 cameras, each with a
// main and a sub stream (rtsp://ADDR/cam001/main, .../cam001/sub), with injectable faults.
//
// Fill Config (start from DefaultConfig), call Initialize, and Close when done.
type Server struct {
	Config

	rtsp     *gortsplib.Server
	ln       net.Listener
	clips    []*clip           // main, sub
	scenes   map[Scene][]*clip // main, sub of each scene in Config.Scenes but street
	cameras  []*camera
	byName   map[string]*camera
	ready    atomic.Bool // handlers may use the cameras' streams
	started  atomic.Bool // the cameras' runners are set (never reset)
	runners  []*streamRunner
	streams  []*gortsplib.ServerStream
	ctrl     *http.Server
	ctrlLn   net.Listener
	ctrlDone chan struct{}
	encoders []*liveEncoder // PTZ cameras' streams
	onvif    *onvifService
	disc     *discovery

	writeErrs  *errorLog
	decodeErrs *errorLog

	mu       sync.Mutex
	sessions map[*gortsplib.ServerSession]*sessionInfo
	closed   bool
}

// sessionInfo is what the server knows about an RTSP session.
type sessionInfo struct {
	cam     *camera
	kind    string
	runner  *streamRunner // nil when reading a codec-fault stream
	playing bool
}

// Initialize generates missing clips, starts listening and starts streaming.
func (s *Server) Initialize() error {
	s.setDefaults()
	if err := s.Validate(); err != nil {
		return err
	}
	s.writeErrs = newErrorLog(s.Logger, "camsim: RTP/RTCP write errors")
	s.decodeErrs = newErrorLog(s.Logger, "camsim: malformed packets from clients")

	reqs := clipRequests(&s.Config)
	clips, _, err := ensureClips(context.Background(), &s.Config, reqs)
	if err != nil {
		return err
	}
	s.clips = clips[:2]
	s.scenes = make(map[Scene][]*clip)
	for i, r := range reqs {
		if r.scene != "" {
			s.scenes[r.scene] = append(s.scenes[r.scene], clips[i])
		}
	}

	s.sessions = make(map[*gortsplib.ServerSession]*sessionInfo)
	s.byName = make(map[string]*camera, s.Cameras)
	ptzNames := make(map[string]bool)
	for _, name := range s.PTZ {
		ptzNames[name] = true
	}
	for i := 1; i <= s.Cameras; i++ {
		c := &camera{name: CameraName(i), alt: make(map[string]*gortsplib.ServerStream)}
		if ptzNames[c.name] {
			c.ptz = newPTZ(nil)
		}
		if f, ok := s.Faults[c.name]; ok && !f.IsZero() {
			c.fault.Store(&faultState{Fault: f, since: time.Now()})
		}
		s.cameras = append(s.cameras, c)
		s.byName[c.name] = c
	}

	s.rtsp = &gortsplib.Server{
		Handler:        &serverHandler{s: s},
		RTSPAddress:    s.Listen,
		UDPRTPAddress:  s.UDPRTPAddress,
		UDPRTCPAddress: s.UDPRTCPAddress,
		// digest only; MD5 because SHA-256 locks FFmpeg out
		AuthMethods: []auth.VerifyMethod{auth.VerifyMethodDigestMD5},
		// we send our own sender reports: sooner after PLAY, and with the camera clock
		DisableRTCPSenderReports: true,
		// gortsplib has no way to report the port it bound: capture the listener
		Listen: func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, address)
			if err != nil {
				return nil, err
			}
			s.ln = ln
			if s.TCPWriteDelay > 0 {
				return &coalescingListener{Listener: ln, delay: s.TCPWriteDelay}, nil
			}
			return ln, nil
		},
	}
	if err := s.rtsp.Start(); err != nil {
		return fmt.Errorf("RTSP server: %w", err)
	}

	if err := s.startStreams(); err != nil {
		s.shutdown()
		return err
	}
	s.started.Store(true)
	s.ready.Store(true)

	if s.ONVIFListen != "" {
		if s.onvif, err = newONVIFService(s); err == nil {
			err = s.onvif.start()
		}
		if err != nil {
			s.shutdown()
			return fmt.Errorf("ONVIF service: %w", err)
		}
	}
	if s.DiscoveryListen != "" {
		if s.disc, err = startDiscovery(s); err != nil {
			s.shutdown()
			return fmt.Errorf("WS-Discovery: %w", err)
		}
	}

	if s.ControlListen != "" {
		if err := s.startControl(); err != nil {
			s.shutdown()
			return fmt.Errorf("control API: %w", err)
		}
	}

	s.Logger.Info("camsim: serving", "cameras", s.Cameras, "addr", s.Addr(),
		"main", s.Main.String(), "sub", s.Sub.String(),
		"first", s.URL(1, StreamMain), "udp", s.UDPRTPAddress != "", "auth", s.User != "")
	if s.onvif != nil {
		s.Logger.Info("camsim: ONVIF", "first", s.ONVIFURL(1), "ptz", s.PTZ, "discovery", s.DiscoveryAddr())
	}
	return nil
}

func (s *Server) startStreams() error {
	for _, c := range s.cameras {
		clips, scene := s.clips, s.scenes[s.Scenes[c.name]]
		if scene != nil {
			clips = scene
		}
		for k, kind := range []string{StreamMain, StreamSub} {
			var cl *clip
			var live *liveEncoder
			forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
			if c.ptz != nil {
				var err error
				live, err = startLiveEncoder(c.name+"/"+kind, s.FFmpeg, s.streamSpec(c, kind), c.ptz.Position, s.Logger)
				if err != nil {
					return err
				}
				s.encoders = append(s.encoders, live)
				forma.SPS, forma.PPS = live.sps, live.pps
			} else {
				cl = clips[k]
				forma.SPS, forma.PPS = cl.sps, cl.pps
			}
			st, err := s.newStream(forma)
			if err != nil {
				return err
			}
			media := st.Desc.Medias[0]
			r := &streamRunner{
				name:      c.name + "/" + kind,
				cam:       c,
				clip:      cl,
				live:      live,
				stream:    st,
				media:     media,
				ssrc:      st.Stats().Medias[media].Formats[forma].LocalSSRC,
				srPeriod:  s.SenderReportPeriod,
				logger:    s.Logger,
				writeErrs: s.writeErrs,
				fromStart: scene != nil, // main and sub show the same moment
			}
			if live != nil {
				if r.packer, err = forma.CreateEncoder(); err != nil {
					return err
				}
			}
			r.closeSessions = func() { s.closeSessions(c, kind) }
			if kind == StreamMain {
				c.main = r
			} else {
				c.sub = r
			}
			r.initialize()
			s.runners = append(s.runners, r)
		}
	}
	return nil
}

// newStream creates a ServerStream with one video media in format forma.
func (s *Server) newStream(forma format.Format) (*gortsplib.ServerStream, error) {
	st := &gortsplib.ServerStream{
		Server: s.rtsp,
		Desc: &description.Session{
			Medias: []*description.Media{{
				Type:    description.MediaTypeVideo,
				Formats: []format.Format{forma},
			}},
		},
	}
	if err := st.Initialize(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.streams = append(s.streams, st)
	s.mu.Unlock()
	return st, nil
}

// Close stops streaming, closes every session and the listeners, and waits for all
// goroutines. It is safe to call more than once, and after a failed Initialize.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.shutdown()
}

func (s *Server) shutdown() {
	s.ready.Store(false)
	if s.disc != nil {
		s.disc.close()
		s.disc = nil
	}
	if s.onvif != nil {
		s.onvif.close()
		s.onvif = nil
	}
	if s.ctrl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.ctrl.Shutdown(ctx) //nolint:errcheck
		cancel()
		s.ctrl.Close()
		<-s.ctrlDone
		s.ctrl = nil
	}
	for _, r := range s.runners {
		r.close()
	}
	s.runners = nil
	for _, e := range s.encoders {
		e.close()
	}
	s.encoders = nil
	if s.rtsp != nil {
		s.rtsp.Close() // waits for connections and sessions
		s.rtsp = nil
	}
	s.mu.Lock()
	streams := s.streams
	s.streams = nil
	s.mu.Unlock()
	for _, st := range streams {
		st.Close()
	}
	if s.writeErrs != nil {
		s.writeErrs.flush()
		s.decodeErrs.flush()
	}
}

// Addr returns the address the RTSP server listens on (the actual port when Listen has port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.Listen
	}
	return s.ln.Addr().String()
}

// URL returns the URL of stream ("main" or "sub") of camera cam (1-based), e.g.
// rtsp://127.0.0.1:8554/cam001/main. An unspecified listen host becomes 127.0.0.1.
func (s *Server) URL(cam int, stream string) string {
	addr := s.Addr()
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	return "rtsp://" + addr + "/" + CameraName(cam) + "/" + stream
}

// CameraNames returns the cameras' names, in order: cam001, cam002, ...
func (s *Server) CameraNames() []string {
	out := make([]string, len(s.cameras))
	for i, c := range s.cameras {
		out[i] = c.name
	}
	return out
}

// ErrNoCamera is returned for a camera name the server does not have.
var ErrNoCamera = errors.New("no such camera")

// SetFault replaces the fault of camera ("cam003"); the zero Fault clears it. Periodic events
// are timed from now. Refuse, or a change of Codec, closes the camera's current sessions.
func (s *Server) SetFault(camera string, f Fault) error {
	c := s.byName[camera]
	if c == nil {
		return fmt.Errorf("%w: %q", ErrNoCamera, camera)
	}
	if err := f.Validate(); err != nil {
		return err
	}
	var prev *faultState
	if f.IsZero() {
		prev = c.fault.Swap(nil)
	} else {
		prev = c.fault.Swap(&faultState{Fault: f, since: time.Now()})
	}
	var prevCodec string
	if prev != nil {
		prevCodec = prev.codec()
	}
	if f.Refuse || f.codec() != prevCodec {
		s.closeSessions(c, "")
	}
	if f.IsZero() {
		s.Logger.Info("camsim: fault cleared", "camera", camera)
	} else {
		logged := f
		if logged.Pass != "" {
			logged.Pass = "***"
		}
		s.Logger.Info("camsim: fault set", "camera", camera, "fault", logged.String())
	}
	return nil
}

// ClearFault makes camera healthy again; unknown cameras are ignored.
func (s *Server) ClearFault(camera string) {
	if s.byName[camera] != nil {
		s.SetFault(camera, Fault{}) //nolint:errcheck // the zero fault is valid
	}
}

// CurrentFaults returns the current faults of the cameras that have one.
func (s *Server) CurrentFaults() map[string]Fault {
	out := make(map[string]Fault)
	for _, c := range s.cameras {
		if f := c.currentFault(); !f.IsZero() {
			out[c.name] = f
		}
	}
	return out
}

// CameraStats is a snapshot of one camera.
type CameraStats struct {
	Camera   string      `json:"camera"`
	Fault    Fault       `json:"fault"`
	Sessions int         `json:"sessions"` // RTSP sessions on this camera (set up or playing)
	Main     StreamStats `json:"main"`
	Sub      StreamStats `json:"sub"`
	PTZ      *CameraPTZ  `json:"ptz,omitempty"` // PTZ cameras only
}

// Stats returns per-camera counters, in camera order.
func (s *Server) Stats() []CameraStats {
	sessions := make(map[*camera]int)
	s.mu.Lock()
	for _, info := range s.sessions {
		sessions[info.cam]++
	}
	s.mu.Unlock()
	out := make([]CameraStats, 0, len(s.cameras))
	for _, c := range s.cameras {
		cs := CameraStats{Camera: c.name, Fault: c.currentFault(), Sessions: sessions[c]}
		if s.started.Load() {
			cs.Main = c.main.statsSnapshot()
			cs.Sub = c.sub.statsSnapshot()
		}
		if c.ptz != nil {
			cs.PTZ = &CameraPTZ{PTZStatus: c.ptz.Status(), Moves: c.ptz.Stats()}
		}
		out = append(out, cs)
	}
	return out
}

// closeSessions closes the sessions of camera c reading kind ("" for all).
func (s *Server) closeSessions(c *camera, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss, info := range s.sessions {
		if info.cam == c && (kind == "" || info.kind == kind) {
			ss.Close() // asynchronous; OnSessionClose removes it
		}
	}
}

// credentials returns the user and password camera c requires, user "" for none.
func (s *Server) credentials(fs *faultState) (string, string) {
	if fs != nil && fs.User != "" {
		return fs.User, fs.Pass
	}
	return s.User, s.Pass
}

// altStream returns the stream advertising codec for kind, creating it on first use.
// Called with s.mu held.
func (s *Server) altStream(c *camera, codec, kind string) (*gortsplib.ServerStream, error) {
	key := codec + "/" + kind
	if st := c.alt[key]; st != nil {
		return st, nil
	}
	var forma format.Format
	switch codec {
	case "h265":
		forma = &format.H265{PayloadTyp: 96}
	case "mjpeg":
		forma = &format.MJPEG{}
	default:
		return nil, fmt.Errorf("codec %q", codec)
	}
	st := &gortsplib.ServerStream{
		Server: s.rtsp,
		Desc: &description.Session{
			Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}},
		},
	}
	if err := st.Initialize(); err != nil {
		return nil, err
	}
	s.streams = append(s.streams, st)
	c.alt[key] = st
	return st, nil
}
