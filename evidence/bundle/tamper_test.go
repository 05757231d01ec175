package bundle_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/bundle/bundletest"
)

// flip changes one byte in the middle of a file.
func flip(b *bundletest.Bundle, t *testing.T, rel string) {
	data := b.Read(t, rel)
	data[len(data)/2] ^= 0x01
	b.Write(t, rel, data)
}

// replace changes the first old in a file to new; old must be there.
func replace(b *bundletest.Bundle, t *testing.T, rel, old, new string) {
	data := b.Read(t, rel)
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s has no %q", rel, old)
	}
	b.Write(t, rel, bytes.Replace(data, []byte(old), []byte(new), 1))
}

// wantFailure checks the report failed with a problem under check whose
// detail contains want.
func wantFailure(t *testing.T, r *bundle.Report, check, want string) {
	t.Helper()
	if r.OK() || r.Err() == nil {
		t.Fatalf("tampered bundle verifies")
	}
	for _, c := range r.Checks {
		if c.Name == "internal" {
			t.Fatalf("the verifier panicked: %s", c.Detail)
		}
	}
	for _, c := range r.Checks {
		if !c.OK && c.Name == check && strings.Contains(c.Detail, want) {
			return
		}
	}
	var lines []string
	for _, c := range r.Checks {
		lines = append(lines, c.String())
	}
	t.Fatalf("no %s problem containing %q in:\n%s", check, want, strings.Join(lines, "\n"))
}

