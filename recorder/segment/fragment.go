package segment

import (
	"encoding/binary"
	"time"

	"github.com/vigil-cctv/vigil/recorder/mp4box"
)

// trun flags.
const (
	trunDataOffset    = 0x000001
	trunDuration      = 0x000100
	trunSize          = 0x000200
	trunFlags         = 0x000400
	trunCompositionV1 = 0x000800
)

// Sample flags: a sync sample does not depend on others; a non-sync sample
// depends on others and has sample_is_non_sync_sample set.
const (
	flagsSync    = 0x02000000
	flagsNonSync = 0x01010000
)

// tfhdDefaultBaseIsMoof makes trun data offsets relative to the moof.
const tfhdDefaultBaseIsMoof = 0x020000

// prftSize is the size of a version 1 prft box.
const prftSize = 32

// sampleMeta is one buffered sample of the current fragment.
type sampleMeta struct {
	duration  uint32
	size      uint32
	ctsOffset int32
	keyframe  bool
}

// appendFragmentHeader appends prft, moof and the mdat header of a fragment
// of samples whose payload is dataSize bytes.
func appendFragmentHeader(b []byte, seq uint32, baseTime uint64, wall time.Time,
	samples []sampleMeta, dataSize int,
) []byte {
	b, prft := mp4box.FullStart(b, "prft", 1, 0)
	b = binary.BigEndian.AppendUint32(b, 1) // reference track
	b = binary.BigEndian.AppendUint64(b, toNTP(wall))
	b = binary.BigEndian.AppendUint64(b, uint64(int64(baseTime)+int64(samples[0].ctsOffset)))
	mp4box.End(b, prft)

	b, moof := mp4box.Start(b, "moof")
	b, mfhd := mp4box.FullStart(b, "mfhd", 0, 0)
	b = binary.BigEndian.AppendUint32(b, seq)
	mp4box.End(b, mfhd)

	b, traf := mp4box.Start(b, "traf")
	b, tfhd := mp4box.FullStart(b, "tfhd", 0, tfhdDefaultBaseIsMoof)
	b = binary.BigEndian.AppendUint32(b, 1)
	mp4box.End(b, tfhd)
	b, tfdt := mp4box.FullStart(b, "tfdt", 1, 0)
	b = binary.BigEndian.AppendUint64(b, baseTime)
	mp4box.End(b, tfdt)

	flags := uint32(trunDataOffset | trunDuration | trunSize | trunFlags)
	for _, s := range samples {
		if s.ctsOffset != 0 {
			flags |= trunCompositionV1
			break
		}
	}
	b, trun := mp4box.FullStart(b, "trun", 1, flags)
	b = binary.BigEndian.AppendUint32(b, uint32(len(samples)))
	dataOffsetPos := len(b)
	b = mp4box.Zeros(b, 4)
	for _, s := range samples {
		b = binary.BigEndian.AppendUint32(b, s.duration)
		b = binary.BigEndian.AppendUint32(b, s.size)
		if s.keyframe {
			b = binary.BigEndian.AppendUint32(b, flagsSync)
		} else {
			b = binary.BigEndian.AppendUint32(b, flagsNonSync)
		}
		if flags&trunCompositionV1 != 0 {
			b = binary.BigEndian.AppendUint32(b, uint32(s.ctsOffset))
		}
	}
	mp4box.End(b, trun)
	mp4box.End(b, traf)
	mp4box.End(b, moof)
	binary.BigEndian.PutUint32(b[dataOffsetPos:], uint32(len(b)-moof+8))

	b = binary.BigEndian.AppendUint32(b, uint32(8+dataSize))
	return append(b, "mdat"...)
}
