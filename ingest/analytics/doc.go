// Package analytics watches each camera's sub stream: it decodes it (one
// ingest/decode.Decoder per camera) at a reduced rate, finds motion with a
// background model (OpenCV MOG2 through gocv), tracks the moving blobs,
// reports motion events per zone and activity per 15 minutes, and detects
// camera tamper (covered, moved, defocused, frozen). On ANPR cameras it
// reads number plates where the picture moves (anpr), follows them to one
// read per passage (anpr/track), and reads plates too small in the sub
// stream in the main stream's latest keyframe, decoded alone (mainLook).
//
// It and its anpr package are the only ones that import gocv. Every Mat it makes is closed by
// the code that made it (a test counts them with gocv's MatProfile, built
// with -tags matprofile), and gocv only ever sees Mats this package sized
// itself, never a picture straight from a camera.
//
// Analytics must never hold up ingest, recording or live: each camera reads
// its hub through a bounded queue that drops to the next keyframe when
// analytics falls behind, and decoding and analysis share a bounded pool of
// workers sized to the machine.
package analytics
