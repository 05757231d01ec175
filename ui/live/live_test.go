package live

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestViewersGetIDRFirstAndShareOneReader(t *testing.T) {
	cams := startCameras(t, 1)
	srv, reg := newServer(t, cams.sup)
	hub := cams.sup.Hub("cam001", "main")
	base := hub.Readers()

	a := view(t, srv, "cam001", "main", "alice", "login-a", clientOptions{})
	waitFor(t, 10*time.Second, "first frame", func() bool { f, _, _ := a.snapshot(); return f > 0 })
	b := view(t, srv, "cam001", "main", "bob", "login-b", clientOptions{})
	waitFor(t, 10*time.Second, "first frame of the second viewer", func() bool { f, _, _ := b.snapshot(); return f > 0 })

	for _, c := range []*client{a, b} {
		c.mu.Lock()
		types := nalTypes(c.firstTypes)
		ttff := c.firstAt.Sub(c.sess.Started)
		c.mu.Unlock()
		if types != "SPS,PPS,IDR" {
			t.Errorf("first frame NAL units %s, want SPS,PPS,IDR", types)
		}
		if ttff > 2*time.Second {
			t.Errorf("time to first frame %v", ttff)
		}
		t.Logf("time to first frame %v (first frame %s)", ttff, types)
	}
	if n := hub.Readers() - base; n != 1 {
		t.Fatalf("two viewers hold %d hub readers, want 1", n)
	}
	if srv.Count() != 2 {
		t.Fatalf("Count %d", srv.Count())
	}
	// Live frames keep coming at the camera's rate, with contiguous sequence numbers.
	from := time.Now()
	time.Sleep(2 * time.Second)
	for _, c := range []*client{a, b} {
		if n := c.framesSince(from); n < 40 {
			t.Errorf("%d frames in 2 s, want ~50", n)
		}
		c.mu.Lock()
		if c.gaps != 0 || c.naluErrs != 0 {
			t.Errorf("sequence gaps %d, depacketisation errors %d", c.gaps, c.naluErrs)
		}
		for i := 1; i < len(c.ts); i++ {
			if int32(c.ts[i]-c.ts[i-1]) <= 0 {
				t.Errorf("timestamps not increasing: %d then %d", c.ts[i-1], c.ts[i])
				break
			}
		}
		c.mu.Unlock()
	}
	if v := testutil.ToFloat64(srv.m.viewers.WithLabelValues("cam001")); v != 2 {
		t.Errorf("vigil_live_viewers{cam001} = %v", v)
	}
	if v := testutil.ToFloat64(srv.m.sessions.WithLabelValues("started")); v != 2 {
		t.Errorf("vigil_live_sessions_total{started} = %v", v)
	}
	if n, _ := testutil.GatherAndCount(reg, "vigil_live_time_to_first_frame_seconds"); n != 1 {
		t.Errorf("ttff histogram series %d", n)
	}

	if err := srv.Stop(a.sess.ID, "bob"); err == nil {
		t.Fatal("bob stopped alice's session")
	}
	if err := srv.Stop(a.sess.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(b.sess.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if srv.Count() != 0 {
		t.Fatalf("Count %d after Stop", srv.Count())
	}
	waitFor(t, 5*time.Second, "the relay to detach", func() bool { return hub.Readers() == base })
}
