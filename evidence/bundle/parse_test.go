package bundle_test

import (
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/bundle/bundletest"
	"golang.org/x/mod/sumdb/note"
)

const h0 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" // base64 SHA-256 of nothing

func TestParseProofRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"vigil-inclusion-proof/1\nindex 0\nsize 1",                // no final newline
		"vigil-inclusion-proof/1\nindex 0\nsize 1\n\n",            // blank line
		"vigil-inclusion-proof/1\nindex  0\nsize 1\n",             // extra space
		"vigil-inclusion-proof/1\nindex 0 \nsize 1\n",             // trailing space
		"vigil-inclusion-proof/1\r\nindex 0\nsize 1\n",            // CR
		"vigil-inclusion-proof/1\nindex 01\nsize 2\n" + h0 + "\n", // leading zero
		"vigil-inclusion-proof/1\nindex -1\nsize 1\n",             // negative
		"vigil-inclusion-proof/1\nindex +0\nsize 1\n",             // sign
		"vigil-inclusion-proof/1\nindex 1\nsize 1\n",              // index >= size
		"vigil-inclusion-proof/1\nindex 0\nsize 0\n",              // empty tree
		"vigil-inclusion-proof/1\nindex 0\nsize 2\n",              // too few hashes
		"vigil-inclusion-proof/1\nindex 0\nsize 1\n" + h0 + "\n",  // too many
		"vigil-inclusion-proof/1\nindex 0\nsize 2\n" + h0[:43] + "\n",
		"vigil-inclusion-proof/1\nindex 0\nsize 2\n" + h0 + "\r\n",
		"vigil-inclusion-proof/1\nsize 2\nindex 0\n" + h0 + "\n", // order
		"vigil-inclusion-proof/2\nindex 0\nsize 1\n",
		"vigil-inclusion-proof/1\nindex 0\nsize 9223372036854775808\n",
		"vigil-inclusion-proof/1\nindex 0\nsize 1\n" + strings.Repeat(h0+"\n", 65),
	} {
		if p, err := bundle.ParseInclusionProof([]byte(s)); err == nil {
			t.Errorf("ParseInclusionProof(%q) = %+v, want an error", s, p)
		}
	}
	for _, s := range []string{
		"vigil-consistency-proof/1\nold 0\nsize 1\n", // old 0
		"vigil-consistency-proof/1\nold 2\nsize 1\n", // old > size
		"vigil-consistency-proof/1\nold 1\nsize 1\n" + h0 + "\n",
		"vigil-consistency-proof/1\nold 1\nsize 2\n", // needs a hash
		"vigil-inclusion-proof/1\nindex 0\nsize 1\n",
	} {
		if p, err := bundle.ParseConsistencyProof([]byte(s)); err == nil {
			t.Errorf("ParseConsistencyProof(%q) = %+v, want an error", s, p)
		}
	}
	ok := "vigil-consistency-proof/1\nold 1\nsize 2\n" + h0 + "\n"
	if p, err := bundle.ParseConsistencyProof([]byte(ok)); err != nil || string(p.Format()) != ok {
		t.Errorf("ParseConsistencyProof(%q) = %+v, %v", ok, p, err)
	}
}

