package playback

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vigil-cctv/vigil/ingest/decode"
	"github.com/vigil-cctv/vigil/ingest/zones"
	"github.com/vigil-cctv/vigil/recorder/mp4box"
)

// ErrNoMasks is returned by WriteMaskedMP4 without masks: an unmasked copy
// is WriteMP4's (no transcoding), and the caller decides which it wants.
var ErrNoMasks = errors.New("playback: no privacy masks given: use WriteMP4 for an unmasked copy")

const (
	// maskedChunk is how many samples share one MP4 chunk of a masked copy.
	maskedChunk = 32
	// maxPending bounds the pictures the decoder may hold back (H.264
	// allows a delay of 16) before one is counted lost.
	maxPending = 16
)

// WriteMaskedMP4 writes r as one progressive MP4 (like WriteMP4) whose
// pictures have masks burned in: every access unit is decoded, the pixels
// whose centres fall in a mask (zones.Rasterize) are blacked out, chroma
// included, and the picture is re-encoded with decode.Encoder (libx264,
// DefaultPreset and DefaultCRF, the source's range, keyframes where the
// source has them, no B-frames). Samples keep the source's times: the same durations,
// gaps and wall-clock span as WriteMP4 gives (the same walker reads the
// segments), so the working copy lines up with the master. The encoded data
// is spooled to a temporary file under tmpDir (removed before return)
// because moov, with the sample sizes, is written before mdat.
//
// Errors are WriteMP4's: about the range and *NoFootageError before any
// byte, a nil or *IncompleteError return after a complete file (segments
// left out, or the output ends where the SPS/PPS change: a new picture size
// is asked for again from IncompleteError.ChangedAt), any other error after
// the first byte means the file must be discarded. Besides: ErrNoMasks,
// an invalid polygon, footage with B-frames (reordered pictures, which
// this copy does not carry) or of odd width or height, and an encoder
// failure, each naming the camera and segment. A picture libavcodec cannot
// decode (damaged data) is replaced by the previous masked picture, so the
// timeline stays whole. Cancelling ctx stops the transcode within a picture.
//
// It takes the CPU: libx264 uses every core (see decode.Encoder), so an
// hour of 1080p takes minutes; run few at a time.
func (p *Player) WriteMaskedMP4(ctx context.Context, w io.Writer, r *Range, masks []zones.Polygon, tmpDir string) error {
	if len(masks) == 0 {
		return ErrNoMasks
	}
	for i, m := range masks {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("playback: privacy mask %d: %w", i, err)
		}
	}
	if err := checkLength(r, p.MaxDownload, DefaultMaxDownload, "a download"); err != nil {
		return err
	}
	spool, err := os.CreateTemp(tmpDir, "vigil-masked-*.h264")
	if err != nil {
		return fmt.Errorf("playback: masked copy spool: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()

	wk := newWalker(p.opener(), r, true)
	defer wk.close()
	m := &masker{wk: wk, masks: masks, spool: bufio.NewWriterSize(spool, 1<<20), firstSeg: -1}
	defer m.close()
	for {
		c, err := wk.nextChunk(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := m.chunk(ctx, c); err != nil {
			return err
		}
	}
	if err := m.finish(); err != nil {
		return err
	}
	if len(m.t.sizes) == 0 {
		if m.firstSeg >= 0 {
			return wk.segErr(m.firstSeg, errors.New("no picture of the range could be decoded"))
		}
		return wk.noFootage()
	}
	if err := m.spool.Flush(); err != nil {
		return fmt.Errorf("playback: masked copy spool: %w", err)
	}
	stsd := mp4box.AVCSampleDescription(nil, m.w, m.h, m.enc.SPS(), m.enc.PPS())
	if _, err := w.Write(buildHead(&m.t, stsd, m.w, m.h)); err != nil {
		return err
	}
	if err := copySpool(ctx, w, spool, m.t.data); err != nil {
		return err
	}
	return wk.incomplete()
}

// pendingPic is a source sample given to the decoder whose picture has not
// come out yet.
type pendingPic struct {
	pts      int64 // output presentation time, 90 kHz
	duration uint32
	keyframe bool
	seg      int
}

// masker decodes, masks and re-encodes the walker's samples, spooling the
// encoded samples and building their tables.
type masker struct {
	wk    *walker
	masks []zones.Polygon
	spool *bufio.Writer

	dec     *decode.Decoder
	enc     *decode.Encoder
	w, h    int
	raster  []bool
	pending []pendingPic // by pts
	nalus   h264.AVCC
	in      [][]byte

	firstSeg int // the segment of the first sample read; -1 before
	t        tables
	lastPTS  int64
	lastDur  uint32
	inChunk  uint32
	chunkLen int64
}

func (m *masker) close() {
	if m.dec != nil {
		m.dec.Close()
	}
	if m.enc != nil {
		m.enc.Close()
	}
}

// chunk decodes, masks and encodes the samples of c.
func (m *masker) chunk(ctx context.Context, c *chunk) error {
	if m.dec == nil {
		var err error
		if m.dec, err = decode.New(); err != nil {
			return m.wk.segErr(c.seg, err)
		}
	}
	if m.firstSeg < 0 {
		m.firstSeg = c.seg
	}
	dts, off := c.dts, int64(0)
	for _, s := range c.samples {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.cts != 0 {
			return m.wk.segErr(c.seg, errors.New("the footage has B-frames (reordered pictures): a masked copy of it is not supported"))
		}
		data := c.data[off : off+int64(s.size)]
		off += int64(s.size)
		p := pendingPic{pts: int64(dts), duration: s.duration, keyframe: s.keyframe, seg: c.seg}
		dts += uint64(s.duration)
		i, _ := slices.BinarySearchFunc(m.pending, p.pts, func(q pendingPic, t int64) int { return int(q.pts - t) })
		m.pending = slices.Insert(m.pending, i, p)

		f, derr := m.decode(data, s.keyframe)
		switch {
		case f != nil:
			if err := m.picture(f, m.pop()); err != nil {
				return err
			}
		case derr != nil || len(m.pending) > maxPending:
			// Damaged, or held far longer than any decoder delay: this
			// picture is lost; show the last one again.
			if err := m.repeat(m.pop()); err != nil {
				return err
			}
		}
	}
	return nil
}

// decode feeds one AVCC sample (with the init's SPS and PPS before a
// keyframe) to the decoder.
func (m *masker) decode(data []byte, keyframe bool) (*decode.Frame, error) {
	m.nalus = m.nalus[:0]
	if err := m.nalus.Unmarshal(data); err != nil {
		return nil, err
	}
	m.in = m.in[:0]
	if keyframe {
		m.in = append(m.in, m.wk.first.SPS, m.wk.first.PPS)
	}
	m.in = append(m.in, m.nalus...)
	return m.dec.Decode(m.in)
}

// pop takes the pending sample shown first.
func (m *masker) pop() pendingPic {
	p := m.pending[0]
	m.pending = slices.Delete(m.pending, 0, 1)
	return p
}

// picture masks f and encodes it as p.
func (m *masker) picture(f *decode.Frame, p pendingPic) error {
	w, h := f.Width, f.Height
	if m.enc == nil {
		if w%2 != 0 || h%2 != 0 {
			return m.wk.segErr(p.seg, fmt.Errorf("pictures of %dx%d: a masked copy needs an even width and height", w, h))
		}
		rate := 25
		if p.duration > 0 {
			rate = min(300, max(1, int((90000+p.duration/2)/p.duration)))
		}
		enc, err := decode.NewEncoder(decode.EncoderConfig{Width: w, Height: h, FrameRate: rate, LimitedRange: !f.FullRange()})
		if err != nil {
			return m.wk.segErr(p.seg, err)
		}
		m.enc, m.w, m.h = enc, w, h
		m.raster = zones.Rasterize(m.masks, w, h)
	}
	if w != m.w || h != m.h {
		return m.wk.segErr(p.seg, fmt.Errorf("picture size changed from %dx%d to %dx%d without a new SPS in the index: a masked copy needs one size", m.w, m.h, w, h))
	}
	aus, err := m.enc.EncodeFrame(f, m.raster, p.pts, p.keyframe)
	return m.encoded(aus, err, p)
}

// repeat encodes the last masked picture again as p, or leaves p out when
// nothing was decoded yet (its time goes to the sample before).
func (m *masker) repeat(p pendingPic) error {
	if m.enc == nil {
		return nil
	}
	aus, err := m.enc.Repeat(p.pts, p.keyframe)
	return m.encoded(aus, err, p)
}

func (m *masker) encoded(aus []decode.EncodedAU, err error, p pendingPic) error {
	if err != nil {
		return m.wk.segErr(p.seg, err)
	}
	m.lastDur = p.duration
	return m.add(aus)
}

// finish drains the decoder and the encoder.
func (m *masker) finish() error {
	if m.dec == nil {
		return nil
	}
	f, err := m.dec.Flush()
	if err == nil && f != nil && len(m.pending) > 0 {
		// Flush gives the last held picture only; any before it are lost.
		last := m.pending[len(m.pending)-1]
		m.pending = m.pending[:len(m.pending)-1]
		for len(m.pending) > 0 {
			if err := m.repeat(m.pop()); err != nil {
				return err
			}
		}
		if err := m.picture(f, last); err != nil {
			return err
		}
	}
	for len(m.pending) > 0 {
		if err := m.repeat(m.pop()); err != nil {
			return err
		}
	}
	if m.enc == nil {
		return nil
	}
	aus, err := m.enc.Flush()
	if err != nil {
		return m.wk.segErr(len(m.wk.r.Segments)-1, err)
	}
	if err := m.add(aus); err != nil {
		return err
	}
	if m.inChunk > 0 {
		m.t.chunks = append(m.t.chunks, mp4Chunk{size: m.chunkLen, samples: m.inChunk})
	}
	return nil
}

// add spools encoded access units (4-byte lengths, as the avcC says) and
// adds them to the tables. A sample lasts until the next one's time, so
// gaps are kept as WriteMP4 keeps them (the frame before lasts longer).
func (m *masker) add(aus []decode.EncodedAU) error {
	var hdr [4]byte
	for _, au := range aus {
		var size int64
		for _, n := range au.NALUs {
			binary.BigEndian.PutUint32(hdr[:], uint32(len(n)))
			if _, err := m.spool.Write(hdr[:]); err != nil {
				return fmt.Errorf("playback: masked copy spool: %w", err)
			}
			if _, err := m.spool.Write(n); err != nil {
				return fmt.Errorf("playback: masked copy spool: %w", err)
			}
			size += 4 + int64(len(n))
		}
		t := &m.t
		if n := len(t.durations); n > 0 {
			t.durations[n-1] = uint32(max(1, min(au.PTS-m.lastPTS, 1<<32-1)))
		}
		t.durations = append(t.durations, m.lastDur)
		t.sizes = append(t.sizes, uint32(size))
		t.cts = append(t.cts, 0)
		if au.Keyframe {
			t.sync = append(t.sync, uint32(len(t.sizes)))
		}
		t.data += size
		m.lastPTS = au.PTS
		m.chunkLen += size
		if m.inChunk++; m.inChunk == maskedChunk {
			t.chunks = append(t.chunks, mp4Chunk{size: m.chunkLen, samples: m.inChunk})
			m.inChunk, m.chunkLen = 0, 0
		}
	}
	return nil
}

// copySpool copies the n spooled bytes from the start of f to w.
func copySpool(ctx context.Context, w io.Writer, f *os.File, n int64) error {
	buf := make([]byte, 256<<10)
	var done int64
	for done < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := f.ReadAt(buf[:min(int64(len(buf)), n-done)], done)
		if k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				return werr
			}
			done += int64(k)
		}
		if err != nil && done < n {
			return fmt.Errorf("playback: masked copy spool: %d of %d bytes read: %w", done, n, err)
		}
	}
	return nil
}
