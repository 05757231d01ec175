package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// usage is a process's resource use at one instant.
type usage struct {
	At        time.Time `json:"at"`
	UserNs    int64     `json:"user_ns"`
	SysNs     int64     `json:"sys_ns"`
	MaxRSSKiB int64     `json:"max_rss_kib"` // peak resident set so far
	RSSKiB    int64     `json:"rss_kib"`     // resident set now
	// WriteBytes is what the process caused to be written to storage
	// (/proc/self/io write_bytes).
	WriteBytes int64 `json:"write_bytes"`
}

// selfUsage reads getrusage(RUSAGE_SELF) and /proc/self/statm.
func selfUsage() usage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru) //nolint:errcheck // cannot fail for RUSAGE_SELF
	return usage{
		At:         time.Now(),
		UserNs:     syscall.TimevalToNsec(ru.Utime),
		SysNs:      syscall.TimevalToNsec(ru.Stime),
		MaxRSSKiB:  int64(ru.Maxrss), // KiB on Linux
		RSSKiB:     currentRSSKiB(),
		WriteBytes: ioWriteBytes(),
	}
}

func ioWriteBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// writeRate is the storage write rate between a and b, in MB/s.
func writeRate(a, b usage) float64 {
	wall := b.At.Sub(a.At).Seconds()
	if wall <= 0 {
		return 0
	}
	return float64(b.WriteBytes-a.WriteBytes) / 1e6 / wall
}

func currentRSSKiB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()) / 1024
}

// cores is the CPU used between a and b, in cores.
func cores(a, b usage) float64 {
	wall := b.At.Sub(a.At)
	if wall <= 0 {
		return 0
	}
	return float64(b.UserNs+b.SysNs-a.UserNs-a.SysNs) / float64(wall)
}

// machineCPU is the machine-wide CPU time counters of /proc/stat, in ticks.
type machineCPU struct {
	busy, total uint64
}

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 5 || f[0] != "cpu" {
		return machineCPU{}
	}
	var m machineCPU
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		if i >= 8 { // guest time is already counted in user
			break
		}
		m.total += n
		if i != 3 && i != 4 { // idle, iowait
			m.busy += n
		}
	}
	return m
}

// machineBusy is how many of the machine's cores were busy between a and b.
func machineBusy(a, b machineCPU, ncpu int) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total) * float64(ncpu)
}
