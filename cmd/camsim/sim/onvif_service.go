package sim

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ONVIF service paths, the same on every camera (each camera has its own port).
const (
	onvifDevicePath = "/onvif/device_service"
	onvifMediaPath  = "/onvif/media_service"
	onvifPTZPath    = "/onvif/ptz_service"
)

// onvifCall is one SOAP request being answered.
type onvifCall struct {
	svc  *onvifService
	cam  *camera
	idx  int // 1-based camera index
	r    *http.Request
	req  *soapRequest
	w    *soapWriter
	now  time.Time // the camera's clock (true time + its ClockOffset fault)
	host string    // host[:port] the client reached us at, for XAddrs and stream URIs
}

type onvifOp func(c *onvifCall) *soapFault

// onvifService serves the device, media and PTZ services of every camera: one HTTP listener
// per camera, so each camera looks like a device of its own at the standard paths.
type onvifService struct {
	s    *Server
	auth onvifAuth
	ops  map[xml.Name]onvifOp
	lns  []net.Listener // by camera index - 1
	srvs []*http.Server
	wg   sync.WaitGroup
}

func newONVIFService(s *Server) (*onvifService, error) {
	o := &onvifService{s: s, auth: onvifAuth{key: make([]byte, 32)}}
	if _, err := rand.Read(o.auth.key); err != nil {
		return nil, err
	}
	o.ops = make(map[xml.Name]onvifOp)
	o.addDeviceOps()
	o.addMediaOps()
	o.addPTZOps()
	return o, nil
}

// listenAddr is camera i's address: Listen's port + i - 1, or a free port each when it is 0.
func onvifListenAddr(listen string, i int) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", err
	}
	if p != 0 {
		p += i - 1
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// start listens for every camera and serves.
func (o *onvifService) start() error {
	for i, c := range o.s.cameras {
		addr, err := onvifListenAddr(o.s.ONVIFListen, i+1)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		o.lns = append(o.lns, ln)
		srv := &http.Server{
			Handler:           &onvifHandler{svc: o, cam: c, idx: i + 1},
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      10 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    16 << 10,
		}
		o.srvs = append(o.srvs, srv)
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				o.s.Logger.Error("camsim: ONVIF service stopped", "camera", c.name, "error", err)
			}
		}()
	}
	return nil
}

// close stops every listener and waits for the handlers.
func (o *onvifService) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range o.srvs {
		srv.Shutdown(ctx) //nolint:errcheck // Close follows
		srv.Close()
	}
	o.wg.Wait()
}

// deviceURL is camera i's device service URL (an unspecified listen host becomes 127.0.0.1).
func (o *onvifService) deviceURL(i int) string {
	if i < 1 || i > len(o.lns) {
		return ""
	}
	return "http://" + reachableAddr(o.lns[i-1].Addr().String()) + onvifDevicePath
}

// reachableAddr replaces an unspecified host by 127.0.0.1.
func reachableAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// onvifHandler serves one camera.
type onvifHandler struct {
	svc *onvifService
	cam *camera
	idx int
}

