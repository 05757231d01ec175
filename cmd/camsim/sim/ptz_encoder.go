package sim

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

const (
	// maxLiveAU bounds one encoded access unit read back from ffmpeg.
	maxLiveAU = 4 << 20
	// liveStartTimeout bounds the wait for a live encoder's first access unit.
	liveStartTimeout = 15 * time.Second
)

// liveAU is one access unit of a live stream: frame n, captured at at.
type liveAU struct {
	n     int64
	at    time.Time
	nalus [][]byte
	idr   bool
}

type liveFrame struct {
	n  int64
	at time.Time
}

// liveEncoder draws a PTZ camera's view at one stream's size and rate, paced by the wall
// clock, into an ffmpeg subprocess (libx264, zero latency, no B-frames, an IDR every GOP) and
// reads the access units back. ffmpeg keeps the order and neither drops nor adds frames, so
// the k-th access unit out is the k-th frame in.
type liveEncoder struct {
	name     string // cam001/main
	spec     StreamSpec
	position func(time.Time) PTZPosition
	logger   *slog.Logger

	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stdout    io.ReadCloser
	stderr    limitedWriter
	frames    chan liveFrame // written to ffmpeg, their access units not yet read
	aus       chan liveAU    // to the stream runner; full: dropped
	terminate chan struct{}
	renderEnd chan struct{}
	readEnd   chan struct{}
	dropped   atomic.Uint64

	sps, pps []byte // from the first access unit
}

// startLiveEncoder starts ffmpeg and the render and read goroutines, and waits for the first
// access unit (for its SPS and PPS, which the stream's SDP carries).
func startLiveEncoder(name, ffmpeg string, spec StreamSpec, position func(time.Time) PTZPosition, logger *slog.Logger) (*liveEncoder, error) {
	bin, err := exec.LookPath(ffmpeg)
	if err != nil {
		return nil, fmt.Errorf("ffmpeg (with libx264) is needed for PTZ cameras: %w", err)
	}
	e := &liveEncoder{
		name: name, spec: spec, position: position, logger: logger,
		stderr:    limitedWriter{w: &bytes.Buffer{}, n: 4096},
		frames:    make(chan liveFrame, 64),
		aus:       make(chan liveAU, 8),
		terminate: make(chan struct{}),
		renderEnd: make(chan struct{}),
		readEnd:   make(chan struct{}),
	}
	g := spec.GOPFrames()
	e.cmd = exec.Command(bin, "-hide_banner", "-loglevel", "error", "-nostdin",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", fmt.Sprintf("%dx%d", spec.Width, spec.Height),
		"-framerate", fmt.Sprint(spec.FPS), "-i", "pipe:0",
		"-threads", "1", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
		"-profile:v", "baseline", "-pix_fmt", "yuv420p", "-bf", "0", "-g", fmt.Sprint(g),
		"-b:v", fmt.Sprint(spec.Bitrate), "-maxrate", fmt.Sprint(spec.Bitrate), "-bufsize", fmt.Sprint(spec.Bitrate/2),
		// one slice a frame, headers on every IDR, an AUD before every frame (how we cut them)
		"-x264-params", fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:repeat-headers=1:aud=1:threads=1:sliced-threads=0", g, g),
		"-fps_mode", "passthrough", "-flush_packets", "1", "-f", "h264", "pipe:1")
	e.cmd.Stderr = &e.stderr
	if e.stdin, err = e.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if e.stdout, err = e.cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %w", err)
	}
	go e.render()
	go e.read()

	select {
	case au := <-e.aus:
		for _, n := range au.nalus {
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				e.sps = n
			case h264.NALUTypePPS:
				e.pps = n
			}
		}
		if e.sps == nil || e.pps == nil {
			e.close()
			return nil, fmt.Errorf("%s: live encoder's first access unit has no SPS/PPS", name)
		}
	case <-e.readEnd:
		e.close()
		return nil, fmt.Errorf("%s: live encoder stopped: %s", name, strings.TrimSpace(e.stderr.w.String()))
	case <-time.After(liveStartTimeout):
		e.close()
		return nil, fmt.Errorf("%s: live encoder gave no picture within %v", name, liveStartTimeout)
	}
	return e, nil
}

