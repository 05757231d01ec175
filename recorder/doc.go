// Package recorder will write camera streams to IDR-aligned fMP4 segments,
// keep them for their retention period and play them back by time.
package recorder
