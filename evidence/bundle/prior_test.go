package bundle_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/bundle/bundletest"
)

var bundleTime = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signed(t *testing.T, l *bundletest.Log, n int64) []byte {
	t.Helper()
	cp, err := l.Checkpoint(n)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func TestPriorConsistent(t *testing.T) {
	b := bundletest.New(t)
	for _, n := range []int64{b.ConsistencyFrom, b.Size} {
		r := bundle.Verify(b.Dir, b.Verifier, bundle.Options{Prior: signed(t, b.Log, n)})
		if !r.OK() {
			t.Errorf("prior of size %d: %v", n, r.Err())
		}
		if last := r.Checks[len(r.Checks)-1]; last.Name != bundle.CheckPrior {
			t.Errorf("last check is %v, want the prior check", last)
		}
	}
}

func TestPriorInconsistent(t *testing.T) {
	other, _ := bundletest.NewKey(t, bundletest.Origin)
	tests := []struct {
		name  string
		prior func(*testing.T, *bundletest.Bundle) []byte
		want  string
	}{
		{"rolled back", func(t *testing.T, b *bundletest.Bundle) []byte {
			for range 3 {
				if _, err := b.Log.Append(evidence.Entry{Time: bundleTime, Action: evidence.ActionLogin, Actor: "system:x"}); err != nil {
					t.Fatal(err)
				}
			}
			return signed(t, b.Log, b.Size+3)
		}, "-prior: bundle tree (size 9) does not extend the prior checkpoint (size 12): the log was rolled back"},
		{"forked at the same size", func(t *testing.T, b *bundletest.Bundle) []byte {
			return signed(t, fork(t, b, b.Size), b.Size)
		}, "both have size 9 but different roots: the log forked"},
		{"forked before", func(t *testing.T, b *bundletest.Bundle) []byte {
			return signed(t, fork(t, b, b.ConsistencyFrom), b.ConsistencyFrom)
		}, "-prior: bundle tree (size 9) does not extend the prior checkpoint (size 3): the log forked"},
		{"no consistency proof for that size", func(t *testing.T, b *bundletest.Bundle) []byte {
			return signed(t, b.Log, 5)
		}, "the bundle has no proofs/consistency/5.proof"},
		{"prior by another key", func(t *testing.T, b *bundletest.Bundle) []byte {
			l := *b.Log
			l.Signer = other
			return signed(t, &l, b.Size)
		}, "-prior: signature not by the pinned key"},
		{"prior of another log", func(t *testing.T, b *bundletest.Bundle) []byte {
			l := *b.Log
			l.Origin = "elsewhere.example/log"
			return signed(t, &l, b.Size)
		}, "the prior checkpoint is of log"},
		{"not a checkpoint", func(t *testing.T, b *bundletest.Bundle) []byte {
			return []byte("hello\n")
		}, "-prior: not a signed note"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bundletest.New(t)
			r := bundle.Verify(b.Dir, b.Verifier, bundle.Options{Prior: tc.prior(t, b)})
			wantFailure(t, r, bundle.CheckPrior, tc.want)
			for _, c := range r.Checks {
				if !c.OK && c.Name != bundle.CheckPrior {
					t.Errorf("only the prior check should fail: %v", c)
				}
			}
		})
	}
}
