package bundle

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// MaxSumsBytes bounds SHA256SUMS: a line per file of a maximal manifest,
// its proofs and custody entries.
const MaxSumsBytes = 64 << 20

// FormatSHA256SUMS returns SHA256SUMS for the given files: one
// "<hex>  <path>" line each, as sha256sum prints, sorted by path bytes.
func FormatSHA256SUMS(sums map[string][32]byte) []byte {
	paths := make([]string, 0, len(sums))
	for p := range sums {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var b bytes.Buffer
	for _, p := range paths {
		h := sums[p]
		b.WriteString(hex.EncodeToString(h[:]))
		b.WriteString("  ")
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseSHA256SUMS parses SHA256SUMS strictly: exactly the lines
// FormatSHA256SUMS writes, in its order, each path valid and listed once.
func ParseSHA256SUMS(b []byte) (map[string][32]byte, error) {
	if len(b) > MaxSumsBytes {
		return nil, fmt.Errorf("SHA256SUMS: %d bytes, at most %d", len(b), MaxSumsBytes)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("SHA256SUMS: empty or does not end with a newline")
	}
	sums := make(map[string][32]byte)
	prev := ""
	for i, line := range strings.Split(string(b[:len(b)-1]), "\n") {
		hx, p, ok := strings.Cut(line, "  ")
		if !ok {
			return nil, fmt.Errorf("SHA256SUMS line %d: not \"<hex>  <path>\"", i+1)
		}
		h, err := ParseHex32(hx)
		if err != nil {
			return nil, fmt.Errorf("SHA256SUMS line %d: %v", i+1, err)
		}
		if err := CheckPath(p); err != nil {
			return nil, fmt.Errorf("SHA256SUMS line %d: %v", i+1, err)
		}
		if i > 0 && p <= prev {
			return nil, fmt.Errorf("SHA256SUMS line %d: %s is out of order or repeated", i+1, p)
		}
		sums[p], prev = h, p
	}
	return sums, nil
}
