package export

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
)

// Writes of every size, and reads through ReadFrom, come out whole, in
// order, hashed, and in whole chunks but the last.
func TestHashPipeKeepsEveryByte(t *testing.T) {
	var src []byte
	for i := 0; len(src) < 3*copyChunk+1234; i++ {
		src = append(src, byte(i*31+i/7))
	}
	for _, name := range []string{"writes", "readfrom"} {
		var out chunkRecorder
		hp := newHashPipe(&out)
		var err error
		if name == "writes" {
			rest := src
			for i := 1; len(rest) > 0; i = i*3 + 1 {
				k := min(i, len(rest))
				if _, err = hp.Write(rest[:k]); err != nil {
					break
				}
				rest = rest[k:]
			}
		} else {
			_, err = hp.ReadFrom(io.MultiReader(bytes.NewReader(src[:5]), bytes.NewReader(src[5:])))
		}
		n, sum, err := hp.finish(err)
		if err != nil || n != int64(len(src)) || sum != sha256.Sum256(src) || !bytes.Equal(out.data, src) {
			t.Fatalf("%s: %d bytes, err %v, sum ok %v, data ok %v", name, n, err, sum == sha256.Sum256(src), bytes.Equal(out.data, src))
		}
		for i, size := range out.sizes[:len(out.sizes)-1] {
			if size != copyChunk {
				t.Fatalf("%s: write %d was %d bytes, not a whole chunk", name, i, size)
			}
		}
	}
}

// A failing disk stops the producer with the disk's error, and a failing
// producer's error is the pipe's; neither hangs.
func TestHashPipeErrors(t *testing.T) {
	diskFull := errors.New("no space left on device")
	hp := newHashPipe(failingWriter{diskFull})
	big := make([]byte, copyChunk)
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = hp.Write(big)
	}
	if _, _, ferr := hp.finish(err); !errors.Is(err, diskFull) || !errors.Is(ferr, diskFull) {
		t.Fatalf("a failing disk: write %v, finish %v", err, ferr)
	}

	var out chunkRecorder
	hp = newHashPipe(&out)
	hp.Write(big[:10])
	remux := errors.New("segment 3: torn fragment")
	if _, _, err := hp.finish(remux); !errors.Is(err, remux) {
		t.Fatalf("a failing producer: %v", err)
	}
}

type chunkRecorder struct {
	data  []byte
	sizes []int
}

func (c *chunkRecorder) Write(b []byte) (int, error) {
	c.data = append(c.data, b...)
	c.sizes = append(c.sizes, len(b))
	return len(b), nil
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
