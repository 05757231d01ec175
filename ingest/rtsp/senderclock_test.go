package rtsp

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func TestNTPDecodingFollowsRFC3550(t *testing.T) {
	// 2026-03-29T01:00:00.75Z: the fraction is 0.75 * 2^32.
	want := time.Date(2026, 3, 29, 1, 0, 0, 750_000_000, time.UTC)
	v := uint64(want.Unix()+ntpEpochOffset)<<32 | uint64(3)<<30
	if got := ntpToTime(v); !got.Equal(want) {
		t.Fatalf("ntpToTime = %v, want %v", got, want)
	}
}

func TestSenderClockMapsTimestamps(t *testing.T) {
	var c senderClock
	if _, ok := c.at(0); ok {
		t.Fatal("wall time before any sender report")
	}
	base := time.Date(2026, 10, 25, 0, 59, 59, 0, time.UTC)
	c.update(&rtcp.SenderReport{NTPTime: uint64(base.Unix()+ntpEpochOffset) << 32, RTPTime: 0xffffff00})
	// 2 s later, across the 32-bit wrap of the RTP clock.
	start := uint32(0xffffff00)
	got, ok := c.at(start + 2*clockRate)
	if !ok || !got.Equal(base.Add(2*time.Second)) {
		t.Fatalf("at = %v %v, want %v", got, ok, base.Add(2*time.Second))
	}
	// A frame captured before the report maps backwards.
	if got, _ := c.at(start - clockRate); !got.Equal(base.Add(-time.Second)) {
		t.Fatalf("earlier frame at %v", got)
	}
	// After a jump of the RTP clock the mapping is dropped until the next report.
	c.forget()
	if _, ok := c.at(start); ok {
		t.Fatal("a forgotten mapping still answers")
	}
}
