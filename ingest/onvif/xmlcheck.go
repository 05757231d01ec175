package onvif

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds element nesting. Real ONVIF answers stay under ~20 levels;
// the bound keeps the fault parser's recursion and encoding/xml's work small.
const maxDepth = 64

func newDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	return d
}

// checkXML scans the whole document before anything is decoded. A DOCTYPE is
// refused outright: encoding/xml never expands its entities, but a camera has
// no business sending one, and a plain error beats a confusing one later.
func checkXML(data []byte) error {
	d := newDecoder(data)
	depth, roots := 0, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if f := strings.Fields(string(t)); len(f) > 1 && strings.EqualFold(f[0], "DOCTYPE") && strings.EqualFold(f[1], "html") {
				return fmt.Errorf("%w: an HTML page, not a SOAP envelope", ErrMalformed)
			}
			return fmt.Errorf("%w: document has a DOCTYPE or entity declaration, which is refused", ErrMalformed)
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				return fmt.Errorf("%w: elements nested deeper than %d", ErrMalformed, maxDepth)
			}
			if depth == 1 {
				roots++
				if roots > 1 {
					return fmt.Errorf("%w: more than one root element", ErrMalformed)
				}
			}
		case xml.EndElement:
			depth--
			if depth < 0 {
				return fmt.Errorf("%w: unbalanced end element", ErrMalformed)
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("%w: text outside the root element", ErrMalformed)
			}
		}
	}
	if roots == 0 {
		return fmt.Errorf("%w: no XML element in the response", ErrMalformed)
	}
	if depth != 0 {
		return fmt.Errorf("%w: document ends inside an element", ErrMalformed)
	}
	return nil
}

// charsetReader accepts the one non-UTF-8 encoding older cameras declare.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		return &latin1Reader{r: bufio.NewReader(in)}, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8 (each byte is its rune).
type latin1Reader struct {
	r   *bufio.Reader
	buf [utf8.UTFMax]byte
	n   int
	off int
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		if l.off < l.n {
			c := copy(p[w:], l.buf[l.off:l.n])
			l.off += c
			w += c
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if w > 0 {
				return w, nil
			}
			return 0, err
		}
		l.n = utf8.EncodeRune(l.buf[:], rune(b))
		l.off = 0
	}
	return w, nil
}
