package bundle_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"golang.org/x/mod/sumdb/note"
)

// The fuzz targets check properties, not just "no panic": whatever a
// strict parser accepts, formatting gives back (exactly, for the line
// formats, or something that parses to the same value, for JSON).

func FuzzParseManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := bundle.ParseManifest(b)
		if err != nil {
			return
		}
		j, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := bundle.ParseManifest(j)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("re-parse of %s: %+v, %v; want %+v", j, m2, err, m)
		}
	})
}

func FuzzParseInclusionProof(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := bundle.ParseInclusionProof(b)
		if err == nil && !bytes.Equal(p.Format(), b) {
			t.Fatalf("accepted %q, which formats as %q", b, p.Format())
		}
	})
}

func FuzzParseConsistencyProof(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := bundle.ParseConsistencyProof(b)
		if err == nil && !bytes.Equal(p.Format(), b) {
			t.Fatalf("accepted %q, which formats as %q", b, p.Format())
		}
	})
}

// FuzzOpenCheckpoint signs the input as note text when sign is set (so the
// parser is reached), else opens it as a whole signed note.
func FuzzOpenCheckpoint(f *testing.F) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "vigil.fuzz/log")
	if err != nil {
		f.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	f.Fuzz(func(t *testing.T, b []byte, sign bool) {
		msg := b
		if sign {
			if msg, err = note.Sign(&note.Note{Text: string(b)}, signer); err != nil {
				return
			}
		}
		cp, err := bundle.OpenCheckpoint(msg, v)
		if err != nil {
			return
		}
		if !sign {
			// Only the key can make a note that opens; a fuzzer cannot.
			t.Fatalf("an unsigned input opened: %q", b)
		}
		if got := bundle.FormatCheckpoint(cp); !bytes.Equal(got, b) {
			t.Fatalf("accepted %q, which formats as %q", b, got)
		}
	})
}

func FuzzParseCustody(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := bundle.ParseCustody(b)
		if err != nil {
			return
		}
		for i := range lines {
			lines[i].Check() // must not panic, whatever the line says
		}
		again, err := bundle.ParseCustody(bundle.FormatCustody(lines))
		if err != nil || !reflect.DeepEqual(again, lines) {
			t.Fatalf("re-parse: %+v, %v; want %+v", again, err, lines)
		}
	})
}

func FuzzParseSHA256SUMS(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		sums, err := bundle.ParseSHA256SUMS(b)
		if err == nil && !bytes.Equal(bundle.FormatSHA256SUMS(sums), b) {
			t.Fatalf("accepted %q, which formats as %q", b, bundle.FormatSHA256SUMS(sums))
		}
	})
}
