package analytics

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
)

// TestBrokenStreamIsCountedNotFatal feeds a camera's hub damaged access
// units (random bytes, truncated slices) between good ones: the decoder's
// refusals are counted, nothing reaches gocv that it cannot take, and the
// good pictures after the next keyframe are analysed.
func TestBrokenStreamIsCountedNotFatal(t *testing.T) {
	path, _ := simtest.Scene(t, sim.SceneZone, simtest.SceneSpec)
	aus := clipAUs(t, path)
	st := openStore(t)
	reg := prometheus.NewRegistry()
	e := &Engine{Store: st, Registerer: reg, Logger: quiet(), Config: Config{Queue: 4096}}
	if err := e.Initialize(); err != nil {
		t.Fatal(err)
	}
	hub := &ingest.Hub{Camera: "cam001", Stream: ingest.StreamSub}
	e.Analyse("cam001", hub)

	sess := &ingest.Session{ID: uuid.New(), Camera: "cam001", Stream: ingest.StreamSub}
	rng := rand.New(rand.NewPCG(1, 2))
	pts := time.Duration(0)
	publish := func(nalus [][]byte, key bool) {
		hub.Publish(&ingest.AccessUnit{Session: sess, PTS: pts, WallTime: time.Now(), Received: time.Now(), Keyframe: key, NALUs: nalus})
		pts += 200 * time.Millisecond
	}
	for i, au := range aus[:100] {
		key := isKey(au)
		switch {
		case i%7 == 3: // random bytes with a slice header type
			junk := make([]byte, 1+rng.IntN(3000))
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			junk[0] = 0x41
			publish([][]byte{junk}, false)
		case i%11 == 5: // a slice cut short
			cut := make([][]byte, len(au))
			for j, n := range au {
				cut[j] = n[:max(1, len(n)/3)]
			}
			publish(cut, key)
		default:
			publish(au, key)
		}
	}
	analysed := e.metrics.analysed.WithLabelValues("cam001")
	deadline := time.Now().Add(20 * time.Second)
	for testutil.ToFloat64(analysed) < 50 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	e.Close()
	hub.Close()
	if n := testutil.ToFloat64(e.metrics.errors.WithLabelValues("cam001")); n == 0 {
		t.Error("no decode errors counted for damaged access units")
	}
	if n := testutil.ToFloat64(analysed); n < 50 {
		t.Errorf("only %v pictures analysed out of 100 access units", n)
	}
	if n := openMats(); n > 0 {
		t.Errorf("%d Mats open after Close", n)
	}
}

func isKey(au [][]byte) bool {
	for _, n := range au {
		if n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}