func TestOpenCheckpoint(t *testing.T) {
	signer, vkey := bundletest.NewKey(t, "log.example/x")
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(text string) []byte {
		b, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := "log.example/x\n12\n" + h0 + "\n"
	cp, err := bundle.OpenCheckpoint(sign(good), v)
	if err != nil || cp.Size != 12 || cp.Origin != "log.example/x" || string(bundle.FormatCheckpoint(cp)) != good {
		t.Fatalf("OpenCheckpoint = %+v, %v", cp, err)
	}
	for _, text := range []string{
		"log.example/x\n12\n" + h0 + "\nextension line\n",
		"log.example/x\n012\n" + h0 + "\n",
		"log.example/x\n-1\n" + h0 + "\n",
		"log example\n12\n" + h0 + "\n",
		"\n12\n" + h0 + "\n",
		"log.example/x\n12\n" + h0[:40] + "\n",
		"log.example/x\n12\n",
	} {
		if cp, err := bundle.OpenCheckpoint(sign(text), v); err == nil {
			t.Errorf("OpenCheckpoint(%q) = %+v, want an error", text, cp)
		}
	}
	otherSigner, _ := bundletest.NewKey(t, "log.example/x")
	byOther, _ := note.Sign(&note.Note{Text: good}, otherSigner)
	if _, err := bundle.OpenCheckpoint(byOther, v); err != bundle.ErrNotPinnedKey {
		t.Errorf("signed by another key with the same name: %v, want ErrNotPinnedKey", err)
	}
	// During a key rotation a checkpoint carries both signatures: fine.
	both, _ := note.Sign(&note.Note{Text: good}, otherSigner, signer)
	if _, err := bundle.OpenCheckpoint(both, v); err != nil {
		t.Errorf("signed by the pinned key and another: %v", err)
	}
}

func TestParseSHA256SUMS(t *testing.T) {
	hx := strings.Repeat("ab", 32)
	good := hx + "  a/b.mp4\n" + hx + "  c\n"
	sums, err := bundle.ParseSHA256SUMS([]byte(good))
	if err != nil || string(bundle.FormatSHA256SUMS(sums)) != good {
		t.Fatalf("ParseSHA256SUMS(%q) = %v, %v", good, sums, err)
	}
	for _, s := range []string{
		"", hx + "  c", hx + " c\n", hx + "  c\n\n", hx + "  c\n" + hx + "  a\n", hx + "  c\n" + hx + "  c\n",
		strings.ToUpper(hx) + "  c\n", hx + "  ../c\n", hx + "  /c\n", hx + "  a//c\n", hx + "  c\r\n",
		hx + " *c\n", hx[:62] + "  c\n",
	} {
		if sums, err := bundle.ParseSHA256SUMS([]byte(s)); err == nil {
			t.Errorf("ParseSHA256SUMS(%q) = %v, want an error", s, sums)
		}
	}
}

func TestParseManifestRejects(t *testing.T) {
	b := bundletest.New(t)
	good := string(b.Read(t, bundle.ManifestPath))
	if _, err := bundle.ParseManifest([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ old, new string }{
		{`"format": "vigil-export/1"`, `"format": "vigil-export/2"`},
		{`"format": "vigil-export/1"`, `"format": "vigil-export/1", "extra": 1`},
		{`"path": "README.txt"`, `"path": "../README.txt"`},
		{`"path": "README.txt"`, `"path": "manifest.json"`},
		{`"path": "working/cam001.mp4"`, `"path": "working/./cam001.mp4"`},
		{`"path": "working/cam001.mp4"`, `"path": "README.txt"`},
		{`"path": "media/cam001/`, `"path": "media/cam002/`},
		{`"sealed_seq": 1`, `"sealed_seq": -1`},
		{`"created": "2026-11-23T10:58:00.123456Z"`, `"created": "2026-11-23T10:58:00.123456+00:00"`},
		{`"kind": "readme"`, `"kind": "poem"`},
		{`"clock_source": "rtcp-sr"`, `"clock_source": "sundial"`},
		{`"clock_source": "rtcp-sr"`, `"clock_source": "rtcp-sr", "clock_offset_at": "yesterday"`},
		{`"clock_source": "rtcp-sr"`, `"clock_source": "rtcp-sr", "clock_offset_range_ms": [5, -5]`},
		{`"clock_source": "rtcp-sr"`, `"clock_source": "rtcp-sr", "clock_offset_range_ms": [1, 2, 3]`},
		{`"bytes": 3100`, `"bytes": -3100`},
		{`"sha256": "`, `"sha256": "A`},
		{`"clock_source": "rtcp-sr"`, `"clock_source": "rtcp-sr", "locations": [{"from": "2026-11-23T10:00:00Z", "to": "2026-11-23T09:00:00Z", "from_local": "", "to_local": "", "name": "", "address": "", "site": "", "ward": "", "latitude": 51.5, "longitude": 0.08}]`},
		{`"clock_source": "rtcp-sr"`, `"clock_source": "rtcp-sr", "locations": [{"from": "2026-11-23T09:00:00Z", "to": "2026-11-23T10:00:00Z", "from_local": "", "to_local": "", "name": "", "address": "", "site": "", "ward": "", "latitude": 91, "longitude": 0.08}]`},
		{`"clock_source": "rtcp-sr"`, `"clock_source": "rtcp-sr", "locations": [{"from": "2026-11-23T09:00:00", "to": "2026-11-23T10:00:00Z", "from_local": "", "to_local": "", "name": "", "address": "", "site": "", "ward": "", "latitude": 51, "longitude": 0.08}]`},
	} {
		if !strings.Contains(good, c.old) {
			t.Fatalf("manifest has no %s:\n%s", c.old, good)
		}
		bad := strings.Replace(good, c.old, c.new, 1)
		if _, err := bundle.ParseManifest([]byte(bad)); err == nil {
			t.Errorf("ParseManifest accepts %s", c.new)
		}
	}
	// The offset's time and range over the footage, well formed, are taken.
	withClock := strings.Replace(good, `"clock_source": "rtcp-sr"`,
		`"clock_source": "rtcp-sr", "clock_offset_at": "2026-11-23T09:59:00Z", "clock_offset_range_ms": [-4, 12.5]`, 1)
	if _, err := bundle.ParseManifest([]byte(withClock)); err != nil {
		t.Errorf("ParseManifest refuses a clock offset's time and range: %v", err)
	}
	if _, err := bundle.ParseManifest([]byte(good + "{}")); err == nil {
		t.Errorf("ParseManifest accepts trailing data")
	}
}

func TestParseCustodyRejects(t *testing.T) {
	b := bundletest.New(t)
	good := string(b.Read(t, bundle.CustodyPath))
	lines, err := bundle.ParseCustody([]byte(good))
	if err != nil || string(bundle.FormatCustody(lines)) != good {
		t.Fatalf("ParseCustody round trip: %v", err)
	}
	first, _, _ := strings.Cut(good, "\n")
	for _, s := range []string{
		"", good[:len(good)-1], good + "\n", good + first + "\n", // unterminated, blank, out of order
		strings.Replace(good, `"seq":`, `"sequence":`, 1),
		strings.Replace(good, "}\n", "} {}\n", 1),
		strings.Repeat(" ", bundle.MaxCustodyLine+1) + "\n",
	} {
		if _, err := bundle.ParseCustody([]byte(s)); err == nil {
			t.Errorf("ParseCustody accepts %.80q", s)
		}
	}
}
