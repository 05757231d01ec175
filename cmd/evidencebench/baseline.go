package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const chunk = 1 << 20

// rate is bytes (or operations) over a duration.
type rate struct {
	n int64
	d time.Duration
}

func (r rate) perSec() float64 {
	if r.d <= 0 {
		return 0
	}
	return float64(r.n) / r.d.Seconds()
}

// mbps is the rate in MB/s (10^6 bytes).
func (r rate) mbps() float64 { return r.perSec() / 1e6 }

// hashFiles is the SHA-256 baseline: each file read into memory in 1 MiB
// chunks and hashed, one after the other, on one goroutine. Each file's
// sum is checked against want.
func hashFiles(paths []string, want [32]byte) (rate, error) {
	buf := make([]byte, chunk)
	var total int64
	start := time.Now()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return rate{}, err
		}
		h := sha256.New()
		for {
			n, err := io.ReadFull(f, buf)
			h.Write(buf[:n])
			total += int64(n)
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				f.Close()
				return rate{}, err
			}
		}
		f.Close()
		if [32]byte(h.Sum(nil)) != want {
			return rate{}, fmt.Errorf("%s: SHA-256 differs from the sealed segment's", p)
		}
	}
	return rate{total, time.Since(start)}, nil
}

// hashMemory is SHA-256 alone: total bytes of data, already in memory,
// hashed in 1 MiB writes.
func hashMemory(data []byte, total int64) rate {
	h := sha256.New()
	start := time.Now()
	var n int64
	for n < total {
		for off := 0; off < len(data) && n < total; off += chunk {
			b := data[off:min(off+chunk, len(data))]
			b = b[:min(int64(len(b)), total-n)]
			h.Write(b)
			n += int64(len(b))
		}
	}
	h.Sum(nil)
	return rate{n, time.Since(start)}
}

// writeDisk is the disk write baseline: total bytes (data, repeated)
// written to a new file at path in 1 MiB writes, then one fsync. The file
// is removed afterwards.
func writeDisk(path string, data []byte, total int64) (rate, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return rate{}, err
	}
	defer os.Remove(path)
	start := time.Now()
	var n int64
	for n < total && err == nil {
		for off := 0; off < len(data) && n < total && err == nil; off += chunk {
			b := data[off:min(off+chunk, len(data))]
			b = b[:min(int64(len(b)), total-n)]
			var m int
			m, err = f.Write(b)
			n += int64(m)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	d := time.Since(start)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return rate{n, d}, err
}

// fdatasyncRate is the raw durable-append rate of the disk: 200 bytes
// appended to a file, then fdatasync, in a loop for d.
func fdatasyncRate(path string, d time.Duration) (rate, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return rate{}, err
	}
	defer os.Remove(path)
	defer f.Close()
	rec := make([]byte, 200)
	for i := range rec {
		rec[i] = byte('a' + i%26)
	}
	var n int64
	start := time.Now()
	for time.Since(start) < d {
		if _, err := f.Write(rec); err != nil {
			return rate{}, err
		}
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			return rate{}, err
		}
		n++
	}
	return rate{n, time.Since(start)}, nil
}