func TestTampering(t *testing.T) {
	other, _ := bundletest.NewKey(t, bundletest.Origin)
	proof4 := fmt.Sprintf("proofs/%d.proof", bundletest.PlaybackSeq)
	tests := []struct {
		name   string
		tamper func(*bundletest.Bundle, *testing.T)
		check  string // the check that must fail even after SHA256SUMS is resealed
		want   string
	}{
		{"flipped byte in a master", func(b *bundletest.Bundle, t *testing.T) { flip(b, t, bundletest.Master1) },
			bundle.CheckHashes, bundletest.Master1 + ": sha256 mismatch (manifest "},
		{"truncated master", func(b *bundletest.Bundle, t *testing.T) {
			b.Write(t, bundletest.Master1, b.Read(t, bundletest.Master1)[:100])
		}, bundle.CheckHashes, bundletest.Master1 + ": size mismatch"},
		{"appended to a master", func(b *bundletest.Bundle, t *testing.T) {
			b.Write(t, bundletest.Master2, append(b.Read(t, bundletest.Master2), 0))
		}, bundle.CheckHashes, bundletest.Master2 + ": size mismatch"},
		{"flipped byte in the working copy", func(b *bundletest.Bundle, t *testing.T) { flip(b, t, bundletest.Working) },
			bundle.CheckHashes, bundletest.Working + ": sha256 mismatch"},
		{"README changed", func(b *bundletest.Bundle, t *testing.T) {
			replace(b, t, bundle.ReadmePath, "police", "pol1ce")
		}, bundle.CheckHashes, "README.txt: sha256 mismatch"},
		{"verifier binary changed", func(b *bundletest.Bundle, t *testing.T) { flip(b, t, bundletest.Binary) },
			bundle.CheckHashes, bundletest.Binary + ": sha256 mismatch"},
		{"manifest field changed", func(b *bundletest.Bundle, t *testing.T) {
			replace(b, t, bundle.ManifestPath, "MET/26/123456", "MET/26/654321")
		}, bundle.CheckManifest, "manifest.json was changed"},
		{"manifest changed: export entry disagrees", func(b *bundletest.Bundle, t *testing.T) {
			replace(b, t, bundle.ManifestPath, "MET/26/123456", "MET/26/654321")
		}, bundle.CheckExport, "recorded manifest SHA-256"},
		{"manifest.sig flipped", func(b *bundletest.Bundle, t *testing.T) {
			replace(b, t, bundle.ManifestSigPath, "vigil-manifest/1\n", "vigil-manifest/2\n")
		}, bundle.CheckManifest, "does not verify"},
		{"manifest re-signed with another key", func(b *bundletest.Bundle, t *testing.T) {
			m := bytes.Replace(b.Read(t, bundle.ManifestPath), []byte("PC 123 Smith"), []byte("PC 999 Jones"), 1)
			b.SignManifest(t, m, other)
		}, bundle.CheckManifest, "manifest.sig: signature not by the pinned key"},
		{"checkpoint root changed", func(b *bundletest.Bundle, t *testing.T) {
			cp := b.Read(t, bundle.CheckpointPath)
			lines := bytes.SplitN(cp, []byte("\n"), 4)
			lines[2][5] ^= 0x01
			b.Write(t, bundle.CheckpointPath, bytes.Join(lines, []byte("\n")))
		}, bundle.CheckCheckpoint, "does not verify"},
		{"checkpoint signed by another key", func(b *bundletest.Bundle, t *testing.T) {
			l := *b.Log
			l.Signer = other
			cp, err := l.Checkpoint(b.Size)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(t, bundle.CheckpointPath, cp)
		}, bundle.CheckCheckpoint, "signature not by the pinned key"},
		{"custody readable field changed", func(b *bundletest.Bundle, t *testing.T) {
			replace(b, t, bundle.CustodyPath, `"reason":"incident review"`, `"reason":"routine check"`)
		}, bundle.CheckCustody, `line says reason "routine check", the entry says "incident review"`},
		{"custody disclosed name changed", func(b *bundletest.Bundle, t *testing.T) {
			replace(b, t, bundle.CustodyPath, `"actor_name":"PC 123 Smith"`, `"actor_name":"PC 124 Smith"`)
		}, bundle.CheckCustody, "does not hash to the actor"},
		{"custody entry removed", func(b *bundletest.Bundle, t *testing.T) {
			lines := bytes.SplitAfter(b.Read(t, bundle.CustodyPath), []byte("\n"))
			b.Write(t, bundle.CustodyPath, bytes.Join(lines[:len(lines)-2], nil))
		}, bundle.CheckExport, "no export.created entry"},
		{"a proof's hash changed", func(b *bundletest.Bundle, t *testing.T) {
			p, err := bundle.ParseInclusionProof(b.Read(t, proof4))
			if err != nil {
				t.Fatal(err)
			}
			p.Hashes[0][0] ^= 1
			b.Write(t, proof4, p.Format())
		}, bundle.CheckCustody, proof4 + ": entry 4 is not in the tree of size 9"},
		{"a proof for another tree size", func(b *bundletest.Bundle, t *testing.T) {
			p, err := b.Log.Inclusion(bundletest.PlaybackSeq, b.Size-1)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(t, proof4, p.Format())
		}, bundle.CheckCustody, "a proof for a tree of size 8, the checkpoint's has 9"},
		{"a proof from a forked log", func(b *bundletest.Bundle, t *testing.T) {
			p, err := fork(t, b, b.Size).Inclusion(bundletest.PlaybackSeq, b.Size)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(t, proof4, p.Format())
		}, bundle.CheckCustody, "entry 4 is not in the tree of size 9"},
		{"SHA256SUMS changed", func(b *bundletest.Bundle, t *testing.T) {
			replace(b, t, bundle.SumsPath, "  README.txt", "  README.TXT")
		}, bundle.CheckSums, "README.TXT, which is not in the bundle"},
		{"extra file", func(b *bundletest.Bundle, t *testing.T) {
			b.Write(t, "media/cam001/evil.mp4", []byte("x"))
		}, bundle.CheckFiles, "extra file not in manifest: media/cam001/evil.mp4"},
		{"missing master", func(b *bundletest.Bundle, t *testing.T) {
			if err := os.Remove(b.Path(bundletest.Master2)); err != nil {
				t.Fatal(err)
			}
		}, bundle.CheckFiles, "missing file: " + bundletest.Master2},
		{"missing proof", func(b *bundletest.Bundle, t *testing.T) {
			if err := os.Remove(b.Path(proof4)); err != nil {
				t.Fatal(err)
			}
		}, bundle.CheckFiles, "missing file: " + proof4},
		{"symlink", func(b *bundletest.Bundle, t *testing.T) {
			b.Write(t, "elsewhere/README.txt", b.Read(t, bundle.ReadmePath))
			os.Remove(b.Path(bundle.ReadmePath))
			if err := os.Symlink(b.Path("elsewhere/README.txt"), b.Path(bundle.ReadmePath)); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, bundle.CheckFiles, "symlink not allowed: README.txt"},
		{"master swapped, manifest re-signed with the real key", func(b *bundletest.Bundle, t *testing.T) {
			// An insider with the key but not the log: the log still wins.
			data := b.Read(t, bundletest.Master2)
			b.Write(t, bundletest.Master1, data)
			m := b.Manifest
			m.Files = append([]bundle.File(nil), m.Files...)
			m.Files[0].SHA256, m.Files[0].Bytes = m.Files[1].SHA256, m.Files[1].Bytes
			b.SignManifest(t, mustJSON(t, m), b.Log.Signer)
		}, bundle.CheckMasters, bundletest.Master1 + ": entry 1 sealed SHA-256"},
	}
	for _, tc := range tests {
		for _, reseal := range []bool{false, true} {
			if reseal && tc.check == bundle.CheckSums {
				continue // resealing undoes this one
			}
			t.Run(fmt.Sprintf("%s/reseal=%v", tc.name, reseal), func(t *testing.T) {
				b := bundletest.New(t)
				tc.tamper(b, t)
				if reseal {
					b.ResealSums(t)
				} else if tc.check != bundle.CheckFiles && tc.check != bundle.CheckSums {
					wantFailure(t, bundle.Verify(b.Dir, b.Verifier, bundle.Options{}), bundle.CheckSums, "")
				}
				wantFailure(t, bundle.Verify(b.Dir, b.Verifier, bundle.Options{}), tc.check, tc.want)
			})
		}
	}
}

// fork is a log with the same origin and key as b's but other entries:
// what a council that signed two histories would publish.
func fork(t *testing.T, b *bundletest.Bundle, n int64) *bundletest.Log {
	l := &bundletest.Log{Origin: b.Log.Origin, Signer: b.Log.Signer}
	for i := int64(0); i < n; i++ {
		_, err := l.Append(evidence.Entry{Time: bundleTime, Action: evidence.ActionLogin, Actor: "system:fork", Detail: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	return l
}
