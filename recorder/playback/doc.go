// Package playback reads a camera's recorded segments back by wall time, as
// one fragmented MP4 stream for the web player (WriteFMP4) or as one
// progressive MP4 file for download and evidence working copies (WriteMP4),
// or, with a camera's privacy masks burned in, re-encoded (WriteMaskedMP4).
//
// Plan picks the segments of the index that overlap [from, to). A Player
// then reads them fragment by fragment, never a whole segment: WriteFMP4
// holds one fragment (about a second of video, at most 64 MiB) at a time,
// read whole before any of it is written so that a read error leaves it out
// cleanly; WriteMP4 holds the sample tables of the range (about 13 bytes a
// frame) and copies sample data in 64 KiB pieces.
//
// # Times
//
// Every time here is a UTC instant; the caller converts Europe/London input
// to instants before planning, so a range across a GMT/BST change is simply
// its true length. The wall time of a sample comes from its fragment's prft
// box (camera wall clock of the fragment's first sample) plus the camera PTS
// since then; it never involves a time zone.
//
// # Start and end
//
// Output starts on the latest keyframe whose wall time is at or before from
// (so the first sample always decodes; this adds up to one GOP of pre-roll,
// and a fragment need not start on a keyframe when the GOP is longer than a
// fragment), or on the first keyframe after from when from falls before the
// footage. It ends before the first sample, in decode order, whose wall time
// is at or after to.
//
// # Timeline
//
// Media time 0 is the wall time of the first sample written. Within one
// ingest session (segments of one StreamID with consecutive Sequence
// numbers, each starting within 500 ms of where the index says the previous
// ended) decode times continue exactly from the camera's PTS. Wherever
// footage is not contiguous (a gap, a new session after a camera or
// recorder restart, a segment left out because it is unreadable) the
// timeline is re-anchored to the wall clock: the next sample's decode time
// is its wall time minus the wall time of the first sample, so a gap appears
// in the timeline with its real length and a player scrubbing by wall time
// finds footage where the clock says it is (never earlier than the end of
// the previous sample: decode times only increase). In the fMP4 stream a
// gap is a jump of the next fragment's decode time (a hole in the browser's
// buffered ranges, which the player skips); in the MP4 file the last frame
// before a gap lasts until the next one. The fMP4 stream carries
// a prft box with the wall time of every fragment, so the web player can
// read the mapping back; its init is the first segment's, whose Vigil
// stream box gets the wall time of media time 0.
//
// # Session changes
//
// Sessions with the same SPS and PPS concatenate. When the SPS or PPS change
// within the range (the camera was reconfigured), one MP4 track cannot carry
// both, so the output ends cleanly at the last sample before the change and
// the Player returns an *IncompleteError whose ChangedAt is the wall time of
// the new configuration: the caller asks again from there. The output
// written is complete and playable.
//
// # Errors
//
// Plan rejects from >= to (ErrBadRange) and a range with no segments
// (*NoFootageError, which is ErrNoFootage and carries the gaps with their
// reasons). The Player rejects ranges longer than MaxStream (fMP4) or
// MaxDownload (MP4) with ErrRangeTooLong, before writing anything.
//
// A segment file that is missing, corrupt or unreadable is left out and the
// rest of the range still plays: its span becomes a gap in the timeline and
// the Player returns an *IncompleteError listing it (each a *SegmentError
// naming the camera, path and time span) after writing a complete, playable
// output. If no segment of the range is readable nothing is written and the
// error is a *NoFootageError listing them. A file that changes under
// WriteMP4 between its two passes (retention deleted it) breaks the output
// already begun: that is a plain error, the download must be discarded.
package playback
