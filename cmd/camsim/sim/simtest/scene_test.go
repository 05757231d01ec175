package simtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

func TestScene(t *testing.T) {
	path, truth := Scene(t, sim.SceneZone, SceneSpec)
	if filepath.Dir(path) != ClipDir(t) {
		t.Fatalf("clip %s is not in the repository's cache %s", path, ClipDir(t))
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("clip %s: %v", path, err)
	}
	if truth.Scene != sim.SceneZone || truth.Seconds != 60 || truth.Width != SceneSpec.Width ||
		len(truth.Zones) != 2 || len(truth.Events) == 0 {
		t.Fatalf("truth %+v", truth)
	}
}
