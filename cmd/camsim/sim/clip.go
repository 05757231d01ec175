package sim

import (
	"fmt"
	"os"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vigil-cctv/vigil/ingest"
)

// accessUnit is one frame of a clip, already packetized into RTP payloads.
// Payloads are shared read-only by every camera streaming the clip.
type accessUnit struct {
	payloads [][]byte
	idr      bool
	size     int // bytes of payload
}

// clip is a looped H.264 elementary stream, parsed and packetized once.
type clip struct {
	spec    StreamSpec
	sps     []byte
	pps     []byte
	aus     []accessUnit
	idrs    []int // indices of IDR access units, ascending
	packets int
	bytes   int
}

// clipFrames returns the clip length in frames: ClipSeconds rounded up to whole GOPs.
func clipFrames(spec StreamSpec, seconds int) int {
	g := spec.GOPFrames()
	n := seconds * spec.FPS
	return (n + g - 1) / g * g
}

// ClipFileName is the cache file name of the clip of a stream kind ("main", "sub") for spec,
// e.g. main_1920x1080_25fps_50gop_4000k_250f_v1.h264. The version changes with the scene.
func ClipFileName(kind string, spec StreamSpec, clipSeconds int) string {
	return fmt.Sprintf("%s_%dx%d_%dfps_%dgop_%dk_%df_%s.h264",
		kind, spec.Width, spec.Height, spec.FPS, spec.GOPFrames(), spec.Bitrate/1000,
		clipFrames(spec, clipSeconds), sceneVersion)
}

// loadClip reads and checks an Annex-B file made by generateClip and packetizes it.
func loadClip(path string, spec StreamSpec, wantFrames int) (*clip, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parseClip(buf, spec, wantFrames)
	if err != nil {
		return nil, fmt.Errorf("clip %s: %w", path, err)
	}
	return c, nil
}

func parseClip(buf []byte, spec StreamSpec, wantFrames int) (*clip, error) {
	chunks := ingest.SplitAtDelimiters(buf)
	if len(chunks) == 0 {
		return nil, fmt.Errorf("no access unit delimiters (generate with x264 aud=1)")
	}
	if wantFrames > 0 && len(chunks) != wantFrames {
		return nil, fmt.Errorf("%d access units, want %d", len(chunks), wantFrames)
	}

	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	enc, err := forma.CreateEncoder()
	if err != nil {
		return nil, err
	}

	c := &clip{spec: spec, aus: make([]accessUnit, 0, len(chunks))}
	gop := spec.GOPFrames()

	for i, chunk := range chunks {
		var au h264.AnnexB
		if err := au.Unmarshal(chunk); err != nil {
			return nil, fmt.Errorf("access unit %d: %w", i, err)
		}
		nalus := make([][]byte, 0, len(au))
		idr, vcl := false, false
		for _, nalu := range au {
			if len(nalu) == 0 {
				continue
			}
			switch typ := h264.NALUType(nalu[0] & 0x1f); typ {
			case h264.NALUTypeAccessUnitDelimiter:
				continue // not sent over RTP, like most cameras
			case h264.NALUTypeSPS:
				if c.sps == nil {
					c.sps = nalu
				}
			case h264.NALUTypePPS:
				if c.pps == nil {
					c.pps = nalu
				}
			case h264.NALUTypeIDR:
				idr, vcl = true, true
			case h264.NALUTypeNonIDR:
				vcl = true
			}
			nalus = append(nalus, nalu)
		}
		if !vcl {
			return nil, fmt.Errorf("access unit %d has no slice", i)
		}
		if i == 0 && !idr {
			return nil, fmt.Errorf("first access unit is not an IDR")
		}
		if idr != (i%gop == 0) {
			return nil, fmt.Errorf("access unit %d: IDR=%v, want an IDR every %d frames", i, idr, gop)
		}

		pkts, err := enc.Encode(nalus)
		if err != nil {
			return nil, fmt.Errorf("access unit %d: %w", i, err)
		}
		a := accessUnit{idr: idr, payloads: make([][]byte, len(pkts))}
		for k, p := range pkts {
			a.payloads[k] = p.Payload
			a.size += len(p.Payload)
		}
		if idr {
			c.idrs = append(c.idrs, i)
		}
		c.packets += len(pkts)
		c.bytes += a.size
		c.aus = append(c.aus, a)
	}

	if c.sps == nil || c.pps == nil {
		return nil, fmt.Errorf("no SPS/PPS")
	}
	var sps h264.SPS
	if err := sps.Unmarshal(c.sps); err != nil {
		return nil, fmt.Errorf("SPS: %w", err)
	}
	if sps.Width() != spec.Width || sps.Height() != spec.Height {
		return nil, fmt.Errorf("SPS says %dx%d, want %dx%d", sps.Width(), sps.Height(), spec.Width, spec.Height)
	}
	return c, nil
}

// nextIDR returns the smallest clip position >= pos holding an IDR, and how many positions on
// that is (it may wrap around the loop).
func (c *clip) nextIDR(pos int) (dist int) {
	for _, i := range c.idrs {
		if i >= pos {
			return i - pos
		}
	}
	return len(c.aus) - pos + c.idrs[0]
}
