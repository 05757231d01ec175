package rtsp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/ingest"
)

// A real 320x180 constrained-baseline SPS and its PPS (x264).
var (
	testSPS = []byte{0x67, 0x42, 0xc0, 0x0c, 0xd9, 0x01, 0x41, 0x9f, 0x9f, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x42, 0xa4, 0x80}
	testPPS = []byte{0x68, 0xcb, 0x83, 0xcb, 0x20}
)

func slice(typ byte, size int, fill byte) []byte {
	b := bytes.Repeat([]byte{fill}, size)
	b[0] = typ
	return b
}

// packetize encodes access units into RTP packets, 3600 ticks (25 fps) apart.
func packetize(t testing.TB, aus [][][]byte, startTS uint32) []*rtp.Packet {
	enc := &rtph264.Encoder{PayloadType: 96, PacketizationMode: 1, PayloadMaxSize: 1200}
	if err := enc.Init(); err != nil {
		t.Fatal(err)
	}
	var out []*rtp.Packet
	for i, au := range aus {
		pkts, err := enc.Encode(au)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			p.Timestamp = startTS + uint32(i*3600)
		}
		out = append(out, pkts...)
	}
	return out
}

func testGOP(n int) [][][]byte {
	aus := [][][]byte{{testSPS, testPPS, slice(0x65, 5000, 0xaa)}}
	for i := 1; i < n; i++ {
		aus = append(aus, [][]byte{slice(0x41, 800+i, byte(i))})
	}
	return aus
}

type result struct {
	aus        []*ingest.AccessUnit
	timestamps []uint32 // RTP timestamp of each access unit
	changes    int
	errs       []error
}

func run(t testing.TB, a *assembler, pkts []*rtp.Packet, start time.Time, step time.Duration) result {
	var r result
	lastTS, frame := pkts[0].Timestamp, 0
	for _, p := range pkts {
		if p.Timestamp != lastTS {
			lastTS = p.Timestamp
			frame++
		}
		recv := start.Add(time.Duration(frame) * step)
		nalus, ts, err := a.push(p)
		switch {
		case errors.Is(err, errNeedMore):
		case err != nil:
			r.errs = append(r.errs, err)
		default:
			au, changed := a.accessUnit(nalus, ts, recv)
			r.aus = append(r.aus, au)
			r.timestamps = append(r.timestamps, ts)
			if changed {
				r.changes++
			}
		}
	}
	return r
}

func TestAssemblerBuildsAccessUnits(t *testing.T) {
	a, err := newAssembler("cam001", "main", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, a, packetize(t, testGOP(10), 0xfffff000), time.Now(), 40*time.Millisecond)
	if len(r.errs) > 0 || len(r.aus) != 10 {
		t.Fatalf("got %d access units, errors %v; want 10, none", len(r.aus), r.errs)
	}
	first := r.aus[0]
	if !first.Keyframe || len(first.NALUs) != 3 || len(first.NALUs[2]) != 5000 {
		t.Fatalf("first access unit: keyframe=%v nalus=%d", first.Keyframe, len(first.NALUs))
	}
	if first.Session.Width != 320 || first.Session.Height != 180 {
		t.Fatalf("session size %dx%d from in-band SPS, want 320x180", first.Session.Width, first.Session.Height)
	}
	// The RTP clock wraps past 2^32 inside this GOP; PTS must not notice.
	for i, au := range r.aus {
		if want := time.Duration(i) * 40 * time.Millisecond; au.PTS != want {
			t.Fatalf("au %d PTS %v, want %v", i, au.PTS, want)
		}
		if au.Session != first.Session || au.Discontinuity {
			t.Fatalf("au %d: new session or discontinuity in a clean stream", i)
		}
		if i > 0 && au.Keyframe {
			t.Fatalf("au %d marked keyframe", i)
		}
	}
}

func TestAssemblerSessionFromSDPIsKeptWhenSPSMatches(t *testing.T) {
	a, _ := newAssembler("cam001", "main", testSPS, testPPS)
	id := a.session.ID
	r := run(t, a, packetize(t, testGOP(3), 0), time.Now(), 40*time.Millisecond)
	if r.changes != 0 || r.aus[0].Session.ID != id {
		t.Fatalf("in-band SPS equal to the SDP's started a new session")
	}
}

