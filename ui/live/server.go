// Package live is Vigil's WebRTC live view engine (WHEP without the HTTP):
// Start answers a viewer's SDP offer with an H.264 track fed from a camera
// stream's ingest hub, passed through as received.
//
// Many viewers of one camera stream share one hub reader, a relay that
// packetises each access unit into RTP once and keeps the current GOP for
// instant start and keyframe requests. Each viewer has a bounded queue and
// one writer goroutine with its own sequence numbers and timestamps: a
// viewer that falls behind drops whole frames up to the next keyframe
// (counted) and never slows the relay or the other viewers.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest"
)

// Hubs finds the hub of a camera stream (ingest.Supervisor is one).
type Hubs interface {
	Hub(camera, stream string) *ingest.Hub
}

// ICEServer is a STUN or TURN server handed to the browser's peer and ours.
type ICEServer struct {
	URLs                 []string
	Username, Credential string
}

// Config is the live view configuration.
type Config struct {
	// MaxViewers bounds live views on the whole server; 0 means 500.
	MaxViewers int
	// MaxViewersPerUser bounds one user's live views; 0 means 40 (a 5x5
	// wall plus spares).
	MaxViewersPerUser int
	// UDPPort and TCPPort are the single ICE UDP and ICE TCP ports every
	// session shares; 0 picks an ephemeral port (tests), -1 turns that
	// transport off.
	UDPPort, TCPPort int
	// NAT1To1IPs are the addresses announced in host candidates when the
	// server is behind a 1:1 NAT.
	NAT1To1IPs []string
	// ICEServers are STUN/TURN servers (optional).
	ICEServers []ICEServer
	// SessionPrefix starts every session id: a cluster node's id and a
	// dot, so that any node can tell which one runs a session.
	SessionPrefix string
}

// Defaults.
const (
	DefaultMaxViewers        = 500
	DefaultMaxViewersPerUser = 40
)

// ICE timings: a viewer that vanishes without DELETE is gone within about
// disconnected+failed seconds.
const (
	iceDisconnectedTimeout = 4 * time.Second
	iceFailedTimeout       = 6 * time.Second
	iceKeepalive           = time.Second
	gatherTimeout          = 5 * time.Second
	tcpWriteBuffer         = 1 << 20                 // per ICE-TCP viewer: about 4 s at 2 Mbit/s
	spsWait                = 1500 * time.Millisecond // an online camera answers at once from the hub's GOP cache
)

// Server runs live sessions. Set the fields, call Initialize, then Start;
// Close ends every session.
type Server struct {
	Config
	Hubs       Hubs
	Registerer prometheus.Registerer // may be nil
	Logger     *slog.Logger

	m      *metrics
	logger *slog.Logger
	se     webrtc.SettingEngine
	ice    []webrtc.ICEServer
	udpMux *ice.MultiUDPMuxDefault
	tcpMux *ice.TCPMuxDefault
	tcpLn  net.Listener
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	sessions map[string]*viewer
	perUser  map[string]int
	relays   map[*ingest.Hub]*relay
	// refusals outlive the relay that found them: once a stream's session
	// showed reordered frames, a new relay on it (after its last viewer
	// went) must refuse at once, not after replaying the cached GOP.
	refusals map[*ingest.Hub]refusal
}

// Request is one viewer's WHEP request.
type Request struct {
	Camera, Stream string
	User           string
	// Login is an opaque key of the sign-in the view belongs to (EndLogin).
	Login string
	Offer string // SDP
}

// Session is a started live view.
type Session struct {
	ID, Answer     string
	Camera, Stream string
	User, Login    string
	Started        time.Time
}

