package segment

import "time"

// ntpUnixOffset is the number of seconds from 1900-01-01 to 1970-01-01.
const ntpUnixOffset = 2208988800

// toNTP converts a wall time to a 64-bit NTP timestamp (era 0 and 1, that is
// 1968 to 2104). The fraction is rounded so that fromNTP gives back the
// same nanosecond.
func toNTP(t time.Time) uint64 {
	s := uint64(t.Unix()+ntpUnixOffset) & 0xffffffff
	frac := (uint64(t.Nanosecond())<<32 + 500_000_000) / 1_000_000_000
	return s<<32 | frac
}

// fromNTP converts a 64-bit NTP timestamp back to UTC wall time. Seconds
// with the top bit clear are taken to be in era 1 (after February 2036).
func fromNTP(v uint64) time.Time {
	s := int64(v >> 32)
	if s < 0x80000000 {
		s += 1 << 32
	}
	ns := ((v&0xffffffff)*1_000_000_000 + 1<<31) >> 32
	return time.Unix(s-ntpUnixOffset, int64(ns)).UTC()
}
