package sim

import (
	"strings"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
)

// serverHandler receives gortsplib's callbacks; it keeps them off Server's exported API.
type serverHandler struct {
	s *Server
}

// lookup resolves a request path "/cam001/main" to its camera and stream kind.
func (h *serverHandler) lookup(path string) (*camera, string, *base.Response) {
	if !h.s.ready.Load() {
		return nil, "", &base.Response{StatusCode: base.StatusServiceUnavailable}
	}
	name, kind, ok := strings.Cut(strings.Trim(path, "/"), "/")
	c := h.s.byName[name]
	if !ok || c == nil || (kind != StreamMain && kind != StreamSub) {
		return nil, "", &base.Response{StatusCode: base.StatusNotFound}
	}
	return c, kind, nil
}

// admit applies Refuse and authentication to a DESCRIBE or SETUP of camera c.
func (h *serverHandler) admit(c *camera, conn *gortsplib.ServerConn, req *base.Request) (*base.Response, error) {
	fs := c.fault.Load()
	if fs != nil && fs.Refuse {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil
	}
	if user, pass := h.s.credentials(fs); user != "" && !conn.VerifyCredentials(req, user, pass) {
		// no credentials: gortsplib answers 401 with a digest challenge;
		// wrong credentials: 401 and the connection is closed
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	}
	return nil, nil
}

// stream returns the stream to serve for kind of camera c: H.264, or the codec fault's.
// Called with s.mu held.
func (h *serverHandler) stream(c *camera, kind string) (*gortsplib.ServerStream, *streamRunner, error) {
	if codec := c.currentFault().codec(); codec != "" {
		st, err := h.s.altStream(c, codec, kind)
		return st, nil, err
	}
	r := c.runner(kind)
	return r.stream, r, nil
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (h *serverHandler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	c, kind, res := h.lookup(ctx.Path)
	if res != nil {
		return res, nil, nil
	}
	if res, err := h.admit(c, ctx.Conn, ctx.Request); res != nil {
		return res, nil, err
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	st, _, err := h.stream(c, kind)
	if err != nil {
		return &base.Response{StatusCode: base.StatusInternalServerError}, nil, err
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (h *serverHandler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	c, kind, res := h.lookup(ctx.Path)
	if res != nil {
		return res, nil, nil
	}
	// the check and the registration happen under s.mu, like SetFault's closing of sessions,
	// so a session is either refused here or closed there
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if res, err := h.admit(c, ctx.Conn, ctx.Request); res != nil {
		return res, nil, err
	}
	st, r, err := h.stream(c, kind)
	if err != nil {
		return &base.Response{StatusCode: base.StatusInternalServerError}, nil, err
	}
	if _, ok := h.s.sessions[ctx.Session]; !ok {
		h.s.sessions[ctx.Session] = &sessionInfo{cam: c, kind: kind, runner: r}
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (h *serverHandler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	info := h.s.sessions[ctx.Session]
	if info == nil {
		return &base.Response{StatusCode: base.StatusSessionNotFound}, nil
	}
	if fs := info.cam.fault.Load(); fs != nil && fs.Refuse {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil
	}
	if !info.playing && info.runner != nil {
		info.playing = true
		info.runner.addReader()
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (h *serverHandler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	info := h.s.sessions[ctx.Session]
	if info == nil {
		return
	}
	delete(h.s.sessions, ctx.Session)
	if info.playing {
		info.runner.removeReader()
	}
	h.s.Logger.Debug("camsim: session closed", "stream", info.cam.name+"/"+info.kind, "reason", ctx.Error)
}

// OnConnClose implements gortsplib.ServerHandlerOnConnClose.
func (h *serverHandler) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	h.s.Logger.Debug("camsim: connection closed", "remote", ctx.Conn.NetConn().RemoteAddr(), "reason", ctx.Error)
}

// OnStreamWriteError implements gortsplib.ServerHandlerOnStreamWriteError: a reader's write
// queue is full (slow reader); the packet is dropped for that reader.
func (h *serverHandler) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	h.s.mu.Lock()
	info := h.s.sessions[ctx.Session]
	h.s.mu.Unlock()
	if info != nil && info.runner != nil {
		info.runner.stats.writeErrs.Add(1)
		h.s.writeErrs.add(ctx.Error, "stream", info.runner.name)
		return
	}
	h.s.writeErrs.add(ctx.Error)
}

// OnDecodeError implements gortsplib.ServerHandlerOnDecodeError.
func (h *serverHandler) OnDecodeError(ctx *gortsplib.ServerHandlerOnDecodeErrorCtx) {
	h.s.decodeErrs.add(ctx.Error)
}