// Initialize validates the configuration and opens the ICE ports.
func (s *Server) Initialize() error {
	if s.Hubs == nil {
		return errors.New("live: Hubs is nil")
	}
	if s.MaxViewers < 0 || s.MaxViewersPerUser < 0 {
		return errors.New("live: MaxViewers and MaxViewersPerUser must not be negative")
	}
	if s.MaxViewers == 0 {
		s.MaxViewers = DefaultMaxViewers
	}
	if s.MaxViewersPerUser == 0 {
		s.MaxViewersPerUser = DefaultMaxViewersPerUser
	}
	if s.UDPPort < -1 || s.UDPPort > 65535 {
		return fmt.Errorf("live: UDPPort %d is not a port, 0 (ephemeral) or -1 (off)", s.UDPPort)
	}
	if s.TCPPort < -1 || s.TCPPort > 65535 {
		return fmt.Errorf("live: TCPPort %d is not a port, 0 (ephemeral) or -1 (off)", s.TCPPort)
	}
	if s.UDPPort == -1 && s.TCPPort == -1 {
		return errors.New("live: UDPPort and TCPPort are both off (-1): no way for a viewer to connect")
	}
	for _, ip := range s.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("live: NAT1To1IPs: %q is not an IP address", ip)
		}
	}
	for i, is := range s.ICEServers {
		if len(is.URLs) == 0 {
			return fmt.Errorf("live: ICEServers[%d]: no URLs", i)
		}
		s.ice = append(s.ice, webrtc.ICEServer{URLs: is.URLs, Username: is.Username, Credential: is.Credential})
	}
	s.logger = s.Logger
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.m = newMetrics(s.Registerer)
	s.sessions = map[string]*viewer{}
	s.perUser = map[string]int{}
	s.relays = map[*ingest.Hub]*relay{}
	s.refusals = map[*ingest.Hub]refusal{}

	se := webrtc.SettingEngine{LoggerFactory: pionLogs{s.logger}}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICETimeouts(iceDisconnectedTimeout, iceFailedTimeout, iceKeepalive)
	if len(s.NAT1To1IPs) > 0 {
		se.SetNAT1To1IPs(s.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}
	var networks []webrtc.NetworkType
	if s.UDPPort >= 0 {
		mux, err := ice.NewMultiUDPMuxFromPort(s.UDPPort,
			ice.UDPMuxFromPortWithLoopback(),
			ice.UDPMuxFromPortWithLogger(pionLogs{s.logger}.NewLogger("udpmux")),
			ice.UDPMuxFromPortWithReadBufferSize(4<<20),
			ice.UDPMuxFromPortWithWriteBufferSize(4<<20))
		if err != nil {
			return fmt.Errorf("live: ICE UDP port %d: %w", s.UDPPort, err)
		}
		s.udpMux = mux
		se.SetICEUDPMux(mux)
		networks = append(networks, webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6)
	}
	if s.TCPPort >= 0 {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", s.TCPPort))
		if err != nil {
			s.closeMuxes()
			return fmt.Errorf("live: ICE TCP port %d: %w", s.TCPPort, err)
		}
		s.tcpLn = ln
		s.tcpMux = ice.NewTCPMuxDefault(ice.TCPMuxParams{
			Listener:       ln,
			Logger:         pionLogs{s.logger}.NewLogger("tcpmux"),
			ReadBufferSize: 64,
			// Writes never block: when a viewer's TCP connection stalls
			// and this fills, its writer sees refused packets and skips to
			// the next keyframe (counted as dropped frames).
			WriteBufferSize: tcpWriteBuffer,
		})
		se.SetICETCPMux(s.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)
	s.se = se
	return nil
}

// UDPAddrs and TCPAddr report the ICE ports in use (for logs and tests).
func (s *Server) UDPAddrs() []net.Addr {
	if s.udpMux == nil {
		return nil
	}
	return s.udpMux.GetListenAddresses()
}

// TCPAddr is the ICE TCP listener's address, nil when TCP is off.
func (s *Server) TCPAddr() net.Addr {
	if s.tcpLn == nil {
		return nil
	}
	return s.tcpLn.Addr()
}

func (s *Server) closeMuxes() {
	if s.udpMux != nil {
		_ = s.udpMux.Close()
	}
	if s.tcpMux != nil {
		_ = s.tcpMux.Close()
	}
	if s.tcpLn != nil {
		_ = s.tcpLn.Close()
	}
}

// Close ends every session and waits for every goroutine.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	vs := make([]*viewer, 0, len(s.sessions))
	for _, v := range s.sessions {
		vs = append(vs, v)
	}
	s.mu.Unlock()
	endAll(vs, ErrClosed)
	s.wg.Wait()
	s.closeMuxes()
}

