package export_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// A mobile camera that moved during the exported period: the manifest
// lists both of its places, each cut to the period, and names the camera
// by where it stood at the start, not where it is now; the bundle verifies.
func TestExportPlacesAMovedCamera(t *testing.T) {
	s := recordSite(t, 1)
	ctx := context.Background()
	cam := sim.CameraName(1)
	mid := s.from.Add(s.to.Sub(s.from) / 2)
	for _, l := range []store.CameraLocation{
		{Camera: cam, From: s.from.Add(-24 * 60 * 60e9), Name: "Park entrance (mobile)", Address: "Park gates", Ward: "Longbridge",
			Latitude: 51.544, Longitude: 0.086, DeploymentID: 4},
		{Camera: cam, From: mid, Name: "Estate car park (mobile)", Address: "Gascoigne estate", Ward: "Gascoigne",
			Latitude: 51.535, Longitude: 0.076, DeploymentID: 7},
	} {
		if err := s.store.MoveCamera(ctx, &l); err != nil {
			t.Fatal(err)
		}
	}
	_, m := exportVerified(t, s, cam)
	c := m.Cameras[0]
	if len(c.Locations) != 2 || c.Name != "Park entrance (mobile)" || c.Ward != "Longbridge" || c.Latitude != 51.544 {
		t.Fatalf("camera %+v", c)
	}
	first, second := c.Locations[0], c.Locations[1]
	if first.From != bundle.FormatTime(s.from) || first.To != bundle.FormatTime(mid) || first.Deployment != 4 ||
		second.From != bundle.FormatTime(mid) || second.To != bundle.FormatTime(s.to) || second.Address != "Gascoigne estate" {
		t.Errorf("locations %+v", c.Locations)
	}
}

// exportVerified exports camera cam over the site's whole recording,
// checks the bundle with the verifier against the site's key, and returns
// its folder and manifest.
func exportVerified(t *testing.T, s *site, cam string) (string, bundle.Manifest) {
	t.Helper()
	r := request(cam)
	r.From, r.To = s.from, s.to
	res, err := s.exporter(t, "").Export(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, res.Dir, pinned(t, s), nil); !rep.OK() {
		t.Fatalf("the export of %s does not verify:\n%s", cam, rep.Summary())
	}
	raw, err := os.ReadFile(filepath.Join(res.Dir, bundle.ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	m, err := bundle.ParseManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	return res.Dir, m
}
