package export_test

import (
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func evidenceVerifier(key []byte) (note.Verifier, error) {
	return note.NewVerifier(strings.TrimSpace(string(key)))
}
