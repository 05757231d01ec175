package live

import "errors"

// Errors returned by Start and Stop. They are wrapped with detail
// (fmt.Errorf("%w: ...")); test them with errors.Is.
var (
	// ErrBadOffer: the body is not an SDP offer a WebRTC peer can answer.
	ErrBadOffer = errors.New("bad SDP offer")
	// ErrNoH264: the offer has no video section that receives H.264 with packetization-mode=1.
	ErrNoH264 = errors.New("the offer does not accept H.264 video (packetization-mode=1)")
	// ErrBFrames: the camera stream uses B-frames, which live view does not pass through.
	ErrBFrames = errors.New("the camera stream uses B-frames, which live view does not support; configure the camera without B-frames")
	// ErrNoStream: no such camera stream.
	ErrNoStream = errors.New("no such camera stream")
	// ErrServerFull: the server already serves Config.MaxViewers live views.
	ErrServerFull = errors.New("too many live viewers on this server")
	// ErrUserFull: the user already has Config.MaxViewersPerUser live views.
	ErrUserFull = errors.New("too many live views open for this user")
	// ErrNoSession: no such live session (or it belongs to another user).
	ErrNoSession = errors.New("no such live session")
	// ErrClosed: the server is shutting down.
	ErrClosed = errors.New("live server closed")
)
