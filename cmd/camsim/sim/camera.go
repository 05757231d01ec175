package sim

import (
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
)

// Stream names served by every camera.
const (
	StreamMain = "main"
	StreamSub  = "sub"
)

// faultState is a fault and when it was set (the origin of its periodic events).
type faultState struct {
	Fault
	since time.Time
}

// camera is one simulated camera: two streams and its current fault.
type camera struct {
	name  string
	fault atomic.Pointer[faultState] // nil when healthy; read lock-free by the stream runners
	main  *streamRunner
	sub   *streamRunner
	ptz   *ptz // nil unless a PTZ camera

	// streams advertising another codec (Fault.Codec), by codec+"/"+kind; guarded by Server.mu
	alt map[string]*gortsplib.ServerStream
}

func (c *camera) runner(kind string) *streamRunner {
	switch kind {
	case StreamMain:
		return c.main
	case StreamSub:
		return c.sub
	}
	return nil
}

func (c *camera) currentFault() Fault {
	if fs := c.fault.Load(); fs != nil {
		return fs.Fault
	}
	return Fault{}
}
