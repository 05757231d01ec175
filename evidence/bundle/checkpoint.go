package bundle

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-cctv/vigil/evidence"
)

// MaxCheckpointBytes bounds a signed checkpoint or manifest.sig: the text
// and a few signatures (note.Open itself stops at 100).
const MaxCheckpointBytes = 64 << 10

// Checkpoint is the signed statement of a log's size and root (spec §3):
// the log's own type, so signer and verifier share one parser.
type Checkpoint = evidence.Checkpoint

// FormatCheckpoint returns the note text of a checkpoint: origin, size and
// base64 root, one a line. Sign it with note.Sign.
func FormatCheckpoint(c Checkpoint) []byte { return c.Text() }

// ErrNotPinnedKey means a note carries no signature by the pinned key: it
// may be well signed, but by someone else.
var ErrNotPinnedKey = errors.New("signature not by the pinned key")

// OpenCheckpoint checks that signed is a note signed by exactly the
// verifier v (signatures by other keys are ignored, as during a key
// rotation) and parses its text strictly.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	text, err := openNote(signed, v)
	if err != nil {
		return Checkpoint{}, err
	}
	return ParseCheckpoint(text)
}

// ParseCheckpoint parses checkpoint text, unsigned (evidence.ParseCheckpointText).
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	return evidence.ParseCheckpointText(string(text))
}

// openNote verifies a signed note against the one pinned verifier and
// returns its text.
func openNote(signed []byte, v note.Verifier) ([]byte, error) {
	if v == nil {
		return nil, errors.New("no pinned key")
	}
	if len(signed) > MaxCheckpointBytes {
		return nil, fmt.Errorf("signed note is %d bytes, at most %d", len(signed), MaxCheckpointBytes)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, ErrNotPinnedKey
	case errors.As(err, &invalid):
		return nil, fmt.Errorf("the signature by the pinned key %s does not verify: the text was changed", v.Name())
	case err != nil:
		return nil, fmt.Errorf("not a signed note: %v", err)
	}
	return []byte(n.Text), nil
}
