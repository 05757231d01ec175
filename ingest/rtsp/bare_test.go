package rtsp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
)

// startBareSim serves n small cameras on loopback.
func startBareSim(t *testing.T, n int, faults map[string]sim.Fault) *sim.Server {
	return simtest.Start(t, n, func(c *sim.Config) { c.Faults = faults })
}

type bareCount struct {
	aus, keyframes, bytes atomic.Int64
}

func (c *bareCount) onAU(size int, key bool) {
	c.aus.Add(1)
	c.bytes.Add(int64(size))
	if key {
		c.keyframes.Add(1)
	}
}

func TestReadBareDeliversEveryAccessUnit(t *testing.T) {
	s := startBareSim(t, 3, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	counts := make([]*bareCount, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range counts {
		counts[i] = &bareCount{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = rtsp.ReadBare(ctx, s.URL(i+1, sim.StreamMain), counts[i].onAU)
		}()
	}

	// Let every stream run a few GOPs, then freeze the cameras (a stall
	// sends nothing) so that what was sent and what was received can be
	// compared exactly: nothing is in flight.
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range counts {
		for c.keyframes.Load() < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for 3 keyframes per camera")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, name := range s.CameraNames() {
		if err := s.SetFault(name, sim.Fault{StallFor: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	stats := s.Stats()
	received := make([]int64, len(counts))
	for i, c := range counts {
		received[i] = c.aus.Load()
	}
	cancel()
	wg.Wait()

	for i, c := range counts {
		if !errors.Is(errs[i], context.Canceled) {
			t.Errorf("camera %d: ReadBare returned %v, want context.Canceled", i+1, errs[i])
		}
		sent := int64(stats[i].Main.AccessUnits)
		t.Logf("camera %d: sent %d, received %d, keyframes %d", i+1, sent, received[i], c.keyframes.Load())
		// The camera may count a frame or two it sent between accepting
		// PLAY and gortsplib delivering to the session (or the tail of a
		// frame whose first packet went before).
		if received[i] > sent || received[i] < sent-2 {
			t.Errorf("camera %d: received %d access units, camera sent %d", i+1, received[i], sent)
		}
		if received[i] < 50 {
			t.Errorf("camera %d: only %d access units", i+1, received[i])
		}
		// 1 s GOP at 25 fps: one keyframe in 25.
		if k, n := c.keyframes.Load(), received[i]; k < n/25-1 || k > n/25+2 {
			t.Errorf("camera %d: %d keyframes in %d access units", i+1, k, n)
		}
		// 300 kbit/s is about 1500 bytes a frame.
		if avg := c.bytes.Load() / received[i]; avg < 300 || avg > 6000 {
			t.Errorf("camera %d: average access unit %d bytes", i+1, avg)
		}
	}
}

func TestReadBareErrors(t *testing.T) {
	s := startBareSim(t, 2, map[string]sim.Fault{"cam002": {Codec: "h265"}})
	base := strings.TrimSuffix(s.URL(1, sim.StreamMain), "/cam001/main")
	never := func(int, bool) { t.Error("onAU called") }

	cases := []struct {
		name, url string
		want      func(error) bool
	}{
		{"bad scheme", "http://" + strings.TrimPrefix(base, "rtsp://") + "/cam001/main",
			func(err error) bool { return strings.Contains(err.Error(), "scheme") }},
		{"unparsable", "rtsp://[::1", func(err error) bool { return strings.Contains(err.Error(), "invalid stream URL") }},
		{"no such camera", base + "/cam999/main", func(err error) bool { return strings.Contains(err.Error(), "404") }},
		{"not H.264", s.URL(2, sim.StreamMain), func(err error) bool { return errors.Is(err, rtsp.ErrNoH264) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := rtsp.ReadBare(ctx, tc.url, never)
			if err == nil || !tc.want(err) {
				t.Fatalf("ReadBare(%s) = %v", tc.url, err)
			}
			if ctx.Err() != nil {
				t.Fatalf("ReadBare(%s) did not fail fast", tc.url)
			}
		})
	}
}

func TestReadBareStopsOnCancel(t *testing.T) {
	s := startBareSim(t, 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var c bareCount
	done := make(chan error, 1)
	go func() { done <- rtsp.ReadBare(ctx, s.URL(1, sim.StreamMain), c.onAU) }()
	deadline := time.Now().Add(10 * time.Second)
	for c.aus.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no access unit within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadBare returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadBare did not return within 5 s of cancel")
	}
}
