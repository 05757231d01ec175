package pdf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func sample() *Doc {
	var d Doc
	d.Line(Title, "BJAG pack – November 2026")
	d.Line(Heading, "Deployments (live, requested)")
	for i := range 150 { // three pages
		d.Line(Mono, Pad(fmt.Sprintf("%d", i), 4)+Pad("Market Square (by the clock) £5 café \\ done", 50)+Pad("cut here and no further", 8)+" → ok")
	}
	return &d
}

// TestStructure checks what a reader relies on: every xref offset points
// at its object, startxref at the xref, each stream's length is exact.
func TestStructure(t *testing.T) {
	b := sample().Bytes()
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatal("header or trailer missing")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[xref:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the xref", xref)
	}
	for i, line := range strings.Split(string(b[xref:]), "\n")[3:] {
		if !strings.HasSuffix(line, " n ") {
			break
		}
		off, _ := strconv.Atoi(line[:10])
		if want := fmt.Sprintf("%d 0 obj\n", i+1); !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Fatalf("object %d: offset %d points at %q", i+1, off, b[off:off+10])
		}
	}
	for _, s := range regexp.MustCompile(`(?s)/Length (\d+) >>\nstream\n(.*?)endstream`).FindAllSubmatch(b, -1) {
		if n, _ := strconv.Atoi(string(s[1])); n != len(s[2]) {
			t.Fatalf("stream length %d, is %d", n, len(s[2]))
		}
	}
	if strings.Count(string(b), "/Type /Page ") != 3 {
		t.Errorf("%d pages, want 3", strings.Count(string(b), "/Type /Page "))
	}
}

// TestPopplerReadsIt has Debian's poppler read the document back: every
// page, the text as written (escapes, Latin-1).
func TestPopplerReadsIt(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is needed (Debian poppler-utils; make deps installs it)")
	}
	path := filepath.Join(t.TempDir(), "pack.pdf")
	if err := os.WriteFile(path, sample().Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"BJAG pack - November 2026", "149 Market Square (by the clock) £5 café \\ done", "cut her. -> ok"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q:\n%.600s", want, text)
		}
	}
	if strings.Contains(text, "Syntax Error") {
		t.Errorf("poppler complains:\n%s", text)
	}
}
