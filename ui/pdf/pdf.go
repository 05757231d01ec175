// Package pdf writes plain text reports as PDF (1.4): A4 pages of lines
// in the standard Helvetica and Courier fonts (no embedding, no images),
// which every PDF reader shows and prints. Tables are lines of Courier,
// padded to their columns. It is for the downloadable reports (the BJAG
// monthly pack); it reads nothing from outside.
package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Page geometry, in points (A4).
const (
	pageW, pageH = 595, 842
	margin       = 50
)

// Styles of a line.
type Style int

// The styles.
const (
	Body    Style = iota // Helvetica 10
	Title                // Helvetica-Bold 16
	Heading              // Helvetica-Bold 12
	Mono                 // Courier 8: table rows
)

var styles = map[Style]struct {
	font    string
	size    float64
	leading float64
}{
	Body: {"F1", 10, 14}, Title: {"F2", 16, 24}, Heading: {"F2", 12, 20}, Mono: {"F3", 8, 11},
}

// Doc is a document being written.
type Doc struct {
	pages []*bytes.Buffer // content streams
	y     float64         // the next line's baseline on the last page
}

// Line adds a line of text in a style, starting a page when the last is full.
func (d *Doc) Line(st Style, text string) {
	s := styles[st]
	if len(d.pages) == 0 || d.y-s.leading < margin {
		d.pages = append(d.pages, &bytes.Buffer{})
		d.y = pageH - margin
	}
	d.y -= s.leading
	fmt.Fprintf(d.pages[len(d.pages)-1], "BT /%s %g Tf %d %g Td (%s) Tj ET\n", s.font, s.size, margin, d.y, escape(text))
}

// Gap adds an empty line.
func (d *Doc) Gap() { d.Line(Body, "") }

// escape writes text as a PDF string in WinAnsi: Latin-1 as is, a few
// common others mapped, anything else as '?'; (, ) and \ escaped.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '–' || r == '—':
			b.WriteByte('-')
		case r == '→':
			b.WriteString("->")
		case r == '‘' || r == '’':
			b.WriteByte('\'')
		case r >= 32 && r < 127:
			b.WriteRune(r)
		case r >= 160 && r <= 255:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// Bytes is the finished PDF.
func (d *Doc) Bytes() []byte {
	if len(d.pages) == 0 {
		d.Line(Body, "")
	}
	var out bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// 1 catalog, 2 pages, 3-5 fonts, then a page and its content per page.
	n := len(d.pages)
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", 6+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	for _, f := range []string{"Helvetica", "Helvetica-Bold", "Courier"} {
		obj("<< /Type /Font /Subtype /Type1 /BaseFont /" + f + " /Encoding /WinAnsiEncoding >>")
	}
	for i, p := range d.pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents %d 0 R >>",
			pageW, pageH, 7+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", p.Len(), p.String()))
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return out.Bytes()
}

// Pad fits s to width characters (cut with "…" as "." when longer), for
// a Mono column.
func Pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n > width {
		r := []rune(s)
		return string(r[:max(width-1, 0)]) + "."
	} else {
		return s + strings.Repeat(" ", width-n)
	}
}