func TestAssemblerNewSessionOnParameterChange(t *testing.T) {
	a, _ := newAssembler("cam001", "main", testSPS, testPPS)
	id := a.session.ID
	gop := testGOP(2)
	gop = append(gop, [][]byte{testSPS, {0x68, 0xce, 0x3c, 0x80}, slice(0x65, 3000, 1)})
	r := run(t, a, packetize(t, gop, 0), time.Now(), 40*time.Millisecond)
	if r.changes != 1 || r.aus[2].Session.ID == id {
		t.Fatalf("a new PPS must start a new session; changes=%d", r.changes)
	}
}

func TestAssemblerRebasesTimestampJumps(t *testing.T) {
	a, _ := newAssembler("cam001", "main", nil, nil)
	pkts := packetize(t, testGOP(10), 1000)
	// The camera's clock jumps 10 minutes forward after the fifth frame.
	for _, p := range pkts {
		if p.Timestamp >= 1000+5*3600 {
			p.Timestamp += 10 * 60 * clockRate
		}
	}
	r := run(t, a, pkts, time.Now(), 40*time.Millisecond)
	if len(r.aus) != 10 {
		t.Fatalf("got %d access units", len(r.aus))
	}
	for i, au := range r.aus {
		if want := time.Duration(i) * 40 * time.Millisecond; au.PTS != want {
			t.Fatalf("au %d PTS %v, want %v (jump not rebased)", i, au.PTS, want)
		}
		if au.Discontinuity != (i == 5) {
			t.Fatalf("au %d discontinuity=%v", i, au.Discontinuity)
		}
	}

	// And backwards.
	b, _ := newAssembler("cam001", "main", nil, nil)
	pkts = packetize(t, testGOP(6), 50*clockRate)
	for _, p := range pkts {
		if p.Timestamp >= 50*clockRate+3*3600 {
			p.Timestamp -= 30 * clockRate
		}
	}
	r = run(t, b, pkts, time.Now(), 40*time.Millisecond)
	for i := 1; i < len(r.aus); i++ {
		if r.aus[i].PTS <= r.aus[i-1].PTS {
			t.Fatalf("PTS went backwards at %d: %v after %v", i, r.aus[i].PTS, r.aus[i-1].PTS)
		}
	}
}

func TestAssemblerTellsLossFromMalformedInput(t *testing.T) {
	a, _ := newAssembler("cam001", "main", nil, nil)
	pkts := packetize(t, testGOP(3), 0)
	// Lose the second fragment of the keyframe: what follows is loss.
	r := run(t, a, append(pkts[:1:1], pkts[2:]...), time.Now(), 40*time.Millisecond)
	if len(r.errs) == 0 {
		t.Fatal("a frame with a missing fragment decoded")
	}
	for _, err := range r.errs {
		if !errors.Is(err, errAfterLoss) {
			t.Fatalf("error after a sequence gap not marked as loss: %v", err)
		}
	}
	// In sequence, a broken FU-A is malformed input.
	b, _ := newAssembler("cam001", "main", nil, nil)
	clean := packetize(t, testGOP(2), 0)
	bad := &rtp.Packet{Header: clean[0].Header, Payload: []byte{0x7c, 0x05, 1, 2}} // FU-A continuation, no start
	bad.SequenceNumber = clean[len(clean)-1].SequenceNumber + 1
	r = run(t, b, append(clean, bad), time.Now(), 40*time.Millisecond)
	if len(r.errs) != 1 || errors.Is(r.errs[0], errAfterLoss) {
		t.Fatalf("malformed packet in sequence: errors %v; want one, not marked as loss", r.errs)
	}
}

func TestAssemblerSurvivesLossAndGarbage(t *testing.T) {
	a, _ := newAssembler("cam001", "main", nil, nil)
	pkts := packetize(t, testGOP(5), 0)
	// Lose the second fragment of the keyframe, then feed garbage.
	lossy := append([]*rtp.Packet{}, pkts[:1]...)
	lossy = append(lossy, pkts[2:]...)
	lossy = append(lossy,
		&rtp.Packet{Header: rtp.Header{Timestamp: 99999, Marker: true}, Payload: []byte{}},
		&rtp.Packet{Header: rtp.Header{Timestamp: 99999, Marker: true}, Payload: []byte{0x1c}},
		&rtp.Packet{Header: rtp.Header{Timestamp: 99999, Marker: true}, Payload: []byte{0x18, 0xff, 0xff, 0x01}},
	)
	lossy = append(lossy, packetize(t, testGOP(3), 200000)...)
	r := run(t, a, lossy, time.Now(), 40*time.Millisecond)
	if len(r.errs) == 0 {
		t.Fatal("loss and garbage produced no decode errors")
	}
	var keyframes int
	for _, au := range r.aus {
		if au.Keyframe {
			keyframes++
		}
	}
	if keyframes == 0 {
		t.Fatal("the stream did not recover at the next keyframe")
	}
}

