package bundle_test

import (
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/bundle/bundletest"
)

func TestValidBundleVerifies(t *testing.T) {
	b := bundletest.New(t)
	r := bundle.Verify(b.Dir, b.Verifier, bundle.Options{})
	for _, c := range r.Checks {
		t.Log(c)
	}
	if !r.OK() || r.Err() != nil {
		t.Fatalf("a valid bundle fails: %v", r.Err())
	}
	if r.Manifest == nil || r.Checkpoint == nil || r.Checkpoint.Size != b.Size {
		t.Errorf("report lacks the signed manifest or checkpoint: %+v", r)
	}
	if !strings.HasPrefix(r.Summary(), "VERIFIED") {
		t.Errorf("summary %q", r.Summary())
	}
}

func TestVerifyNotABundle(t *testing.T) {
	b := bundletest.New(t)
	for _, dir := range []string{t.TempDir(), b.Dir + "/nonexistent", b.Path(bundletest.Master1)} {
		r := bundle.Verify(dir, b.Verifier, bundle.Options{})
		if r.OK() || r.Err() == nil || len(r.Checks) == 0 {
			t.Errorf("Verify(%s) passes: %+v", dir, r)
		}
		for _, c := range r.Checks {
			if c.Name == "internal" {
				t.Errorf("Verify(%s): %v", dir, c)
			}
		}
	}
	if r := bundle.Verify(b.Dir, nil, bundle.Options{}); r.OK() {
		t.Errorf("Verify with no key passes")
	}
}
