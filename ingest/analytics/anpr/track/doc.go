// Package track follows number plates across a camera's frames and turns
// the reads of one vehicle's passage into a single read: the frames'
// per-character probabilities are averaged, weighted by how sure each
// frame was, and the result is corrected once more against the plate
// syntax. One frame's misread character is outvoted by the others, and
// an operator sees one read per vehicle, not one per frame.
//
// A Tracker is for one camera and is not safe for concurrent use: the
// analytics engine feeds each camera's frames in order from one goroutine.
package track
