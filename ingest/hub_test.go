package ingest

import (
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// gop builds n access units of one session, a keyframe every k.
func gop(s *Session, n, k int) []*AccessUnit {
	aus := make([]*AccessUnit, n)
	for i := range aus {
		aus[i] = &AccessUnit{
			Session:  s,
			PTS:      time.Duration(i) * 40 * time.Millisecond,
			Keyframe: i%k == 0,
			NALUs:    [][]byte{make([]byte, 100)},
		}
	}
	return aus
}

func drain(r *Reader) []*AccessUnit {
	var out []*AccessUnit
	for {
		select {
		case au, ok := <-r.C():
			if !ok {
				return out
			}
			out = append(out, au)
		default:
			return out
		}
	}
}

func TestHubFansOutToEveryReader(t *testing.T) {
	h := &Hub{Camera: "cam001", Stream: "main"}
	a := h.Attach(ReaderOptions{Name: "a", Queue: 100, Start: StartNow})
	b := h.Attach(ReaderOptions{Name: "b", Queue: 100, Start: StartNow})
	for _, au := range gop(&Session{}, 20, 10) {
		h.Publish(au)
	}
	if got := len(drain(a)); got != 20 {
		t.Fatalf("reader a got %d access units, want 20", got)
	}
	if got := len(drain(b)); got != 20 {
		t.Fatalf("reader b got %d access units, want 20", got)
	}
}

func TestHubSlowReaderDropsAndResyncsOnKeyframe(t *testing.T) {
	reg := prometheus.NewRegistry()
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dropped"}, []string{"camera", "stream", "reader"})
	reg.MustRegister(dropped)
	h := &Hub{Camera: "cam001", Stream: "main", Dropped: dropped}
	slow := h.Attach(ReaderOptions{Name: "slow", Queue: 5, Start: StartNow})
	fast := h.Attach(ReaderOptions{Name: "fast", Queue: 100, Start: StartNow})

	aus := gop(&Session{}, 30, 10) // keyframes at 0, 10, 20
	for _, au := range aus {
		h.Publish(au)
	}
	if got := len(drain(fast)); got != 30 {
		t.Fatalf("fast reader got %d, want 30: a slow reader must not affect others", got)
	}
	got := drain(slow)
	if len(got) != 5 {
		t.Fatalf("slow reader got %d, want its queue of 5", len(got))
	}
	if slow.Dropped() != 25 {
		t.Fatalf("slow reader dropped %d, want 25", slow.Dropped())
	}
	if v := testutil.ToFloat64(dropped.WithLabelValues("cam001", "main", "slow")); v != 25 {
		t.Fatalf("dropped metric = %v, want 25", v)
	}

	// Once it has room again it resumes at the next keyframe, not mid-GOP.
	more := gop(&Session{}, 15, 10)
	for _, au := range more {
		h.Publish(au)
	}
	resumed := drain(slow)
	if len(resumed) == 0 || !resumed[0].Keyframe {
		t.Fatalf("slow reader resumed with %d units, first keyframe=%v; want a keyframe first",
			len(resumed), len(resumed) > 0 && resumed[0].Keyframe)
	}
}

func TestHubStartsNewReaderAtCachedKeyframe(t *testing.T) {
	h := &Hub{}
	aus := gop(&Session{}, 25, 10) // last keyframe at 20
	for _, au := range aus {
		h.Publish(au)
	}
	r := h.Attach(ReaderOptions{Queue: 100, Start: StartCachedKeyframe})
	got := drain(r)
	if len(got) != 5 || got[0] != aus[20] {
		t.Fatalf("cached start gave %d units; want the 5 from the keyframe at 20", len(got))
	}

	next := h.Attach(ReaderOptions{Queue: 100, Start: StartNextKeyframe})
	h.Publish(&AccessUnit{Session: aus[0].Session})
	h.Publish(&AccessUnit{Session: aus[0].Session, Keyframe: true})
	if got := drain(next); len(got) != 1 || !got[0].Keyframe {
		t.Fatalf("next-keyframe reader got %d units; want only the keyframe", len(got))
	}
}

func TestHubGOPCacheIsBounded(t *testing.T) {
	h := &Hub{GOPCacheBytes: 1000}
	for _, au := range gop(&Session{}, 30, 30) { // 100 bytes each, one keyframe
		h.Publish(au)
	}
	r := h.Attach(ReaderOptions{Queue: 100, Start: StartCachedKeyframe})
	if got := len(drain(r)); got != 0 {
		t.Fatalf("an over-size GOP must not be cached; reader got %d units", got)
	}
}

func TestHubGOPCacheResetsOnNewSession(t *testing.T) {
	h := &Hub{}
	for _, au := range gop(&Session{}, 5, 10) {
		h.Publish(au)
	}
	h.Publish(&AccessUnit{Session: &Session{}}) // a new session, not starting on a keyframe
	r := h.Attach(ReaderOptions{Queue: 100, Start: StartCachedKeyframe})
	if got := len(drain(r)); got != 0 {
		t.Fatalf("cache of an ended session was served: %d units", got)
	}
}

func TestReaderCloseAndHubClose(t *testing.T) {
	h := &Hub{}
	a := h.Attach(ReaderOptions{Start: StartNow})
	b := h.Attach(ReaderOptions{Start: StartNow})
	a.Close()
	a.Close() // idempotent
	if h.Readers() != 1 {
		t.Fatalf("readers = %d after detaching one, want 1", h.Readers())
	}
	if _, ok := <-a.C(); ok {
		t.Fatal("closed reader's channel is still open")
	}
	h.Close()
	if _, ok := <-b.C(); ok {
		t.Fatal("hub close did not close reader channel")
	}
	b.Close() // after hub close: no panic
	h.Publish(&AccessUnit{Keyframe: true})
	late := h.Attach(ReaderOptions{})
	if _, ok := <-late.C(); ok {
		t.Fatal("reader attached to closed hub got an open channel")
	}
}

func TestHubConcurrentAttachDetachPublish(t *testing.T) {
	h := &Hub{Camera: "c", Stream: "s"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		aus := gop(&Session{}, 100, 10)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				h.Publish(aus[i%len(aus)])
			}
		}
	}()
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				r := h.Attach(ReaderOptions{Queue: 8, Start: StartAt(j % 3)})
				drain(r)
				r.Close()
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	h.Close()
}

func TestHubLatestKeyframe(t *testing.T) {
	h := &Hub{GOPCacheBytes: 1000}
	if h.LatestKeyframe() != nil {
		t.Fatal("a hub with nothing published has a keyframe")
	}
	aus := gop(&Session{}, 45, 20) // 100 bytes each: the second GOP outgrows the cache at 30
	for _, au := range aus[:35] {
		h.Publish(au)
	}
	if got := h.LatestKeyframe(); got != aus[20] {
		t.Fatalf("latest keyframe is %v; want the one at 20, though its GOP is no longer cached", got)
	}
	for _, au := range aus[35:] {
		h.Publish(au)
	}
	if got := h.LatestKeyframe(); got != aus[40] {
		t.Fatalf("latest keyframe is %v; want the one at 40", got)
	}
	h.Close()
	if h.LatestKeyframe() != nil {
		t.Fatal("a closed hub still holds a keyframe")
	}
}
