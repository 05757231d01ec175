package analytics

import (
	"math"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// texture is a w×h view with edges everywhere, shifted right by dx.
func texture(w, h, dx int) []byte {
	px := make([]byte, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u := float64(x - dx)
			v := 128 + 60*math.Sin(u*0.37)*math.Cos(float64(y)*0.29) + 50*math.Sin(u*0.11+float64(y)*0.07)
			px[y*w+x] = byte(v)
		}
	}
	return px
}

func movedEvents(cs []tamperChange) (started int) {
	for _, c := range cs {
		if c.kind == store.EventTamperMoved && c.started {
			started++
		}
	}
	return started
}

// A dome steered to a new view is not "moved": the view it settles on
// becomes the reference. A camera knocked to another view unsteered still
// is.
func TestSteeredDomeIsNotMoved(t *testing.T) {
	const w, h = 160, 90
	tp := newTamper(Config{CoveredAfter: 3 * time.Second, FrozenAfter: time.Hour, DefocusAfter: 3 * time.Second,
		MovedAfter: 3 * time.Second, RelearnAfter: time.Hour}, w, h)
	now := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	look := func(px []byte, secs int) (moved int) {
		for i := 0; i < secs; i++ {
			now = now.Add(time.Second)
			moved += movedEvents(tp.observe(px, now))
		}
		return moved
	}
	if n := look(texture(w, h, 0), 10); n != 0 {
		t.Fatalf("a still view was moved %d times", n)
	}
	// Steered: the view changes over 3 s and settles 40 px on.
	tp.steered(now.Add(5 * time.Second))
	for dx := 10; dx <= 40; dx += 10 {
		if n := look(texture(w, h, dx), 1); n != 0 {
			t.Fatalf("moved while steered (%d px)", dx)
		}
	}
	if n := look(texture(w, h, 40), 20); n != 0 {
		t.Fatalf("the view it was steered to was moved %d times", n)
	}
	// Knocked, unsteered: moved.
	if n := look(texture(w, h, 80), 10); n != 1 {
		t.Fatalf("a knocked camera: %d moved events, want 1", n)
	}
}
