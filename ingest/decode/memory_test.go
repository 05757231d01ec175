package decode

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

const leakChildEnv = "VIGIL_DECODE_LEAK_CHILD"

// rss is the process's resident set size in bytes, from /proc/self/statm.
func rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm:", err)
	}
	fields := strings.Fields(string(b))
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

func settledRSS(t *testing.T) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return rss(t)
}

// TestNoLeak decodes 2,000 pictures (converting each, re-creating decoders,
// taking snapshots and feeding garbage on the way) and checks the resident
// set does not grow: C memory (AVFrames, AVPackets, sws contexts, the input
// buffer) must be reused or freed.
//
// glibc malloc keeps freed memory in per-thread arenas and raises its mmap
// threshold as large blocks come and go, which grows RSS in steps that are
// not leaks. So the check runs in a child process with a fixed threshold and
// one arena, where a leak is the only way RSS keeps growing.
func TestNoLeak(t *testing.T) {
	if os.Getenv(leakChildEnv) != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoLeak$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), leakChildEnv+"=1",
			"MALLOC_ARENA_MAX=1", "MALLOC_MMAP_THRESHOLD_=65536", "MALLOC_TRIM_THRESHOLD_=131072")
		out, err := cmd.CombinedOutput()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.Contains(line, "memory_test.go") {
				t.Log(strings.TrimSpace(line))
			}
		}
		if err != nil {
			t.Fatalf("leak check: %v\n%s", err, out)
		}
		return
	}
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	sps, pps, rest := splitParams(aus[0])
	garbage := [][]byte{append([]byte{0x65}, bytes.Repeat([]byte{0xa5}, 4000)...)}

	run := func(pictures int) {
		runtime.LockOSThread() // one thread, one malloc arena
		defer runtime.UnlockOSThread()
		d, err := New()
		if err != nil {
			t.Fatal(err)
		}
		defer func() { d.Close() }()
		for n, i := 0, 0; n < pictures; i++ {
			if i%len(aus) == 0 && i > 0 && (i/len(aus))%4 == 0 {
				// A new decoder now and then: New/Close must not leak.
				d.Close()
				if d, err = New(); err != nil {
					t.Fatal(err)
				}
			}
			if i%50 == 25 {
				d.Decode(garbage) //nolint:errcheck // damaged input; errors expected
			}
			f, err := d.Decode(aus[i%len(aus)])
			if err != nil {
				t.Fatalf("AU %d: %v", i, err)
			}
			if f == nil {
				continue
			}
			n++
			if f.Gray() == nil || f.RGBA() == nil || f.YCbCr() == nil || f.Thumbnail(100) == nil {
				t.Fatal("conversion failed")
			}
			if n%100 == 0 {
				if _, err := Snapshot(sps, pps, rest, 160, 75); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	run(300) // warm up: allocator pools, sws tables, Go heap size
	before := settledRSS(t)
	run(2000)
	middle := settledRSS(t)
	run(2000)
	after := settledRSS(t)
	// A leak grows both rounds; allocator (and -race shadow memory) noise
	// comes in one-off steps, so the smaller growth is the leak signal.
	growth := min(middle-before, after-middle)
	t.Logf("RSS %.1f MiB, after 2000 pictures %.1f MiB, after 2000 more %.1f MiB: growth %+.2f MiB per 2000",
		mib(before), mib(middle), mib(after), mib(growth))
	// One leaked 320x180 picture per frame would be ~170 MiB, one leaked
	// AVPacket or small struct per frame a few hundred KiB; allow for noise.
	if growth > 3<<20 {
		t.Errorf("RSS grew by %.1f MiB per 2000 pictures: C memory leak?", mib(growth))
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
