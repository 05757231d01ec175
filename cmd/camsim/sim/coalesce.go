package sim

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// gortsplib writes every RTP packet of a TCP reader with its own write syscall (about 115k
// syscalls/s for 300 1080p cameras; two thirds of camsim's CPU). coalescingListener wraps the
// accepted connections so that writes are gathered and flushed together a short delay after
// the first one (a frame's packets are queued within microseconds), or when the buffer fills:
// one syscall per frame instead of one per packet.

const (
	coalesceLimit = 64 << 10 // flush when this much is buffered
)

type coalescingListener struct {
	net.Listener
	delay time.Duration
}

func (l *coalescingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &coalescingConn{Conn: c, delay: l.delay, buf: make([]byte, 0, coalesceLimit)}
	cc.timer = time.AfterFunc(time.Hour, cc.timedFlush)
	cc.timer.Stop()
	return cc, nil
}

// coalescingConn buffers writes. Errors of a delayed flush are returned by the next Write.
// Reads, deadlines and addresses go straight to the wrapped connection (gortsplib sets a write
// deadline before each write, so a delayed flush is bounded by the latest one).
type coalescingConn struct {
	net.Conn
	delay time.Duration

	closed atomic.Bool

	mu    sync.Mutex
	buf   []byte
	timer *time.Timer
	armed bool
	err   error
}

func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if len(c.buf)+len(p) > coalesceLimit {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) >= coalesceLimit {
			return c.Conn.Write(p)
		}
	}
	c.buf = append(c.buf, p...)
	if !c.armed {
		c.armed = true
		c.timer.Reset(c.delay)
	}
	return len(p), nil
}

func (c *coalescingConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	if err != nil {
		c.err = err
	}
	return err
}

func (c *coalescingConn) timedFlush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = false
	if !c.closed.Load() {
		c.flushLocked() //nolint:errcheck // returned by the next Write
	}
}

// Close flushes what is buffered (an RTSP response before an error close, a TEARDOWN answer)
// and closes the connection. When a flush is in progress (maybe blocked on a slow reader) it
// closes at once, which also unblocks that flush.
func (c *coalescingConn) Close() error {
	if !c.closed.Swap(true) {
		c.timer.Stop()
		if c.mu.TryLock() {
			if c.err == nil && len(c.buf) > 0 {
				c.Conn.SetWriteDeadline(time.Now().Add(time.Second)) //nolint:errcheck
				c.flushLocked()                                      //nolint:errcheck
			}
			c.mu.Unlock()
		}
	}
	return c.Conn.Close()
}