// FuzzAssembler feeds arbitrary RTP packet sequences through the access-unit
// path. Input: repeated [uint16 length][packet bytes].
func FuzzAssembler(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := newAssembler("cam", "main", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		recv := time.Unix(1_800_000_000, 0)
		var last time.Duration
		lastRecv := recv
		for len(data) >= 2 {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			var pkt rtp.Packet
			if pkt.Unmarshal(data[:n]) != nil {
				data = data[n:]
				continue
			}
			data = data[n:]
			recv = recv.Add(40 * time.Millisecond)
			nalus, ts, err := a.push(&pkt)
			if err != nil {
				continue
			}
			au, _ := a.accessUnit(nalus, ts, recv)
			if len(au.NALUs) == 0 || au.Session == nil {
				t.Fatalf("access unit without NALUs or session")
			}
			for _, n := range au.NALUs {
				if len(n) == 0 {
					t.Fatalf("empty NALU in an access unit")
				}
			}
			step := au.PTS - last
			if step < -maxBackwardStep || step > recv.Sub(lastRecv)+maxForwardJump {
				t.Fatalf("PTS stepped %v in %v of receive time", step, recv.Sub(lastRecv))
			}
			last, lastRecv = au.PTS, recv
		}
	})
}

// fuzzSeeds are real packet sequences, kept small so the fuzzer mutates
// them quickly: a short GOP fragmented into FU-A packets, and a lossy copy.
// The same seeds are in testdata/fuzz/FuzzAssembler.
func fuzzSeeds(t testing.TB) [][]byte {
	enc := &rtph264.Encoder{PayloadType: 96, PacketizationMode: 1, PayloadMaxSize: 100}
	if err := enc.Init(); err != nil {
		t.Fatal(err)
	}
	aus := [][][]byte{
		{testSPS, testPPS, slice(0x65, 250, 0xaa)},
		{slice(0x41, 60, 1)},
		{slice(0x41, 120, 2)},
	}
	var clean []*rtp.Packet
	for i, au := range aus {
		pkts, err := enc.Encode(au)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			p.Timestamp = uint32(i * 3600)
		}
		clean = append(clean, pkts...)
	}
	frame := func(pkts []*rtp.Packet) []byte {
		var out []byte
		for _, p := range pkts {
			b, _ := p.Marshal()
			out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
			out = append(out, b...)
		}
		return out
	}
	lossy := append(append([]*rtp.Packet{}, clean[:2]...), clean[3:]...)
	return [][]byte{frame(clean), frame(lossy)}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzAssembler when
// VIGIL_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_SEEDS") != "1" {
		t.Skip("set VIGIL_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzAssembler")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, seed := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Some cameras never set the RTP marker bit (gortsplib cites the FLIR
// M400): a frame ends when the next timestamp begins, and must keep its own
// timestamp, not the next frame's.
func TestAssemblerFramesWithoutMarkerBit(t *testing.T) {
	a, _ := newAssembler("cam001", "main", nil, nil)
	pkts := packetize(t, testGOP(6), 7200)
	for _, p := range pkts {
		p.Marker = false
	}
	r := run(t, a, pkts, time.Now(), 40*time.Millisecond)
	// The last frame is still waiting for the next timestamp.
	if len(r.errs) > 0 || len(r.aus) != 5 {
		t.Fatalf("got %d access units, errors %v; want 5", len(r.aus), r.errs)
	}
	for i, au := range r.aus {
		if want := time.Duration(i) * 40 * time.Millisecond; au.PTS != want {
			t.Fatalf("au %d PTS %v, want %v", i, au.PTS, want)
		}
		if au.Keyframe != (i == 0) {
			t.Fatalf("au %d keyframe=%v", i, au.Keyframe)
		}
		// Wall time comes from this timestamp: it must be the frame's own.
		if want := uint32(7200 + i*3600); r.timestamps[i] != want {
			t.Fatalf("au %d has RTP timestamp %d, want its own %d", i, r.timestamps[i], want)
		}
	}
}