func endAll(vs []*viewer, err error) {
	for _, v := range vs {
		v.end(err)
	}
	for _, v := range vs {
		<-v.done
	}
}

// Start answers a viewer's offer and starts sending the camera stream.
func (s *Server) Start(ctx context.Context, r Request) (Session, error) {
	began := time.Now()
	sess, err := s.start(ctx, r, began)
	s.m.sessions.WithLabelValues(resultOf(err)).Inc()
	if err != nil {
		s.logger.Debug("live: start refused", "camera", r.Camera, "stream", r.Stream, "user", r.User, "error", err)
		return Session{}, err
	}
	s.logger.Info("live: session started", "session", sess.ID, "camera", r.Camera, "stream", r.Stream, "user", r.User,
		"negotiation", time.Since(began).Round(time.Millisecond))
	return sess, nil
}

func resultOf(err error) string {
	switch {
	case err == nil:
		return resultStarted
	case errors.Is(err, ErrBadOffer):
		return resultBadOffer
	case errors.Is(err, ErrNoH264):
		return resultNoH264
	case errors.Is(err, ErrBFrames):
		return resultBFrames
	case errors.Is(err, ErrNoStream):
		return resultNoStream
	case errors.Is(err, ErrServerFull):
		return resultServerFull
	case errors.Is(err, ErrUserFull):
		return resultUserFull
	default:
		return resultFailed
	}
}

func (s *Server) start(ctx context.Context, r Request, began time.Time) (Session, error) {
	o, err := parseOffer(r.Offer)
	if err != nil {
		return Session{}, err
	}
	hub := s.Hubs.Hub(r.Camera, r.Stream)
	if hub == nil {
		return Session{}, fmt.Errorf("%w: camera %q stream %q", ErrNoStream, r.Camera, r.Stream)
	}
	v := newViewer(s, s.SessionPrefix+uuid.NewString(), r, began)

	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return Session{}, ErrClosed
	case len(s.sessions) >= s.MaxViewers:
		s.mu.Unlock()
		return Session{}, fmt.Errorf("%w: the limit is %d", ErrServerFull, s.MaxViewers)
	case s.perUser[r.User] >= s.MaxViewersPerUser:
		s.mu.Unlock()
		return Session{}, fmt.Errorf("%w: %q has %d open, the limit is %d", ErrUserFull, r.User, s.perUser[r.User], s.MaxViewersPerUser)
	}
	rel := s.relays[hub]
	if rel == nil {
		rel = newRelay(s, hub, r.Camera)
		s.relays[hub] = rel
	}
	rel.refs++
	v.relay = rel
	s.sessions[v.id] = v
	s.perUser[r.User]++
	s.m.viewers.WithLabelValues(r.Camera).Inc()
	s.mu.Unlock()

	// Until run starts, Start owns the clean-up.
	fail := func(err error) (Session, error) {
		v.end(err)
		if v.pc != nil {
			_ = v.pc.Close()
		}
		s.release(v)
		close(v.done)
		return Session{}, err
	}

	// The camera's SPS decides the profile and refuses B-frames. An online
	// camera's hub has it cached; an offline one is answered with the
	// fallback profile and checked when it comes back.
	wait := time.NewTimer(spsWait)
	select {
	case <-rel.ready:
	case <-wait.C:
	case <-v.stop:
		wait.Stop()
		return fail(v.reason)
	case <-ctx.Done():
		wait.Stop()
		return fail(ctx.Err())
	}
	wait.Stop()
	info, refused := rel.state()
	if refused != nil {
		return fail(refused)
	}
	codec := o.choose(info.profileLevelID)

	pc, err := s.newPeerConnection(codec)
	if err != nil {
		return fail(err)
	}
	v.pc = pc
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			v.connectedOnce.Do(func() { close(v.connected) })
		case webrtc.PeerConnectionStateFailed:
			v.end(errors.New("ICE/DTLS failed (the viewer went away without ending the session)"))
		case webrtc.PeerConnectionStateClosed:
			v.end(nil)
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: r.Offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	sender, err := pc.AddTrack(v.track)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrNoH264, err))
	}
	v.sender = sender

	s.wg.Add(1)
	go v.run()
	// From here run owns the clean-up.
	stop := func(err error) (Session, error) {
		v.end(err)
		<-v.done
		return Session{}, err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return stop(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return stop(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gt := time.NewTimer(gatherTimeout)
	defer gt.Stop()
	select {
	case <-gathered:
	case <-gt.C:
		s.logger.Warn("live: ICE gathering did not complete; answering with the candidates so far", "after", gatherTimeout)
	case <-v.stop:
		return stop(fmt.Errorf("session ended while answering: %v", v.reason))
	case <-ctx.Done():
		return stop(ctx.Err())
	}
	ld := pc.LocalDescription()
	if ld == nil {
		return stop(errors.New("no local description"))
	}
	return Session{
		ID: v.id, Answer: ld.SDP,
		Camera: r.Camera, Stream: r.Stream, User: r.User, Login: r.Login,
		Started: began,
	}, nil
}

// newPeerConnection makes a peer connection that sends exactly the chosen
// H.264 payload type (so the answer carries it and nothing else), with RTCP
// sender reports; NACKs and PLIs are answered by the viewer itself.
func (s *Server) newPeerConnection(codec h264Offer) (*webrtc.PeerConnection, error) {
	me := &webrtc.MediaEngine{}
	err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType:    webrtc.MimeTypeH264,
			ClockRate:   90000,
			SDPFmtpLine: codec.Fmtp,
			RTCPFeedback: []webrtc.RTCPFeedback{
				{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
			},
		},
		PayloadType: webrtc.PayloadType(codec.PayloadType),
	}, webrtc.RTPCodecTypeVideo)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoH264, err)
	}
	ir := &interceptor.Registry{}
	sr, err := report.NewSenderInterceptor(report.SenderInterval(time.Second))
	if err != nil {
		return nil, err
	}
	ir.Add(sr)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(s.se), webrtc.WithInterceptorRegistry(ir))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: s.ice})
	if err != nil {
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	return pc, nil
}