// close stops rendering, lets ffmpeg finish (killing it after 2 s) and waits for everything.
func (e *liveEncoder) close() {
	select {
	case <-e.terminate:
		return
	default:
	}
	close(e.terminate)
	<-e.renderEnd // closes stdin
	select {
	case <-e.readEnd:
	case <-time.After(2 * time.Second):
		e.cmd.Process.Kill() //nolint:errcheck // it may have exited
		<-e.readEnd
	}
	e.cmd.Wait() //nolint:errcheck // we stopped it
}

// render draws frame n at its capture time t0+n/FPS and writes it to ffmpeg; after a stall
// (a suspended process, a busy machine) it skips ahead rather than bursting.
func (e *liveEncoder) render() {
	defer close(e.renderEnd)
	defer e.stdin.Close()
	w, h := e.spec.Width, e.spec.Height
	cw, ch := (w+1)/2, (h+1)/2
	buf := make([]byte, w*h+2*cw*ch)
	r := &ptzRenderer{
		img: &image.YCbCr{Y: buf[:w*h], Cb: buf[w*h : w*h+cw*ch], Cr: buf[w*h+cw*ch:],
			YStride: w, CStride: cw, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h)},
		cols: make([]uint16, w), rows: make([]uint16, h),
	}
	fps := int64(e.spec.FPS)
	t0 := time.Now()
	at := func(n int64) time.Time { return t0.Add(time.Duration(n * int64(time.Second) / fps)) }
	timer := time.NewTimer(0)
	defer timer.Stop()
	for n := int64(0); ; n++ {
		d := at(n)
		timer.Reset(time.Until(d))
		select {
		case <-e.terminate:
			return
		case <-timer.C:
		}
		if late := time.Since(d); late > maxLate {
			n += int64(late) * fps / int64(time.Second)
			d = at(n)
		}
		r.render(e.position(d))
		select {
		case e.frames <- liveFrame{n: n, at: d}:
		case <-e.terminate:
			return
		}
		if _, err := e.stdin.Write(buf); err != nil {
			select {
			case <-e.terminate:
			default:
				e.logger.Error("camsim: live encoder stopped", "stream", e.name, "error", err,
					"ffmpeg", strings.TrimSpace(e.stderr.w.String()))
			}
			return
		}
	}
}

// read cuts ffmpeg's Annex-B output at the access unit delimiters. An access unit is complete
// when the next one's delimiter arrives, so it is handed on one frame late.
func (e *liveEncoder) read() {
	defer close(e.readEnd)
	acc := make([]byte, 0, 256<<10)
	chunk := make([]byte, 64<<10)
	aud := []byte{0, 0, 1, 9}
	for {
		k, err := e.stdout.Read(chunk)
		acc = append(acc, chunk[:k]...)
		for {
			// the buffer starts with a delimiter: look for the next one
			j := bytes.Index(acc[min(4, len(acc)):], aud)
			if j < 0 {
				break
			}
			p := j + min(4, len(acc))
			if p > 0 && acc[p-1] == 0 {
				p--
			}
			if p > 0 {
				e.emit(acc[:p])
			}
			acc = append(acc[:0], acc[p:]...)
		}
		if len(acc) > maxLiveAU {
			e.logger.Error("camsim: live encoder output has no access unit delimiters", "stream", e.name)
			e.drain()
			return
		}
		if err != nil {
			return
		}
	}
}

// drain discards the rest of ffmpeg's output so it is not blocked writing.
func (e *liveEncoder) drain() {
	io.Copy(io.Discard, e.stdout) //nolint:errcheck // nothing to do with it
}

func (e *liveEncoder) emit(chunk []byte) {
	var au h264.AnnexB
	if err := au.Unmarshal(bytes.Clone(chunk)); err != nil {
		e.logger.Warn("camsim: live encoder gave a malformed access unit", "stream", e.name, "error", err)
		return
	}
	out := liveAU{nalus: make([][]byte, 0, len(au))}
	for _, n := range au {
		if len(n) == 0 || h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
			continue
		}
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeIDR {
			out.idr = true
		}
		out.nalus = append(out.nalus, n)
	}
	if len(out.nalus) == 0 {
		return
	}
	select {
	case f := <-e.frames:
		out.n, out.at = f.n, f.at
	case <-e.terminate:
		return
	}
	select {
	case e.aus <- out:
	default:
		e.dropped.Add(1)
	}
}
