package playback

import (
	"encoding/binary"
	"fmt"
	"time"
)

// findBox returns the first box of type typ among the boxes in b, whole
// (header included), or nil.
func findBox(b []byte, typ string) []byte {
	for len(b) >= 8 {
		n := int(binary.BigEndian.Uint32(b))
		if n < 8 || n > len(b) {
			return nil
		}
		if string(b[4:8]) == typ {
			return b[:n]
		}
		b = b[n:]
	}
	return nil
}

// findPath descends through nested plain boxes: findPath(b, "moov", "trak")
// returns the whole trak box inside the moov box in b.
func findPath(b []byte, typs ...string) []byte {
	for i, t := range typs {
		if i > 0 {
			b = b[8:]
		}
		if b = findBox(b, t); b == nil {
			return nil
		}
	}
	return b
}

// ntpUnixOffset is the number of seconds from 1900 to 1970.
const ntpUnixOffset = 2208988800

// toNTP converts a wall time to a 64-bit NTP timestamp, as segment writes
// them.
func toNTP(t time.Time) uint64 {
	s := uint64(t.Unix()+ntpUnixOffset) & 0xffffffff
	frac := (uint64(t.Nanosecond())<<32 + 500_000_000) / 1_000_000_000
	return s<<32 | frac
}

// ticks converts a duration to 90 kHz ticks, rounded.
func ticks(d time.Duration) int64 { return (int64(d)*9 + 50_000) / 100_000 }

// ticksDuration converts 90 kHz ticks to a duration.
func ticksDuration(t int64) time.Duration { return time.Duration(t) * 100_000 / 9 }

// sample is one sample's metadata from a trun.
type sample struct {
	duration uint32
	size     uint32
	cts      int32 // PTS - DTS
	keyframe bool
}

// maxMoof bounds the moof read for one fragment.
const maxMoof = 4 << 20

// parseMoof reads tfdt and trun of a segment fragment's moof (whole box).
// samples is reused.
func parseMoof(moof []byte, samples []sample) (uint64, []sample, error) {
	samples = samples[:0]
	traf := findPath(moof, "moof", "traf")
	if traf == nil {
		return 0, samples, fmt.Errorf("moof without traf")
	}
	tfdt := findBox(traf[8:], "tfdt")
	trun := findBox(traf[8:], "trun")
	if tfdt == nil || trun == nil || len(trun) < 20 {
		return 0, samples, fmt.Errorf("traf without tfdt or trun")
	}
	var base uint64
	switch {
	case len(tfdt) == 20 && tfdt[8] == 1:
		base = binary.BigEndian.Uint64(tfdt[12:])
	case len(tfdt) == 16 && tfdt[8] == 0:
		base = uint64(binary.BigEndian.Uint32(tfdt[12:]))
	default:
		return 0, samples, fmt.Errorf("unsupported tfdt")
	}
	flags := binary.BigEndian.Uint32(trun[8:]) & 0xffffff
	const need = 0x000001 | 0x000100 | 0x000200 | 0x000400
	if flags&need != need || flags&^(need|0x000800) != 0 {
		return 0, samples, fmt.Errorf("unsupported trun flags %#x", flags)
	}
	entry := 12
	if flags&0x000800 != 0 {
		entry = 16
	}
	count := int(binary.BigEndian.Uint32(trun[12:]))
	body := trun[20:]
	if count == 0 || count*entry != len(body) {
		return 0, samples, fmt.Errorf("trun of %d samples in %d bytes", count, len(trun))
	}
	for e := body; len(e) > 0; e = e[entry:] {
		s := sample{
			duration: binary.BigEndian.Uint32(e),
			size:     binary.BigEndian.Uint32(e[4:]),
			keyframe: binary.BigEndian.Uint32(e[8:])&0x10000 == 0,
		}
		if entry == 16 {
			s.cts = int32(binary.BigEndian.Uint32(e[12:]))
		}
		samples = append(samples, s)
	}
	return base, samples, nil
}