// release forgets a viewer and lets go of its relay.
func (s *Server) release(v *viewer) {
	var closeRelay *relay
	s.mu.Lock()
	if _, ok := s.sessions[v.id]; ok {
		delete(s.sessions, v.id)
		if s.perUser[v.user]--; s.perUser[v.user] <= 0 {
			delete(s.perUser, v.user)
		}
		s.m.viewers.WithLabelValues(v.camera).Dec()
	}
	if rel := v.relay; rel != nil {
		v.relay.leave(v)
		if rel.refs--; rel.refs == 0 {
			if s.relays[rel.hub] == rel {
				delete(s.relays, rel.hub)
			}
			closeRelay = rel
		}
	}
	s.mu.Unlock()
	if closeRelay != nil {
		closeRelay.close()
	}
}

// Stop ends a session of user's. It returns ErrNoSession when there is no
// such session or it is another user's.
func (s *Server) Stop(id, user string) error {
	s.mu.Lock()
	v, ok := s.sessions[id]
	s.mu.Unlock()
	if !ok || v.user != user {
		return fmt.Errorf("%w: %q", ErrNoSession, id)
	}
	endAll([]*viewer{v}, nil)
	return nil
}

// EndLogin ends every session of a sign-in and returns how many there were.
func (s *Server) EndLogin(login string) int {
	s.mu.Lock()
	var vs []*viewer
	for _, v := range s.sessions {
		if v.login == login {
			vs = append(vs, v)
		}
	}
	s.mu.Unlock()
	endAll(vs, errors.New("the sign-in ended"))
	return len(vs)
}

// Logins lists the distinct sign-ins with live sessions, sorted.
func (s *Server) Logins() []string {
	s.mu.Lock()
	seen := map[string]bool{}
	for _, v := range s.sessions {
		seen[v.login] = true
	}
	s.mu.Unlock()
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Count is the number of live sessions (including those being answered).
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}
