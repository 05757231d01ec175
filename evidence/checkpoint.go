package evidence

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed statement of the log's tree: its size and root.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// maxOriginBytes bounds a checkpoint's origin line.
const maxOriginBytes = 1024

// Text is the checkpoint's note text (C2SP tlog-checkpoint, no extensions).
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpointText parses checkpoint text, unsigned: exactly three
// lines. C2SP allows extension lines after the root; version 1 has none,
// so any extra line is refused rather than silently ignored.
func ParseCheckpointText(text string) (Checkpoint, error) {
	bad := func(format string, a ...any) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("checkpoint: "+format, a...)
	}
	body, ok := strings.CutSuffix(text, "\n")
	if !ok {
		return bad("does not end with a newline")
	}
	lines := strings.Split(body, "\n")
	if len(lines) != 3 {
		return bad("%d lines, want 3 (origin, size, root)", len(lines))
	}
	if err := checkOriginLine(lines[0]); err != nil {
		return bad("%v", err)
	}
	size, err := ParseDecimal(lines[1])
	if err != nil {
		return bad("size: %v", err)
	}
	root, err := ParseHashBase64(lines[2])
	if err != nil {
		return bad("root: %v", err)
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

func checkOriginLine(o string) error {
	if o == "" || len(o) > maxOriginBytes || !utf8.ValidString(o) {
		return fmt.Errorf("origin %q: empty, too long or not UTF-8", o)
	}
	for _, r := range o {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("origin %q: contains a space or control character", o)
		}
	}
	return nil
}

// ParseDecimal accepts only what strconv.FormatInt writes for n >= 0: no
// sign, no leading zeros, no spaces.
func ParseDecimal(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%q is not a canonical non-negative decimal", s)
	}
	return n, nil
}

// ParseHashBase64 accepts exactly one padded standard base64 SHA-256 hash;
// the re-encoding check refuses the CR and LF the decoder would skip.
func ParseHashBase64(s string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != len(h) || base64.StdEncoding.EncodeToString(raw) != s {
		return h, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
	}
	copy(h[:], raw)
	return h, nil
}

// OpenCheckpoint checks a signed checkpoint against the given verifiers
// (at least one must have signed it) and parses it.
func OpenCheckpoint(signed []byte, verifiers ...note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(verifiers...))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	return ParseCheckpointText(n.Text)
}

// SignCheckpoint signs c with every signer (old and new key after a
// rotation).
func SignCheckpoint(c Checkpoint, signers ...note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(c.Text())}, signers...)
}
