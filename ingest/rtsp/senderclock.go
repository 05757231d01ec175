package rtsp

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// senderClock maps RTP timestamps to the camera's wall clock from RTCP
// sender reports. We decode the NTP timestamp ourselves: gortsplib v4.16.2
// reads its fraction as nanoseconds instead of 2^-32 s (bluenviron/gortsplib
// #869), which puts real cameras' wall time off by up to 3.3 s.
type senderClock struct {
	mu  sync.Mutex
	ok  bool
	ntp time.Time
	rtp uint32
}

// update takes a sender report. RTCP and RTP may arrive on different
// goroutines (UDP), hence the mutex.
func (c *senderClock) update(sr *rtcp.SenderReport) {
	c.mu.Lock()
	c.ok, c.ntp, c.rtp = true, ntpToTime(sr.NTPTime), sr.RTPTime
	c.mu.Unlock()
}

// forget drops the mapping: after a jump of the camera's RTP clock the last
// report maps the new timestamps to the wrong wall time, until the next
// report arrives.
func (c *senderClock) forget() {
	c.mu.Lock()
	c.ok = false
	c.mu.Unlock()
}

// at is the wall time of RTP timestamp ts, once a report has arrived.
func (c *senderClock) at(ts uint32) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok {
		return time.Time{}, false
	}
	return c.ntp.Add(ticksToDuration(int64(int32(ts - c.rtp)))), true
}

// ntpEpochOffset is the seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix).
const ntpEpochOffset = 2208988800

// ntpToTime decodes a 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900
// in the high word, the fraction of a second in 2^-32 units in the low word.
func ntpToTime(v uint64) time.Time {
	sec := int64(v>>32) - ntpEpochOffset
	frac := int64((v & 0xffffffff) * 1e9 >> 32)
	return time.Unix(sec, frac).UTC()
}
