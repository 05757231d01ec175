package bundle_test

import (
	"bytes"
	"testing"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"golang.org/x/mod/sumdb/tlog"
)

// The log signs checkpoints and police verify them: both go through package
// evidence's one parser, and this pins that they write the same bytes and
// accept the same texts.
func TestCheckpointAgreesWithTheLog(t *testing.T) {
	for _, c := range []bundle.Checkpoint{
		{Origin: "vigil.example-council.gov.uk/evidence", Size: 0, Root: tlog.Hash{}},
		{Origin: "o", Size: 1 << 40, Root: tlog.Hash{1, 2, 3}},
	} {
		text := bundle.FormatCheckpoint(c)
		if log := (evidence.Checkpoint{Origin: c.Origin, Size: c.Size, Root: c.Root}).Text(); !bytes.Equal(text, log) {
			t.Errorf("bundle writes %q, the log %q", text, log)
		}
		got, err := evidence.ParseCheckpointText(string(text))
		if err != nil || got.Origin != c.Origin || got.Size != c.Size || got.Root != c.Root {
			t.Errorf("the log parses %q as %+v, %v", text, got, err)
		}
	}
	for _, text := range []string{"o\n1\n" + h0 + "\next\n", "o\n01\n" + h0 + "\n", "o o\n1\n" + h0 + "\n", "o\n1\n" + h0} {
		_, errLog := evidence.ParseCheckpointText(text)
		_, errBundle := bundle.ParseCheckpoint([]byte(text))
		if (errLog == nil) != (errBundle == nil) {
			t.Errorf("%q: the log says %v, the verifier %v", text, errLog, errBundle)
		}
	}
}