func (h *onvifHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var service string
	switch r.URL.Path {
	case onvifDevicePath:
		service = nsDevice
	case onvifMediaPath:
		service = nsMedia
	case onvifPTZPath:
		service = nsPTZ
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a SOAP 1.2 request", http.StatusMethodNotAllowed)
		return
	}
	fs := h.cam.fault.Load()
	if fs != nil && fs.Refuse {
		http.Error(w, "camera refuses (fault)", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSOAPBody))
	if err != nil {
		f := senderFault("request body over 64 KiB or unreadable")
		f.status = http.StatusRequestEntityTooLarge
		writeFault(w, f)
		return
	}
	req, err := parseRequest(body)
	if err != nil {
		if errors.Is(err, errSOAPVersion) {
			writeFault(w, &soapFault{status: 500, code: "s:VersionMismatch", reason: err.Error()})
			return
		}
		writeFault(w, senderFault("malformed SOAP request: "+err.Error(), "ter:WellFormed"))
		return
	}
	c := &onvifCall{svc: h.svc, cam: h.cam, idx: h.idx, r: r, req: req, w: newSOAPWriter(),
		now: time.Now(), host: requestHost(r, h.svc.lns[h.idx-1])}
	if fs != nil {
		c.now = c.now.Add(fs.ClockOffset)
	}

	open := req.Op.Name == xml.Name{Space: nsDevice, Local: "GetSystemDateAndTime"}
	if user, pass := h.svc.s.credentials(fs); user != "" && !open {
		if err := h.svc.authenticate(r, req, user, pass, c.now); err != nil {
			h.svc.s.Logger.Debug("camsim: ONVIF request not authorized", "camera", h.cam.name, "reason", err)
			stale := errors.Is(err, errStale)
			w.Header().Set("WWW-Authenticate", h.svc.auth.challenge(time.Now(), stale))
			f := senderFault("not authorized", "ter:NotAuthorized")
			f.status = http.StatusUnauthorized
			writeFault(w, f)
			return
		}
	}

	if req.Op.Name.Space != service {
		writeFault(w, notSupported(fmt.Sprintf("%s is not an operation of the service at %s", req.Op.Name.Local, r.URL.Path)))
		return
	}
	if service == nsPTZ && h.cam.ptz == nil {
		writeFault(w, notSupported(h.cam.name+" has no PTZ", "ter:PTZNotSupported"))
		return
	}
	op := h.svc.ops[req.Op.Name]
	if op == nil {
		writeFault(w, notSupported(req.Op.Name.Local+" is not supported"))
		return
	}
	if f := op(c); f != nil {
		writeFault(w, f)
		return
	}
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	w.Write(c.w.bytes()) //nolint:errcheck // the client went away
}

var errStale = errors.New("stale nonce")

// authenticate accepts a valid UsernameToken or a valid HTTP Digest.
func (o *onvifService) authenticate(r *http.Request, req *soapRequest, user, pass string, device time.Time) error {
	var errs []error
	if req.Token != nil {
		err := checkUsernameToken(req.Token, user, pass, device)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if r.Header.Get("Authorization") != "" {
		stale, err := o.auth.checkDigest(r, user, pass, time.Now())
		if err == nil {
			return nil
		}
		if stale {
			err = fmt.Errorf("%w: %w", errStale, err)
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return errors.New("no credentials")
	}
	return errors.Join(errs...)
}

func writeFault(w http.ResponseWriter, f *soapFault) {
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	w.WriteHeader(f.status)
	w.Write(faultBody(f)) //nolint:errcheck // the client went away
}

// requestHost is the Host the client used when it is a plain host[:port], else the
// listener's address.
func requestHost(r *http.Request, ln net.Listener) string {
	addr := reachableAddr(ln.Addr().String())
	h := r.Host
	if h == "" || len(h) > 255 {
		return addr
	}
	for _, ch := range h {
		if !(ch == '.' || ch == ':' || ch == '-' || ch == '[' || ch == ']' ||
			ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z') {
			return addr
		}
	}
	if _, _, err := net.SplitHostPort(h); err != nil {
		// no port: the default port, which is ours only if we listen on 80
		_, port, _ := net.SplitHostPort(addr)
		if port != "80" {
			return addr
		}
	}
	return h
}

// xaddr is the URL of one of this camera's services.
func (c *onvifCall) xaddr(path string) string { return "http://" + c.host + path }

// profileKind resolves a ProfileToken ("main" or "sub") to a stream kind.
func profileKind(token string) (string, *soapFault) {
	switch token {
	case StreamMain, StreamSub:
		return token, nil
	}
	return "", invalidArg("ter:NoProfile", "no profile %q (main, sub)", truncate(token))
}
