// Package segment writes and reads the recorder's on-disk segment files.
//
// A segment is one fragmented MP4 file holding one H.264 video track of one
// camera stream, starting on an IDR picture. Its layout is:
//
//	ftyp                         major "isom", compatible isom iso6 avc1 mp41
//	moov                         mvhd, trak (tkhd mdia/mdhd(90 kHz) hdlr minf/stbl/stsd/avc1/avcC), mvex/trex
//	uuid  (Vigil stream box)     extended type 5669676c-2d73-6567-6d65-6e7400000001
//	prft  moof  mdat             one fragment, about FragmentDuration of media
//	prft  moof  mdat             ...
//
// The init segment is ftyp+moov+uuid. The uuid box is ignored by standard
// players; its payload is fixed big-endian binary:
//
//	version   u8   (1)
//	flags     u24  (0)
//	stream id [16] ingest session UUID
//	sequence  u64  segment number within the stream
//	start     i64  wall time of the first frame, Unix nanoseconds UTC
//	camera    u16 length + UTF-8 bytes
//
// Consecutive segments of one stream share the stream id and have
// consecutive sequence numbers, so contiguity is known across restarts.
//
// Every fragment is a ProducerReferenceTimeBox (prft, version 1, flags 0,
// reference track 1) followed by moof (mfhd, one traf: tfhd with
// default-base-is-moof, tfdt version 1, trun version 1 with per-sample
// duration, size, flags and, when needed, signed composition offsets) and
// one mdat with the samples in AVCC form (4-byte lengths). The prft NTP
// timestamp is the camera wall clock (UTC) of the fragment's first sample;
// its media_time is that sample's presentation time, so the wall time of any
// sample is ntp + (pts - media_time)/90000, independent of time zones.
//
// Fragments are the recovery point: each one is written and flushed to the
// file as a whole, so a crash leaves at most one torn fragment at the end.
// Scan reports where the last complete fragment ends and Repair truncates
// the file there.
//
// A Writer covers one ingest session without discontinuities: on an access
// unit with Discontinuity set, or from a new Session, the recorder closes
// the segment and starts a new one (with a new Sequence, or a new StreamID),
// on the next keyframe.
package segment
