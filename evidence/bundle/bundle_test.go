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
