package bundle

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxCheckpointBytes bounds a signed checkpoint or manifest.sig: the text
// and a few signatures (note.Open itself stops at 100).
const MaxCheckpointBytes = 64 << 10

// Checkpoint is the signed statement of a log's size and root (spec §3).
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// FormatCheckpoint returns the note text of a checkpoint: origin, size and
// base64 root, one a line. Sign it with note.Sign.
func FormatCheckpoint(c Checkpoint) []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

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

// ParseCheckpoint parses checkpoint text, unsigned: exactly three lines.
// C2SP allows extension lines after the root; version 1 has none, so any
// extra line is refused rather than silently ignored.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("checkpoint: %s", why)
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return bad("does not end with a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) != 3 {
		return bad(fmt.Sprintf("%d lines, want 3 (origin, size, root)", len(lines)))
	}
	if err := checkOrigin(lines[0]); err != nil {
		return bad(err.Error())
	}
	size, err := parseDecimal(lines[1])
	if err != nil {
		return bad("size: " + err.Error())
	}
	root, err := parseHashB64(lines[2])
	if err != nil {
		return bad("root: " + err.Error())
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

func checkOrigin(o string) error {
	if o == "" || len(o) > MaxPathBytes || !utf8.ValidString(o) {
		return fmt.Errorf("origin %q: empty, too long or not UTF-8", o)
	}
	for _, r := range o {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("origin %q: contains a space or control character", o)
		}
	}
	return nil
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
