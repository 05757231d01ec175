// Package decode turns H.264 access units into pictures with libavcodec (cgo),
// for analytics (motion on the sub stream's luma plane) and for the
// recorder's timeline thumbnails (Snapshot).
//
// It is the only H.264 decoder in Vigil. One Decoder decodes one stream on
// one thread; it is not safe for concurrent use. Pictures are returned in
// buffers the decoder reuses: Frame.Gray is a zero-copy view valid until the
// next Decode, while Frame.RGBA, Frame.YCbCr and Frame.Thumbnail return copies
// that are safe to keep.
//
// Encoder (libx264) re-encodes pictures, with privacy masks painted black
// (EncodeFrame, Mask), for the working copies of masked cameras' evidence
// exports; it is never on the ingest, recording or live path.
//
// Input is outside data (cameras, recorded segments): damaged or hostile
// access units give errors or no picture, never a crash, and the decoder
// keeps working for the next access unit.
//
// Side effect: the first New lowers libav's process-wide log level from its
// default (info) to fatal, so damaged input does not flood stderr with
// per-slice messages; the errors come back to the caller instead. A level set
// by the program beforehand is left alone.
package decode
