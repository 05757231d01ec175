package bundle_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/bundle/bundletest"
)

// A camera's privacy masks and its files' marks agree, or the manifest is
// refused: an unmasked working copy cannot pass for a masked one.
func TestParseManifestPrivacyMasks(t *testing.T) {
	b := bundletest.New(t)
	good, err := bundle.ParseManifest(b.Read(t, bundle.ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	cam := good.Cameras[0].ID
	masked := func(edit func(m *bundle.Manifest)) []byte {
		var m bundle.Manifest
		raw, _ := json.Marshal(good)
		json.Unmarshal(raw, &m)
		m.Cameras[0].PrivacyMasks = []bundle.MaskPolygon{{{0, 0}, {0.3, 0}, {0.3, 1}, {0, 1}}}
		for i := range m.Files {
			f := &m.Files[i]
			f.ContainsMaskedAreas = f.Kind == bundle.KindMaster && f.Camera == cam
			f.MasksBurnedIn = f.Kind == bundle.KindWorking && f.Camera == cam
		}
		if edit != nil {
			edit(&m)
		}
		out, _ := json.Marshal(m)
		return out
	}
	raw := masked(nil)
	for _, want := range []string{`"privacy_masks":[[[0,0],[0.3,0],[0.3,1],[0,1]]]`, `"contains_masked_areas":true`, `"masks_burned_in":true`} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("manifest lacks %s:\n%s", want, raw)
		}
	}
	if m, err := bundle.ParseManifest(raw); err != nil || len(m.Cameras[0].PrivacyMasks) != 1 {
		t.Fatalf("a masked manifest: %v", err)
	}
	file := func(m *bundle.Manifest, kind string) *bundle.File {
		for i := range m.Files {
			if m.Files[i].Kind == kind {
				return &m.Files[i]
			}
		}
		t.Fatalf("no %s file", kind)
		return nil
	}
	for name, edit := range map[string]func(m *bundle.Manifest){
		"a master not marked":          func(m *bundle.Manifest) { file(m, bundle.KindMaster).ContainsMaskedAreas = false },
		"a working copy not burned in": func(m *bundle.Manifest) { file(m, bundle.KindWorking).MasksBurnedIn = false },
		"marks without masks":          func(m *bundle.Manifest) { m.Cameras[0].PrivacyMasks = nil },
		"a mark on the README":         func(m *bundle.Manifest) { file(m, bundle.KindReadme).MasksBurnedIn = true },
		"a master marked burned in":    func(m *bundle.Manifest) { file(m, bundle.KindMaster).MasksBurnedIn = true },
		"a mask of two points":         func(m *bundle.Manifest) { m.Cameras[0].PrivacyMasks[0] = m.Cameras[0].PrivacyMasks[0][:2] },
		"a point outside the picture":  func(m *bundle.Manifest) { m.Cameras[0].PrivacyMasks[0][1][0] = 1.5 },
		"a point left of the picture":  func(m *bundle.Manifest) { m.Cameras[0].PrivacyMasks[0][1][1] = -0.1 },
		"too many masks":               func(m *bundle.Manifest) { m.Cameras[0].PrivacyMasks = make([]bundle.MaskPolygon, bundle.MaxMasks+1) },
	} {
		if _, err := bundle.ParseManifest(masked(edit)); err == nil {
			t.Errorf("ParseManifest accepts %s", name)
		}
	}
}
