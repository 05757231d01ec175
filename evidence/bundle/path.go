package bundle

import (
	"fmt"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPathBytes bounds a bundle path; real ones are well under 200 bytes.
const MaxPathBytes = 1024

// CheckPath reports whether p is a bundle path as spec §5 defines them:
// relative, '/'-separated, no "..", "." or empty elements. It also refuses
// what would not survive a trip through Windows or a zip (backslashes,
// colons, control characters), since the same folder is verified there.
func CheckPath(p string) error {
	if p == "" || len(p) > MaxPathBytes {
		return fmt.Errorf("path %q: empty or over %d bytes", p, MaxPathBytes)
	}
	if p == "." || !utf8.ValidString(p) || !fs.ValidPath(p) {
		return fmt.Errorf("path %q: not a clean relative path", p)
	}
	if strings.ContainsAny(p, `\:`) {
		return fmt.Errorf("path %q: contains '\\' or ':'", p)
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return fmt.Errorf("path %q: contains a control character", p)
		}
	}
	return nil
}
